/**
 * How upstream calls survive faults, with cockatiel's policies:
 * - one circuit breaker per upstream origin (process-wide): after `breakerThreshold` consecutive
 *   faults it answers at once, without calling, until a probe after `breakerCooldownMs` succeeds;
 *   only upstream faults count (5xx, timeouts, broken connections, unreadable bodies), never a
 *   caller's 401/403/404/429, so one tenant cannot open it for the others;
 * - one bulkhead (process-wide) capping the calls in flight, whatever the number of requests;
 * - per request, retries of these idempotent GETs on broken connections, timeouts and 502/503/504,
 *   with capped exponential backoff and full jitter, and on 429 after its Retry-After, but only
 *   while the request's deadline leaves room for it.
 */
import {
  bulkhead,
  circuitBreaker,
  ConsecutiveBreaker,
  DelegateBackoff,
  handleWhen,
  retry,
  wrap,
  type IPolicy,
} from 'cockatiel';

/** A fault of one upstream call: the client turns it into a coded error after the policies. */
export class UpstreamFault extends Error {
  override name = 'UpstreamFault';
  constructor(
    readonly kind: 'timeout' | 'network' | 'status' | 'body',
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * When the GraphQL request must be answered; upstream calls and retries stay within it. A time,
 * not a timer: each call's own timer is cut to what is left, and is cleared when the call ends,
 * so a finished request leaves nothing armed behind it.
 */
export interface Deadline {
  remainingMs(): number;
}

export function deadlineIn(ms: number): Deadline {
  const at = Date.now() + ms;
  return { remainingMs: () => at - Date.now() };
}

export interface GuardOptions {
  breakerThreshold: number;
  breakerCooldownMs: number;
  maxInFlight: number;
}

const isFault = (error: Error): boolean =>
  error instanceof UpstreamFault && (error.kind !== 'status' || (error.status !== undefined && error.status >= 500));

/** The process-wide part: breaker and bulkhead, shared by every request (never any data). */
export function createUpstreamGuard(options: GuardOptions): IPolicy {
  return wrap(
    circuitBreaker(handleWhen(isFault), {
      halfOpenAfter: options.breakerCooldownMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    }),
    bulkhead(options.maxInFlight, options.maxInFlight * 8),
  );
}

const RETRY_BASE_MS = 100;
const RETRY_CAP_MS = 2_000;
/** A retry needs at least this much of the deadline left to be worth starting. */
const RETRY_MIN_WINDOW_MS = 200;

function retryDelayMs(error: unknown, attempt: number): number {
  if (error instanceof UpstreamFault && error.status === 429) return (error.retryAfterSeconds ?? 1) * 1000;
  return Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
}

function retryable(error: Error, deadline: Deadline): boolean {
  if (!(error instanceof UpstreamFault)) return false;
  const room = deadline.remainingMs() - RETRY_MIN_WINDOW_MS;
  if (error.status === 429) return error.retryAfterSeconds !== undefined && error.retryAfterSeconds * 1000 < room;
  const transient = error.kind === 'network' || error.kind === 'timeout' || [502, 503, 504].includes(error.status ?? 0);
  return transient && room > 0;
}

/** The per-request policy: retries within the deadline, around the process-wide guard. */
export function withRetries(guard: IPolicy, retries: number, deadline: Deadline): IPolicy {
  const retrying = retry(
    handleWhen((error) => retryable(error, deadline)),
    {
      maxAttempts: retries,
      backoff: new DelegateBackoff((context) => {
        const error = 'error' in context.result ? context.result.error : undefined;
        return Math.max(0, Math.min(retryDelayMs(error, context.attempt), deadline.remainingMs() - RETRY_MIN_WINDOW_MS));
      }),
    },
  );
  return wrap(retrying, guard);
}
