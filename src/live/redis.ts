/**
 * The Redis coordinator: replicas share one poller per topic through a lease, and its events
 * through a channel. Two connections: one for commands, one in subscriber mode (Redis allows
 * nothing else on a subscribed connection).
 *
 * Keys and channel, all under the prefix and named by an HMAC (never the token):
 *   lease:<topic>   the owner that polls (`<replica>:<n>`), PX a few intervals, renewed each interval;
 *                   once released, `resting` until the topic may be polled again
 *   state:<topic>   the StateRecord after the last poll, so a replica taking over continues from it
 *                   (empty from when the lease is first taken until the first poll is stored)
 *   log:<topic>     the last RECENT messages, so a new subscriber starts with "the thing now" and a
 *                   replica that missed messages reads them back
 *   events:<topic>  the channel of Messages
 *   subs:<token>    subscriptions of the token per replica (a hash), for the deployment-wide limit
 *   replicas        the replicas alive (a sorted set scored by when their heartbeat runs out)
 * Every write that depends on holding the lease is a Lua script that checks the holder first, so
 * a replica that lost its lease (it paused, its poll was slow) can neither extend nor delete
 * another's lease, nor publish or store a stale poll. Messages live `stateTtlMs` past the last
 * renewal, so a subscriber who comes back soon starts with the last one; the state as long while
 * a poller holds the lease, and once it is released, a lease past the rest (see RELEASE).
 *
 * The subscriber connection subscribes only once it is ready (a SUBSCRIBE sent during the
 * connection's start-up handshake puts it in subscriber mode before its ready check, which then
 * fails), and on every `ready` after a reconnect it subscribes again to every channel its topics
 * hold, retrying until it succeeds; each topic then reads the stored messages back (Link.resync).
 * A PING on each connection each grace period finds one gone silent (see `silenceWatch` below).
 * ioredis's own resubscription is off: it restores only channels it believes subscribed.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Commit, Coordinator, Link, Reach } from './coordinator.js';
import { redisOptions } from '../config.js';

/** Messages kept per topic for replicas that missed some. */
const RECENT = 16;
/** A busy Redis may take this long to answer without being called unreachable. */
const MIN_COMMAND_TIMEOUT_MS = 1_000;

// Takes a free lease, or keeps one the caller already holds; reads the state in the same step.
// Answers 0 when another poller holds it, 1 while it rests or a topic's end keeps it (see COMMIT
// and RELEASE), and -1 when it is free with no state stored and ARGV[3] is '0' (`afresh`). A
// topic taken with no state gets an empty one at once (ARGV[4]: its time to live), which its
// first poll replaces: no state at all then means Redis lost it, not that its poller had not
// polled yet when it left or died.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == 'resting' or holder == 'ended' then return 1 end
if holder and holder ~= ARGV[1] then return 0 end
local state = redis.call('GET', KEYS[2])
if not state then
  if ARGV[3] == '0' then return -1 end
  redis.call('SET', KEYS[2], '', 'PX', ARGV[4])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return state or ''
`;

const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1
`;

// ARGV: owner, stateTtlMs, record, final ('1'|'0'), channel, message ('' for none), endedMs,
// recent. A final commit forgets the state, and leaves the lease to an owner that matches no one
// for a moment: long enough for the other replicas to hear the end instead of taking the lease and
// starting the topic over. Its message is stored like any other, so that a replica that missed it
// reads it back; a topic that starts later takes an end among the stored messages for the past
// (listener.ts).
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[2])
  redis.call('SET', KEYS[1], 'ended', 'PX', ARGV[7])
else
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
end
if ARGV[6] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[6])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[8]), -1)
  redis.call('PUBLISH', ARGV[5], ARGV[6])
end
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return 1
`;

// KEYS: lease, state. ARGV: owner, restMs, keepMs. Until the topic may be polled again, the lease
// rests with an owner that matches no one, so that a replica taking over keeps the topic's pace.
// The state stays for a replica whose subscribers wait to take over (within a lease after the
// rest), not for a topic that starts later: that one takes a baseline of its own.
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if tonumber(ARGV[2]) > 0 then return redis.call('SET', KEYS[1], 'resting', 'PX', ARGV[2]) end
return redis.call('DEL', KEYS[1])
`;

// KEYS: subs:<token>, replicas. ARGV: replica, its count with the newcomers, max, ttlMs. Counts
// of replicas whose heartbeat ran out are dropped before adding up.
const ADMIT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
local total = tonumber(ARGV[2])
local counts = redis.call('HGETALL', KEYS[1])
for i = 1, #counts, 2 do
  if counts[i] ~= ARGV[1] then
    if redis.call('ZSCORE', KEYS[2], counts[i]) then total = total + tonumber(counts[i + 1])
    else redis.call('HDEL', KEYS[1], counts[i]) end
  end
end
if total > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

const ALIVE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

interface LiveCommands {
  liveAcquire(lease: string, state: string, owner: string, leaseMs: number, afresh: '1' | '0', stateTtlMs: number): Promise<string | number>;
  liveRenew(lease: string, state: string, log: string, owner: string, leaseMs: number, ttlMs: number): Promise<number>;
  liveCommit(
    lease: string,
    state: string,
    log: string,
    ...argv: [owner: string, ttlMs: number, record: string, final: string, channel: string, message: string, endedMs: number, recent: number]
  ): Promise<number>;
  liveRelease(lease: string, state: string, owner: string, restMs: number, keepMs: number): Promise<unknown>;
  liveAdmit(subs: string, replicas: string, replica: string, count: number, max: number, ttlMs: number): Promise<number>;
  liveAlive(replicas: string, replica: string, ttlMs: number): Promise<number>;
}

export interface RedisCoordinatorOptions {
  url: string;
  prefix: string;
  leaseMs: number;
  /** How long an ended topic's lease stays unavailable (see COMMIT). */
  endedMs: number;
  stateTtlMs: number;
  /** How long the command connection may be lost before reach() says `down`; also the wait between two tries to subscribe. */
  graceMs: number;
  /** Told once per run of failures (a command failing, a connection dropping), not on every retry. */
  onError: (error: unknown) => void;
  /** Every error of a connection or command, and every reconnect, for the metrics. */
  onEvent?: (event: 'redis_error' | 'redis_reconnect') => void;
}

interface Channel {
  topic: string;
  links: Set<Link>;
  subscribed: boolean;
  /** Subscribed at least once: a later subscription is a resubscription, after which links resync. */
  heard: boolean;
  /** join()s waiting for the first subscription. */
  waiting: Array<() => void>;
}

export function createRedisCoordinator(options: RedisCoordinatorOptions): Coordinator {
  const { url, prefix, leaseMs, endedMs, stateTtlMs, graceMs, onError } = options;
  const note = (event: 'redis_error' | 'redis_reconnect'): void => options.onEvent?.(event);
  // Few retries per command: a poller that cannot reach Redis should give up its turn quickly
  // (the next interval tries again) rather than queue commands for a long outage.
  // A command unanswered for a grace period fails, so that a Redis that hangs (stopped, swapping)
  // is found unreachable like one that is gone.
  const commandTimeout = Math.max(graceMs, MIN_COMMAND_TIMEOUT_MS);
  const commands = new Redis({
    ...redisOptions(url),
    maxRetriesPerRequest: 2,
    commandTimeout,
    connectionName: 'altostrat-gw-live-commands',
  }) as Redis & LiveCommands;
  // The subscriber connection sends nothing until it is ready (no offline queue), and resubscribes
  // by itself (below), not by ioredis's list.
  const listener = new Redis({
    ...redisOptions(url),
    connectionName: 'altostrat-gw-live-events',
    autoResubscribe: false,
    enableOfflineQueue: false,
  });
  commands.defineCommand('liveAcquire', { numberOfKeys: 2, lua: ACQUIRE });
  commands.defineCommand('liveRenew', { numberOfKeys: 3, lua: RENEW });
  commands.defineCommand('liveCommit', { numberOfKeys: 3, lua: COMMIT });
  commands.defineCommand('liveRelease', { numberOfKeys: 2, lua: RELEASE });
  commands.defineCommand('liveAdmit', { numberOfKeys: 2, lua: ADMIT });
  commands.defineCommand('liveAlive', { numberOfKeys: 1, lua: ALIVE });

  let closed = false;
  /** Since when every command has failed (READONLY, OOM, timed out, ...): undefined while they work. */
  let failingSince: number | undefined;
  const fault = (error: unknown): void => {
    note('redis_error');
    if (failingSince === undefined && !closed) onError(error);
    failingSince ??= Date.now();
  };
  /** Since when the command connection has not been ready (start-up counts). */
  let lostSince: number | undefined = Date.now();
  let readyBefore = false;
  commands.on('ready', () => {
    lostSince = undefined;
    if (readyBefore) note('redis_reconnect');
    readyBefore = true;
  });
  commands.on('close', () => (lostSince ??= Date.now()));
  for (const client of [commands, listener]) client.on('error', fault);

  /** Runs a command; a failure is reported (once per run of failures) and rethrown to the topic. */
  const run = async <T>(command: () => Promise<T>): Promise<T> => {
    try {
      const result = await command();
      failingSince = undefined;
      return result;
    } catch (error) {
      fault(error);
      throw error;
    }
  };

  const key = (kind: 'lease' | 'state' | 'log', topic: string): string => `${prefix}${kind}:${topic}`;
  const channelOf = (topic: string): string => `${prefix}events:${topic}`;
  const subsOf = (tokenKey: string): string => `${prefix}subs:${tokenKey}`;
  const replicas = `${prefix}replicas`;
  const recent = (topic: string): Promise<string[]> => run(() => commands.lrange(key('log', topic), 0, -1));

  // A channel is subscribed while any topic on this replica listens to it; during a topic's quick
  // stop-and-restart two links may share it for a moment.
  const channels = new Map<string, Channel>();
  listener.on('message', (channel: string, message: string) => {
    for (const link of channels.get(channel)?.links ?? []) link.message(message);
  });
  listener.on('close', () => {
    for (const channel of channels.values()) channel.subscribed = false;
  });
  let listenerReadyBefore = false;
  listener.on('ready', () => {
    if (listenerReadyBefore) note('redis_reconnect');
    listenerReadyBefore = true;
    void subscribeAll();
  });

  let retry: NodeJS.Timeout | undefined;
  /** Subscribes every channel not subscribed yet, on a ready connection; tries again later if that fails. */
  async function subscribeAll(): Promise<void> {
    clearTimeout(retry);
    if (closed || listener.status !== 'ready') return;
    const pending = [...channels].filter(([, channel]) => !channel.subscribed).map(([name]) => name);
    if (pending.length === 0) return;
    try {
      await listener.subscribe(...pending);
    } catch (error) {
      fault(error);
      retry = setTimeout(() => void subscribeAll(), graceMs).unref();
      return;
    }
    for (const name of pending) {
      const channel = channels.get(name);
      if (!channel) {
        // Left while subscribing.
        if (listener.status === 'ready') listener.unsubscribe(name).catch(fault);
        continue;
      }
      channel.subscribed = true;
      for (const wake of channel.waiting.splice(0)) wake();
      if (channel.heard) void resync(channel);
      channel.heard = true;
    }
  }

  // A connection can go silent without a reset (a NAT or proxy between forgot it; TCP's keep-alive
  // would take hours to tell): it still looks ready, the subscriber connection hears nothing and
  // every command times out. So each connection is sent a PING each grace period. One unanswered
  // for a grace period is not enough to drop it: a busy Redis, or this process's own event loop
  // held up, delays every answer. Only when Redis answers a PING sent later on the other
  // connection is this one the silent one; it is then dropped and made again (the subscriber
  // connection subscribes again and reads back what it missed). The decision waits for
  // setImmediate, after this turn's I/O, so that an answer already received is read first. While
  // Redis answers neither, both are kept: reach() reports the outage.
  const silenceWatch = (connection: Redis, witness: Redis, name: string) => {
    let unanswered: { sentAt: number; checking: boolean } | undefined;
    connection.on('ready', () => (unanswered = undefined));
    return (): void => {
      if (closed || connection.status !== 'ready') return;
      if (unanswered === undefined) {
        const ping = (unanswered = { sentAt: Date.now(), checking: false });
        // A PING that times out (the command connection's commandTimeout) stays unanswered.
        connection.ping().then(
          () => {
            if (unanswered === ping) unanswered = undefined;
          },
          () => {},
        );
        return;
      }
      const ping = unanswered;
      if (ping.checking || Date.now() - ping.sentAt < graceMs) return;
      ping.checking = true;
      witness.ping().then(
        () =>
          setImmediate(() => {
            if (unanswered !== ping || closed) return;
            // Not a failing command (Redis answers): told and counted, but reach() stays as it is.
            note('redis_error');
            onError(new Error(`the Redis ${name} connection went silent (a PING unanswered while Redis answered the other connection); reconnecting`));
            connection.disconnect(true);
          }),
        () => (ping.checking = false),
      );
    };
  };
  const watches = [silenceWatch(listener, commands, 'subscriber'), silenceWatch(commands, listener, 'command')];
  const watching = setInterval(() => {
    for (const watch of watches) watch();
  }, graceMs).unref();

  let probing = false;
  /** One write at a time, as reach() is asked: its success ends the run of failures. */
  function probe(): void {
    if (probing || closed) return;
    probing = true;
    run(() => commands.set(`${prefix}probe`, '1', 'PX', graceMs))
      .catch(() => {})
      .finally(() => (probing = false));
  }

  async function resync(channel: Channel): Promise<void> {
    const messages = await recent(channel.topic).catch(() => undefined);
    // When the read fails the topic still notices the gap at its next message, or reads the
    // messages itself while it is not listening.
    if (messages) for (const link of channel.links) link.resync(messages);
  }

  return {
    reach(): Reach {
      if (commands.status !== 'ready') return lostSince !== undefined && Date.now() - lostSince >= graceMs ? 'down' : 'connecting';
      if (failingSince === undefined || Date.now() - failingSince < graceMs) return 'up';
      // Connected, but refusing or not answering: down until a write goes through again. Topics
      // poll alone meanwhile and send nothing to Redis, so the probe is what notices the mend.
      probe();
      return 'down';
    },

    async join(topic, link) {
      const name = channelOf(topic);
      let channel = channels.get(name);
      if (!channel) {
        channel = { topic, links: new Set(), subscribed: false, heard: false, waiting: [] };
        channels.set(name, channel);
      }
      channel.links.add(link);
      if (!channel.subscribed) {
        const subscribed = new Promise<void>((resolve) => channel.waiting.push(resolve));
        void subscribeAll();
        await subscribed;
      }
      // Listening before reading the stored messages: what is published in between is heard
      // too, and the topic drops the copy it already has (same epoch, same sequence number).
      return recent(topic);
    },

    leave(topic, link) {
      const name = channelOf(topic);
      const channel = channels.get(name);
      if (!channel?.links.delete(link) || channel.links.size > 0) return;
      channels.delete(name);
      if (channel.subscribed && listener.status === 'ready') listener.unsubscribe(name).catch(fault);
    },

    recent,

    async acquire(topic, owner, afresh) {
      const reply = await run(() => commands.liveAcquire(key('lease', topic), key('state', topic), owner, leaseMs, afresh ? '1' : '0', stateTtlMs));
      if (typeof reply === 'number') return reply === 0 ? 'held' : reply === 1 ? 'resting' : 'unstored';
      return { stored: reply || null };
    },

    async renew(topic, owner) {
      const renewed = await run(() => commands.liveRenew(key('lease', topic), key('state', topic), key('log', topic), owner, leaseMs, stateTtlMs));
      return renewed === 1;
    },

    async commit(topic, owner, { record, message, final }: Commit) {
      const committed = await run(() =>
        commands.liveCommit(
          key('lease', topic),
          key('state', topic),
          key('log', topic),
          owner,
          stateTtlMs,
          record,
          final ? '1' : '0',
          channelOf(topic),
          message ?? '',
          endedMs,
          RECENT,
        ),
      );
      return committed === 1;
    },

    async release(topic, owner, restMs) {
      const rest = Math.max(0, Math.ceil(restMs));
      await run(() => commands.liveRelease(key('lease', topic), key('state', topic), owner, rest, rest + leaseMs)).catch(() => {});
    },

    async admit(tokenKey, replica, count, max) {
      return (await run(() => commands.liveAdmit(subsOf(tokenKey), replicas, replica, count, max, leaseMs))) === 1;
    },

    async heartbeat(replica, counts, gone) {
      await run(() => commands.liveAlive(replicas, replica, leaseMs));
      const batch = commands.multi();
      for (const [tokenKey, count] of counts) batch.hset(subsOf(tokenKey), replica, count).pexpire(subsOf(tokenKey), leaseMs);
      // A token that left and came back while the heartbeat ran is counted again, not removed.
      for (const tokenKey of gone) if (!counts.has(tokenKey)) batch.hdel(subsOf(tokenKey), replica);
      await run(() => batch.exec());
    },

    async depart(replica, tokenKeys) {
      const batch = commands.multi().zrem(replicas, replica);
      for (const tokenKey of tokenKeys) batch.hdel(subsOf(tokenKey), replica);
      await run(() => batch.exec());
    },

    channels() {
      let subscribed = 0;
      for (const channel of channels.values()) if (channel.subscribed) subscribed++;
      return subscribed;
    },

    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(watching);
      // QUIT waits for Redis's answer, which a silent connection never gives: a grace period at most.
      const end = async (client: Redis): Promise<void> => {
        if (client.status === 'ready') await Promise.race([client.quit().catch(() => {}), delay(commandTimeout, undefined, { ref: false })]);
        client.disconnect();
      };
      await Promise.all([end(commands), end(listener)]);
    },
  };
}
