/**
 * The Redis coordinator: replicas share one poller per topic through a lease, and its events
 * through a channel. Two connections: one for commands, one in subscriber mode (Redis allows
 * nothing else on a subscribed connection).
 *
 * Keys and channel, all under the prefix and named by the topic's HMAC (never the token):
 *   lease:<topic>   the owner that polls (`<replica>:<n>`), PX a few intervals, renewed each interval
 *   state:<topic>   the StateRecord after the last poll, so a replica taking over continues from it
 *   last:<topic>    the LastRecord, so a new subscriber on any replica starts with "the thing now"
 *   events:<topic>  the channel of Messages
 * Every write that depends on holding the lease is a Lua script that checks the holder first, so
 * a replica that lost its lease (it paused, its poll was slow) can neither extend nor delete
 * another's lease, nor publish or store a stale poll. State and last event live `stateTtlMs`
 * past the last renewal, so a subscriber who comes back soon resumes where the topic was.
 */
import { Redis } from 'ioredis';
import type { Commit, Coordinator, Receiver } from './coordinator.js';

// Takes a free lease, or keeps one the caller already holds; reads the state in the same step.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('GET', KEYS[2]) or ''
`;

const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1
`;

// ARGV: owner, stateTtlMs, record, final ('1'|'0'), channel, message ('' for none), last ('' for
// none), endedMs. A final commit forgets state and last event, and leaves the lease to an owner
// that matches no one for a moment: long enough for the other replicas to hear the end instead
// of taking the lease and starting the topic over.
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('SET', KEYS[1], 'ended', 'PX', ARGV[8])
else
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
  if ARGV[7] ~= '' then
    redis.call('SET', KEYS[3], ARGV[7], 'PX', ARGV[2])
  else
    redis.call('PEXPIRE', KEYS[3], ARGV[2])
  end
end
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
return 1
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface LeaseCommands {
  liveAcquire(lease: string, state: string, owner: string, leaseMs: number): Promise<string | number>;
  liveRenew(lease: string, state: string, last: string, owner: string, leaseMs: number, ttlMs: number): Promise<number>;
  liveCommit(
    lease: string,
    state: string,
    last: string,
    ...argv: [owner: string, ttlMs: number, record: string, final: string, channel: string, message: string, last: string, endedMs: number]
  ): Promise<number>;
  liveRelease(lease: string, owner: string): Promise<number>;
}

export interface RedisCoordinatorOptions {
  url: string;
  prefix: string;
  leaseMs: number;
  /** How long an ended topic's lease stays unavailable (see COMMIT). */
  endedMs: number;
  stateTtlMs: number;
  /** Told once per run of failures (a command failing, a connection dropping), not on every retry. */
  onError: (error: unknown) => void;
}

export function createRedisCoordinator({ url, prefix, leaseMs, endedMs, stateTtlMs, onError }: RedisCoordinatorOptions): Coordinator {
  // Few retries per command: a poller that cannot reach Redis should give up its turn quickly
  // (the next interval tries again) rather than queue commands for a long outage.
  const connect = (name: string): Redis =>
    new Redis(url, { maxRetriesPerRequest: 2, connectionName: `altostrat-gw-live-${name}` });
  const commands = connect('commands') as Redis & LeaseCommands;
  const listener = connect('events');
  commands.defineCommand('liveAcquire', { numberOfKeys: 2, lua: ACQUIRE });
  commands.defineCommand('liveRenew', { numberOfKeys: 3, lua: RENEW });
  commands.defineCommand('liveCommit', { numberOfKeys: 3, lua: COMMIT });
  commands.defineCommand('liveRelease', { numberOfKeys: 1, lua: RELEASE });

  let healthy = true;
  let crashed = false;
  const fault = (error: unknown): void => {
    if (healthy && !crashed) onError(error);
    healthy = false;
  };
  for (const client of [commands, listener]) {
    client.on('error', fault);
    client.on('ready', () => (healthy = true));
  }
  /** Runs a command; a failure is reported (once per run of failures) and rethrown to the topic. */
  const run = async <T>(command: () => Promise<T>): Promise<T> => {
    try {
      const result = await command();
      healthy = true;
      return result;
    } catch (error) {
      fault(error);
      throw error;
    }
  };

  const key = (kind: 'lease' | 'state' | 'last', topic: string): string => `${prefix}${kind}:${topic}`;
  const channelOf = (topic: string): string => `${prefix}events:${topic}`;

  // A channel is subscribed while any topic on this replica listens to it; during a topic's quick
  // stop-and-restart two receivers may share it for a moment.
  const channels = new Map<string, { receivers: Set<Receiver>; subscribed: Promise<unknown> }>();
  listener.on('message', (channel: string, message: string) => {
    for (const receive of channels.get(channel)?.receivers ?? []) receive(message);
  });

  return {
    async join(topic, receive) {
      const channel = channelOf(topic);
      let entry = channels.get(channel);
      if (!entry) {
        entry = { receivers: new Set(), subscribed: listener.subscribe(channel) };
        channels.set(channel, entry);
      }
      entry.receivers.add(receive);
      // Listening before reading the last event: what is published in between is heard, and the
      // topic drops it if it is the event it read (same epoch, same sequence number).
      await run(() => entry.subscribed);
      return run(() => commands.get(key('last', topic)));
    },

    leave(topic, receive) {
      const channel = channelOf(topic);
      const entry = channels.get(channel);
      if (!entry?.receivers.delete(receive) || entry.receivers.size > 0) return;
      channels.delete(channel);
      if (!crashed) listener.unsubscribe(channel).catch(fault);
    },

    async acquire(topic, owner) {
      const reply = await run(() => commands.liveAcquire(key('lease', topic), key('state', topic), owner, leaseMs));
      return typeof reply === 'number' ? undefined : { stored: reply || null };
    },

    async renew(topic, owner) {
      const renewed = await run(() =>
        commands.liveRenew(key('lease', topic), key('state', topic), key('last', topic), owner, leaseMs, stateTtlMs),
      );
      return renewed === 1;
    },

    async commit(topic, owner, { record, message, last, final }: Commit) {
      const committed = await run(() =>
        commands.liveCommit(
          key('lease', topic),
          key('state', topic),
          key('last', topic),
          owner,
          stateTtlMs,
          record,
          final ? '1' : '0',
          channelOf(topic),
          message ?? '',
          last ?? '',
          endedMs,
        ),
      );
      return committed === 1;
    },

    async release(topic, owner) {
      if (crashed) return;
      await run(() => commands.liveRelease(key('lease', topic), owner)).catch(() => {});
    },

    async close() {
      const end = async (client: Redis): Promise<void> => {
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
        else client.disconnect();
      };
      await Promise.all([end(commands), end(listener)]);
    },

    crash() {
      crashed = true;
      commands.disconnect();
      listener.disconnect();
    },
  };
}
