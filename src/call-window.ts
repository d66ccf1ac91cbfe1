/**
 * A sliding window of calls: at most `limit` in any `windowMs`. A subscription's events share one,
 * so that a subscription whose run changes often cannot call Altostrat without bound, however
 * small each event's share (docs/guarantees.md, "Live subscriptions"). It remembers the times of
 * the last `limit` calls, no more.
 */
export class CallWindow {
  /**
   * The times of the last calls, oldest at `#next` once full. It grows with the calls made, up to
   * `limit`: most subscriptions make a few calls a minute, and a slot made up front for every
   * possible call (600 by default) was the largest part of an idle subscription's memory.
   */
  readonly #times: number[] = [];
  #next = 0;

  constructor(
    readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(Number.isSafeInteger(limit) && limit >= 1)) throw new RangeError(`limit must be a whole number of at least 1, got ${limit}`);
  }

  /** Counts a call if the window has room for it, and says whether it had. */
  take(): boolean {
    const now = this.now();
    // Fewer than `limit` calls ever: room.
    if (this.#times.length < this.limit) {
      this.#times.push(now);
      return true;
    }
    // The slot to reuse holds the oldest of the last `limit` calls: room only if it left the window.
    if (now - this.#times[this.#next]! < this.windowMs) return false;
    this.#times[this.#next] = now;
    this.#next = (this.#next + 1) % this.limit;
    return true;
  }
}
