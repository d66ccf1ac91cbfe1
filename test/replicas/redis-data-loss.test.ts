/**
 * Redis loses its data while it stays up (FLUSHALL: leases, stored states and messages gone at
 * once): the replica that polled takes its leases back and goes on from its own state, so no
 * subscriber on either replica misses a state or a new run, or hears one twice.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { EXECUTION_STARTED, EXECUTION_UPDATED, watch, type RunEvent, type StartedEvent } from '../support/live.js';
import { courseOf, CURSOR_SECRET, storedStates, expectCourse, expectOnePoller, INTERVAL_MS, metricsOf, replicaWorld, runReads, startedIds, startRun, untilReadiness } from '../support/replicas.js';
import { until } from '../support/wait.js';

const authorization = bearer(DEMO_TOKENS.acme);
const world = replicaWorld();

describe('Redis losing its data while it stays up', () => {
  it('goes on with one poller per topic: every subscriber hears each state and each new run once', async () => {
    const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
    await untilReadiness('both replicas to reach Redis', 200, a, b);

    const run = await startRun(a.url, authorization, world.workflowId);
    const updated = [
      world.open(watch<RunEvent>('sse', a.url, EXECUTION_UPDATED, { authorization, variables: { id: run } })),
      world.open(watch<RunEvent>('ws', b.url, EXECUTION_UPDATED, { authorization, variables: { id: run } })),
    ];
    const started = [
      world.open(watch<StartedEvent>('ws', a.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } })),
      world.open(watch<StartedEvent>('sse', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } })),
    ];
    await until('the first state everywhere', () => updated.every((w) => w.events.length > 0));
    const inspector = new Redis(world.redis.url);
    try {
      // executionStarted's first poll is its baseline: a run inserted before it is rightly not sent.
      await until('both topics’ first polls stored', async () => (await storedStates(inspector)) === 2);
      const runsBefore = world.insertRuns(1);
      await until('the run started before', () => started.every((w) => w.events.length >= 1));

      await inspector.flushall();
      // Before any poller can have noticed: a replica that started the topic over from a baseline would take these in.
      const runsAcross = world.insertRuns(2);
      const flushedAt = performance.now();
      await until('the runs started across the loss', () => started.every((w) => w.events.length >= 3));
      const runsAfter = world.insertRuns(2);
      await until('the runs started after it', () => started.every((w) => w.events.length >= 5));

      for (const w of started) expect(startedIds(w)).toEqual([...runsBefore, ...runsAcross, ...runsAfter]);
      for (const [i, w] of updated.entries()) await expectCourse(w, () => courseOf(world.simulator, world.workflowId, run), `subscriber ${i} of the run`);
      for (const w of started) expect(w.isOpen()).toBe(true);
      expectOnePoller(runReads(world.simulator, run).filter((c) => c.startedAt > flushedAt + 2 * INTERVAL_MS));
      const lost = await Promise.all([a, b].map(metricsOf));
      expect(lost.some((metrics) => /^live_coordination_events_total\{event="lease_lost"\} [1-9]/m.test(metrics))).toBe(true);
    } finally {
      inspector.disconnect();
    }
  }, 60_000);
});
