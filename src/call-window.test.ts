/** CallWindow: at most `limit` calls in any window, on a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { CallWindow } from './call-window.js';

describe('CallWindow', () => {
  it('admits `limit` calls in a window, then none until the oldest leaves it', () => {
    let now = 0;
    const window = new CallWindow(3, 1_000, () => now);
    expect([window.take(), window.take(), window.take(), window.take()]).toEqual([true, true, true, false]);
    now = 999;
    expect(window.take()).toBe(false);
    now = 1_000;
    expect(window.take()).toBe(true);
    expect(window.take()).toBe(true);
    expect(window.take()).toBe(true);
    expect(window.take()).toBe(false);
  });

  it('slides: calls spread over the window leave it one by one', () => {
    let now = 0;
    const window = new CallWindow(2, 1_000, () => now);
    expect(window.take()).toBe(true);
    now = 600;
    expect(window.take()).toBe(true);
    now = 1_100; // the first call left the window, the second has not
    expect(window.take()).toBe(true);
    expect(window.take()).toBe(false);
    now = 1_600;
    expect(window.take()).toBe(true);
  });
});
