/**
 * Gateway replicas as processes in front of one simulator, and the truth their subscribers are
 * held to. A run of the simulator goes PENDING, RUNNING, then one log entry per step, then
 * COMPLETED or FAILED, one step every `stepMs`; with polls more often than that, a subscriber
 * hears every state from the one it joined at, in order, once, then the stream completes.
 * replicaWorld() sets up a test file's Redis, simulator and cleanup.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { DEMO_TOKENS } from '../../src/demo/seed.js';
import { maxInFlight, startSimulator, type RecordedCall, type Simulator, type SimulatorOptions } from '../../src/demo/simulator.js';
import { endOf, type RunEvent, type StartedEvent, type Watch } from './live.js';
import { spawnGateway, type GatewayProcess } from './process.js';
import { startRedis, type RedisOptions, type RedisProcess } from './redis.js';
import { until } from './wait.js';

export const INTERVAL_MS = 250;
/** Long enough that each state of a run lasts over two poll intervals. */
export const STEP_MS = 600;

/** The key the replicas name their shared topics with, when a test gives them one. */
export const CURSOR_SECRET = 'replicas-test-cursor-secret-0123456789abcdef';

export interface ReplicaWorld {
  /** The Redis the replicas share; a test may replace it (started again on its port). */
  redis: RedisProcess;
  simulator: Simulator;
  /** An active workflow of Acme's with at least five nodes: its runs last long enough to watch. */
  workflowId: string;
  /** Steps run after each test, the last pushed first. */
  cleanup: Array<() => unknown>;
  /**
   * Starts `count` gateway processes on the simulator, and on Redis unless the world has none,
   * with `env` on top; each is killed after the test.
   */
  startReplicas<N extends 1 | 2>(count: N, env?: Record<string, string>): Promise<Replicas<N>>;
  /** A subscription, closed after the test. */
  open<T>(watch: Watch<T>): Watch<T>;
  /** Starts `count` runs of `workflowId` in the simulator: their ids, in the order they started. */
  insertRuns(count: number): string[];
}

type Replicas<N extends 1 | 2> = N extends 1 ? [GatewayProcess] : [GatewayProcess, GatewayProcess];

export interface ReplicaWorldOptions {
  /** The redis-server to start; false starts none. */
  redis?: RedisOptions | false;
  /** On top of `stepMs: STEP_MS`. */
  simulator?: SimulatorOptions;
}

/**
 * Registers, in the file that calls it, a beforeAll that starts a redis-server and a simulator, an
 * afterEach that runs the cleanup steps, and an afterAll that stops both. The world's fields are
 * set once beforeAll has run.
 */
export function replicaWorld(options: ReplicaWorldOptions = {}): ReplicaWorld {
  const world = { cleanup: [] as Array<() => unknown> } as ReplicaWorld;
  world.startReplicas = async <N extends 1 | 2>(count: N, env: Record<string, string> = {}): Promise<Replicas<N>> => {
    const shared = { ALTOSTRAT_API_URL: world.simulator.url, ...(options.redis !== false && { REDIS_URL: world.redis.url }) };
    const replicas = await Promise.all(Array.from({ length: count }, () => spawnGateway({ LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS), ...shared, ...env })));
    for (const replica of replicas) world.cleanup.push(() => replica.kill());
    return replicas as Replicas<N>;
  };
  world.open = (watch) => {
    world.cleanup.push(() => watch.close());
    return watch;
  };
  world.insertRuns = (count) => world.simulator.insertRuns(world.workflowId, count).map((r) => r.id).reverse();
  beforeAll(async () => {
    if (options.redis !== false) world.redis = await startRedis(options.redis);
    world.simulator = await startSimulator({ stepMs: STEP_MS, ...options.simulator });
    world.workflowId = world.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
  });
  afterEach(async () => {
    for (const step of world.cleanup.splice(0).reverse()) await step();
  });
  afterAll(async () => {
    await world.simulator.close();
    if (options.redis !== false) await world.redis.stop();
  });
  return world;
}

/** How many topics have a poll's state stored (a topic taken and not polled yet holds an empty one). */
export async function storedStates(redis: Redis): Promise<number> {
  const keys = await redis.keys('*state:*');
  const values = keys.length === 0 ? [] : await redis.mget(keys);
  return values.filter((value) => value !== null && value !== '').length;
}

/** Starts a run of `workflowId` through the gateway at `url`; returns its id. */
export async function startRun(url: string, authorization: string, workflowId: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query: `mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } } }` }),
  });
  const body = (await response.json()) as { data?: { executeWorkflow: { execution: { id: string } } } };
  if (!body.data) throw new Error(`executeWorkflow failed: ${JSON.stringify(body)}`);
  return body.data.executeWorkflow.execution.id;
}

/** The simulator's reads of one run: what the pollers cost. */
export const runReads = (simulator: Simulator, id: string): RecordedCall[] =>
  simulator.calls.filter((c) => c.method === 'GET' && c.path === `/workflows/runs/${id}`);

export interface State {
  /** `STATUS|logs`, as statesHeard() reads an event. */
  name: string;
  /** When it began (ms since the epoch, the simulator's clock: this process's). */
  at: number;
}

/** Every state the run went through: PENDING|0, RUNNING|0, RUNNING|1, ... then its end. */
export function courseOf(simulator: Simulator, workflowId: string, id: string): State[] {
  const run = simulator.runsOf(workflowId).find((r) => r.id === id)!;
  expect(['completed', 'failed']).toContain(run.status);
  const started = Date.parse(run.started_at!);
  return [
    { name: 'PENDING|0', at: started },
    { name: 'RUNNING|0', at: started + STEP_MS },
    ...run.logs.map((log, n) => ({ name: `RUNNING|${n + 1}`, at: Date.parse(log.created_at) })),
    { name: `${run.status.toUpperCase()}|${run.logs.length}`, at: Date.parse(run.completed_at!) },
  ];
}

export const statesHeard = (w: Watch<RunEvent>): string[] => w.events.map((e) => `${e.executionUpdated.status}|${e.executionUpdated.logs.length}`);

/**
 * The subscriber completed without an error, having heard the run in order, each state once, up
 * to its end, and every state after the one it joined at that began after `since` (the end of a
 * fault and of the takeover it causes: a state that came and went within it may be missed).
 */
export async function expectCourse(w: Watch<RunEvent>, course: () => State[], what: string, since = -Infinity): Promise<void> {
  expect(await endOf(w, 30_000), `${what} ended`).toEqual({ kind: 'complete' });
  expect(w.codes, what).toEqual([]);
  const heard = statesHeard(w);
  const truth = course();
  const names = truth.map((state) => state.name);
  const story = `${what} heard ${heard.join(', ')} of ${names.join(', ')}`;
  const at = heard.map((name) => names.indexOf(name));
  expect(at.every((index, i) => index >= 0 && (i === 0 || index > at[i - 1]!)), `${story}: in order, once each`).toBe(true);
  expect(heard.at(-1), story).toBe(names.at(-1));
  const owed = truth.slice(at[0]! + 1).filter((state) => state.at >= since).map((state) => state.name);
  expect(owed.filter((name) => !heard.includes(name)), `${story}: none missing`).toEqual([]);
}

/** Reads of the run came one at a time, and about one per interval: one poller's worth. */
export function expectOnePoller(reads: RecordedCall[]): void {
  expect(reads.length).toBeGreaterThan(0);
  expect(maxInFlight(reads)).toBe(1);
  const window = reads.at(-1)!.startedAt - reads[0]!.startedAt;
  expect(reads.length).toBeLessThanOrEqual(window / INTERVAL_MS + 2);
}

/** The status of GET /ready on the replica's public port. */
export async function readiness(replica: GatewayProcess): Promise<number> {
  return (await fetch(replica.url.replace(/\/graphql$/, '/ready'))).status;
}

/** Waits until every replica answers `status` at /ready: 200 once it reaches its Redis, 503 once it finds it unreachable. */
export async function untilReadiness(what: string, status: 200 | 503, ...replicas: GatewayProcess[]): Promise<void> {
  await until(what, async () => (await Promise.all(replicas.map(readiness))).every((answer) => answer === status), { timeoutMs: 20_000, everyMs: 50 });
}

/** The ids of the runs an `executionStarted` subscriber heard, in order. */
export const startedIds = (w: Watch<StartedEvent>): string[] => w.events.map((e) => e.executionStarted.id);

/** The replica's /metrics, from the port it serves them on. */
export async function metricsOf(replica: GatewayProcess): Promise<string> {
  return (await fetch(replica.metricsUrl)).text();
}

