/**
 * The hub in one process (no Redis): sharing, stopping, completion, errors, backoff, limits,
 * replay and shutdown, with fake sources and a short interval.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createLiveHub, LiveEnd, LiveLimitError, type Json, type LiveHub, type LiveHubOptions } from './index.js';
import { backoffMs } from './poller.js';
import { counting, drain, PollLog, take } from './testing.js';
import { until } from '../../test/support/wait.js';

const INTERVAL = 20;
const hubs: LiveHub[] = [];

function hub(options: Partial<LiveHubOptions> = {}): LiveHub {
  const created = createLiveHub({ intervalMs: INTERVAL, maxPerToken: 20, maxTotal: 1000, secret: 'test-secret', ...options });
  hubs.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

describe('one poller per token and resource', () => {
  it('gives five subscribers of one token and resource one source and the same events, polling at most once per interval', async () => {
    const log = new PollLog();
    const live = hub();
    const streams = Array.from({ length: 5 }, () =>
      live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('a', counting()) }),
    );
    const seen = await Promise.all(streams.map((s) => take(s, 5)));

    for (const events of seen) expect(events.map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
    expect(log.made).toEqual(['a']);
    expect(live.stats()).toMatchObject({ subscriptions: 5, topics: 1, pollers: 1 });
    const starts = log.polls.map((p) => p.startedAt);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(INTERVAL - 2);
  });

  it('never has two polls in flight when a poll outlasts the interval', async () => {
    const log = new PollLog();
    const live = hub();
    const streams = Array.from({ length: 3 }, () =>
      live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('a', counting(), 3 * INTERVAL) }),
    );
    await Promise.all(streams.map((s) => take(s, 4)));

    expect(log.maxInFlight).toBe(1);
    const starts = log.polls.map((p) => p.startedAt);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(3 * INTERVAL - 2);
  });

  it('never lets two tokens on the same resource share a poller, a poll or an event', async () => {
    const log = new PollLog();
    const live = hub();
    const a = live.subscribe({ token: 'tok-a', resource: 'workflow:1', makeSource: log.source('a', counting('a')) });
    const b = live.subscribe({ token: 'tok-b', resource: 'workflow:1', makeSource: log.source('b', counting('b')) });
    const [fromA, fromB] = await Promise.all([take(a, 3), take(b, 3)]);

    expect(fromA.map((e) => e.tag)).toEqual(['a', 'a', 'a']);
    expect(fromB.map((e) => e.tag)).toEqual(['b', 'b', 'b']);
    expect(log.made.sort()).toEqual(['a', 'b']);
    expect(live.stats()).toMatchObject({ subscriptions: 2, topics: 2, pollers: 2 });
  });
});

describe('subscribers who leave and come back over and over', () => {
  it('keep the topic to one poll per interval, though each time it stops and starts again', async () => {
    const log = new PollLog();
    const live = hub();
    for (let i = 0; i < 20; i++) {
      const stream = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('a', counting()) });
      await sleep(INTERVAL / 5);
      await stream.return!();
    }
    const starts = log.polls.map((p) => p.startedAt);
    expect(starts.length).toBeGreaterThan(1);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(INTERVAL - 2);
  });

  it('keep the backoff of a failing topic, however often they come back', async () => {
    const log = new PollLog();
    // The most of each backoff: after the n-th failure in a row, the interval times 2^n.
    const live = hub({ random: () => 0.999, maxBackoffMs: 100 * INTERVAL });
    const failing = () => {
      throw new Error('the upstream answers 503');
    };
    for (let i = 0; i < 6; i++) {
      const polls = log.count();
      const stream = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('a', failing) });
      await until('a poll', () => log.count() > polls, { everyMs: 2 });
      await stream.return!();
    }
    const starts = log.polls.map((p) => p.startedAt);
    // The gap before the sixth poll is the fifth failure's backoff: 16 intervals.
    expect(starts[5]! - starts[4]!).toBeGreaterThanOrEqual(16 * INTERVAL * 0.99 - 2);
  });
});

describe('stopping', () => {
  it('stops the poller, aborting its poll, once the last subscriber has returned or aborted', async () => {
    const log = new PollLog();
    const live = hub();
    // Two quick polls, then polls that last until they are aborted.
    const make = log.source('a', counting(), (index) => (index < 2 ? 0 : 1_000 * INTERVAL));
    const first = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: make });
    const controller = new AbortController();
    const second = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: make, signal: controller.signal });
    await Promise.all([take(first, 2), take(second, 2)]);

    await first.return!();
    const pollsWithOne = log.count();
    await until('the poller to keep polling for the remaining subscriber', () => log.count() > pollsWithOne);

    const pending = second.next();
    controller.abort();
    const inFlight = log.polls.filter((p) => !p.settled);
    expect(inFlight).toHaveLength(1);
    expect(inFlight[0]!.signal.aborted).toBe(true);
    expect(await pending).toEqual({ value: undefined, done: true });
    const pollsAtLeave = log.count();
    await sleep(5 * INTERVAL);
    expect(log.count()).toBe(pollsAtLeave);
    expect(live.stats()).toMatchObject({ subscriptions: 0, topics: 0, pollers: 0 });
  });

  it('gives a subscriber whose signal already aborted an ended stream, and polls nothing for it', async () => {
    const log = new PollLog();
    const live = hub();
    const stream = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('a', counting()), signal: AbortSignal.abort() });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(log.made).toEqual([]);
    expect(live.stats()).toMatchObject({ subscriptions: 0, topics: 0, pollers: 0 });
  });

  it('starts a poller for a subscriber who comes after the last one left: from where the last one was within its rest, afresh after', async () => {
    const log = new PollLog();
    const live = hub();
    const first = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('a', counting()) });
    await take(first, 2);
    await first.return!();
    const soon = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('b', counting()) });
    expect((await take(soon, 1))[0]!.n).toBe(3);
    await soon.return!();
    await sleep(2 * INTERVAL);
    const later = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('c', counting()) });
    expect((await take(later, 1))[0]!.n).toBe(1);
    expect(log.made).toEqual(['a', 'b', 'c']);
  });
});

describe('the end of a topic', () => {
  it('publishes the events of a done poll, then completes every subscriber and stops polling', async () => {
    const log = new PollLog();
    const latencies: number[] = [];
    const live = hub({ metrics: { poll: () => {}, eventLatency: (ms) => latencies.push(ms) } });
    const script = [{ events: ['queued'], state: 1 }, { events: ['running', 'completed'], state: 2, done: true }];
    const make = log.source('a', (_state, index) => script[index]!);
    const streams = [1, 2].map(() => live.subscribe<string>({ token: 'tok-a', resource: 'run:1', makeSource: make }));

    for (const stream of streams) expect(await drain(stream)).toEqual({ events: ['queued', 'running', 'completed'] });
    await sleep(3 * INTERVAL);
    expect(log.count()).toBe(2);
    expect(live.stats()).toMatchObject({ subscriptions: 0, topics: 0, pollers: 0 });
    expect(latencies).toHaveLength(2); // once per poll that found events, not per subscriber or event
    for (const ms of latencies) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('ends every subscriber with the LiveEnd a poll throws, after the events before it', async () => {
    const log = new PollLog();
    const live = hub();
    const make = log.source('a', (_state, index) => {
      if (index === 0) return { events: ['queued'], state: 1 };
      throw new LiveEnd('NOT_FOUND', 'No execution has id run:1');
    });
    const streams = [1, 2].map(() => live.subscribe<string>({ token: 'tok-a', resource: 'run:1', makeSource: make }));

    for (const stream of streams) {
      const { events, error } = await drain(stream);
      expect(events).toEqual(['queued']);
      expect(error).toBeInstanceOf(LiveEnd);
      expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'No execution has id run:1' });
      expect(await stream.next()).toEqual({ value: undefined, done: true });
    }
    await sleep(3 * INTERVAL);
    expect(log.count()).toBe(2);
  });
});

describe('transient failures', () => {
  it('retries with a doubling delay, never sooner than the interval, reports the first failure once, and keeps streams open', async () => {
    const log = new PollLog();
    const outcomes: string[] = [];
    const errors: unknown[] = [];
    const live = hub({
      random: () => 1, // the top of the jitter range: delays of exactly 1, 2, 4 intervals
      maxBackoffMs: 100 * INTERVAL,
      metrics: { poll: (outcome) => outcomes.push(outcome) },
      onError: (error) => errors.push(error),
    });
    const make = log.source('a', (_state, index) => {
      if (index < 3) throw new Error(`upstream 503 #${index}`);
      return { events: ['back'], state: index };
    });
    const stream = live.subscribe<string>({ token: 'tok-a', resource: 'run:1', makeSource: make });

    expect(await take(stream, 1)).toEqual(['back']);
    const starts = log.polls.map((p) => p.startedAt);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(INTERVAL - 2);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * INTERVAL - 2);
    expect(gaps[2]).toBeGreaterThanOrEqual(4 * INTERVAL - 2);
    expect(outcomes.slice(0, 4)).toEqual(['transient', 'transient', 'transient', 'ok']);
    expect(errors).toEqual([new Error('upstream 503 #0')]);
    expect(live.stats().subscriptions).toBe(1);
  });

  it('treats a result JSON cannot hold as a transient failure, publishing nothing of it', async () => {
    const log = new PollLog();
    const errors: unknown[] = [];
    const live = hub({ onError: (error) => errors.push(error) });
    const make = log.source('a', (_state, index) => ({ events: [index], state: index < 2 ? (BigInt(index) as never) : index }));
    const stream = live.subscribe<number>({ token: 'tok-a', resource: 'run:1', makeSource: make });
    expect(await take(stream, 1)).toEqual([2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TypeError);
  });

  it('computes a capped, jittered backoff that never drops below the interval', () => {
    expect(backoffMs(0, 100, 30_000, () => 0)).toBe(100);
    expect(backoffMs(1, 100, 30_000, () => 0)).toBe(100);
    expect(backoffMs(3, 100, 30_000, () => 0)).toBe(400);
    expect(backoffMs(3, 100, 30_000, () => 1)).toBe(800);
    expect(backoffMs(50, 100, 30_000, () => 1)).toBe(30_000);
    expect(backoffMs(50, 100, 30_000, () => 0)).toBe(15_000);
  });
});

describe('limits', () => {
  it('refuses the subscription over a token limit or the process limit before any poll, and frees places as streams end', async () => {
    const log = new PollLog();
    const live = hub({ maxPerToken: 2, maxTotal: 3 });
    const a1 = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('a1', counting()) });
    live.subscribe({ token: 'tok-a', resource: 'run:2', makeSource: log.source('a2', counting()) });

    const overToken = (): unknown => live.subscribe({ token: 'tok-a', resource: 'run:3', makeSource: log.source('a3', counting()) });
    expect(overToken).toThrow(LiveLimitError);
    expect(overToken).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));

    live.subscribe({ token: 'tok-b', resource: 'run:1', makeSource: log.source('b1', counting()) });
    const overTotal = (): unknown => live.subscribe({ token: 'tok-c', resource: 'run:1', makeSource: log.source('c1', counting()) });
    expect(overTotal).toThrow(LiveLimitError);

    await until('the accepted subscriptions to poll', () => log.made.length === 3);
    await sleep(2 * INTERVAL);
    expect(log.made.sort()).toEqual(['a1', 'a2', 'b1']);
    expect(live.stats().subscriptions).toBe(3);

    await a1.return!();
    const a3 = live.subscribe({ token: 'tok-a', resource: 'run:3', makeSource: log.source('a3', counting()) });
    expect((await take(a3, 1))[0]!.n).toBe(1);
  });
});

describe('replay', () => {
  it('starts a replayLast subscriber who comes back to a topic that stopped meanwhile with its last event, at once, and sends no change twice', async () => {
    const log = new PollLog();
    const live = hub();
    // The run changes once, at the first poll of a poller with no state; then it stays as it is.
    const make = log.source('a', (state) => ({ events: state === undefined ? ['running'] : [], state: 'running' }));
    const first = live.subscribe<string>({ token: 'tok-a', resource: 'run:1', makeSource: make, replayLast: true, events: 'states' });
    expect(await take(first, 1)).toEqual(['running']);
    await first.return!();
    const back = live.subscribe<string>({ token: 'tok-a', resource: 'run:1', makeSource: make, replayLast: true, events: 'states' });
    expect(await take(back, 1)).toEqual(['running']);
    expect(log.count()).toBe(1); // replayed, not polled
    // The new poller starts with no state, so its first poll reports the run again: the same state.
    await until('the new poller’s first poll', () => log.polls.length === 2 && log.polls[1]!.settled);
    const next = back.next();
    expect(await Promise.race([next, sleep(3 * INTERVAL).then(() => 'nothing')])).toBe('nothing');
    await back.return!();
  });

  it('gives a subscriber who comes back within the rest the run at once, though its kept message was pushed out', async () => {
    const live = hub({ intervalMs: 300 });
    // Runs of 1.5 million characters: each kept message takes 3 MB of the 8 MiB kept in all.
    const run = (n: number) => `${n}`.padEnd(1_500_000, 'x');
    const watch = (n: number) => ({
      token: 'tok-a',
      resource: `run:${n}`,
      replayLast: true,
      events: 'states' as const,
      makeSource: () => ({ poll: (state: Json | undefined) => Promise.resolve({ events: state === run(n) ? [] : [run(n)], state: run(n) }) }),
    });
    const first = live.subscribe<string>(watch(0));
    await take(first, 1);
    await first.return!();
    for (const n of [1, 2]) await take(live.subscribe<string>(watch(n)), 1);
    const back = live.subscribe<string>(watch(0));
    expect((await take(back, 1))[0]!.startsWith('0x')).toBe(true);
  });

  it('starts a replayLast subscriber with the last event published, and others with the next one', async () => {
    const log = new PollLog();
    const live = hub();
    // One event at the first poll and at the tenth, none in between.
    const make = log.source('a', (_state, index) => ({ events: index === 0 || index === 9 ? [`event ${index}`] : [], state: index }));
    const first = live.subscribe<string>({ token: 'tok-a', resource: 'run:1', makeSource: make });
    expect(await take(first, 1)).toEqual(['event 0']);

    const replayed = live.subscribe<string>({ token: 'tok-a', resource: 'run:1', makeSource: make, replayLast: true });
    const plain = live.subscribe<string>({ token: 'tok-a', resource: 'run:1', makeSource: make });
    expect(await take(replayed, 2)).toEqual(['event 0', 'event 9']);
    expect(await take(plain, 1)).toEqual(['event 9']);
  });

  it('passes events and state through JSON, as Redis would', async () => {
    const log = new PollLog();
    const live = hub();
    const at = new Date('2026-01-02T03:04:05.000Z');
    const make = log.source('a', (_state, index) => ({ events: [{ at, index } as never], state: { at } as never }));
    const stream = live.subscribe<{ at: unknown }>({ token: 'tok-a', resource: 'run:1', makeSource: make });
    expect(await take(stream, 2)).toEqual([
      { at: at.toISOString(), index: 0 },
      { at: at.toISOString(), index: 1 },
    ]);
    expect(log.polls[1]!.state).toEqual({ at: at.toISOString() });
  });
});

describe('close', () => {
  it('completes every open stream, aborts polls in flight and leaves no timer behind', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const log = new PollLog();
    const live = createLiveHub({ intervalMs: INTERVAL, maxPerToken: 20, maxTotal: 1000, secret: 's' });
    const streams = ['run:1', 'run:2', 'run:3'].map((resource) =>
      live.subscribe({ token: 'tok-a', resource, makeSource: log.source(resource, counting(), 10 * INTERVAL) }),
    );
    await until('a poll in flight on every topic', () => log.inFlight === 3);
    const pending = streams.map((s) => s.next());

    await live.close();
    for (const next of await Promise.all(pending)) expect(next).toEqual({ value: undefined, done: true });
    expect(log.polls.every((p) => p.signal.aborted)).toBe(true);
    expect(live.stats()).toMatchObject({ subscriptions: 0, topics: 0, pollers: 0 });
    await until('the aborted polls to settle', () => log.inFlight === 0);
    expect(timers()).toBe(before);

    const late = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('late', counting()) });
    expect(await late.next()).toEqual({ value: undefined, done: true });
    expect(log.made).not.toContain('late');
  });
});

describe('what an operator reads', () => {
  it('tells a quiet topic from a stuck poll: the stalest poll stays under an interval, then grows while a poll hangs', async () => {
    const log = new PollLog();
    const live = hub();
    let stuck = false;
    const quietOrStuck = () => (stuck ? new Promise<never>(() => {}) : { events: [], state: 'same' });
    const stream = live.subscribe({ token: 'tok-a', resource: 'run:1', makeSource: log.source('a', quietOrStuck) });
    await until('three quiet polls', () => log.count('a') >= 3);
    expect(live.stats().stalestPollAgeMs).toBeLessThan(8 * INTERVAL);
    // The newest message (the baseline's, with no events) ages while the topic is quiet, as it would while stuck.
    expect(live.stats().newestEventAgeMs).toBeGreaterThan(INTERVAL);
    stuck = true;
    // A quiet topic's stalest poll stays under eight intervals (above); a stuck one's grows past ten.
    await until('the stuck poll’s age to grow', () => live.stats().stalestPollAgeMs >= 10 * INTERVAL, { timeoutMs: 5_000 });
    await stream.return?.();
  });
});
