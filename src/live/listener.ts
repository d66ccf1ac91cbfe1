/**
 * A topic's hearing: what its subscribers on this replica have been sent. Messages come from the
 * coordinator (every replica's poller) or from this replica's own poller; the listener delivers
 * each new one once and in order, and repairs what it missed from the stored recent messages.
 *
 *   joining     nothing read yet: messages are held until the stored ones are read (the baseline)
 *   catchingUp  the baseline is read, but the channel is not subscribed yet: the topic reads the
 *               stored messages every interval (resync), so nothing is missed meanwhile
 *   listening   messages arrive as they are published
 *   repairing   a message came with a sequence number past the next one: later messages are held
 *               until the stored ones are read, and the missing ones are delivered first
 *   stopped     the topic stopped
 *
 * A message is new when its sequence number is past the highest heard in its epoch and, when it
 * comes from another epoch than the newest message heard, its poll started after that one's.
 * Within an epoch sequence numbers order messages; across epochs (a replica that polled alone
 * while Redis was unreachable, a poller that started over without stored state) only the times
 * the polls started can (Message.at): the stored messages of a poller from before an outage are the past to a listener that has since
 * delivered its own replica's polls, and to a topic that started after they were polled. Two
 * pollers may publish the same change, around a takeover or after an outage, so an event is also
 * checked against what was delivered (SubscribeOptions.identify and .events): an event that
 * happens once is new when its identity is not among the last ones delivered; a state is new when
 * it is not the last one delivered (a state that comes back later is news).
 */
import type { Message } from './coordinator.js';
import type { Json, LiveEvent } from './types.js';

export type ListenerState = 'joining' | 'catchingUp' | 'listening' | 'repairing' | 'stopped';

export interface ListenerSink {
  deliver(events: Json[], at: number): void;
  /** The message ends the topic (done or end): after its events. */
  end(message: Message): void;
  /** Reads the stored recent messages, oldest first. */
  recent(): Promise<string[]>;
  note(event: LiveEvent): void;
  report(error: unknown): void;
}

/** What makes two events the same, and whether each event is a state (SubscribeOptions.events). */
export interface Sameness {
  identify: (event: Json) => string;
  states: boolean;
}

/** Identities of delivered events that happen once remembered, to drop a second copy. */
const REMEMBERED = 64;
/** Epochs whose highest sequence number is remembered. */
const EPOCHS = 4;

export class Listener {
  state: ListenerState = 'joining';
  /** The last event delivered or read as the baseline: replayed to a new subscriber. */
  last: { event: Json } | undefined;
  /** When the newest message was heard (Date.now()): for the metrics, and to tell a waiting poller that another is at work. */
  newestAt: number | undefined;
  /** The poller's state in the newest message heard that has one: where this replica's poller goes on from if it must poll alone. */
  newestState: Json | undefined;
  private readonly heard = new Map<string, number>();
  /** The newest message heard, by poll time: what a message from another epoch must come after. */
  private newest: { epoch: string; at: number } | undefined;
  /** When the topic started: what was polled before is the past, even with no baseline to say so. */
  private readonly since = Date.now();
  /** Events that happen once: the identities of the last ones delivered. */
  private readonly seen = new Set<string>();
  /** States: the identity of the last one delivered. */
  private lastIdentity: string | undefined;
  private held: Message[] = [];
  private reading = false;

  constructor(
    private readonly sink: ListenerSink,
    private readonly sameness: Sameness,
  ) {}

  /**
   * The first read of the stored messages: they are the past, only the last event is replayed.
   * A topic that ended before this one started (its end is stored for replicas that missed it)
   * is the past entirely: nothing of it is replayed, and the topic's next poller starts afresh.
   */
  joined(recent: string[], subscribed: boolean): void {
    if (this.state === 'stopped') return;
    if (this.state === 'joining') {
      let messages = this.parseAll(recent);
      const ended = messages.findLastIndex((message) => message.done || message.end);
      if (ended >= 0) {
        // An epoch no message has: every message polled up to the end is older than it.
        this.newest = { epoch: '', at: messages[ended]!.at };
        messages = messages.slice(ended + 1);
      }
      for (const message of messages) {
        this.mark(message);
        this.advance(message);
        if (message.state !== undefined) this.newestState = message.state;
        for (const event of message.events) this.remember(event);
        const event = message.events.at(-1);
        if (event !== undefined) this.last = { event };
      }
      this.state = subscribed ? 'listening' : 'catchingUp';
      this.flush();
    } else if (subscribed && this.state === 'catchingUp') {
      this.state = 'listening';
      this.resync(recent);
    }
  }

  /** Polling for this replica alone (the coordinator is down): no baseline is coming. */
  standAlone(): void {
    // Polls that started as the topic did, or later, are news (their messages are stamped with the start).
    if (this.state === 'joining') this.newest ??= { epoch: '', at: this.since - 1 };
    if (this.state === 'joining' || this.state === 'repairing') {
      this.state = 'catchingUp';
      this.flush(false);
    }
  }

  /** One published message, from the channel or this replica's poller. */
  hear(raw: string): void {
    const message = this.parse(raw);
    if (message) this.take(message);
  }

  /** The stored recent messages, read after a reconnect, a gap, or while catching up: the new ones are delivered. */
  resync(recent: string[]): void {
    if (this.state === 'stopped' || this.state === 'joining') return;
    const repairing = this.state === 'repairing';
    if (repairing) this.state = 'listening';
    let repaired = false;
    for (const message of this.parseAll(recent)) repaired = this.accept(message) || repaired;
    if (repaired && repairing) this.sink.note('gap_repaired');
    // What was held behind the gap goes now, even if the stored messages no longer reached back.
    this.flush(!repairing);
  }

  stop(): void {
    this.state = 'stopped';
    this.held = [];
  }

  /** Whether it heard the message numbered `seq` of `epoch` (or a later one) and has an event to replay. */
  holds(epoch: string, seq: number): boolean {
    return this.last !== undefined && (this.heard.get(epoch) ?? -1) >= seq;
  }

  private take(message: Message): void {
    if (this.state === 'stopped') return;
    if (this.state === 'joining' || this.state === 'repairing') {
      this.held.push(message);
      return;
    }
    const top = this.heard.get(message.epoch);
    const expected = top === undefined ? (this.heard.size > 0 ? 1 : message.seq) : top + 1;
    if (message.seq > expected) {
      this.sink.note('gap_detected');
      this.state = 'repairing';
      this.held.push(message);
      this.repair();
      return;
    }
    this.accept(message);
  }

  /** Reads the stored messages for a gap; tried again at the topic's next interval if it fails. */
  repair(): void {
    if (this.state !== 'repairing' || this.reading) return;
    this.reading = true;
    this.sink.recent().then(
      (recent) => {
        this.reading = false;
        this.resync(recent);
      },
      () => (this.reading = false), // reported by the coordinator
    );
  }

  /** Delivers the message if it is new; true when it was. */
  private accept(message: Message): boolean {
    const top = this.heard.get(message.epoch);
    if (top !== undefined && message.seq <= top) return false;
    this.mark(message);
    const { newest } = this;
    // Polled before what was already heard from another poller: the past, events and end alike.
    if (newest && message.epoch !== newest.epoch && message.at <= newest.at) return false;
    this.advance(message);
    this.newestAt = Date.now();
    if (message.state !== undefined) this.newestState = message.state;
    const events = message.events.filter((event) => this.remember(event));
    if (events.length > 0) {
      this.last = { event: events.at(-1) as Json };
      this.sink.deliver(events, message.at);
    }
    if (message.done || message.end) this.sink.end(message);
    return true;
  }

  /** Passes on the held messages, in order; `checkGaps` false once the stored messages were read for them. */
  private flush(checkGaps = true): void {
    const held = this.held;
    this.held = [];
    held.sort((a, b) => (a.epoch === b.epoch ? a.seq - b.seq : 0));
    for (const message of held) {
      if (checkGaps) this.take(message);
      else this.accept(message);
    }
  }

  private mark({ epoch, seq }: Message): void {
    const top = Math.max(seq, this.heard.get(epoch) ?? 0);
    this.heard.delete(epoch); // most recent last, so that the oldest epoch is forgotten first
    this.heard.set(epoch, top);
    if (this.heard.size > EPOCHS) this.heard.delete(this.heard.keys().next().value as string);
  }

  private advance({ epoch, at }: Message): void {
    if (!this.newest || at > this.newest.at) this.newest = { epoch, at };
  }

  /** True when the event is not a copy of one delivered; it is remembered from now on. */
  private remember(event: Json): boolean {
    const identity = this.sameness.identify(event);
    if (this.sameness.states) {
      if (identity === this.lastIdentity) return false;
      this.lastIdentity = identity;
      return true;
    }
    if (this.seen.has(identity)) return false;
    this.seen.add(identity);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }

  private parseAll(raws: string[]): Message[] {
    return raws.map((raw) => this.parse(raw)).filter((message) => message !== undefined);
  }

  private parse(raw: string): Message | undefined {
    try {
      return JSON.parse(raw) as Message;
    } catch (error) {
      this.sink.report(error);
      return undefined;
    }
  }
}
