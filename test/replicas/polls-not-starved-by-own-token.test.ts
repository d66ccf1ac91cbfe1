/**
 * A token that floods the gateway with queries does not starve the polls of its own
 * subscriptions: polls take upstream slots in a lane of their own, bounded, so its subscribers
 * hear every state of a run while its queries keep the token's whole share busy, and the queries
 * are still served.
 */
import { describe, expect, it } from 'vitest';
import { maxInFlight } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { EXECUTION_UPDATED, watch, type RunEvent } from '../support/live.js';
import { courseOf, expectCourse, replicaWorld, startRun } from '../support/replicas.js';
import { until } from '../support/wait.js';

const authorization = bearer(DEMO_TOKENS.acme);
const SHARE = 16;
const FLOOD = 150;
// Every answer takes a while, so that the flood queues far longer than a state lasts.
const world = replicaWorld({ redis: false, simulator: { latencyMs: 150 } });

describe('a token flooding the gateway with queries', () => {
  it('does not delay the polls of its own subscriptions: they hear every state, and the queries are served', async () => {
    const [gateway] = await world.startReplicas(1, { UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN: String(SHARE) });
    const id = await startRun(gateway.url, authorization, world.workflowId);

    let flooding = true;
    const answers: number[] = [];
    const query = JSON.stringify({ query: `{ workflow(id: "${world.workflowId}") { name } }` });
    const worker = async (): Promise<void> => {
      while (flooding) {
        const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: query });
        answers.push(response.status);
        await response.arrayBuffer();
      }
    };
    const workers = Array.from({ length: FLOOD }, worker);
    world.cleanup.push(async () => {
      flooding = false;
      await Promise.all(workers);
    });
    const lookups = () => world.simulator.calls.filter((c) => c.path === `/workflows/${world.workflowId}`);
    await until('the flood to hold the token’s whole share', () => maxInFlight(lookups()) >= SHARE);

    const subscriber = watch<RunEvent>('sse', gateway.url, EXECUTION_UPDATED, { authorization, variables: { id } });
    world.cleanup.push(() => subscriber.close());
    await expectCourse(subscriber, () => courseOf(world.simulator, world.workflowId, id), 'the subscriber');

    flooding = false;
    await Promise.all(workers);
    expect(answers.length).toBeGreaterThan(FLOOD);
    expect(answers.every((status) => status === 200)).toBe(true);
    // The queries never had more than the token's share in flight, polls aside.
    expect(maxInFlight(lookups())).toBe(SHARE);
  }, 60_000);
});
