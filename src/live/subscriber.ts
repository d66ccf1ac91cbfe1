/**
 * One subscriber: a small queue that is also the async iterator its caller reads. An idle
 * subscription is this object and nothing else (no timer, no closure: it is its own abort
 * listener), so a replica can hold many. The topic pushes events into it and finishes it; the
 * caller reads it, or gives up its share with return() or its AbortSignal.
 */

import { LiveLimitError } from './types.js';

/**
 * Events one subscriber may have waiting. A subscriber further behind its topic is ended
 * (RATE_LIMITED), its queue dropped: a client that reads more slowly than its events come, but
 * reads, holds no more of the process's memory than this.
 */
export const MAX_QUEUED_EVENTS = 1_000;

export interface SubscriberOwner {
  /** Called exactly once, when the subscriber stops listening for whatever reason. */
  detach(subscriber: Subscriber<unknown>): void;
}

type Waiter<E> = { resolve(result: IteratorResult<E>): void; reject(error: unknown): void };

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export class Subscriber<E> implements AsyncIterableIterator<E> {
  /** Still owed the topic's last event, which the topic may only learn after subscribing (Redis). */
  wantsReplay: boolean;
  private queue: E[] = [];
  private waiter: Waiter<E> | undefined;
  private ended = false;
  private error: Error | undefined;

  constructor(
    /** Who is told when it stops listening: the topic, or the hub while the subscription waits to be admitted. */
    public owner: SubscriberOwner,
    replayLast: boolean,
    private readonly signal?: AbortSignal,
  ) {
    this.wantsReplay = replayLast;
    signal?.addEventListener('abort', this, { once: true });
  }

  /** Finished, or abandoned by its caller. */
  get stopped(): boolean {
    return this.ended;
  }

  /** Queues an event; a finished or abandoned subscriber drops it. */
  push(event: E): void {
    if (this.ended) return;
    this.wantsReplay = false;
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value: event, done: false });
    } else if (this.queue.length < MAX_QUEUED_EVENTS) {
      this.queue.push(event);
    } else {
      this.queue = [];
      this.finish(new LiveLimitError(`This subscription fell ${MAX_QUEUED_EVENTS} events behind: its client reads them more slowly than they come. Subscribe again.`));
    }
  }

  /** Ends the stream once the queued events are read: normally, or by throwing `error`. */
  finish(error?: Error): void {
    if (this.ended) return;
    this.end();
    this.error = error;
    if (this.waiter) this.settle(this.waiter);
  }

  /** One call at a time, as for-await and GraphQL executors make them. */
  next(): Promise<IteratorResult<E>> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.queue.length > 0 || this.ended) this.settle(waiter);
      else this.waiter = waiter;
    });
  }

  /** The caller went away: drop what is queued and leave the topic. */
  return(): Promise<IteratorResult<E>> {
    if (!this.ended) this.end();
    this.queue = [];
    this.error = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(DONE);
    return Promise.resolve(DONE);
  }

  throw(): Promise<IteratorResult<E>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The AbortSignal's listener (EventListenerObject), so that no closure is kept per subscriber. */
  handleEvent(): void {
    void this.return();
  }

  private end(): void {
    this.ended = true;
    this.signal?.removeEventListener('abort', this);
    this.owner.detach(this);
  }

  private settle(waiter: Waiter<E>): void {
    this.waiter = undefined;
    if (this.queue.length > 0) return waiter.resolve({ value: this.queue.shift() as E, done: false });
    const error = this.error;
    this.error = undefined;
    if (error) waiter.reject(error);
    else waiter.resolve(DONE);
  }
}
