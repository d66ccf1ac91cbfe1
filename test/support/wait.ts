/**
 * The bounded wait that replaces a sleep which hopes something happened: checks `check` every
 * `everyMs` until it holds, and fails with `what` after `timeoutMs`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export async function until(what: string, check: () => boolean | Promise<boolean>, { timeoutMs = 15_000, everyMs = 10 } = {}): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await sleep(everyMs);
  }
}
