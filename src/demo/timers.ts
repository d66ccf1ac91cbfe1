// Every timer the simulator sets (latency, living runs, the scheduler) goes through one set, so
// close() can clear them all and nothing keeps the process alive after it.

export interface Timers {
  /** Calls `fn` after `ms` unless cleared first. */
  after(ms: number, fn: () => void): void;
  /** Resolves after `ms`; once cleared, never (the request it delays is being torn down). */
  sleep(ms: number): Promise<void>;
  clearAll(): void;
}

export function createTimers(): Timers {
  const timers = new Set<NodeJS.Timeout>();
  const after = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  return {
    after,
    sleep: (ms) => new Promise((resolve) => after(ms, resolve)),
    clearAll() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
