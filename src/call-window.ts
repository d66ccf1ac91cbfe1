/**
 * A sliding window of calls: at most `limit` in any `windowMs`. A subscription's events share one,
 * so that a subscription whose run changes often cannot call Altostrat without bound, however
 * small each event's share (docs/guarantees.md, "Live subscriptions"). It remembers the times of
 * the last `limit` calls, no more.
 */
export class CallWindow {
  readonly #times: Float64Array;
  #next = 0;

  constructor(
    readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(Number.isSafeInteger(limit) && limit >= 1)) throw new RangeError(`limit must be a whole number of at least 1, got ${limit}`);
    // A slot never used reads as a call long ago.
    this.#times = new Float64Array(limit).fill(Number.NEGATIVE_INFINITY);
  }

  /** Counts a call if the window has room for it, and says whether it had. */
  take(): boolean {
    const now = this.now();
    // The slot to reuse holds the oldest of the last `limit` calls: room only if it left the window.
    if (now - this.#times[this.#next]! < this.windowMs) return false;
    this.#times[this.#next] = now;
    this.#next = (this.#next + 1) % this.limit;
    return true;
  }
}
