/**
 * A topic's polling, one step per interval (driven by topic.ts):
 *
 *   waiting   another replica holds the lease (or none is known yet): ask for it every interval
 *   leading   this replica holds the lease: renew it and poll; each outcome is committed through
 *             the coordinator (stored and published) before it is delivered
 *   local     the coordinator has been unreachable for a while: poll for this replica's
 *             subscribers alone, storing nothing, until it is reachable again; then wait for
 *             the lease like any replica, so that the deployment is back to one poller
 *   stopped   the topic stopped; a held lease is released
 *
 * Whatever the state, a poll starts only when none is in flight and no backoff is running, so a
 * topic polls at most once per interval and never twice at once, and a poll that outlasts the
 * interval delays the next one instead of overlapping it. A topic that starts again soon after it
 * stopped (its last subscriber left, and another came) keeps that pace, backoff included: on this
 * replica from the stopped poller's `rest()` (`restHint`), on the others through the lease,
 * which rests until then (Coordinator.release).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { LEASE_INTERVALS, type Commit, type Coordinator, type Message, type StateRecord } from './coordinator.js';
import { LiveEnd, type Json, type LiveEvent, type LiveMetrics, type PollResult, type Source } from './types.js';

export type PollerState = 'waiting' | 'leading' | 'local' | 'stopped';

export interface PollerContext {
  coordinator: Coordinator;
  intervalMs: number;
  maxBackoffMs: number;
  random: () => number;
  metrics?: LiveMetrics;
  report(error: unknown): void;
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

/** What the poller asks of its topic's hearing (topic.ts). */
export interface PollerTopic {
  /**
   * Whether this poller may go on from the rest's state: the topic's subscribers must be able to
   * start from where it was (for states, the listener holds that point and its event to replay).
   */
  mayGoOn(record: StateRecord): boolean;
  /** When a poller of the topic, wherever it runs, was last heard publishing (Date.now()). */
  heardAt(): number | undefined;
  /** The state of the newest message heard from a poller of the topic, wherever it runs. */
  heardState(): Json | undefined;
}

/**
 * What a stopped poller leaves for the topic's next one on its replica: the earliest it may poll
 * (Date.now()), the failures in a row so far, and where its polls were (none before the first).
 */
export interface Rest {
  until: number;
  failures: number;
  record?: StateRecord;
}

export class Poller {
  state: PollerState = 'waiting';
  private source: Source<unknown> | undefined;
  private pollState: Json | undefined;
  private epoch = '';
  private seq = 0;
  private polling: AbortController | undefined;
  /** Whether a poll started after `pollState` was made and did not replace it (it failed, or was cut off). */
  private stale = false;
  private failures = 0;
  private notBefore = 0;
  private stepping: Promise<void> = Promise.resolve();
  /** When this poller last polled successfully, or began polling (Date.now()), for the metrics. */
  polledAt = 0;
  /** When this poller's last poll started (Date.now()), 0 before the first. */
  private startedAt = 0;
  /** When its last call went out (Date.now()), after any wait for a slot: the pace counts from the later of the two. */
  private sentAt = 0;
  /** Whether another replica held the lease since this poller's state was the deployment's: that state is old. */
  private overtaken = false;
  /** When this poller last found the lease held by another replica (Date.now()). */
  private heldElsewhereAt = 0;

  constructor(
    private readonly key: string,
    /** This topic's lease owner: unique per replica and per topic instance. */
    private readonly owner: string,
    /** The newest subscriber's source (any will do: same token, same resource). */
    private readonly makeSource: () => Source<unknown>,
    /** Delivers a message this poller published to this replica's subscribers. */
    private readonly deliver: (message: string) => void,
    private readonly context: PollerContext,
    /** The rest of the topic's previous poller on this replica, if it stopped lately. */
    private readonly restHint: Rest = { until: 0, failures: 0 },
    private readonly topic: PollerTopic = { mayGoOn: () => true, heardAt: () => undefined, heardState: () => undefined },
  ) {
    this.notBefore = restHint.until;
    this.failures = restHint.failures;
  }

  /**
   * What this poller leaves for the topic's next one: until an interval after its last poll
   * started, later while backing off; and its state, only if that is what its last poll found
   * (a state from before a poll that was cut off, or failed, is older than the rest, and would let
   * the next poller send runs started long before its subscribers came).
   */
  rest(): Rest {
    const until = Math.max(this.notBefore, this.pacedFrom() > 0 ? this.pacedFrom() + this.context.intervalMs : 0);
    const current = this.pollState !== undefined && !this.overtaken && !this.stale;
    return { until, failures: this.failures, ...(current && { record: { epoch: this.epoch, seq: this.seq, state: this.pollState ?? null } }) };
  }

  /** One interval's step; resolves once the lease is settled (the poll it starts runs on). */
  step(): Promise<void> {
    this.stepping = this.settle().then(
      () => this.pollIfDue(),
      () => this.demote(), // the coordinator has reported it
    );
    return this.stepping;
  }

  /**
   * Stops polling and gives the lease back, once the step in progress has settled. A poller that
   * demoted itself on a Redis error may still hold it, so any poller not polling alone gives it
   * back: the release is the holder's only (redis.ts), and harmless otherwise.
   */
  async stop(): Promise<void> {
    this.polling?.abort();
    await this.stepping;
    const mayHold = this.state === 'leading' || this.state === 'waiting';
    this.state = 'stopped';
    this.polling?.abort();
    if (mayHold && this.context.coordinator.reach() === 'up') await this.release();
  }

  private async settle(): Promise<void> {
    const { coordinator } = this.context;
    if (this.state === 'stopped') return;
    const reach = coordinator.reach();
    if (reach === 'down') {
      if (this.state !== 'local') this.goLocal();
      return;
    }
    if (reach === 'connecting') return;
    if (this.state === 'leading') {
      if (await coordinator.renew(this.key, this.owner)) return;
      // Taken by another replica, or gone with Redis's data: in that case, take it back at once,
      // before a replica that never polled the topic starts it over from a baseline.
      this.note('lease_lost');
      this.demote();
    }
    if (this.state !== 'waiting' && this.state !== 'local') return;
    // A state of its own to go on from: what it polled (unless another replica polled since), or
    // the rest it was given. Without one, a poller starts the topic over from a baseline, which
    // it must not do while another poller was at work within a lease (it held the lease, or was
    // heard): if Redis lost its data, that one holds the state, takes the lease back and goes on.
    const own = this.pollState !== undefined && !this.overtaken;
    const carried = this.carried();
    const lately = Date.now() - LEASE_INTERVALS * this.context.intervalMs;
    const othersAtWork = this.heldElsewhereAt > lately || (this.topic.heardAt() ?? 0) > lately;
    const lease = await coordinator.acquire(this.key, this.owner, own || carried !== undefined || !othersAtWork);
    if ((this.state as PollerState) === 'stopped') {
      // Taken while stopping: give it back at once.
      if (typeof lease === 'object') await this.release();
      return;
    }
    const wasLocal = this.state === 'local';
    if (typeof lease !== 'object') {
      if (wasLocal) this.demote(); // back to one poller for the deployment: the holder's
      if (lease === 'held') {
        // Another poller is at work: its state is newer than this poller's.
        this.heldElsewhereAt = Date.now();
        this.overtaken = true;
      }
      // Resting, the last holder stored its state (taken over once the rest ends); unstored,
      // the poller that has the state Redis lost may take the lease back.
      return;
    }
    this.state = 'leading';
    // A poll started while polling alone was worked out from this replica's own state: the
    // deployment goes on from the stored one, and each replica drops what it already heard.
    if (wasLocal) this.polling?.abort();
    this.polledAt = Date.now();
    this.note('leader_change');
    const stored = lease.stored === null ? undefined : parse<StateRecord>(lease.stored, this.context);
    const record = stored ?? carried;
    if (record || !own) this.carryOn(record);
    else {
      // Nothing stored, and no one polled since this poller did (Redis lost its data, while it
      // polled alone or not): go on from what it polled, in an epoch of its own.
      this.seq = 0;
      this.epoch = randomUUID();
    }
    // The deployment's backoff, as the last poller stored it; the pace, as this replica knows it
    // (another replica's rest kept the lease from anyone until it was over).
    if (stored) this.failures = stored.failures ?? 0;
    this.notBefore = Math.max(this.restHint.until, this.pacedFrom() > 0 ? this.pacedFrom() + this.context.intervalMs : 0);
  }

  /**
   * Goes on from `record`, or starts afresh: a poller with no state numbers its messages from 1
   * again, in an epoch of its own, so that a listener that heard an earlier poller's numbers tells
   * the new ones apart. (A listener that heard only a run's first and last states had lost its
   * channel, not its numbering: listener.ts reads back what it missed.)
   */
  private carryOn(record: StateRecord | undefined): void {
    this.overtaken = false;
    this.stale = false;
    this.pollState = record?.state;
    this.seq = record?.seq ?? 0;
    this.epoch = record?.epoch ?? randomUUID();
  }

  /** The rest's state, if this poller has not polled yet, nor found another polling since, and may go on from it. */
  private carried(): StateRecord | undefined {
    const { record } = this.restHint;
    return this.startedAt === 0 && this.heldElsewhereAt === 0 && record && this.topic.mayGoOn(record) ? record : undefined;
  }

  private release(): Promise<void> {
    return this.context.coordinator.release(this.key, this.owner, this.rest().until - Date.now());
  }

  private goLocal(): void {
    this.demote();
    this.state = 'local';
    this.polledAt = Date.now();
    this.note('local_fallback');
    // What it polled, unless another replica polled since: then the newest state that replica
    // published (what it polled is too old, and would send its runs again; a baseline would take
    // in the runs started since, which this replica's subscribers never heard); else the rest it
    // was given.
    if (this.overtaken) this.pollState = this.topic.heardState();
    if (this.pollState === undefined) this.pollState = this.carried()?.state;
    // Its own epoch: the other replicas poll alone too, and number their messages as they like.
    this.epoch = `local:${randomUUID()}`;
    this.seq = 0;
  }

  private demote(): void {
    if (this.state === 'stopped') return;
    this.state = 'waiting';
    this.source = undefined;
    this.polling?.abort();
  }

  private pacedFrom(): number {
    return Math.max(this.startedAt, this.sentAt);
  }

  private pollIfDue(): void {
    const active = this.state === 'leading' || this.state === 'local';
    if (active && !this.polling && Date.now() >= this.notBefore) void this.poll();
  }

  private async poll(): Promise<void> {
    const polling = (this.polling = new AbortController());
    try {
      // A call that went out late, after waiting for a slot, sets the pace: the next goes out an
      // interval after it, not an interval after the wait began (each interval's step comes then).
      // (Never more than an interval: a clock set back must not stall the topic.)
      const early = Math.min(this.sentAt + this.context.intervalMs - Date.now(), this.context.intervalMs);
      if (early > 0) await delay(early, undefined, { signal: polling.signal }).catch(() => {});
      if (polling.signal.aborted) return;
      this.startedAt = Date.now();
      this.stale = true;
      const outcome = await this.pollOnce(polling.signal);
      if (outcome && !polling.signal.aborted) await this.publish(outcome);
    } finally {
      if (this.polling === polling) this.polling = undefined;
    }
  }

  /** Runs the source once: what to publish, or undefined when there is nothing (aborted, transient failure). */
  private async pollOnce(signal: AbortSignal): Promise<Outcome | undefined> {
    const { metrics } = this.context;
    try {
      this.source ??= this.makeSource();
      const result: PollResult<unknown> = await this.source.poll(this.pollState, signal, () => void (this.sentAt = Date.now()));
      if (!Array.isArray(result?.events)) throw new TypeError('A live source resolved without an events array');
      if (signal.aborted) return undefined;
      this.polledAt = Date.now();
      metrics?.poll('ok');
      return { events: result.events as Json[], state: result.state, ...(result.done && { done: true }) };
    } catch (error) {
      if (signal.aborted) return undefined;
      if (error instanceof LiveEnd) {
        metrics?.poll('end');
        return { events: [], state: this.pollState, end: { code: error.code, message: error.message } };
      }
      metrics?.poll('transient');
      this.backOff(error);
      return undefined;
    }
  }

  /**
   * A transient failure: the first of a run is reported, and the next poll waits longer each time.
   * The count is stored with the state, so that a poller taking over backs off as long.
   */
  private backOff(error: unknown): void {
    if (this.failures === 0) this.context.report(error);
    const { intervalMs, maxBackoffMs, random, coordinator } = this.context;
    this.notBefore = Date.now() + backoffMs(this.failures++, intervalMs, maxBackoffMs, random);
    if (this.state !== 'leading') return;
    const record = JSON.stringify({ epoch: this.epoch, seq: this.seq, state: this.pollState ?? null, failures: this.failures } satisfies StateRecord);
    coordinator.commit(this.key, this.owner, { record, final: false }).catch(() => {}); // reported by the coordinator; the next renewal tells a lost lease
  }

  private async publish(outcome: Outcome): Promise<void> {
    let prepared: { commit: Commit; seq: number };
    try {
      prepared = this.prepare(outcome);
    } catch (error) {
      return this.backOff(error); // state or events that JSON cannot hold: a bug in the source
    }
    const { commit, seq } = prepared;
    if (this.state === 'leading') {
      let committed: boolean;
      try {
        committed = await this.context.coordinator.commit(this.key, this.owner, commit);
      } catch {
        // Reported by the coordinator. Whether it was stored is unknown, so poll again only after
        // taking the lease, and the stored state with it, anew.
        return this.demote();
      }
      if (!committed) {
        this.note('lease_lost');
        return this.demote();
      }
    }
    // The next poll starts from the state as stored, as a replica taking over would.
    // A topic that ended leaves no state: one that starts later starts afresh, as with Redis.
    this.pollState = commit.final ? undefined : (JSON.parse(commit.record) as StateRecord).state;
    this.overtaken = false;
    this.stale = false;
    this.seq = seq;
    this.failures = 0;
    if (commit.message) this.deliver(commit.message);
  }

  private prepare({ events, state, done, end }: Outcome): { commit: Commit; seq: number } {
    const { epoch } = this;
    const final = Boolean(done || end);
    // An epoch's first poll (a baseline, or the first from a carried state) is published too, with
    // no events: every replica then holds a state to poll alone from, should Redis go.
    const news = events.length > 0 || final || this.seq === 0;
    const seq = news ? this.seq + 1 : this.seq;
    const message: Message = { epoch, seq, at: this.startedAt, events, ...(final ? { ...(done && { done }), ...(end && { end }) } : { state: state ?? null }) };
    const commit: Commit = {
      record: JSON.stringify({ epoch, seq, state: state ?? null } satisfies StateRecord),
      final,
      ...(news && { message: JSON.stringify(message) }),
    };
    return { commit, seq };
  }

  private note(event: LiveEvent): void {
    this.context.metrics?.event?.(event);
  }
}

function parse<T>(raw: string, context: { report(error: unknown): void }): T | undefined {
  try {
    return JSON.parse(raw) as T;
  } catch (error) {
    context.report(error);
    return undefined;
  }
}
