/** A subscriber's queue: what a slow reader may hold, and what one that keeps up never meets. */
import { describe, expect, it } from 'vitest';
import { MAX_QUEUED_EVENTS, Subscriber } from './subscriber.js';
import { LiveLimitError } from './types.js';

const owner = () => {
  const detached: unknown[] = [];
  return { detached, detach: (subscriber: unknown) => void detached.push(subscriber) };
};

describe('Subscriber', () => {
  it('hands its reader every event in order while it keeps up, however many', async () => {
    const subscriber = new Subscriber<number>(owner(), false);
    const read: number[] = [];
    for (let i = 0; i < 3 * MAX_QUEUED_EVENTS; i++) {
      subscriber.push(i);
      if (i % 10 === 9) for (let j = 0; j < 10; j++) read.push((await subscriber.next()).value as number);
    }
    expect(read).toEqual(Array.from({ length: 3 * MAX_QUEUED_EVENTS }, (_, i) => i));
    expect(subscriber.stopped).toBe(false);
  });

  it(`ends with RATE_LIMITED once ${MAX_QUEUED_EVENTS} events wait unread, dropping them, and leaves its topic`, async () => {
    const topic = owner();
    const subscriber = new Subscriber<number>(topic, false);
    for (let i = 0; i < MAX_QUEUED_EVENTS; i++) subscriber.push(i);
    expect(subscriber.stopped).toBe(false);
    subscriber.push(MAX_QUEUED_EVENTS);
    expect(subscriber.stopped).toBe(true);
    expect(topic.detached).toEqual([subscriber]);
    const error = await subscriber.next().then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(LiveLimitError);
    expect((error as LiveLimitError).code).toBe('RATE_LIMITED');
    expect(await subscriber.next()).toEqual({ value: undefined, done: true });
  });
});
