/**
 * The policies every upstream call of one GraphQL request goes through, in one order, outermost
 * first:
 * 1. this request's concurrency: at most `concurrency` of its calls in flight;
 * 2. retries (resilience.ts), for a call that may be retried, within the request's deadline;
 * 3. the process-wide circuit breaker;
 * 4. this tenant's fair share of the process's upstream slots (fair-share.ts);
 * 5. the request's call budget (and `admitCall`, when given), counted per attempt just before it
 *    is sent; and none is sent once the execution it serves has its result (`end`).
 * Whatever fails comes out as a coded error: a status through transport.ts's table, a fault of
 * the policies or the connection here. A write that got no answer may have happened: it says so
 * (`outcomeUnknown`) rather than UPSTREAM_ERROR alone, and so does a keyed write whose retries
 * failed after an attempt that got none.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { GraphQLError } from 'graphql';
import { BrokenCircuitError, type IPolicy } from 'cockatiel';
import { codedError, ErrorCode } from '../errors.js';
import { WaitExpired, type FairShare } from './fair-share.js';
import { UpstreamFault, withRetries, type Breaker, type Deadline } from './resilience.js';
import { errorFor } from './transport.js';
import type { Route } from '../catalogue/endpoints.js';

export interface PolicyOptions {
  /** Who the caller is for fair sharing: a keyed hash of the token, never the token. */
  tenant: string;
  fairShare: FairShare;
  breaker: Breaker;
  retries: number;
  concurrency: number;
  maxCalls: number;
  /** Asked before each attempt, after the budget; throws a coded error to refuse it. */
  admitCall?: (() => void) | undefined;
  deadline: Deadline;
  signal: AbortSignal;
}

/** How one call may be treated: its name, whether it may be retried, whether it changes anything. */
export interface CallTerms {
  route: Route;
  retried: boolean;
  writes: boolean;
}

export class RequestPolicy {
  readonly #options: PolicyOptions;
  // Made at the first call: a request that calls nothing (an idle subscription's) pays nothing.
  #limit: LimitFunction | undefined;
  #retrying: IPolicy | undefined;
  #calls = 0;
  #ended = false;

  constructor(options: PolicyOptions) {
    this.#options = options;
  }

  /** Sends no attempt from now on (AltostratClient.end). */
  end(): void {
    this.#ended = true;
  }

  /** Runs `attempt` under the policies; it calls `admit()` just before sending, which spends one call of the budget. */
  async run<T>(terms: CallTerms, attempt: (admit: () => void) => Promise<T>): Promise<T> {
    const { fairShare, tenant, signal, deadline, breaker, retries, concurrency } = this.#options;
    const limit = (this.#limit ??= pLimit(concurrency));
    const policy = terms.retried ? (this.#retrying ??= withRetries(breaker.policy, retries, deadline)) : breaker.policy;
    const admit = () => {
      if (this.#ended) throw new UpstreamFault('cancelled', `${terms.route}: the operation it was for has its result`);
      if (this.#calls >= this.#options.maxCalls) throw callBudgetSpent(this.#options.maxCalls);
      this.#options.admitCall?.();
      this.#calls++;
    };
    // A write's attempt that may have reached Altostrat leaves the outcome unknown, whatever the
    // retries after it get (a 5xx, no answer, the breaker open, the budget spent), unless one is
    // answered with a refusal (REFUSALS): a retry carries the same Idempotency-Key, so a refusal
    // is what the first attempt got too.
    let unanswered = false;
    let sent = false; // the latest attempt was sent
    const once = terms.writes
      ? () => {
          sent = false;
          const admitAndSend = () => {
            admit();
            sent = true;
          };
          return attempt(admitAndSend).catch((error: unknown) => {
            unanswered ||= mayHaveHappened(error);
            throw error;
          });
        }
      : () => attempt(admit);
    try {
      return await limit(() => policy.execute(() => fairShare.run(tenant, once, { signal, deadline })));
    } catch (error) {
      const refused = sent && error instanceof GraphQLError && REFUSALS.has(error.extensions.code as ErrorCode);
      throw unanswered && !refused ? outcomeUnknown(terms.route) : asCodedError(terms, error);
    }
  }
}

/**
 * What a write's answer codes as when Altostrat refused it (401, 403, 422): a retry with the same
 * Idempotency-Key is refused as its first attempt was. Any other answer (a 400 or a 409 among the
 * other 4xx, which come out as UPSTREAM_ERROR) says nothing of what that attempt did.
 */
const REFUSALS: ReadonlySet<ErrorCode> = new Set([ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.BAD_USER_INPUT]);

/**
 * A fault of a call that was sent and got no answer to go by: none, one the gateway cannot read
 * (a 2xx body of the wrong shape, a body over the cap), or a proxy's 502 or 504, which say
 * nothing of what Altostrat behind it did. A write may have happened.
 */
function mayHaveHappened(error: unknown): boolean {
  if (!(error instanceof UpstreamFault) || !error.sent) return false;
  const { kind, status } = error;
  return kind === 'timeout' || kind === 'deadline' || kind === 'network' || kind === 'body' || kind === 'tooLarge' || status === 502 || status === 504;
}

const outcomeUnknown = (route: Route): GraphQLError =>
  codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat gave no answer to ${route} that says whether it happened: it may or may not have. Check before trying again.`, {
    outcomeUnknown: true,
  });

const callBudgetSpent = (maxCalls: number): GraphQLError =>
  codedError(
    ErrorCode.BAD_USER_INPUT,
    `This request has made the ${maxCalls} calls to Altostrat one request may make; ask for less and page through the rest.`,
    { cost: { limit: maxCalls } },
  );

const upstreamError = (message: string): GraphQLError => codedError(ErrorCode.UPSTREAM_ERROR, message);

/** What the policies let through -> a contract code. */
function asCodedError({ route, writes }: CallTerms, error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof BrokenCircuitError) return upstreamError(`Altostrat has been failing; ${route} was not tried. Retry in a few seconds.`);
  if (error instanceof WaitExpired) return upstreamError(`${route} was not tried: this token's share of calls to Altostrat stayed busy until the request's deadline.`);
  if (!(error instanceof UpstreamFault)) {
    // The fair-share wait ended because the caller went away: nobody reads this answer.
    if (error instanceof Error && error.name === 'AbortError') return upstreamError(`${route} was cancelled: the caller went away.`);
    throw error; // a bug: Yoga masks it
  }
  if (writes && mayHaveHappened(error)) return outcomeUnknown(route);
  switch (error.kind) {
    case 'cancelled':
      return upstreamError(`${route} was cancelled: the caller went away.`);
    case 'timeout':
    case 'deadline':
      return upstreamError(`Altostrat did not answer ${route} in time.`);
    case 'network':
    case 'refused':
      return upstreamError(`Altostrat could not be reached for ${route}, or the connection broke.`);
    case 'body':
    case 'tooLarge':
      return upstreamError(error.message);
    case 'status':
      return errorFor(error.status!, { route, retryAfterSeconds: error.retryAfterSeconds });
  }
}
