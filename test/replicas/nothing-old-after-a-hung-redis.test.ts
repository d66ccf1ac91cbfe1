/**
 * Redis hangs (SIGSTOP) with its data kept, then resumes: the replicas find it unreachable by
 * commands that go unanswered, poll their own topics meanwhile, and go back to one poller. A
 * subscription opened during the hang starts a topic that Redis still holds messages of, from
 * before: none of them reaches it, neither an older state of the run nor a run that started
 * before it subscribed.
 */
import { describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { EXECUTION_STARTED, EXECUTION_UPDATED, watch, type RunEvent, type StartedEvent } from '../support/live.js';
import { courseOf, CURSOR_SECRET, expectCourse, expectOnePoller, INTERVAL_MS, replicaWorld, runReads, startedIds, startRun, untilReadiness } from '../support/replicas.js';
import { until } from '../support/wait.js';

const authorization = bearer(DEMO_TOKENS.acme);
const world = replicaWorld();

describe('after a hung Redis', () => {
  it('a subscription opened during the hang hears nothing older than its start, and every stream goes on in order', async () => {
    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
    await untilReadiness('both replicas to reach Redis', 200, a, b);
    world.cleanup.push(() => world.redis.resume());

    // Topics on B alone: Redis stores their messages.
    const startedOnB = world.open(watch<StartedEvent>('ws', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }));
    const baseline = world.simulator.calls.length;
    const listed = () => world.simulator.calls.slice(baseline).filter((c) => c.path === `/workflows/${world.workflowId}/executions` && c.endedAt !== undefined);
    await until('two polls of the workflow’s runs', () => listed().length >= 2);
    const runsBefore = world.insertRuns(1);
    await until('the run started before the hang', () => startedOnB.events.length >= 1);
    const id = await startRun(b.url, authorization, world.workflowId);
    const onB = [
      world.open(watch<RunEvent>('sse', b.url, EXECUTION_UPDATED, { authorization, variables: { id } })),
      world.open(watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id } })),
    ];
    await until('the first state, and the run in the list', () => onB.every((w) => w.events.length > 0) && startedOnB.events.length === 2);

    world.redis.pause();
    await untilReadiness('both replicas to find Redis unreachable', 503, a, b);
    const since = Date.now() + INTERVAL_MS;

    // The same (token, resource) on A: new topics there, whose stored messages are from before.
    const onA = [
      world.open(watch<RunEvent>('ws', a.url, EXECUTION_UPDATED, { authorization, variables: { id } })),
      world.open(watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id } })),
    ];
    const startedOnA = world.open(watch<StartedEvent>('sse', a.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }));
    await until('A’s first state', () => onA.every((w) => w.events.length > 0));
    const listedDuring = listed().length;
    await until('A’s first polls of the workflow’s runs', () => listed().length >= listedDuring + 2);
    const runsDuring = world.insertRuns(1);
    await until('the run started during the hang, on both', () => startedOnA.events.length >= 1 && startedOnB.events.length >= 3);

    world.redis.resume();
    await untilReadiness('both replicas to reach Redis again', 200, a, b);
    const backAt = performance.now();
    const runsAfter = world.insertRuns(1);

    const course = () => courseOf(world.simulator, world.workflowId, id);
    for (const [i, w] of onA.entries()) await expectCourse(w, course, `subscriber ${i} on A, opened during the hang`);
    for (const [i, w] of onB.entries()) await expectCourse(w, course, `subscriber ${i} on B, opened before`, since);
    await until('the run started after the hang', () => startedOnA.events.length >= 2 && startedOnB.events.length >= 4);
    expect(startedIds(startedOnB)).toEqual([...runsBefore, id, ...runsDuring, ...runsAfter]);
    expect(startedIds(startedOnA)).toEqual([...runsDuring, ...runsAfter]);

    expectOnePoller(runReads(world.simulator, id).filter((c) => c.startedAt > backAt + 2 * INTERVAL_MS));
  }, 90_000);
});
