/**
 * Two gateway processes on one real Redis, as replicas behind a load balancer: subscribers on both
 * (SSE and WebSocket) to one (token, run) cost one poller's worth of upstream calls, every one of
 * them hears every change, the other replica takes over when the polling one is killed, and
 * nothing in Redis names the token.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maxInFlight, startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { endOf, EXECUTION_STARTED, EXECUTION_UPDATED, statusesOf, until, watch, type RunEvent, type StartedEvent, type Watch } from '../support/live.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { courseOf, expectCourse } from '../support/replicas.js';

const INTERVAL_MS = 250;
/** Longer than a lease (three intervals). */
const FROZEN_MS = 2_000;
const authorization = bearer(DEMO_TOKENS.acme);
let redis: RedisProcess;
let simulator: Simulator;
let workflowId: string;
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  redis = await startRedis();
  simulator = await startSimulator({ stepMs: 600 });
  workflowId = simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  await simulator.close();
  await redis.stop();
});

async function replicas(): Promise<[GatewayProcess, GatewayProcess]> {
  const env = {
    ALTOSTRAT_API_URL: simulator.url,
    REDIS_URL: redis.url,
    CURSOR_SECRET: 'replicas-test-cursor-secret-0123456789abcdef',
    LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS),
  };
  const both = await Promise.all([spawnGateway(env), spawnGateway(env)]);
  for (const gateway of both) cleanup.push(() => gateway.kill());
  return both;
}

async function execute(url: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query: `mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } } }` }),
  });
  return ((await response.json())).data.executeWorkflow.execution.id as string;
}

const opened = <T>(watches: Array<Watch<T>>) => {
  cleanup.push(() => Promise.all(watches.map((w) => w.close())));
  return watches;
};

/** Like `until`, for a check that needs a request: every 50 ms, failing after 15 s. */
async function untilAsync(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const runCalls = (id: string) => simulator.calls.filter((c) => c.method === 'GET' && c.path === `/workflows/runs/${id}`);
const fingerprints = (w: Watch<RunEvent>) => w.events.map((e) => `${e.executionUpdated.status}|${e.executionUpdated.logs.length}`);

describe('two replicas on one Redis', () => {
  it('poll once for subscribers on both, and every subscriber hears every change from when it joined', async () => {
    const [a, b] = await replicas();
    const id = await execute(a.url);
    const watches = opened([
      watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
    ]);
    for (const w of watches) expect(await endOf(w, 30_000)).toEqual({ kind: 'complete' });

    const calls = runCalls(id);
    expect(maxInFlight(calls)).toBe(1);
    const window = calls.at(-1)!.startedAt - calls[0]!.startedAt;
    expect(calls.length).toBeLessThanOrEqual(window / INTERVAL_MS + 2);

    // The whole course from the first subscriber; every other one, from the moment it joined.
    const course = watches.map(fingerprints).reduce((longest, f) => (f.length > longest.length ? f : longest));
    expect(statusesOf(watches[0]!.events).length).toBeGreaterThanOrEqual(2);
    const names = ['SSE on A', 'WebSocket on B', 'WebSocket on A', 'SSE on B'];
    for (const [i, w] of watches.entries()) {
      expect(w.codes).toEqual([]);
      const logs = `A said:\n${a.output()}\nB said:\n${b.output()}`;
      expect(fingerprints(w), `${names[i]} heard ${fingerprints(w).join(', ')} of ${course.join(', ')}\n${logs}`).toEqual(course.slice(course.length - w.events.length));
    }
    const truth = simulator.runsOf(workflowId).find((r) => r.id === id)!;
    expect(course.at(-1)).toBe(`${truth.status.toUpperCase()}|${truth.logs.length}`);
  });

  it('carry on when the polling replica is killed: the other takes over and its subscribers hear the run to its end', async () => {
    const [a, b] = await replicas();
    const id = await execute(a.url);
    // A subscribes first and so holds the lease; B only listens.
    const onA = opened([watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } })])[0]!;
    await until(() => onA.events.length > 0, 'the first event on A');
    const onB = opened([
      watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
    ]);
    await until(() => onB.every((w) => w.events.length > 0), 'the first event on B');
    const before = statusesOf(onB[0]!.events).at(-1);
    expect(['PENDING', 'RUNNING']).toContain(before); // the run is still going when A dies

    a.child.kill('SIGKILL');
    await a.exited;
    const killedAt = performance.now();
    for (const w of onB) expect(await endOf(w, 30_000)).toEqual({ kind: 'complete' });

    const truth = simulator.runsOf(workflowId).find((r) => r.id === id)!;
    for (const w of onB) {
      expect(w.codes).toEqual([]);
      expect(fingerprints(w).at(-1)).toBe(`${truth.status.toUpperCase()}|${truth.logs.length}`);
    }
    // B polled after A died, one call at a time.
    const after = runCalls(id).filter((c) => c.startedAt > killedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(maxInFlight(after)).toBe(1);
  });

  it('never poll twice at once when the polling replica freezes and comes back: every subscriber hears the run in order, each state once', async () => {
    const [a, b] = await replicas();
    const id = await execute(a.url);
    const onA = opened([watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } })])[0]!;
    await until(() => onA.events.length > 0, 'the first event on A');
    const onB = opened([watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } })])[0]!;
    await until(() => onB.events.length > 0, 'the first event on B');

    // A stops for longer than its lease: B takes over; then A wakes up believing it still polls.
    // A state that comes and goes before B's takeover (the lease, three intervals) is excused.
    const since = Date.now() + 4 * INTERVAL_MS;
    a.child.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, FROZEN_MS));
    a.child.kill('SIGCONT');

    const course = () => courseOf(simulator, workflowId, id);
    for (const [name, w] of [['B', onB], ['A', onA]] as const) await expectCourse(w, course, `the subscriber on ${name}`, since);
    expect(maxInFlight(runCalls(id))).toBe(1);
  });

  it('send each new run once to executionStarted subscribers on both, and carry the baseline over a takeover', async () => {
    const [a, b] = await replicas();
    const path = `/workflows/${workflowId}/executions`;
    const since = performance.now();
    const onA = opened([watch<StartedEvent>('ws', a.url, EXECUTION_STARTED, { authorization, variables: { workflowId } })])[0]!;
    await until(() => simulator.calls.some((c) => c.path === path && c.startedAt > since && c.endedAt !== undefined), 'the baseline poll');
    const onB = opened([
      watch<StartedEvent>('sse', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }),
      watch<StartedEvent>('ws', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }),
    ]);
    // Runs that start before B's subscribers are in are rightly not theirs: wait until B holds
    // both, then a few intervals more for its topic to listen on Redis.
    await untilAsync(async () => /^live_subscriptions 2$/m.test(await (await fetch(b.metricsUrl)).text()), 'both subscribers on B');
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 3));
    const first = simulator.insertRuns(workflowId, 4).map((r) => r.id).reverse();
    const ids = (w: Watch<StartedEvent>) => w.events.map((e) => e.executionStarted.id);
    await until(() => [onA, ...onB].every((w) => w.events.length >= 4), 'four runs everywhere');

    a.child.kill('SIGKILL');
    await a.exited;
    const second = simulator.insertRuns(workflowId, 3).map((r) => r.id).reverse();
    await until(() => onB.every((w) => w.events.length >= 7), 'three more runs on B', 20_000);
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 3));
    expect(ids(onA)).toEqual(first);
    for (const w of onB) expect(ids(w)).toEqual([...first, ...second]);
  });

  it('keep the token out of every Redis key, channel and command', async () => {
    const monitor = new Redis(redis.url);
    const inspector = new Redis(redis.url);
    cleanup.push(() => inspector.quit(), () => monitor.quit());
    const commands: string[] = [];
    const feed = await monitor.monitor();
    feed.on('monitor', (_time: string, args: string[]) => commands.push(args.join(' ')));
    cleanup.push(() => feed.disconnect());

    const [a, b] = await replicas();
    simulator.configure({ stepMs: 60_000 }); // the run stays PENDING while Redis is inspected
    cleanup.push(() => simulator.configure({ stepMs: 600 }));
    const id = await execute(a.url);
    opened([
      watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch('ws', a.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }),
      watch('sse', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }),
    ]);
    await until(() => runCalls(id).length >= 3, 'three polls');

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
