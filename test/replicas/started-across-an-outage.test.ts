/**
 * executionStarted across a Redis outage (docs/guarantees.md, "A Redis outage"), for a subscriber on
 * the replica that does not hold the lease. A run X starts right after Redis goes (before the
 * replicas notice), a run Y during the outage, a run Z after it. That replica polls alone from the
 * newest state the lease holder published; from a baseline of its own, it would take X in, and
 * then hear it late, after Y, when Redis kept the stored state (the lease taker goes on from it),
 * or never, when Redis lost it (the lease taker goes on from its own state, which holds X).
 */
import { describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { startRedis } from '../support/redis.js';
import { EXECUTION_STARTED, watch, type StartedEvent } from '../support/live.js';
import { CURSOR_SECRET, replicaWorld, startedIds, startRun, storedStates, untilReadiness } from '../support/replicas.js';
import { until } from '../support/wait.js';
import { Redis } from 'ioredis';

const authorization = bearer(DEMO_TOKENS.acme);
const world = replicaWorld();

/** A holds the lease, B only listens; with `runBefore`, a run W starts (and is heard on both) before the fault. */
async function setUp(runBefore: boolean) {
  const [a, b] = await world.startReplicas(2, { CURSOR_SECRET });
  await untilReadiness('both replicas to reach Redis', 200, a, b);
  const onA = world.open(watch<StartedEvent>('sse', a.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }));
  const inspector = new Redis(world.redis.url);
  try {
    await until('the baseline stored', async () => (await storedStates(inspector)) === 1);
  } finally {
    inspector.disconnect();
  }
  const onB = world.open(watch<StartedEvent>('ws', b.url, EXECUTION_STARTED, { authorization, variables: { workflowId: world.workflowId } }));
  await new Promise((r) => setTimeout(r, 1_000));
  if (!runBefore) return { a, b, onA, onB, before: [] };
  const w = await startRun(a.url, authorization, world.workflowId);
  await until('W on both', () => onA.events.length === 1 && onB.events.length === 1);
  return { a, b, onA, onB, before: [w] };
}

/**
 * Runs X (right after Redis goes), Y (during the outage) and Z (after it): each replica's
 * subscriber hears every run once, in the order they started.
 */
async function acrossAnOutage(runBefore: boolean, outage: { begin(): void; end(): void | Promise<void> }): Promise<void> {
  const { a, b, onA, onB, before } = await setUp(runBefore);
  outage.begin();
  const x = await startRun(a.url, authorization, world.workflowId);
  await untilReadiness('both unready', 503, a, b);
  await new Promise((r) => setTimeout(r, 1_000));
  const y = await startRun(a.url, authorization, world.workflowId);
  await until('Y on B', () => startedIds(onB).includes(y));
  await outage.end();
  await untilReadiness('both ready', 200, a, b);
  await new Promise((r) => setTimeout(r, 2_000));
  const z = await startRun(a.url, authorization, world.workflowId);
  await until('Z on both', () => startedIds(onA).includes(z) && startedIds(onB).includes(z));
  expect(startedIds(onA)).toEqual([...before, x, y, z]);
  expect(startedIds(onB), `X=${x} Y=${y}`).toEqual([...before, x, y, z]);
}

describe('executionStarted across a Redis outage, subscriber on the replica without the lease', () => {
  const hung = {
    begin() {
      world.cleanup.push(() => world.redis.resume());
      world.redis.pause();
    },
    end: () => world.redis.resume(),
  };

  it.each([
    ['after a run both heard', true],
    ['when B has heard only the baseline', false],
  ])('Redis hung, %s: every run once, in the order they started', (_, runBefore) => acrossAnOutage(runBefore, hung), 60_000);

  it('Redis killed and restarted empty: no run lost', () =>
    acrossAnOutage(true, {
      begin: () => world.redis.kill(),
      async end() {
        world.redis = await startRedis({ port: world.redis.port });
      },
    }), 60_000);
});
