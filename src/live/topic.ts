/**
 * A topic: the subscribers of one (token, resource) on this replica, and the poller they share.
 *
 * Every interval the topic takes or keeps the lease (always granted in process; in Redis only one
 * replica holds it) and, while it holds it, starts a poll unless one is in flight or a backoff
 * is running. So a topic polls at most once per interval and never twice at once, however many
 * subscribers it has, and a poll that outlasts the interval delays the next one instead of
 * overlapping it. What a poll returns is committed through the coordinator (state, last event,
 * message, only while the lease is still held) and then delivered to subscribers; other replicas
 * hear the same message from Redis. A topic lives exactly as long as it has local subscribers:
 * the last one leaving stops its timer, aborts its poll and gives its lease up.
 */
import { randomUUID } from 'node:crypto';
import type { Commit, Coordinator, LastRecord, Message, Receiver, StateRecord } from './coordinator.js';
import { Subscriber, type SubscriberOwner } from './subscriber.js';
import { LiveEnd, type Json, type LiveMetrics, type PollResult, type Source } from './types.js';

export interface TopicContext {
  coordinator: Coordinator;
  intervalMs: number;
  maxBackoffMs: number;
  random: () => number;
  metrics?: LiveMetrics;
  report(error: unknown): void;
  /** A subscriber left: give its place back to the limits. */
  left(topic: Topic): void;
  /** The topic stopped: forget it, and wait for `stopping` before closing the coordinator. */
  stopped(topic: Topic, stopping: Promise<void>): void;
}

/**
 * Capped exponential backoff with "equal jitter" (half fixed, half random), never below the
 * interval: after the n-th failure in a row (n from 0), between half and all of
 * min(max, interval * 2^n).
 */
export function backoffMs(failures: number, intervalMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, intervalMs * 2 ** failures);
  return Math.max(intervalMs, ceiling * (0.5 + random() / 2));
}

type Outcome = Pick<Message, 'done' | 'end'> & { events: Json[]; state: Json | undefined };

export class Topic implements SubscriberOwner {
  readonly subscribers = new Set<Subscriber<unknown>>();
  /** The newest subscriber's: any will do (same token, same resource), and only one is kept. */
  private makeSource: () => Source<unknown>;
  private readonly receiver: Receiver = (raw) => this.receive(raw);
  private readonly tick = (): void => this.step();

  // Hearing: what subscribers have been sent.
  private joined = false;
  private early: string[] = [];
  private last: { event: Json } | undefined;
  private heard: { epoch: string; seq: number } | undefined;

  // Polling: meaningful while this topic holds the lease.
  leader = false;
  private source: Source<unknown> | undefined;
  private state: Json | undefined;
  private epoch = '';
  private seq = 0;
  private polling: AbortController | undefined;
  private failures = 0;
  private notBefore = 0;

  private timer: NodeJS.Timeout | undefined;
  private leasing: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  constructor(
    readonly key: string,
    readonly tokenKey: string,
    /** This topic's lease owner: unique per replica and per topic instance. */
    private readonly owner: string,
    makeSource: () => Source<unknown>,
    private readonly context: TopicContext,
  ) {
    this.makeSource = makeSource;
  }

  start(): void {
    this.context.coordinator.join(this.key, this.receiver).then(
      (last) => this.onJoined(last),
      (error: unknown) => {
        this.context.report(error);
        this.onJoined(null);
      },
    );
  }

  add<E>(makeSource: () => Source<E>, replayLast: boolean, signal: AbortSignal | undefined): Subscriber<E> {
    const subscriber = new Subscriber<E>(this, replayLast, signal);
    this.subscribers.add(subscriber);
    this.makeSource = makeSource;
    if (this.joined) {
      if (replayLast && this.last) subscriber.push(this.last.event as E);
      subscriber.wantsReplay = false;
    }
    return subscriber;
  }

  detach(subscriber: Subscriber<unknown>): void {
    if (!this.subscribers.delete(subscriber)) return;
    this.context.left(this);
    if (this.subscribers.size === 0) void this.stop();
  }

  /** Ends every subscriber (normally, or with `error`) and stops. */
  finish(error?: Error): Promise<void> {
    for (const subscriber of [...this.subscribers]) subscriber.finish(error);
    return this.stop();
  }

  private stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    clearTimeout(this.timer);
    this.polling?.abort();
    this.context.coordinator.leave(this.key, this.receiver);
    this.stopping = this.leasing.then(async () => {
      if (!this.leader) return;
      this.demote();
      await this.context.coordinator.release(this.key, this.owner);
    });
    this.context.stopped(this, this.stopping);
    return this.stopping;
  }

  private get stopped(): boolean {
    return this.stopping !== undefined;
  }

  private onJoined(stored: string | null): void {
    if (this.stopped) return;
    this.joined = true;
    const last = stored === null ? undefined : parse<LastRecord>(stored, this.context);
    if (last) {
      this.last = { event: last.event };
      this.heard = { epoch: last.epoch, seq: last.seq };
    }
    for (const subscriber of this.subscribers) {
      if (subscriber.wantsReplay && last) subscriber.push(last.event);
      subscriber.wantsReplay = false;
    }
    const early = this.early;
    this.early = [];
    for (const raw of early) this.receive(raw);
    this.step();
  }

  private receive(raw: string): void {
    if (this.stopped) return;
    if (!this.joined) {
      this.early.push(raw);
      return;
    }
    const message = parse<Message>(raw, this.context);
    if (!message) return;
    const { heard } = this;
    if (heard && heard.epoch === message.epoch && message.seq <= heard.seq) return;
    this.heard = { epoch: message.epoch, seq: message.seq };
    const { events } = message;
    if (events.length > 0) {
      this.last = { event: events[events.length - 1] as Json };
      this.context.metrics?.eventLatency?.(Date.now() - message.at);
      for (const subscriber of this.subscribers) for (const event of events) subscriber.push(event);
    }
    if (message.end) void this.finish(new LiveEnd(message.end.code, message.end.message));
    else if (message.done) void this.finish();
  }

  /** One interval: lease, then perhaps a poll, then the next interval. */
  private step(): void {
    if (this.stopped) return;
    this.leasing = this.lease().catch(() => this.demote()); // the coordinator has reported it
    void this.leasing.then(() => {
      if (this.stopped) return;
      if (this.leader && !this.polling && Date.now() >= this.notBefore) void this.poll();
      this.timer = setTimeout(this.tick, this.context.intervalMs);
    });
  }

  private async lease(): Promise<void> {
    const { coordinator } = this.context;
    if (this.leader) {
      if (!(await coordinator.renew(this.key, this.owner))) this.demote();
      return;
    }
    const lease = await coordinator.acquire(this.key, this.owner);
    if (!lease) return;
    // Held from here, even if the topic stopped meanwhile: stop() releases it once this settles.
    this.leader = true;
    const stored = lease.stored === null ? undefined : parse<StateRecord>(lease.stored, this.context);
    this.state = stored?.state;
    this.seq = stored?.seq ?? 0;
    this.epoch = stored?.epoch ?? randomUUID(); // new even for this owner: its old numbers may still be heard
    this.failures = 0;
    this.notBefore = 0;
  }

  private demote(): void {
    this.leader = false;
    this.source = undefined;
    this.polling?.abort();
  }

  private async poll(): Promise<void> {
    const polling = (this.polling = new AbortController());
    try {
      const outcome = await this.pollOnce(polling.signal);
      if (outcome && !polling.signal.aborted) await this.publish(outcome);
    } finally {
      if (this.polling === polling) this.polling = undefined;
    }
  }

  /** Runs the source once: what to publish, or undefined when there is nothing (aborted, transient failure). */
  private async pollOnce(signal: AbortSignal): Promise<Outcome | undefined> {
    try {
      this.source ??= this.makeSource();
      const result: PollResult<unknown> = await this.source.poll(this.state, signal);
      if (!Array.isArray(result?.events)) throw new TypeError('A live source resolved without an events array');
      if (signal.aborted) return undefined;
      this.context.metrics?.poll('ok');
      return { events: result.events as Json[], state: result.state, ...(result.done && { done: true }) };
    } catch (error) {
      if (signal.aborted) return undefined;
      if (error instanceof LiveEnd) {
        this.context.metrics?.poll('end');
        return { events: [], state: this.state, end: { code: error.code, message: error.message } };
      }
      this.context.metrics?.poll('transient');
      this.backOff(error);
      return undefined;
    }
  }

  /** A transient failure: the first of a run is reported, and the next poll waits longer each time. */
  private backOff(error: unknown): void {
    if (this.failures === 0) this.context.report(error);
    const { intervalMs, maxBackoffMs, random } = this.context;
    this.notBefore = Date.now() + backoffMs(this.failures++, intervalMs, maxBackoffMs, random);
  }

  private async publish(outcome: Outcome): Promise<void> {
    let prepared: { commit: Commit; seq: number };
    try {
      prepared = this.prepare(outcome);
    } catch (error) {
      return this.backOff(error); // state or events that JSON cannot hold: a bug in the source
    }
    const { commit, seq } = prepared;
    let committed: boolean;
    try {
      committed = await this.context.coordinator.commit(this.key, this.owner, commit);
    } catch {
      // Reported by the coordinator. Whether it was stored is unknown, so poll again only after
      // taking the lease, and the stored state with it, anew.
      return this.demote();
    }
    if (!committed) return this.demote();
    // The next poll starts from the state as stored, as a replica taking over would.
    this.state = (JSON.parse(commit.record) as StateRecord).state;
    this.seq = seq;
    this.failures = 0;
    if (commit.message) this.receive(commit.message);
  }

  private prepare({ events, state, done, end }: Outcome): { commit: Commit; seq: number } {
    const { epoch } = this;
    const final = Boolean(done || end);
    const news = events.length > 0 || final;
    const seq = news ? this.seq + 1 : this.seq;
    const message: Message = { epoch, seq, at: Date.now(), events, ...(done && { done }), ...(end && { end }) };
    const lastEvent = events[events.length - 1];
    const commit: Commit = {
      record: JSON.stringify({ epoch, seq, state: state ?? null } satisfies StateRecord),
      final,
      ...(news && { message: JSON.stringify(message) }),
      ...(lastEvent !== undefined && { last: JSON.stringify({ epoch, seq, event: lastEvent } satisfies LastRecord) }),
    };
    return { commit, seq };
  }
}

function parse<T>(raw: string, context: TopicContext): T | undefined {
  try {
    return JSON.parse(raw) as T;
  } catch (error) {
    context.report(error);
    return undefined;
  }
}
