/**
 * Redis dies mid-run (SIGKILL) and comes back empty on the same port: while it is gone each
 * replica polls its own subscriptions, those opened during the outage too, and answers 503 at
 * /ready; once it is back the deployment returns to one poller per run, and no subscriber missed
 * a state or a new run, or heard one twice.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { startRedis } from '../support/redis.js';
import { EXECUTION_STARTED, EXECUTION_UPDATED, watch, type RunEvent, type StartedEvent } from '../support/live.js';
import { courseOf, CURSOR_SECRET, storedStates, expectCourse, expectOnePoller, INTERVAL_MS, metricsOf, replicaWorld, runReads, startedIds, startRun, untilReadiness } from '../support/replicas.js';
import { until } from '../support/wait.js';

const authorization = bearer(DEMO_TOKENS.acme);
const world = replicaWorld();

describe('a Redis outage', () => {
  it('leaves no stream silent: each replica polls alone meanwhile, then one poller again, nothing lost or repeated', async () => {
    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
    await untilReadiness('both replicas to reach Redis', 200, a, b);

    const first = await startRun(a.url, authorization, world.workflowId);
    const before = [
      world.open(watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id: first } })),
      world.open(watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id: first } })),
    ];
    const startedBefore = world.open(watch<StartedEvent>('ws', a.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }));
    await until('the first state everywhere', () => before.every((w) => w.events.length > 0));
    await until('both subscriptions on A', async () => /^live_subscriptions 2$/m.test(await metricsOf(a)), { timeoutMs: 20_000, everyMs: 50 });
    // executionStarted's first poll is its baseline (a run started before it is not its own), so it
    // must be stored before Redis goes: taken along, it is polled again, after the second run began.
    const inspector = new Redis(world.redis.url);
    try {
      await until('both topics’ first polls stored', async () => (await storedStates(inspector)) === 2);
    } finally {
      inspector.disconnect();
    }

    world.redis.kill();
    await untilReadiness('both replicas to be unready', 503, a, b);
    // From here each replica polls its own topics; a state that came and went before is excused.
    const since = Date.now() + INTERVAL_MS;

    const second = await startRun(b.url, authorization, world.workflowId);
    const during = [
      world.open(watch<RunEvent>('ws', a.url, EXECUTION_UPDATED, { authorization, variables: { id: second } })),
      world.open(watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id: second } })),
    ];
    const startedDuring = world.open(watch<StartedEvent>('sse', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }));
    await until('the first state of the second run everywhere', () => during.every((w) => w.events.length > 0));
    // Runs that start before the new executionStarted's first poll are rightly not its own.
    const baseline = world.simulator.calls.length;
    const listed = () => world.simulator.calls.slice(baseline).filter((c) => c.path === `/workflows/${world.workflowId}/executions` && c.endedAt !== undefined);
    await until('two polls of the workflow’s runs', () => listed().length >= 2);
    const runsDuring = world.insertRuns(2);
    await until('the runs started during the outage', () => startedBefore.events.length >= 3 && startedDuring.events.length >= 2);

    world.redis = await startRedis({ port: world.redis.port });
    await untilReadiness('both replicas to be ready again', 200, a, b);
    const backAt = performance.now();
    const runsAfter = world.insertRuns(2);

    const course = (id: string) => () => courseOf(world.simulator, world.workflowId, id);
    for (const [i, w] of before.entries()) await expectCourse(w, course(first), `subscriber ${i} of the first run`, since);
    for (const [i, w] of during.entries()) await expectCourse(w, course(second), `subscriber ${i} of the second run, opened during the outage`);
    await until('the runs started after the outage', () => startedBefore.events.length >= 5 && startedDuring.events.length >= 4);
    // The second run started after the first executionStarted subscribed, and before the other did.
    expect(startedIds(startedBefore)).toEqual([second, ...runsDuring, ...runsAfter]);
    expect(startedIds(startedDuring)).toEqual([...runsDuring, ...runsAfter]);
    for (const w of [startedBefore, startedDuring]) expect(w.isOpen()).toBe(true);

    // Once both replicas reached Redis again, and the one that stops polling alone had its next turn: one poller.
    expectOnePoller(runReads(world.simulator, second).filter((c) => c.startedAt > backAt + 2 * INTERVAL_MS));
    const metrics = await metricsOf(a);
    expect(metrics).toMatch(/^live_coordination_events_total\{event="local_fallback"\} [1-9]/m);
    expect(metrics).toMatch(/^live_coordination_events_total\{event="redis_reconnect"\} [1-9]/m);
  }, 90_000);
});
