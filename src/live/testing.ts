/**
 * Fake sources and stream readers shared by the live hub's tests (hub.test.ts, redis.test.ts).
 * Not used by the gateway itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Json, PollResult, Source } from './types.js';

/** Reads `count` events, failing if the stream ends first. */
export async function take<E>(stream: AsyncIterator<E>, count: number): Promise<E[]> {
  const events: E[] = [];
  while (events.length < count) {
    const next = await stream.next();
    if (next.done) throw new Error(`The stream ended after ${events.length} of ${count} events`);
    events.push(next.value);
  }
  return events;
}

/** Reads until the stream ends (normally or not), at most `limit` events. */
export async function drain<E>(stream: AsyncIterator<E>, limit = 100): Promise<{ events: E[]; error?: unknown }> {
  const events: E[] = [];
  try {
    for (let i = 0; i < limit; i++) {
      const next = await stream.next();
      if (next.done) return { events };
      events.push(next.value);
    }
    throw new Error(`The stream did not end within ${limit} events`);
  } catch (error) {
    return { events, error };
  }
}

export interface PollRecord {
  label: string;
  state: Json | undefined;
  startedAt: number;
  signal: AbortSignal;
  settled: boolean;
}

/**
 * Watches every poll of the sources it makes: how many, with which state, how many at once.
 * `step` decides each poll's result from the state it started from (`undefined` for a fresh
 * poller); `delayMs` makes a poll take that long (given its index), or less if its signal aborts.
 */
export class PollLog {
  readonly polls: PollRecord[] = [];
  readonly made: string[] = [];
  inFlight = 0;
  maxInFlight = 0;

  source<E>(
    label: string,
    step: (state: Json | undefined, index: number) => PollResult<E> | Promise<PollResult<E>>,
    delayMs: number | ((index: number) => number) = 0,
  ): () => Source<E> {
    return () => {
      this.made.push(label);
      return {
        poll: async (state, signal) => {
          const index = this.polls.filter((p) => p.label === label).length;
          const record: PollRecord = { label, state, startedAt: performance.now(), signal, settled: false };
          this.polls.push(record);
          this.inFlight++;
          this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
          try {
            const ms = typeof delayMs === 'number' ? delayMs : delayMs(index);
            if (ms > 0) await sleep(ms, undefined, { signal }).catch(() => {});
            return await step(state, index);
          } finally {
            this.inFlight--;
            record.settled = true;
          }
        },
      };
    };
  }

  count(label?: string): number {
    return label === undefined ? this.polls.length : this.polls.filter((p) => p.label === label).length;
  }
}

/** Each poll publishes the next number after the one in its state: 1, 2, 3... across pollers. */
export const counting =
  (tag = '') =>
  (state: Json | undefined): PollResult<{ n: number; tag: string }> => {
    const n = ((state as { n?: number } | undefined)?.n ?? 0) + 1;
    return { events: [{ n, tag }], state: { n } };
  };
