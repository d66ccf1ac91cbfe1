/**
 * A topic: the subscribers of one (token, resource) on this replica, the Listener that delivers
 * what they hear (listener.ts) and the Poller they share (poller.ts). Every interval the topic
 * steps both: the listener reads the stored messages while its channel is not subscribed yet
 * (or retries the read for a gap), and the poller takes, keeps or gives up the lease and perhaps
 * polls. What the poller publishes reaches this replica's subscribers through the listener, as
 * the other replicas' subscribers hear it through Redis. A topic lives exactly as long as it
 * has local subscribers: the last one leaving stops its timer, aborts its poll and gives its
 * lease up.
 */
import type { Coordinator, Link, Message } from './coordinator.js';
import { Listener, type Sameness } from './listener.js';
import { Poller, type PollerContext, type PollerTopic, type Rest } from './poller.js';
import type { Subscriber, SubscriberOwner } from './subscriber.js';
import { LiveEnd, type Source } from './types.js';

export interface TopicContext extends PollerContext {
  coordinator: Coordinator;
  /** A subscriber left: give its place back to the limits. */
  left(topic: Topic): void;
  /** The topic stopped: forget it, and wait for `stopping` before closing the coordinator. */
  stopped(topic: Topic, stopping: Promise<void>): void;
  /** The rest of the topic's last poller on this replica, if it stopped lately. */
  rest(key: string): Rest | undefined;
}

export class Topic implements SubscriberOwner {
  readonly subscribers = new Set<Subscriber<unknown>>();
  readonly listener: Listener;
  readonly poller: Poller;
  /** The newest subscriber's: any will do (same token, same resource), and only one is kept. */
  private makeSource: () => Source<unknown>;
  private readonly link: Link = {
    message: (raw) => this.listener.hear(raw),
    resync: (recent) => this.listener.resync(recent),
  };
  private readonly tick = (): void => void this.step();
  private timer: NodeJS.Timeout | undefined;
  private catchingUp = false;
  private stepping = false;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly key: string,
    readonly tokenKey: string,
    owner: string,
    makeSource: () => Source<unknown>,
    sameness: Sameness,
    private readonly context: TopicContext,
  ) {
    this.makeSource = makeSource;
    this.listener = new Listener(
      {
        deliver: (events, at) => {
          context.metrics?.eventLatency?.(Date.now() - at);
          for (const subscriber of this.subscribers) for (const event of events) subscriber.push(event);
        },
        end: (message) => void this.end(message),
        recent: () => context.coordinator.recent(key),
        note: (event) => context.metrics?.event?.(event),
        report: (error) => context.report(error),
      },
      sameness,
    );
    const hearing: PollerTopic = {
      // A topic of states goes on from a rest only where its listener can replay the state it left.
      mayGoOn: ({ epoch, seq }) => !sameness.states || this.listener.holds(epoch, seq),
      heardAt: () => this.listener.newestAt,
      heardState: () => this.listener.newestState,
    };
    this.poller = new Poller(key, owner, () => this.makeSource(), (raw) => this.listener.hear(raw), context, context.rest(key), hearing);
  }

  start(): void {
    if (this.stopped) return;
    this.started = true;
    this.context.coordinator.join(this.key, this.link).then(
      (recent) => this.baseline(recent, true),
      (error: unknown) => this.context.report(error),
    );
    void this.step();
  }

  add(subscriber: Subscriber<unknown>, makeSource: () => Source<unknown>): void {
    subscriber.owner = this;
    this.subscribers.add(subscriber);
    this.makeSource = makeSource;
    if (this.listener.state !== 'joining') {
      if (subscriber.wantsReplay && this.listener.last) subscriber.push(this.listener.last.event);
      subscriber.wantsReplay = false;
    }
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

  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  private stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    clearTimeout(this.timer);
    this.listener.stop();
    if (this.started) this.context.coordinator.leave(this.key, this.link);
    this.stopping = this.poller.stop();
    this.context.stopped(this, this.stopping);
    return this.stopping;
  }

  private end(message: Message): Promise<void> {
    return this.finish(message.end ? new LiveEnd(message.end.code, message.end.message) : undefined);
  }

  /** The stored messages, read once listening (`subscribed`) or while catching up. */
  private baseline(recent: string[], subscribed: boolean): void {
    const joining = this.listener.state === 'joining';
    this.listener.joined(recent, subscribed);
    if (!joining || this.listener.state === 'joining') return;
    const last = this.listener.last;
    for (const subscriber of this.subscribers) {
      if (subscriber.wantsReplay && last) subscriber.push(last.event);
      subscriber.wantsReplay = false;
    }
    // The poller was waiting for this: its step comes now, not an interval later.
    if (!this.stepping) {
      clearTimeout(this.timer);
      void this.step();
    }
  }

  /** One interval: catch up or repair the hearing, then the poller's step, then the next interval. */
  private async step(): Promise<void> {
    if (this.stopped) return;
    this.stepping = true;
    const { coordinator } = this.context;
    const reach = coordinator.reach();
    if (reach === 'down') this.listener.standAlone();
    else if (reach === 'up') this.catchUp();
    if (this.listener.state === 'repairing') this.listener.repair();
    // The poller waits for a first read of the stored messages, so that its own first message
    // comes after them, unless there is no coordinator to read them from.
    if (this.listener.state !== 'joining' || reach === 'down') await this.poller.step();
    this.stepping = false;
    if (!this.stopped) this.timer = setTimeout(this.tick, this.context.intervalMs);
  }

  /** While the channel is not subscribed yet, reads what was published instead of missing it. */
  private catchUp(): void {
    const { state } = this.listener;
    if ((state !== 'joining' && state !== 'catchingUp') || this.catchingUp) return;
    this.catchingUp = true;
    this.context.coordinator.recent(this.key).then(
      (recent) => {
        this.catchingUp = false;
        if (this.listener.state === 'joining') this.baseline(recent, false);
        else this.listener.resync(recent);
      },
      () => (this.catchingUp = false), // reported by the coordinator
    );
  }
}
