/**
 * Two gateway processes on one real Redis, as replicas behind a load balancer: subscribers on both
 * (SSE and WebSocket) to one (token, run) cost one poller's worth of upstream calls, every one of
 * them hears every change, the other replica takes over when the polling one is killed, and
 * nothing in Redis names the token.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { maxInFlight } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { endOf, EXECUTION_STARTED, EXECUTION_UPDATED, statusesOf, watch, type RunEvent, type StartedEvent, type Watch } from '../support/live.js';
import { courseOf, CURSOR_SECRET, expectCourse, INTERVAL_MS, metricsOf, replicaWorld, runReads, startRun, statesHeard, STEP_MS } from '../support/replicas.js';
import { until } from '../support/wait.js';

/** Longer than a lease (three intervals). */
const FROZEN_MS = 2_000;
const authorization = bearer(DEMO_TOKENS.acme);
const world = replicaWorld();

const opened = <T>(watches: Array<Watch<T>>) => {
  world.cleanup.push(() => Promise.all(watches.map((w) => w.close())));
  return watches;
};

describe('two replicas on one Redis', () => {
  it('poll once for subscribers on both, and every subscriber hears every change from when it joined', async () => {
    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
    const id = await startRun(a.url, authorization, world.workflowId);
    const watches = opened([
      watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
    ]);
    for (const w of watches) expect(await endOf(w, 30_000)).toEqual({ kind: 'complete' });

    const calls = runReads(world.simulator, id);
    expect(maxInFlight(calls)).toBe(1);
    const window = calls.at(-1)!.startedAt - calls[0]!.startedAt;
    expect(calls.length).toBeLessThanOrEqual(window / INTERVAL_MS + 2);

    // The whole course from the first subscriber; every other one, from the moment it joined.
    const course = watches.map(statesHeard).reduce((longest, f) => (f.length > longest.length ? f : longest));
    expect(statusesOf(watches[0]!.events).length).toBeGreaterThanOrEqual(2);
    const names = ['SSE on A', 'WebSocket on B', 'WebSocket on A', 'SSE on B'];
    for (const [i, w] of watches.entries()) {
      expect(w.codes).toEqual([]);
      const logs = `A said:\n${a.output()}\nB said:\n${b.output()}`;
      expect(statesHeard(w), `${names[i]} heard ${statesHeard(w).join(', ')} of ${course.join(', ')}\n${logs}`).toEqual(course.slice(course.length - w.events.length));
    }
    const truth = world.simulator.runsOf(world.workflowId).find((r) => r.id === id)!;
    expect(course.at(-1)).toBe(`${truth.status.toUpperCase()}|${truth.logs.length}`);
  });

  it('carry on when the polling replica is killed: the other takes over and its subscribers hear the run to its end', async () => {
    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
    const id = await startRun(a.url, authorization, world.workflowId);
    // A subscribes first and so holds the lease; B only listens.
    const onA = opened([watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } })])[0]!;
    await until('the first event on A', () => onA.events.length > 0);
    const onB = opened([
      watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
    ]);
    await until('the first event on B', () => onB.every((w) => w.events.length > 0));
    const before = statusesOf(onB[0]!.events).at(-1);
    expect(['PENDING', 'RUNNING']).toContain(before); // the run is still going when A dies

    a.child.kill('SIGKILL');
    await a.exited;
    const killedAt = performance.now();
    for (const w of onB) expect(await endOf(w, 30_000)).toEqual({ kind: 'complete' });

    const truth = world.simulator.runsOf(world.workflowId).find((r) => r.id === id)!;
    for (const w of onB) {
      expect(w.codes).toEqual([]);
      expect(statesHeard(w).at(-1)).toBe(`${truth.status.toUpperCase()}|${truth.logs.length}`);
    }
    // B polled after A died, one call at a time.
    const after = runReads(world.simulator, id).filter((c) => c.startedAt > killedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(maxInFlight(after)).toBe(1);
  });

  it('never poll twice at once when the polling replica freezes and comes back: every subscriber hears the run in order, each state once', async () => {
    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
    const id = await startRun(a.url, authorization, world.workflowId);
    const onA = opened([watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } })])[0]!;
    await until('the first event on A', () => onA.events.length > 0);
    const onB = opened([watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } })])[0]!;
    await until('the first event on B', () => onB.events.length > 0);

    // A stops for longer than its lease: B takes over; then A wakes up believing it still polls.
    // A state that comes and goes before B's takeover (the lease, three intervals) is excused.
    const since = Date.now() + 4 * INTERVAL_MS;
    a.child.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, FROZEN_MS));
    a.child.kill('SIGCONT');

    const course = () => courseOf(world.simulator, world.workflowId, id);
    for (const [name, w] of [['B', onB], ['A', onA]] as const) await expectCourse(w, course, `the subscriber on ${name}`, since);
    expect(maxInFlight(runReads(world.simulator, id))).toBe(1);
  });

  it('send each new run once to executionStarted subscribers on both, and carry the baseline over a takeover', async () => {
    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
    const path = `/workflows/${world.workflowId}/executions`;
    const since = performance.now();
    const onA = opened([watch<StartedEvent>('ws', a.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } })])[0]!;
    await until('the baseline poll', () => world.simulator.calls.some((c) => c.path === path && c.startedAt > since && c.endedAt !== undefined));
    const onB = opened([
      watch<StartedEvent>('sse', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }),
      watch<StartedEvent>('ws', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }),
    ]);
    // Runs that start before B's subscribers are in are rightly not theirs: wait until B holds
    // both, then a few intervals more for its topic to listen on Redis.
    await until('both subscribers on B', async () => /^live_subscriptions 2$/m.test(await metricsOf(b)), { timeoutMs: 20_000, everyMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 3));
    const first = world.simulator.insertRuns(world.workflowId, 4).map((r) => r.id).reverse();
    const ids = (w: Watch<StartedEvent>) => w.events.map((e) => e.executionStarted.id);
    await until('four runs everywhere', () => [onA, ...onB].every((w) => w.events.length >= 4));

    a.child.kill('SIGKILL');
    await a.exited;
    const second = world.simulator.insertRuns(world.workflowId, 3).map((r) => r.id).reverse();
    await until('three more runs on B', () => onB.every((w) => w.events.length >= 7), { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 3));
    expect(ids(onA)).toEqual(first);
    for (const w of onB) expect(ids(w)).toEqual([...first, ...second]);
  });

  it('keep the token out of every Redis key, channel and command', async () => {
    // ioredis takes a command seen in the same read as MONITOR's own reply for a reply, and fails:
    // so no other client may be talking to Redis while the feed starts. monitor() opens a
    // connection of its own, and the client it is called on never connects (lazyConnect).
    const commands: string[] = [];
    const feed = await new Redis(world.redis.url, { lazyConnect: true }).monitor();
    feed.on('monitor', (_time: string, args: string[]) => commands.push(args.join(' ')));
    world.cleanup.push(() => feed.disconnect());
    const inspector = new Redis(world.redis.url);
    world.cleanup.push(() => inspector.quit());

    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
    world.simulator.configure({ stepMs: 60_000 }); // the run stays PENDING while Redis is inspected
    world.cleanup.push(() => world.simulator.configure({ stepMs: STEP_MS }));
    const id = await startRun(a.url, authorization, world.workflowId);
    opened([
      watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch('ws', a.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }),
      watch('sse', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }),
    ]);
    await until('three polls', () => runReads(world.simulator, id).length >= 3);

    const keys = await inspector.keys('*');
    const channels = (await inspector.pubsub('CHANNELS', '*')) as string[];
    const values = await Promise.all(keys.map((key) => inspector.get(key).catch(() => '')));
    expect(keys.length).toBeGreaterThan(0);
    expect(channels.length).toBeGreaterThan(0);
    expect(commands.length).toBeGreaterThan(0);
    // The whole token, and its signature alone, which is what makes it a credential.
    const signature = DEMO_TOKENS.acme.split('.').at(-1)!;
    for (const text of [...keys, ...channels, ...values.map(String), ...commands]) {
      expect(text).not.toContain(DEMO_TOKENS.acme);
      expect(text).not.toContain(signature);
    }
  });
});
