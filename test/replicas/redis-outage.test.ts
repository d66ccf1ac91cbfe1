/**
 * Redis dies mid-run (SIGKILL) and comes back empty on the same port: while it is gone each
 * replica polls its own subscriptions, those opened during the outage too, and answers 503 at
 * /ready; once it is back the deployment returns to one poller per run, and no subscriber missed
 * a state or a new run, or heard one twice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { startRedis, type RedisProcess } from '../support/redis.js';
import { EXECUTION_STARTED, EXECUTION_UPDATED, until, watch, type RunEvent, type StartedEvent, type Watch } from '../support/live.js';
import type { GatewayProcess } from '../support/process.js';
import { courseOf, expectCourse, expectOnePoller, get, INTERVAL_MS, runReads, startReplicas, startRun, STEP_MS, untilAsync } from '../support/replicas.js';

const authorization = bearer(DEMO_TOKENS.acme);
let redis: RedisProcess;
let simulator: Simulator;
let workflowId: string;
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  redis = await startRedis();
  simulator = await startSimulator({ stepMs: STEP_MS });
  workflowId = simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  await simulator.close();
  await redis.stop();
});

const readiness = async (replica: GatewayProcess): Promise<number> => (await get(replica, '/ready')).status;
const startedIds = (w: Watch<StartedEvent>): string[] => w.events.map((e) => e.executionStarted.id);
const inserted = (count: number): string[] => simulator.insertRuns(workflowId, count).map((r) => r.id).reverse();

describe('a Redis outage', () => {
  it('leaves no stream silent: each replica polls alone meanwhile, then one poller again, nothing lost or repeated', async () => {
    const [a, b] = await startReplicas(2, { ALTOSTRAT_API_URL: simulator.url, REDIS_URL: redis.url, CURSOR_SECRET: 'replicas-test-cursor-secret-0123456789abcdef' }, cleanup);
    await untilAsync(async () => (await readiness(a)) === 200 && (await readiness(b)) === 200, 'both replicas to reach Redis');
    const opened: Array<Watch<unknown>> = [];
    cleanup.push(() => Promise.all(opened.map((w) => w.close())));
    const open = <T>(w: Watch<T>): Watch<T> => (opened.push(w), w);

    const first = await startRun(a.url, authorization, workflowId);
    const before = [
      open(watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id: first } })),
      open(watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id: first } })),
    ];
    const startedBefore = open(watch<StartedEvent>('ws', a.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }));
    await until(() => before.every((w) => w.events.length > 0), 'the first state everywhere');
    await untilAsync(async () => /^live_subscriptions 2$/m.test(await (await get(a, '/metrics')).text()), 'both subscriptions on A');

    redis.kill();
    await untilAsync(async () => (await readiness(a)) === 503 && (await readiness(b)) === 503, 'both replicas to be unready');
    // From here each replica polls its own topics; a state that came and went before is excused.
    const since = Date.now() + INTERVAL_MS;

    const second = await startRun(b.url, authorization, workflowId);
    const during = [
      open(watch<RunEvent>('ws', a.url, EXECUTION_UPDATED, { authorization, variables: { id: second } })),
      open(watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id: second } })),
    ];
    const startedDuring = open(watch<StartedEvent>('sse', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }));
    await until(() => during.every((w) => w.events.length > 0), 'the first state of the second run everywhere');
    // Runs that start before the new executionStarted's first poll are rightly not its own.
    const baseline = simulator.calls.length;
    const listed = () => simulator.calls.slice(baseline).filter((c) => c.path === `/workflows/${workflowId}/executions` && c.endedAt !== undefined);
    await until(() => listed().length >= 2, 'two polls of the workflow’s runs');
    const runsDuring = inserted(2);
    await until(() => startedBefore.events.length >= 3 && startedDuring.events.length >= 2, 'the runs started during the outage');

    redis = await startRedis({ port: redis.port });
    await untilAsync(async () => (await readiness(a)) === 200 && (await readiness(b)) === 200, 'both replicas to be ready again');
    const backAt = performance.now();
    const runsAfter = inserted(2);

    const course = (id: string) => () => courseOf(simulator, workflowId, id);
    for (const [i, w] of before.entries()) await expectCourse(w, course(first), `subscriber ${i} of the first run`, since);
    for (const [i, w] of during.entries()) await expectCourse(w, course(second), `subscriber ${i} of the second run, opened during the outage`);
    await until(() => startedBefore.events.length >= 5 && startedDuring.events.length >= 4, 'the runs started after the outage');
    // The second run started after the first executionStarted subscribed, and before the other did.
    expect(startedIds(startedBefore)).toEqual([second, ...runsDuring, ...runsAfter]);
    expect(startedIds(startedDuring)).toEqual([...runsDuring, ...runsAfter]);
    for (const w of [startedBefore, startedDuring]) expect(w.isOpen()).toBe(true);

    // Once both replicas reached Redis again, and the one that stops polling alone had its next turn: one poller.
    expectOnePoller(runReads(simulator, second).filter((c) => c.startedAt > backAt + 2 * INTERVAL_MS));
    const metrics = (await get(a, '/metrics')).text();
    expect(await metrics).toMatch(/^live_coordination_events_total\{event="local_fallback"\} [1-9]/m);
    expect(await metrics).toMatch(/^live_coordination_events_total\{event="redis_reconnect"\} [1-9]/m);
  }, 90_000);
});
