/**
 * The live hub's public vocabulary: what a caller hands the hub (a Source that does one poll) and
 * what the hub hands back (events, or one of two errors). Nothing here knows Altostrat, GraphQL or
 * HTTP; the subscription resolvers turn LiveEnd and LiveLimitError into the coded errors of docs/guarantees.md.
 */

/** What may cross a replica boundary: poll state and events are stored in and published through Redis. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface PollResult<E> {
  /** Published to every subscriber of the topic, in order. */
  events: E[];
  /** What the next poll starts from; it may be stored in Redis, so it must survive JSON. */
  state: Json;
  /** After publishing these events, complete every subscriber and stop the poller. */
  done?: boolean;
}

export interface Source<E> {
  /**
   * One poll. `state` is what the last poll returned: undefined for a new poller, including one
   * that takes over from another replica when no state was stored. Throwing LiveEnd ends every
   * subscriber's stream with that error; any other throw is transient: the poll is retried with
   * capped exponential backoff and jitter, never faster than the interval, and streams stay open.
   * `signal` aborts when nobody is listening any more. `sent` is called as each call of the poll
   * goes out (after any wait for a slot): the interval to the next poll counts from the last one.
   */
  poll(state: Json | undefined, signal: AbortSignal, sent: () => void): Promise<PollResult<E>>;
}

/** Ends every subscriber of a topic with `code` (e.g. UNAUTHENTICATED, FORBIDDEN, NOT_FOUND). */
export class LiveEnd extends Error {
  override name = 'LiveEnd';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown by subscribe when a token, or the whole process, already has as many subscriptions as allowed. */
export class LiveLimitError extends Error {
  override name = 'LiveLimitError';
  readonly code = 'RATE_LIMITED';
}

export interface SubscribeOptions<E> {
  /** The caller's bearer token: only hashed (HMAC) into keys and passed to nothing but makeSource's closure. */
  token: string;
  /** What is watched, e.g. 'run:fl_run_abc' or 'workflow:fl_abc'. */
  resource: string;
  /** Called only on the replica that polls, and again when it takes the poll over from another. */
  makeSource: () => Source<E>;
  /** Start with the topic's last published event, if any ("the run now"). */
  replayLast?: boolean;
  /** Aborting it ends this subscriber's stream, as return() does. */
  signal?: AbortSignal;
  /**
   * What makes two events the same change (default: their JSON text). A replica delivers an event
   * once even when two pollers published it (around a takeover, or after a Redis outage).
   */
  identify?: (event: E) => string;
  /**
   * What an event is, which says what a second copy of it is. `occurrences` (the default): each
   * event happens once (a run started), so one the same as any recently delivered is a copy.
   * `states`: each event is the resource as it now is, so only one the same as the last delivered
   * is a copy, and a state that comes back later (a run running again after a pause) is news.
   */
  events?: 'occurrences' | 'states';
}

/** The options that say what a stream's events are. */
export type StreamEvents<E> = Required<Pick<SubscribeOptions<E>, 'replayLast' | 'identify' | 'events'>>;

export interface LiveHub {
  /**
   * A stream of the topic's events. Throws LiveLimitError at once when over a limit of this
   * replica (before any poll); over the token's limit across the deployment (Redis), the stream
   * throws it at its first read instead. The iterator ends when the topic is done, throws LiveEnd when the source ends it, and
   * gives up its share of the topic on return() (the client went away) or when `signal` aborts.
   * Events must be JSON values: they are passed through JSON in every mode, so that the embedded
   * default behaves as a Redis deployment does. A subscriber hears what is published once its
   * replica listens to the topic: at once if the replica already does, else after one Redis round
   * trip (replayLast covers that gap with the latest event).
   */
  subscribe<E>(options: SubscribeOptions<E>): AsyncIterableIterator<E>;
  /** Open subscriptions, topics with local subscribers, and topics this replica polls. */
  stats(): LiveStats;
  /**
   * Whether the hub can share its topics: false while a configured Redis is unreachable (its
   * topics then poll for this replica alone) or not connected yet. Always true without Redis.
   */
  ready(): boolean;
  /** Completes every open stream, stops every poller, releases its leases and quits Redis. */
  close(): Promise<void>;
}

export interface LiveStats {
  subscriptions: number;
  topics: number;
  pollers: number;
  /** Channels this replica listens to in Redis (0 without Redis): as many as `topics` when all is well. */
  channels: number;
  /** The longest time since a topic heard a message (its newest event's age), 0 with no topic. */
  newestEventAgeMs: number;
  /**
   * The longest time since a poller of this process last heard from the upstream (with or without
   * news), 0 with none: a quiet topic keeps it under an interval, a stuck or failing poll lets it grow.
   */
  stalestPollAgeMs: number;
}

/** What an operator alerts on: changes of the polling replica, failures of Redis, repairs. */
export type LiveEvent =
  | 'leader_change'
  | 'lease_lost'
  | 'redis_error'
  | 'redis_reconnect'
  | 'local_fallback'
  | 'gap_detected'
  | 'gap_repaired';

export interface LiveMetrics {
  poll(outcome: 'ok' | 'transient' | 'end'): void;
  /** From the start of the poll that found an event to the event reaching this replica's subscribers. */
  eventLatency?(ms: number): void;
  event?(event: LiveEvent): void;
}

export interface LiveHubOptions {
  /** LIVE_POLL_INTERVAL_MS: the least time between two polls of a topic (default 1000 in config). */
  intervalMs: number;
  /** LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN, across the deployment with Redis (default 20 in config). */
  maxPerToken: number;
  /** Subscriptions the whole process accepts. */
  maxTotal: number;
  /** HMAC key for topic and token keys: no key, channel or map holds the token itself. */
  secret: string;
  /** REDIS_URL: share pollers across replicas. Without it nothing touches Redis. */
  redisUrl?: string;
  /** Prefix of every Redis key and channel (default `altostrat-gw:live:`). */
  keyPrefix?: string;
  /** Ceiling of the backoff after transient poll failures (default 30 s, never below intervalMs). */
  maxBackoffMs?: number;
  /** How long stored state and the last event outlive the last poller (default 60 s). */
  stateTtlMs?: number;
  /** Jitter source in [0, 1); tests pass a constant. */
  random?: () => number;
  metrics?: LiveMetrics;
  /** Unexpected errors (a source's first transient failure in a row, Redis trouble); never holds a token. */
  onError?: (error: unknown) => void;
}
