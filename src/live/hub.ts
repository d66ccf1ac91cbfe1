/**
 * The live hub: subscribe(token, resource) -> a stream of events, with one poller per (token,
 * resource) shared by every subscriber of it: in this process, or in the whole deployment when
 * Redis coordinates the replicas (redis.ts). The hub owns the limits, the map of topics, and
 * shutdown; a topic (topic.ts) owns its listener, its poller and its subscribers.
 *
 * The token never leaves the caller's closure (makeSource) in clear: topics and limits are keyed
 * by HMAC-SHA256 of it under `secret`, so neither a Redis key, a channel nor this process's maps
 * hold it, and two tokens never share a topic, a poll or an event.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { createInProcessCoordinator, LEASE_INTERVALS, type Coordinator } from './coordinator.js';
import { Subscriber, type SubscriberOwner } from './subscriber.js';
import type { Rest } from './poller.js';
import { Topic, type TopicContext } from './topic.js';
import { LiveLimitError, type Json, type LiveHub, type LiveHubOptions, type SubscribeOptions } from './types.js';

const DEFAULT_KEY_PREFIX = 'altostrat-gw:live:';
const DEFAULT_MAX_BACKOFF_MS = 30_000;
const DEFAULT_STATE_TTL_MS = 60_000;
/** Topics stopped lately whose rest is kept (each a key, two numbers and its poller's small state): more than churn can fill in an interval or a backoff. */
const RESTING = 10_000;

const asJsonText = (event: unknown): string => JSON.stringify(event);

export function createLiveHub(options: LiveHubOptions): LiveHub {
  const { intervalMs, maxPerToken, maxTotal, secret, metrics } = options;
  for (const [name, value] of Object.entries({ intervalMs, maxPerToken, maxTotal })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1, got ${value}`);
  }
  if (!secret) throw new RangeError('secret must not be empty: it keys the HMAC that hides tokens');
  const report = (error: unknown): void => options.onError?.(error);

  // ioredis (about 10 MB of memory and 30 ms of start-up) is loaded only by a gateway configured
  // with REDIS_URL, and without delaying its start: topics made meanwhile start once it is loaded.
  const { redisUrl } = options;
  const stateTtlMs = Math.max(options.stateTtlMs ?? DEFAULT_STATE_TTL_MS, LEASE_INTERVALS * intervalMs);
  let coordinator: Coordinator | undefined = redisUrl ? undefined : createInProcessCoordinator(stateTtlMs);
  const loaded: Promise<Coordinator> = redisUrl
    ? import('./redis.js').then(({ createRedisCoordinator }) =>
        (coordinator = createRedisCoordinator({
          url: redisUrl,
          prefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
          leaseMs: LEASE_INTERVALS * intervalMs,
          endedMs: intervalMs,
          stateTtlMs,
          graceMs: intervalMs,
          onError: report,
          onEvent: (event) => metrics?.event?.(event),
        })),
      )
    : Promise.resolve(coordinator as Coordinator);

  const replica = randomUUID();
  let topicSerial = 0;
  const topics = new Map<string, Topic>();
  const perToken = new Map<string, number>();
  /** Tokens whose count fell to 0 since the last heartbeat: their entry in Redis goes. */
  const gone = new Set<string>();
  let subscriptions = 0;
  /** Subscribers waiting for Redis to admit them: shutdown ends them too. */
  const admitting = new Set<Subscriber<unknown>>();
  const stopping = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;

  const hmac = (text: string): string => createHmac('sha256', secret).update(text).digest('hex');

  /** A subscriber left (or was refused): give its place back to the limits. */
  const giveBack = (tokenKey: string): void => {
    subscriptions--;
    const count = (perToken.get(tokenKey) ?? 1) - 1;
    if (count > 0) perToken.set(tokenKey, count);
    else {
      perToken.delete(tokenKey);
      if (redisUrl) gone.add(tokenKey); // only the heartbeat to Redis reads (and empties) it
    }
  };

  // The rest of each topic stopped lately (its poller's rest()): one that starts again sooner (a
  // subscriber leaves and another comes, over and over) keeps the pace and the backoff. Each entry
  // goes when its time is up; past RESTING entries the least recently stopped go first.
  const resting = new LRUCache<string, Rest>({ max: RESTING });
  const rest = (topic: Topic): void => {
    const left = topic.poller.rest();
    const kept = resting.get(topic.key);
    if (left.until > Date.now() && left.until > (kept?.until ?? 0)) resting.set(topic.key, left, { ttl: left.until - Date.now() });
  };

  const context: TopicContext = {
    get coordinator() {
      return coordinator as Coordinator; // topics start only once it is loaded
    },
    intervalMs,
    maxBackoffMs: Math.max(options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, intervalMs),
    random: options.random ?? Math.random,
    ...(metrics && { metrics }),
    report,
    left: (topic) => giveBack(topic.tokenKey),
    rest: (key) => resting.get(key),
    stopped(topic, done) {
      if (topics.get(topic.key) === topic) topics.delete(topic.key);
      rest(topic);
      stopping.add(done);
      // Again once the poller has stopped: a poll may have started while its step settled.
      void done.finally(() => {
        stopping.delete(done);
        rest(topic);
      });
    },
  };

  // With Redis, each replica tells every interval that it is alive and how many subscriptions
  // each token holds on it, so that the token's limit holds across replicas and a dead
  // replica's counts expire.
  let heartbeat: NodeJS.Timeout | undefined;
  if (redisUrl) {
    heartbeat = setInterval(() => {
      if (coordinator?.reach() !== 'up') return;
      const leaving = [...gone];
      gone.clear();
      coordinator.heartbeat(replica, perToken, leaving).catch(() => {
        for (const tokenKey of leaving) if (!perToken.has(tokenKey)) gone.add(tokenKey);
      });
    }, intervalMs).unref();
  }

  /** Puts an admitted subscriber into its topic, making and starting the topic if it is the first. */
  const attach = <E>(subscriber: Subscriber<E>, tokenKey: string, { token, resource, makeSource, identify, events = 'occurrences' }: SubscribeOptions<E>): void => {
    const key = hmac(`topic:${JSON.stringify([token, resource])}`);
    let topic = topics.get(key);
    const fresh = !topic;
    if (!topic) {
      const identity = (identify ?? asJsonText) as (event: Json) => string;
      topic = new Topic(key, tokenKey, `${replica}:${++topicSerial}`, makeSource, { identify: identity, states: events === 'states' }, context);
      topics.set(key, topic);
    }
    topic.add(subscriber, makeSource);
    if (!fresh) return;
    const started = topic;
    if (coordinator) started.start();
    else void loaded.then(() => started.start());
  };

  /** Shuts down: completes every stream and stops every topic, then closes the coordinator. */
  const shutDown = async (): Promise<void> => {
    clearInterval(heartbeat);
    const ready = await loaded;
    for (const subscriber of admitting) subscriber.finish();
    await Promise.all([...topics.values()].map((topic) => topic.finish()));
    await Promise.all(stopping);
    // Every subscriber has left: this replica's counts go now rather than when its heartbeat runs out.
    if (redisUrl && ready.reach() === 'up') await ready.depart(replica, gone).catch(() => {});
    await ready.close();
  };

  return {
    subscribe<E>(subscription: SubscribeOptions<E>) {
      const { token, replayLast = false, signal } = subscription;
      if (closing || signal?.aborted) return (async function* (): AsyncGenerator<E> {})();
      const tokenKey = hmac(`token:${token}`);
      const count = perToken.get(tokenKey) ?? 0;
      if (count >= maxPerToken) {
        throw new LiveLimitError(`At most ${maxPerToken} live subscriptions per token are allowed at once; end one before starting another`);
      }
      if (subscriptions >= maxTotal) {
        throw new LiveLimitError('The gateway holds as many live subscriptions as it can; try again later');
      }
      perToken.set(tokenKey, count + 1);
      gone.delete(tokenKey);
      subscriptions++;
      const waiting: SubscriberOwner = { detach: () => giveBack(tokenKey) };
      const subscriber = new Subscriber<E>(waiting, replayLast, signal);
      // Without Redis, or while it is unreachable, this replica's count is all there is to check.
      if (!redisUrl || coordinator?.reach() !== 'up') {
        attach(subscriber, tokenKey, subscription);
        return subscriber;
      }
      admitting.add(subscriber);
      coordinator.admit(tokenKey, replica, count + 1, maxPerToken).then(
        (admitted) => {
          admitting.delete(subscriber);
          if (subscriber.stopped) return;
          if (admitted) attach(subscriber, tokenKey, subscription);
          else subscriber.finish(new LiveLimitError(`At most ${maxPerToken} live subscriptions per token are allowed at once across the gateway's replicas; end one before starting another`));
        },
        () => {
          admitting.delete(subscriber);
          if (!subscriber.stopped) attach(subscriber, tokenKey, subscription); // reported; this replica's limit stands
        },
      );
      return subscriber;
    },

    stats() {
      let pollers = 0;
      let oldest = 0;
      let stalest = 0;
      const now = Date.now();
      for (const { poller, listener } of topics.values()) {
        if (poller.state === 'leading' || poller.state === 'local') {
          pollers++;
          stalest = Math.max(stalest, now - poller.polledAt);
        }
        if (listener.newestAt !== undefined) oldest = Math.max(oldest, now - listener.newestAt);
      }
      return {
        subscriptions,
        topics: topics.size,
        pollers,
        channels: coordinator?.channels() ?? 0,
        newestEventAgeMs: oldest,
        stalestPollAgeMs: stalest,
      };
    },

    ready() {
      return coordinator?.reach() === 'up';
    },

    close() {
      closing ??= shutDown();
      return closing;
    },
  };
}
