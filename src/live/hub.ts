/**
 * The live hub: subscribe(token, resource) -> a stream of events, with one poller per (token,
 * resource) shared by every subscriber of it: in this process, or in the whole deployment when
 * Redis coordinates the replicas (redis.ts). The hub owns the limits, the map of topics, and
 * shutdown; a topic (topic.ts) owns its poller and its subscribers.
 *
 * The token never leaves the caller's closure (makeSource) in clear: topics and limits are keyed
 * by HMAC-SHA256 of it under `secret`, so neither a Redis key, a channel nor this process's maps
 * hold it, and two tokens never share a topic, a poll or an event.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { inProcessCoordinator, type Coordinator } from './coordinator.js';
import { Topic, type TopicContext } from './topic.js';
import { LiveLimitError, type LiveHub, type LiveHubOptions, type SubscribeOptions } from './types.js';

export const DEFAULT_KEY_PREFIX = 'altostrat-gw:live:';
const DEFAULT_MAX_BACKOFF_MS = 30_000;
const DEFAULT_STATE_TTL_MS = 60_000;
/** A lease outlives this many missed renewals, so a dead poller is replaced within about as many intervals. */
const LEASE_INTERVALS = 3;

/**
 * Test-only: `hub[CRASH]()` makes the hub die as a killed replica would: its Redis connections
 * drop, its timers stop, and its leases are left to expire instead of being released.
 */
export const CRASH = Symbol.for('altostrat-gw.live.crash-for-tests');

export function createLiveHub(options: LiveHubOptions): LiveHub & { [CRASH](): void } {
  const { intervalMs, maxPerToken, maxTotal, secret, metrics } = options;
  for (const [name, value] of Object.entries({ intervalMs, maxPerToken, maxTotal })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1, got ${value}`);
  }
  if (!secret) throw new RangeError('secret must not be empty: it keys the HMAC that hides tokens');
  const report = (error: unknown): void => options.onError?.(error);

  const { redisUrl } = options;
  const coordinator: Coordinator = redisUrl
    ? loadedAtOnce(async () => {
        const redisOptions = {
          url: redisUrl,
          prefix: options.keyPrefix ?? DEFAULT_KEY_PREFIX,
          leaseMs: LEASE_INTERVALS * intervalMs,
          endedMs: intervalMs,
          stateTtlMs: Math.max(options.stateTtlMs ?? DEFAULT_STATE_TTL_MS, LEASE_INTERVALS * intervalMs),
          onError: report,
        };
        return (await import('./redis.js')).createRedisCoordinator(redisOptions);
      })
    : inProcessCoordinator;

  const replica = randomUUID();
  let topicSerial = 0;
  const topics = new Map<string, Topic>();
  const perToken = new Map<string, number>();
  let subscriptions = 0;
  const stopping = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;

  const hmac = (text: string): string => createHmac('sha256', secret).update(text).digest('hex');

  const context: TopicContext = {
    coordinator,
    intervalMs,
    maxBackoffMs: Math.max(options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, intervalMs),
    random: options.random ?? Math.random,
    ...(metrics && { metrics }),
    report,
    left(topic) {
      subscriptions--;
      const count = (perToken.get(topic.tokenKey) ?? 1) - 1;
      if (count > 0) perToken.set(topic.tokenKey, count);
      else perToken.delete(topic.tokenKey);
    },
    stopped(topic, done) {
      if (topics.get(topic.key) === topic) topics.delete(topic.key);
      stopping.add(done);
      void done.finally(() => stopping.delete(done));
    },
  };

  /** Completes every stream and stops every topic; then closes the coordinator. */
  const shutDown = async (): Promise<void> => {
    await Promise.all([...topics.values()].map((topic) => topic.finish()));
    await Promise.all(stopping);
    await coordinator.close();
  };

  return {
    subscribe<E>({ token, resource, makeSource, replayLast = false, signal }: SubscribeOptions<E>) {
      if (closing || signal?.aborted) return (async function* (): AsyncGenerator<E> {})();
      const tokenKey = hmac(`token:${token}`);
      const count = perToken.get(tokenKey) ?? 0;
      if (count >= maxPerToken) {
        throw new LiveLimitError(`At most ${maxPerToken} live subscriptions per token are allowed at once; end one before starting another`);
      }
      if (subscriptions >= maxTotal) {
        throw new LiveLimitError('The gateway holds as many live subscriptions as it can; try again later');
      }
      const key = hmac(`topic:${JSON.stringify([token, resource])}`);
      let topic = topics.get(key);
      const fresh = !topic;
      if (!topic) {
        topic = new Topic(key, tokenKey, `${replica}:${++topicSerial}`, makeSource, context);
        topics.set(key, topic);
      }
      perToken.set(tokenKey, count + 1);
      subscriptions++;
      const subscriber = topic.add(makeSource, replayLast, signal);
      if (fresh) topic.start();
      return subscriber;
    },

    stats() {
      let pollers = 0;
      for (const topic of topics.values()) if (topic.leader) pollers++;
      return { subscriptions, topics: topics.size, pollers };
    },

    close() {
      closing ??= shutDown();
      return closing;
    },

    [CRASH]() {
      closing ??= (async () => {
        coordinator.crash();
        await Promise.all([...topics.values()].map((topic) => topic.finish()));
      })();
    },
  };
}

/**
 * A coordinator whose module is imported now but not waited for: ioredis (about 10 MB of memory
 * and 30 ms of start-up) is loaded only by a gateway configured with REDIS_URL, and without
 * delaying its start. Calls made before it is loaded wait for it, in the order they were made.
 */
function loadedAtOnce(load: () => Promise<Coordinator>): Coordinator {
  let loaded: Coordinator | undefined;
  const ready = load().then((coordinator) => (loaded = coordinator));
  const whenReady = (use: (coordinator: Coordinator) => void): void => {
    if (loaded) use(loaded);
    else void ready.then(use);
  };
  return {
    join: (topic, receive) => ready.then((c) => c.join(topic, receive)),
    leave: (topic, receive) => whenReady((c) => c.leave(topic, receive)),
    acquire: (topic, owner) => ready.then((c) => c.acquire(topic, owner)),
    renew: (topic, owner) => ready.then((c) => c.renew(topic, owner)),
    commit: (topic, owner, commit) => ready.then((c) => c.commit(topic, owner, commit)),
    release: (topic, owner) => ready.then((c) => c.release(topic, owner)),
    close: () => ready.then((c) => c.close()),
    crash: () => whenReady((c) => c.crash()),
  };
}
