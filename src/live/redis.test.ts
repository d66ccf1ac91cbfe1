/**
 * Replicas sharing pollers through a real redis-server: two hubs on the same REDIS_URL stand for
 * two replicas of the gateway.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisProcess } from '../../test/support/redis.js';
import { createLiveHub } from './hub.js';
import { LiveEnd, type Json, type LiveHub, type LiveHubOptions } from './types.js';
import { counting, drain, PollLog, take } from './testing.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTcpProxy } from '../../test/support/tcp-proxy.js';
import { freePort } from '../../test/support/ports.js';
import { until } from '../../test/support/wait.js';

const INTERVAL = 50;
const TOKEN = 'secret-token-that-must-not-leak';

let redis: RedisProcess;
let inspector: Redis;
let prefixSerial = 0;
let prefix = '';
let hubs: LiveHub[] = [];

function replica({ url = redis.url, intervalMs = INTERVAL, ...more }: { url?: string; intervalMs?: number } & Partial<LiveHubOptions> = {}): LiveHub {
  const hub = createLiveHub({
    ...more,
    intervalMs,
    maxPerToken: 20,
    maxTotal: 1000,
    secret: 'shared-secret',
    redisUrl: url,
    keyPrefix: prefix,
    onError: () => {}, // connections are cut on purpose
  });
  hubs.push(hub);
  return hub;
}

/** How many connections listen to the (only) topic channel under this test's prefix. */
async function listeners(): Promise<number> {
  const [channel] = (await inspector.pubsub('CHANNELS', `${prefix}*`)) as string[];
  if (!channel) return 0;
  const [, count] = (await inspector.pubsub('NUMSUB', channel)) as [string, number];
  return Number(count);
}

const pollers = (): number => hubs.reduce((sum, hub) => sum + hub.stats().pollers, 0);

beforeAll(async () => {
  redis = await startRedis();
  inspector = new Redis(redis.url);
});

afterEach(async () => {
  await Promise.all(hubs.map((hub) => hub.close()));
  hubs = [];
  await inspector.flushall();
  prefix = `test${++prefixSerial}:`;
});

afterAll(async () => {
  await inspector?.quit();
  await redis?.stop();
});

prefix = `test${++prefixSerial}:`;

describe('replicas sharing pollers', () => {
  it('polls once for subscribers on two replicas, and every subscriber gets every event once, in order', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    // A subscriber hears what is published once its replica listens to the topic (a Redis round
    // trip after the first local subscriber); so the first poll waits for both to listen.
    let listening = false;
    const step = counting();
    const make = (label: string) =>
      log.source(label, async (state: Json | undefined) => {
        await until('both replicas to listen', () => listening);
        return step(state);
      });
    const streams = [a, a, b, b].map((hub, i) => hub.subscribe({ token: TOKEN, resource: 'run:1', makeSource: make(i < 2 ? 'a' : 'b') }));
    await until('both replicas to listen to the topic', async () => (await listeners()) === 2);
    listening = true;
    const seen = await Promise.all(streams.map((s) => take(s, 6)));

    for (const events of seen) expect(events.map((e) => e.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log.maxInFlight).toBe(1);
    expect(pollers()).toBe(1);
    expect(a.stats().topics + b.stats().topics).toBe(2);
  });

  it('stamps a message with the time its poll started, which orders two pollers’ messages by what each saw', async () => {
    const hub = replica();
    const startedAt: number[] = [];
    const slow = () => ({
      poll: async () => {
        startedAt.push(Date.now());
        await sleep(100);
        return { events: [startedAt.length], state: startedAt.length };
      },
    });
    await take(hub.subscribe({ token: TOKEN, resource: 'run:1', makeSource: slow }), 1);
    const [stored] = await inspector.keys(`${prefix}log:*`);
    const [message] = (await inspector.lrange(stored!, 0, -1)).map((raw) => JSON.parse(raw) as { at: number });
    expect(message!.at).toBeLessThanOrEqual(startedAt[0]!);
    expect(startedAt[0]! - message!.at).toBeLessThan(50);
  });

  it('names no key or channel after the token, only after HMACs under the prefix', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    const streams = [a, b].map((hub) => hub.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('x', counting()) }));
    await Promise.all(streams.map((s) => take(s, 2)));

    const keys = await inspector.keys('*');
    const channels = (await inspector.pubsub('CHANNELS', '*')) as string[];
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(channels).toHaveLength(1);
    const values = await Promise.all(keys.filter((k) => k.includes(':state:')).map((k) => inspector.get(k)));
    for (const name of [...keys, ...channels]) {
      expect(name).toMatch(new RegExp(`^${prefix}(lease|state|log|events|subs):[0-9a-f]{64}$|^${prefix}replicas$`));
    }
    for (const text of [...keys, ...channels, ...values]) expect(text).not.toContain(TOKEN);
  });

  it('keeps two tokens on the same resource apart across replicas', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    const one = a.subscribe({ token: 'tok-1', resource: 'run:1', makeSource: log.source('1', counting('1')) });
    const two = b.subscribe({ token: 'tok-2', resource: 'run:1', makeSource: log.source('2', counting('2')) });
    const [fromOne, fromTwo] = await Promise.all([take(one, 3), take(two, 3)]);

    expect(fromOne.map((e) => `${e.tag}${e.n}`)).toEqual(['11', '12', '13']);
    expect(fromTwo.map((e) => `${e.tag}${e.n}`)).toEqual(['21', '22', '23']);
    expect(pollers()).toBe(2);
  });

  it('replays the last event to a new subscriber on a replica that never heard it', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    const make = log.source('a', (_state, index) => ({ events: index === 0 ? ['the run now'] : [], state: index }));
    const first = a.subscribe<string>({ token: TOKEN, resource: 'run:1', makeSource: make });
    expect(await take(first, 1)).toEqual(['the run now']);

    const late = b.subscribe<string>({ token: TOKEN, resource: 'run:1', makeSource: make, replayLast: true });
    expect(await take(late, 1)).toEqual(['the run now']);
  });
});

describe('a dropped subscriber connection', () => {
  it('reads back what was published while it was down: every event once, in order', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    a.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('a', counting()) });
    await until('replica A to poll', () => a.stats().pollers === 1);
    const onB = b.subscribe<{ n: number }>({ token: TOKEN, resource: 'run:1', makeSource: log.source('b', counting()) });
    const heard = await take(onB, 2);
    for (let drop = 0; drop < 3; drop++) {
      await inspector.client('KILL', 'TYPE', 'pubsub');
      heard.push(...(await take(onB, 4)));
    }
    const numbers = heard.map((e) => e.n);
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
    expect(log.count('b')).toBe(0); // B only listened
  });

  const SILENCE_INTERVAL = 250;
  /**
   * Replica A polls run:1; B reaches Redis through a TCP proxy and listens. Once B heard two
   * events, B's connection named `connection` goes silent; `then` runs with what B heard so far.
   */
  async function silencing(connection: string, then: (b: LiveHub, onB: AsyncIterator<{ n: number }>, heard: Array<{ n: number }>, log: PollLog) => Promise<void>) {
    const proxy = await startTcpProxy(redis.port);
    try {
      const log = new PollLog();
      const a = replica({ intervalMs: SILENCE_INTERVAL });
      a.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('a', counting()) });
      await until('replica A to poll', () => a.stats().pollers === 1);
      const b = replica({ intervalMs: SILENCE_INTERVAL, url: `redis://127.0.0.1:${proxy.port}` });
      const onB = b.subscribe<{ n: number }>({ token: TOKEN, resource: 'run:1', makeSource: log.source('b', counting()) });
      const heard = await take(onB, 2);
      expect(proxy.silence(connection)).toBe(1);
      await then(b, onB, heard, log);
    } finally {
      await Promise.all(hubs.map((hub) => hub.close()));
      await proxy.close();
    }
  }
  it('finds a connection gone silent (no reset, no answer) and listens again: every event once, in order', async () => {
    // Only B's subscriber connection goes silent: its command connection still answers.
    await silencing('altostrat-gw-live-events', async (_b, onB, heard, log) => {
      const later = await Promise.race([
        take(onB, 10),
        sleep(8_000).then(() => Promise.reject(new Error('B heard nothing more after its connection went silent'))),
      ]);
      const numbers = [...heard, ...later].map((e) => e.n);
      expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
      expect(log.count('b')).toBe(0); // B only listened
    });
  });

  it('finds its command connection gone silent and makes it again, instead of polling alone from then on', async () => {
    // Only B's command connection goes silent: its subscriber connection still hears A's polls.
    await silencing('altostrat-gw-live-commands', async (b, onB, heard, log) => {
      const later = await take(onB, 16); // four seconds of A's polls, and B's if it polls alone
      const numbers = [...heard, ...later].map((e) => e.n);
      expect(new Set(numbers).size).toBe(numbers.length);
      // Back to one poller: B does not poll (any more).
      const polledByB = log.count('b');
      await sleep(6 * SILENCE_INTERVAL);
      expect(log.count('b')).toBe(polledByB);
      expect(b.stats().pollers).toBe(0);
    });
  });
});

describe('handing the poll over', () => {
  it('lets a replica that still has subscribers take over, from the stored state, when the polling one has none left', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    const onA = a.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('a', counting('a')) });
    await until('replica A to poll', () => a.stats().pollers === 1);
    const onB = b.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('b', counting('b')) });
    const before = await take(onB, 3);

    await onA.return!();
    expectContinued([...before, ...(await take(onB, 4))], log);
    expect(a.stats()).toMatchObject({ subscriptions: 0, topics: 0, pollers: 0 });
    expect(b.stats().pollers).toBe(1);
  });
});

describe('a topic that starts again later', () => {
  it('takes a baseline of its own once its rest and a lease have passed, and still replays its last event', async () => {
    const log = new PollLog();
    const hub = replica();
    const first = hub.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('a', counting()), replayLast: true, events: 'states' });
    await take(first, 2);
    await first.return!();
    await sleep(6 * INTERVAL); // past the rest (an interval) and a lease (three)
    const later = hub.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('b', counting()), replayLast: true, events: 'states' });
    expect((await take(later, 2)).map((e) => e.n)).toEqual([2, 1]);
    expect(log.polls.find((p) => p.label === 'b')!.state).toBeUndefined();
  });
});

describe('a topic that moves between replicas', () => {
  const PACE = 200;
  const expectPaced = (log: PollLog) => {
    const starts = log.polls.map((p) => p.startedAt);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(PACE - 2);
  };
  const failing = () => {
    throw new Error('the upstream answers 503');
  };

  /** A subscriber on A, then on B, and so on, each leaving once its topic has polled (and `stay` ms more). */
  async function alternate(log: PollLog, step: Parameters<PollLog['source']>[1], delayMs = 0, stay = 0): Promise<void> {
    const [a, b] = [replica({ intervalMs: PACE }), replica({ intervalMs: PACE })];
    await until('both replicas to reach Redis', () => a.ready() && b.ready());
    for (let i = 0; i < 6; i++) {
      const polls = log.count();
      const on = (i % 2 === 0 ? a : b).subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('x', step, delayMs) });
      await until('a poll', () => log.count() > polls, { everyMs: 2 });
      await sleep(stay);
      await on.return!();
    }
    expect(log.count()).toBe(6);
  }

  it('keeps the pace when its subscribers leave one replica and come to another: an interval between polls', async () => {
    const log = new PollLog();
    await alternate(log, counting());
    expectPaced(log);
  });

  it('keeps the pace when its polls fail', async () => {
    const log = new PollLog();
    await alternate(log, failing);
    expectPaced(log);
  });

  it('keeps the backoff of its failing polls, however often its subscribers move', async () => {
    const log = new PollLog();
    // The most of each backoff: after the n-th failure in a row, the interval times 2^n.
    const [a, b] = [0, 1].map(() => replica({ random: () => 0.999, maxBackoffMs: 100 * INTERVAL }));
    await until('both replicas to reach Redis', () => a!.ready() && b!.ready());
    for (let i = 0; i < 5; i++) {
      const polls = log.count();
      const on = (i % 2 === 0 ? a! : b!).subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('x', failing) });
      await until('a poll', () => log.count() > polls, { everyMs: 2 });
      await on.return!();
    }
    const starts = log.polls.map((p) => p.startedAt);
    // The gap before the fifth poll is the fourth failure's backoff: 8 intervals.
    expect(starts[4]! - starts[3]!).toBeGreaterThanOrEqual(8 * INTERVAL * 0.99 - 2);
  });

  it('keeps the pace when its subscribers leave during a poll', async () => {
    const log = new PollLog();
    await alternate(log, counting(), 3 * PACE, 10);
    expectPaced(log);
  });
});

/**
 * The events run 1, 2, 3... without a gap or a repeat, replica A's first and then B's, and B's
 * first poll started from the state A stored after the last event it published.
 */
function expectContinued(events: Array<{ n: number; tag: string }>, log: PollLog): void {
  const numbers = events.map((e) => e.n);
  expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
  const tags = events.map((e) => e.tag).join('');
  expect(tags).toMatch(/^a+b+$/);
  const lastOfA = events.filter((e) => e.tag === 'a').at(-1)!;
  expect(log.polls.find((p) => p.label === 'b')!.state).toEqual({ n: lastOfA.n });
}

describe('the end of a topic across replicas', () => {
  it('completes the subscribers of every replica after a done poll and forgets the topic in Redis', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    const script = [{ events: ['running'], state: 1 }, { events: ['completed'], state: 2, done: true }];
    // The second poll waits until both replicas listen, so both hear the end.
    let ready = false;
    const make = log.source('x', async (_state: Json | undefined, index: number) => {
      if (index > 0) await until('both replicas to subscribe', () => ready);
      return script[index]!;
    });
    const onA = a.subscribe<string>({ token: TOKEN, resource: 'run:1', makeSource: make });
    const onB = b.subscribe<string>({ token: TOKEN, resource: 'run:1', makeSource: make, replayLast: true });
    await until('both replicas to listen to the topic', async () => (await listeners()) === 2);
    ready = true;

    expect(await drain(onA)).toEqual({ events: ['running', 'completed'] });
    expect(await drain(onB)).toEqual({ events: ['running', 'completed'] });
    await until('both replicas to forget the topic', () => a.stats().topics + b.stats().topics === 0);
    expect(await inspector.keys(`${prefix}state:*`)).toEqual([]);
    expect(log.count()).toBe(2); // nobody took the ended topic up again
    await until('the ended lease to expire', async () => (await inspector.keys(`${prefix}lease:*`)).length === 0);
  });

  it('delivers the end to a replica that missed it, and starts a later topic afresh, not from the stored end', async () => {
    // Replica B reaches Redis as a user of its own, so that its subscriber connection alone can be
    // cut and kept from subscribing again. A slower interval leaves B's reconnect well inside the
    // moment the ended topic's lease is kept from everyone.
    const intervalMs = 300;
    await inspector.acl('SETUSER', 'replica-b', 'on', '>b-password', '~*', '&*', '+@all');
    try {
      const a = replica({ intervalMs });
      const b = replica({ intervalMs, url: redis.url.replace('redis://', 'redis://replica-b:b-password@') });
      const cutB = (): Promise<unknown> => inspector.client('KILL', 'USER', 'replica-b', 'TYPE', 'pubsub');
      // The run as the upstream has it; a poll reports it when it changed.
      let truth = 'queued';
      const log = new PollLog();
      const make = (label: string) =>
        log.source(label, (state: Json | undefined) =>
          state === truth ? { events: [], state } : { events: [truth], state: truth, ...(truth === 'completed' && { done: true as const }) },
        );
      const onA = a.subscribe<string>({ token: TOKEN, resource: 'run:1', makeSource: make('a') });
      expect(await take(onA, 1)).toEqual(['queued']);
      const onB = b.subscribe<string>({ token: TOKEN, resource: 'run:1', makeSource: make('b'), replayLast: true });
      expect(await take(onB, 1)).toEqual(['queued']);
      await until('B to listen to the topic', async () => (await listeners()) === 2);

      await inspector.acl('SETUSER', 'replica-b', '-subscribe');
      await cutB();
      await until('B to stop listening', async () => (await listeners()) === 1);
      truth = 'running';
      expect(await take(onA, 1)).toEqual(['running']);
      truth = 'completed';
      expect(await drain(onA)).toEqual({ events: ['completed'] });
      // B missed both messages; it listens again at once.
      await inspector.acl('SETUSER', 'replica-b', '+subscribe');
      await cutB();
      expect(await drain(onB)).toEqual({ events: ['running', 'completed'] });
      expect(log.count('b')).toBe(0); // B heard the end, and did not poll the ended run itself

      // The run is resumed. A subscriber that comes after its end hears it as it is now, not the
      // stored end.
      truth = 'resumed';
      const later = b.subscribe<string>({ token: TOKEN, resource: 'run:1', makeSource: make('b'), replayLast: true });
      expect(await take(later, 1)).toEqual(['resumed']);
      await later.return!();
    } finally {
      await inspector.acl('DELUSER', 'replica-b');
    }
  });

  it('ends the subscribers of every replica with the LiveEnd a poll throws', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    let ready = false;
    const make = log.source<string>('x', async (): Promise<never> => {
      await until('both replicas to subscribe', () => ready);
      throw new LiveEnd('FORBIDDEN', 'This token may not watch run:1');
    });
    const streams = [a, b].map((hub) => hub.subscribe<string>({ token: TOKEN, resource: 'run:1', makeSource: make }));
    await until('both replicas to listen to the topic', async () => (await listeners()) === 2);
    ready = true;

    for (const stream of streams) {
      const { error } = await drain(stream);
      expect(error).toBeInstanceOf(LiveEnd);
      expect(error).toMatchObject({ code: 'FORBIDDEN' });
    }
  });
});

describe('close with Redis', () => {
  it('releases the lease, unsubscribes and quits both connections', async () => {
    const log = new PollLog();
    const hub = replica();
    const stream = hub.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('x', counting()) });
    await take(stream, 1);
    const clients = (): Promise<number> => inspector.client('LIST').then((list) => String(list).trim().split('\n').length);
    expect(await clients()).toBe(3);

    await hub.close();
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    // Released: the lease rests, holding no owner, until an interval after the last poll started.
    const leases = await inspector.keys(`${prefix}lease:*`);
    for (const lease of leases) {
      expect(await inspector.get(lease)).toBe('resting');
      expect(await inspector.pttl(lease)).toBeLessThanOrEqual(INTERVAL);
    }
    expect(await inspector.pubsub('CHANNELS', '*')).toEqual([]);
    await until('the server to see both connections go', async () => (await clients()) === 1);
  });

  it('ends at shutdown the subscribers still waiting to be admitted, and takes its counts out of Redis', async () => {
    const log = new PollLog();
    const hub = replica();
    await take(hub.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('x', counting()) }), 1);
    await until('the count in Redis', async () => (await inspector.keys(`${prefix}subs:*`)).length === 1);
    redis.pause();
    try {
      const waiting = hub.subscribe({ token: TOKEN, resource: 'run:2', makeSource: log.source('y', counting()) });
      const closing = hub.close();
      expect(await waiting.next()).toEqual({ value: undefined, done: true });
      redis.resume();
      await closing;
    } finally {
      redis.resume();
    }
    expect(await inspector.keys(`${prefix}subs:*`)).toEqual([]);
    expect(await inspector.zrange(`${prefix}replicas`, 0, -1)).toEqual([]);
  });
});

describe('Redis losing its data while it stays up', () => {
  // The upstream's truth moves on before every poll, whoever polls: a run changes, or a workflow
  // starts a run. For a run (states), a poll reports it as it is; for the starts (occurrences),
  // every one since the state it polls from, after a first poll that only takes the baseline.
  const stepOf = (events: 'states' | 'occurrences') => {
    let now = 0;
    return (state: Json | undefined) => {
      const n = ++now;
      if (events === 'states') return { events: [{ n }], state: n };
      const since = state === undefined ? n : (state as number);
      return { events: Array.from({ length: n - since }, (_, k) => ({ n: since + k + 1 })), state: n };
    };
  };

  for (const events of ['states', 'occurrences'] as const) {
    it(`goes on after FLUSHALL with one poller, every subscriber hearing each ${events === 'states' ? 'state' : 'start'} once and in order`, async () => {
      const log = new PollLog();
      const [a, b] = [replica(), replica()];
      const step = stepOf(events);
      const streams = [a, b, a, b].map((hub, i) => hub.subscribe<{ n: number }>({ token: TOKEN, resource: 'run:1', events, makeSource: log.source(`${i % 2}`, step) }));
      const before = await Promise.all(streams.map((s) => take(s, 3)));
      await inspector.flushall(); // the lease, the stored state and messages, the counts: all gone
      const after = await Promise.all(streams.map((s) => take(s, 6)));

      for (const [i] of streams.entries()) {
        const numbers = [...before[i]!, ...after[i]!].map((e) => e.n);
        expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
        expect(new Set(numbers).size).toBe(numbers.length);
        // A start is never lost: each subscriber hears every one from its first on.
        if (events === 'occurrences') expect(numbers).toEqual(numbers.map((_, k) => numbers[0]! + k));
      }
      expect(log.maxInFlight).toBe(1);
      await until('one poller', () => pollers() === 1);
    });
  }

  it('goes on with the poller that has the state when the topic was quiet for a while: a start right after the loss is heard', async () => {
    const [a, b] = [replica(), replica()];
    let starts = 0;
    const step = (state: Json | undefined) => {
      const since = state === undefined ? starts : (state as number);
      return { events: Array.from({ length: starts - since }, (_, k) => ({ n: since + k + 1 })), state: starts };
    };
    const log = new PollLog();
    const streams = [a, b].map((hub, i) => hub.subscribe<{ n: number }>({ token: TOKEN, resource: 'run:1', events: 'occurrences', makeSource: log.source(`${i}`, step) }));
    await until('a baseline', () => log.count() > 0);
    starts++;
    await Promise.all(streams.map((s) => take(s, 1)));
    await sleep(6 * INTERVAL); // nothing published for two leases
    await inspector.flushall();
    starts++;
    for (const stream of streams) expect(await take(stream, 1)).toEqual([{ n: 2 }]);
  });

  it('is still handed over at once when its poller leaves before storing a first poll (nothing was lost)', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    const step = stepOf('occurrences');
    const onA = a.subscribe<{ n: number }>({ token: TOKEN, resource: 'run:1', events: 'occurrences', makeSource: log.source('a', step, 20 * INTERVAL) });
    await until('A polls', () => log.count('a') === 1);
    b.subscribe<{ n: number }>({ token: TOKEN, resource: 'run:1', events: 'occurrences', makeSource: log.source('b', step) });
    await sleep(3 * INTERVAL); // B finds the lease held by A, whose first poll is still out
    const left = performance.now();
    await onA.return!();
    await until('B polls', () => log.count('b') > 0);
    expect(log.polls.find((p) => p.label === 'b')!.startedAt - left).toBeLessThan(2 * INTERVAL);
  });

  it('is taken over by another replica, from a baseline of its own, about a lease after its poller left with the state', async () => {
    const log = new PollLog();
    const [a, b] = [replica(), replica()];
    const step = stepOf('states');
    const onA = a.subscribe<{ n: number }>({ token: TOKEN, resource: 'run:1', events: 'states', makeSource: log.source('a', step) });
    await take(onA, 2); // A polls: it subscribed first
    const onB = b.subscribe<{ n: number }>({ token: TOKEN, resource: 'run:1', events: 'states', makeSource: log.source('b', step) });
    await take(onB, 1);
    await inspector.flushall();
    const left = performance.now();
    await a.close();
    const [next] = await take(onB, 1);
    expect(log.polls.find((p) => p.label === 'b')!.startedAt - left).toBeGreaterThanOrEqual(INTERVAL); // it waited for A a while
    const numbers = [next!, ...(await take(onB, 2))].map((e) => e.n);
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(log.polls.filter((p) => p.label === 'b')[0]!.state).toBeUndefined(); // nothing to go on from
  });
});

describe('a Redis outage', () => {
  it('sends a topic started while Redis is unreachable its first poll’s events, and its end', async () => {
    const hub = replica({ url: `redis://127.0.0.1:${await freePort()}` }); // nothing listens there
    await sleep(4 * INTERVAL); // unreachable for an interval: it counts as down
    // A finished run: its first poll says so, with done; an upstream call takes a few milliseconds.
    const finished = () => ({
      poll: async (state: Json | undefined) => {
        await sleep(2);
        return { events: state === 'completed' ? [] : ['completed'], state: 'completed', done: true };
      },
    });
    const stream = hub.subscribe<string>({ token: TOKEN, resource: 'run:1', makeSource: finished, replayLast: true, events: 'states' });
    expect(await drain(stream)).toEqual({ events: ['completed'] });
  });

  it('gives a subscriber who comes back within the rest, while the replica polls alone, the run at once', async () => {
    const hub = replica({ url: `redis://127.0.0.1:${await freePort()}` }); // nothing listens there
    await sleep(4 * INTERVAL); // unreachable for an interval: it counts as down
    const watch = {
      token: TOKEN,
      resource: 'run:1',
      replayLast: true,
      events: 'states' as const,
      makeSource: () => ({ poll: (state: Json | undefined) => Promise.resolve({ events: state === 'running' ? [] : ['running'], state: 'running' }) }),
    };
    const first = hub.subscribe<string>(watch);
    expect(await take(first, 1)).toEqual(['running']);
    await first.return!();
    expect(await take(hub.subscribe<string>(watch), 1)).toEqual(['running']);
  });

  it('gives a subscriber who comes back after an outage the run as it is, not as Redis last stored it', async () => {
    const own = await startRedis();
    const interval = 100;
    try {
      let run = 'A';
      let failing = false;
      const hub = replica({ url: own.url, intervalMs: interval, random: () => 0.999, maxBackoffMs: 100 * interval });
      await until('Redis', () => hub.ready());
      const watch = {
        token: TOKEN,
        resource: 'run:1',
        replayLast: true,
        events: 'states' as const,
        makeSource: () => ({
          poll: (state: Json | undefined) =>
            failing ? Promise.reject(new Error('the upstream answers 503')) : Promise.resolve({ events: state === run ? [] : [run], state: run }),
        }),
      };
      const first = hub.subscribe<string>(watch);
      expect(await take(first, 1)).toEqual(['A']);
      await first.return!();
      await sleep(8 * interval); // past the rest and a lease: Redis keeps the message, not the state
      own.pause();
      await until('Redis to count as down', () => !hub.ready());
      run = 'B';
      const during = hub.subscribe<string>(watch);
      expect(await take(during, 1)).toEqual(['B']);
      failing = true;
      await sleep(17 * interval); // four failed polls: its rest now runs 16 intervals
      await during.return!();
      own.resume();
      await until('Redis to be back', () => hub.ready());
      failing = false;
      const after = hub.subscribe<string>(watch); // within that rest
      const heard: string[] = [];
      void (async () => {
        for await (const event of after) heard.push(event);
      })();
      await sleep(30 * interval);
      expect(heard.at(-1)).toBe('B');
      await after.return!();
    } finally {
      own.resume();
      await own.stop();
    }
  }, 30_000);

  it('keeps the pace of a topic whose subscribers leave and come back while the replica polls alone', async () => {
    const log = new PollLog();
    const hub = replica({ url: `redis://127.0.0.1:${await freePort()}` }); // nothing listens there
    const first = hub.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('x', counting()) });
    await until('a poll for this replica alone', () => log.count() > 0);
    await first.return!();
    for (let i = 0; i < 10; i++) {
      const again = hub.subscribe({ token: TOKEN, resource: 'run:1', makeSource: log.source('x', counting()) });
      await sleep(INTERVAL / 5);
      await again.return!();
    }
    const starts = log.polls.map((p) => p.startedAt);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(INTERVAL - 2);
  });

  /**
   * Two replicas' subscribers across `cut` and `mend`: each replica polls alone in between, then
   * one polls for both again; every subscriber hears every event once and in order. Resolves with
   * the errors reported.
   */
  async function acrossAnOutage(own: RedisProcess, cut: () => unknown, mend: () => unknown): Promise<unknown[]> {
    const errors: unknown[] = [];
    const log = new PollLog();
    const make = (): LiveHub => {
      const hub = createLiveHub({ intervalMs: INTERVAL, maxPerToken: 5, maxTotal: 10, secret: 's', redisUrl: own.url, onError: (e) => errors.push(e) });
      hubs.push(hub);
      return hub;
    };
    const [a, b] = [make(), make()];
    try {
      // The upstream's truth moves on every two intervals; a poll reports it when it changed.
      const started = performance.now();
      const now = (): number => Math.floor((performance.now() - started) / (2 * INTERVAL));
      const step = (state: Json | undefined) => ({ events: state === now() ? [] : [{ n: now() }], state: now() });
      const streams = [a, b].map((hub, i) => hub.subscribe<{ n: number }>({ token: TOKEN, resource: 'run:1', makeSource: log.source(`${i}`, step) }));
      await Promise.all(streams.map((s) => take(s, 2)));
      await cut();
      await until('both replicas to poll alone', () => a.stats().pollers === 1 && b.stats().pollers === 1);
      expect(a.ready() || b.ready()).toBe(false);
      const during = await Promise.all(streams.map((s) => take(s, 3)));
      await mend();
      await until('both replicas to reach Redis again', () => a.ready() && b.ready());
      await until('one poller again', () => pollersOf([a, b]) === 1);
      const after = await Promise.all(streams.map((s) => take(s, 3)));
      for (const [i] of streams.entries()) {
        const numbers = [...during[i]!, ...after[i]!].map((e) => e.n);
        expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
        expect(new Set(numbers).size).toBe(numbers.length);
      }
      return errors;
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }

  it('polls for its own subscribers while Redis is gone, then goes back to one poller, every event once and in order', async () => {
    const own = await startRedis();
    let restarted: RedisProcess | undefined;
    try {
      const errors = await acrossAnOutage(
        own,
        () => own.kill(),
        async () => (restarted = await startRedis({ port: own.port })),
      );
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      await restarted?.stop();
      await own.stop();
    }
  });

  it('polls alone while Redis refuses writes (out of memory), and goes back to one poller once it takes them', async () => {
    const own = await startRedis();
    const admin = new Redis(own.url);
    try {
      const errors = await acrossAnOutage(
        own,
        () => admin.config('SET', 'maxmemory', '1'),
        () => admin.config('SET', 'maxmemory', '0'),
      );
      expect(errors.some((error) => /OOM/.test(String(error)))).toBe(true);
    } finally {
      admin.disconnect();
      await own.stop();
    }
  });

  it('polls alone while Redis hangs, and goes back to one poller once it answers', async () => {
    const own = await startRedis();
    try {
      const errors = await acrossAnOutage(
        own,
        () => own.pause(),
        () => own.resume(),
      );
      expect(errors.some((error) => /timed out/i.test(String(error)))).toBe(true);
    } finally {
      own.resume();
      await own.stop();
    }
  });
});

const pollersOf = (replicas: LiveHub[]): number => replicas.reduce((sum, hub) => sum + hub.stats().pollers, 0);
