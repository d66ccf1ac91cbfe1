/**
 * How the replicas of a deployment agree on who polls a topic and hear what it published. A
 * topic (topic.ts) asks its coordinator for a lease before polling, commits each poll's outcome
 * through it (state, recent messages, message: all or nothing, and only while it holds the
 * lease), and hears every replica's messages from it. Two coordinators exist: the in-process one
 * below, where the only replica always holds every lease and its messages need no transport, and
 * Redis (redis.ts), which shares leases, state and messages across replicas.
 *
 * What is stored and sent is JSON text in the shapes below. A message carries the epoch and
 * sequence number of its poller so that a replica can drop a copy it already has and notice one
 * it missed: sequence numbers grow by one per message within an epoch, and an epoch begins each
 * time a poller starts with no stored state. The last few messages are stored beside the lease,
 * so that a replica that missed some (its connection dropped, it was still subscribing) reads
 * them back instead of skipping them.
 */
import { LRUCache } from 'lru-cache';
import type { Json } from './types.js';

/** What a poller keeps between polls; stored so that another replica can take over. */
export interface StateRecord {
  epoch: string;
  seq: number;
  state: Json;
  /** Polls failed in a row since the last that did not: the backoff a poller taking over goes on with. */
  failures?: number;
}

/** One poll's worth of news for every subscriber of a topic. */
export interface Message {
  epoch: string;
  seq: number;
  /**
   * Date.now() when the poll that found these events started: what orders the messages of two
   * pollers (a poll that started later saw the upstream later, however long it took to answer).
   */
  at: number;
  events: Json[];
  /**
   * The poller's state after this poll: a replica that goes on polling alone (Redis unreachable)
   * after another replica polled starts from the newest state it heard, not from a baseline that
   * would take in the runs started since (poller.ts, `goLocal`). Absent from a final message.
   */
  state?: Json;
  /** Complete every subscriber after these events. */
  done?: true;
  /** End every subscriber with this error. */
  end?: { code: string; message: string };
}

export interface Commit {
  record: string;
  /** Absent when the poll found nothing to say: only the state moves on. */
  message?: string;
  /** The topic is over: forget its state, and keep its lease from anyone for a moment. */
  final: boolean;
}

/** A topic's side of a join: what the coordinator calls with what it hears. */
export interface Link {
  /** A message published by the topic's poller, wherever it runs. */
  message(raw: string): void;
  /** Listening again after the connection dropped: the stored recent messages, oldest first, to repair what was missed. */
  resync(recent: string[]): void;
}

/**
 * `up`: leases and messages work. `connecting`: not yet, and not known to fail (start-up, or a
 * moment's reconnect). `down`: the store has been unreachable for a while; topics then poll for
 * their own replica (topic.ts) until it is `up` again.
 */
export type Reach = 'up' | 'connecting' | 'down';

/** A lease outlives this many missed renewals, so a dead poller is replaced within about as many intervals. */
export const LEASE_INTERVALS = 3;

export interface Coordinator {
  reach(): Reach;
  /**
   * Starts hearing the topic's messages. Resolves with the stored recent messages (oldest first)
   * once listening; until then, and whenever the connection drops, the coordinator keeps the
   * link and listens again on its own, calling `resync`.
   */
  join(topic: string, link: Link): Promise<string[]>;
  leave(topic: string, link: Link): void;
  /** The stored recent messages, oldest first: for a topic that noticed a gap, or is not listening yet. */
  recent(topic: string): Promise<string[]>;
  /**
   * Takes the topic's lease for `owner` (or keeps it, if `owner` already holds it), and resolves
   * with the stored StateRecord, if any. Not taken: `held` by another poller; `resting`, kept
   * from everyone until the topic may be polled again (see release) or, after its end, for a
   * moment; and, with `afresh` false, `unstored`, free with no state stored: Redis lost its data
   * while a poller was at work, and that poller, which holds the state, should take it back.
   */
  acquire(topic: string, owner: string, afresh: boolean): Promise<{ stored: string | null } | 'held' | 'resting' | 'unstored'>;
  /** Extends the lease; false when `owner` no longer holds it. */
  renew(topic: string, owner: string): Promise<boolean>;
  /** Stores and publishes one poll's outcome; false (and nothing done) when `owner` no longer holds the lease. */
  commit(topic: string, owner: string, commit: Commit): Promise<boolean>;
  /**
   * Gives the lease up, if `owner` still holds it, so that another replica can take over: at once,
   * or once `restMs` have passed, when the topic may be polled again (an interval after its last
   * poll started, or later while backing off), so that no replica polls it sooner.
   */
  release(topic: string, owner: string, restMs: number): Promise<void>;
  /**
   * Counts `count` subscriptions of `tokenKey` on `replica` unless the deployment's total with
   * them would pass `max`; resolves false (and counts nothing) then. Counts of a replica that
   * stops sending `heartbeat` expire with it.
   */
  admit(tokenKey: string, replica: string, count: number, max: number): Promise<boolean>;
  /** Stores this replica's subscription count per token (gone: 0), and that it is alive. */
  heartbeat(replica: string, counts: ReadonlyMap<string, number>, gone: Iterable<string>): Promise<void>;
  /** The replica stops: it is no longer alive, and its counts of these tokens go. */
  depart(replica: string, tokenKeys: Iterable<string>): Promise<void>;
  /** Channels this replica listens to right now (against the topics it holds). */
  channels(): number;
  close(): Promise<void>;
}

/** The most memory the in-process coordinator's kept messages take, all topics together. */
const KEPT_BYTES = 8 * 1024 * 1024;

/** What one kept message takes at most: two bytes a character (V8's strings beyond Latin-1), and its key and entry. */
const keptBytes = (text: string): number => 2 * text.length + 256;

/**
 * The only replica: it holds every lease, a committed message is delivered by the topic that made
 * it, and the hub's own count is the whole deployment's, so nothing is sent. What it keeps, as
 * Redis keeps for replicas, is each topic's last message for `stateTtlMs` past the topic's last
 * renewal, so that a subscriber who comes back to a topic that stopped meanwhile starts with the
 * thing as it was last heard (replayLast). A topic that ended keeps its end only, as with Redis.
 * (A poller's state goes from one to the next through the hub's rest: hub.ts.)
 */
export function createInProcessCoordinator(stateTtlMs: number): Coordinator {
  const last = new LRUCache<string, string>({ maxSize: KEPT_BYTES, sizeCalculation: keptBytes, ttl: stateTtlMs });
  const stored = (topic: string): Promise<string[]> => {
    const raw = last.get(topic);
    return Promise.resolve(raw === undefined ? [] : [raw]);
  };
  return {
    reach: () => 'up',
    join: stored,
    leave: () => {},
    recent: stored,
    // The only poller of each topic: nothing stored to lose, and none to wait for.
    acquire: () => Promise.resolve({ stored: null }),
    renew(topic) {
      last.get(topic, { updateAgeOnGet: true });
      return Promise.resolve(true);
    },
    commit(topic, _owner, { message }) {
      if (message !== undefined) last.set(topic, message);
      return Promise.resolve(true);
    },
    release: () => Promise.resolve(),
    admit: () => Promise.resolve(true),
    heartbeat: () => Promise.resolve(),
    depart: () => Promise.resolve(),
    channels: () => 0,
    close: () => Promise.resolve(),
  };
}
