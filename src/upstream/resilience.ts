/**
 * How upstream calls survive faults, with cockatiel's policies:
 * - one circuit breaker per upstream origin (process-wide): after `breakerThreshold` consecutive
 *   faults it answers at once, without calling, until a probe after `breakerCooldownMs` succeeds.
 *   Only faults that say Altostrat itself is unwell count: 5xx, timeouts, broken connections,
 *   and those only when Altostrat has answered no call since theirs was sent.
 *   Never a caller's 401/403/404/429, and never a body that is unreadable, too big or of an
 *   unexpected shape: those depend on one tenant's data (a webhook step's output, say), and one
 *   tenant must not be able to open the breaker for the others. For the same reason, a call that
 *   runs the caller's own workflow or node (the catalogue's `runsCallerCode`) counts only when no
 *   connection could be made: its 5xx or its slowness can be that workflow's;
 * - retries, per request, of idempotent calls (GETs, and writes that carry an idempotency key) on
 *   broken connections, timeouts and 502/503/504, with capped exponential backoff and full
 *   jitter, and on 429 after its Retry-After, but only while the request's deadline leaves room.
 * The process's call slots are shared between tenants by fair-share.ts.
 */
import {
  circuitBreaker,
  ConsecutiveBreaker,
  DelegateBackoff,
  handleWhen,
  retry,
  wrap,
  type IPolicy,
} from 'cockatiel';

/**
 * A fault of one upstream call: the client turns it into a coded error after the policies.
 * - `timeout`: Altostrat took the whole UPSTREAM_TIMEOUT_MS; `deadline`: the caller's own request
 *   deadline ended the call first (or before it was sent: `sent` false), which says nothing about
 *   Altostrat's health; `cancelled`: the caller went away.
 * - `timeout`, `network` and a sent `deadline` fault of a write may have reached Altostrat (its
 *   outcome is unknown), unlike `refused`: the connection was never made, so nothing was sent.
 */
export class UpstreamFault extends Error {
  override name = 'UpstreamFault';
  /**
   * Whether it says Altostrat itself is unwell, which the breaker counts (see the module comment).
   * The client clears it for a call whose answer is the outcome of the caller's own workflow.
   */
  outage: boolean;
  /** When its attempt was sent (performance.now()), where the client knows it. */
  sentAt: number | undefined;
  constructor(
    readonly kind: 'timeout' | 'deadline' | 'network' | 'refused' | 'cancelled' | 'status' | 'body' | 'tooLarge',
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
    readonly sent = true,
  ) {
    super(message);
    this.outage = kind === 'timeout' || kind === 'network' || kind === 'refused' || (kind === 'status' && (status ?? 0) >= 500);
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

export interface BreakerOptions {
  breakerThreshold: number;
  breakerCooldownMs: number;
}

/** The process-wide circuit breaker, and what tells it that Altostrat is up. */
export interface Breaker {
  policy: IPolicy;
  /** Altostrat answered a call (with anything but a fault): a call sent before now that fails proves no outage. */
  answered(): void;
}

/**
 * The process-wide circuit breaker, shared by every request (never any data). An outage fault
 * counts only when no answer has come since its call was sent: one tenant's calls that time out
 * on its own data (a huge list) while Altostrat answers the others' prove nothing about
 * Altostrat, and cannot open it for them; in an outage, no answer comes at all.
 */
export function createBreaker(options: BreakerOptions): Breaker {
  let answeredAt = -Infinity;
  const counts = (error: Error) => error instanceof UpstreamFault && error.outage && !(error.sentAt !== undefined && error.sentAt < answeredAt);
  return {
    policy: circuitBreaker(handleWhen(counts), {
      halfOpenAfter: options.breakerCooldownMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    }),
    answered: () => void (answeredAt = performance.now()),
  };
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
  const transient =
    error.kind === 'network' || error.kind === 'refused' || error.kind === 'timeout' || [502, 503, 504].includes(error.status ?? 0);
  return transient && room > 0;
}

/** The per-request policy for idempotent calls: retries within the deadline, around the breaker. */
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
