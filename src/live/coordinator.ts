/**
 * How the replicas of a deployment agree on who polls a topic and hear what it published. A
 * topic (topic.ts) asks its coordinator for a lease before polling, commits each poll's outcome
 * through it (state, last event, message: all or nothing, and only while it holds the lease), and
 * hears every replica's messages from it. Two coordinators exist: the in-process one below, where
 * the only replica always holds every lease and its messages need no transport, and Redis
 * (redis.ts), which shares leases, state and messages across replicas.
 *
 * What is stored and sent is JSON text in the shapes below. A message carries the epoch and
 * sequence number of its poller so that a replica can drop a copy it already has (the poller's
 * own, or one it read as "last" while joining): sequence numbers grow within an epoch, and an
 * epoch begins each time a poller starts with no stored state.
 */
import type { Json } from './types.js';

/** What a poller keeps between polls; stored so that another replica can take over. */
export interface StateRecord {
  epoch: string;
  seq: number;
  state: Json;
}

/** The last event published, replayed to new subscribers. */
export interface LastRecord {
  epoch: string;
  seq: number;
  event: Json;
}

/** One poll's worth of news for every subscriber of a topic. */
export interface Message {
  epoch: string;
  seq: number;
  /** Date.now() when the poll that found these events returned. */
  at: number;
  events: Json[];
  /** Complete every subscriber after these events. */
  done?: true;
  /** End every subscriber with this error. */
  end?: { code: string; message: string };
}

export interface Commit {
  record: string;
  /** Absent when the poll found nothing to say: only the state moves on. */
  message?: string;
  last?: string;
  /** The topic is over: forget its lease, state and last event. */
  final: boolean;
}

export type Receiver = (message: string) => void;

export interface Coordinator {
  /** Starts hearing the topic's messages; resolves with its stored LastRecord once listening. */
  join(topic: string, receive: Receiver): Promise<string | null>;
  leave(topic: string, receive: Receiver): void;
  /**
   * Takes the topic's lease for `owner` (or keeps it, if `owner` already holds it). Resolves
   * undefined when another owner holds it, else with the stored StateRecord, if any.
   */
  acquire(topic: string, owner: string): Promise<{ stored: string | null } | undefined>;
  /** Extends the lease; false when `owner` no longer holds it. */
  renew(topic: string, owner: string): Promise<boolean>;
  /** Stores and publishes one poll's outcome; false (and nothing done) when `owner` no longer holds the lease. */
  commit(topic: string, owner: string, commit: Commit): Promise<boolean>;
  /** Gives the lease up, if `owner` still holds it, so that another replica can take over at once. */
  release(topic: string, owner: string): Promise<void>;
  close(): Promise<void>;
  /** Test-only: drops every connection as a killed process would, releasing nothing. */
  crash(): void;
}

/**
 * The only replica: it holds every lease, and a committed message is delivered by the topic that
 * made it, so nothing is stored and nothing is sent.
 */
export const inProcessCoordinator: Coordinator = {
  join: () => Promise.resolve(null),
  leave: () => {},
  acquire: () => Promise.resolve({ stored: null }),
  renew: () => Promise.resolve(true),
  commit: () => Promise.resolve(true),
  release: () => Promise.resolve(),
  close: () => Promise.resolve(),
  crash: () => {},
};
