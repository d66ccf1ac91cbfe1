/**
 * A token that floods the gateway with queries does not starve the polls of its own
 * subscriptions: polls take upstream slots in a lane of their own, bounded, so its subscribers
 * hear every state of a run while its queries keep the token's whole share busy, and the queries
 * are still served.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maxInFlight, startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { EXECUTION_UPDATED, until, watch, type RunEvent } from '../support/live.js';
import { courseOf, expectCourse, startReplicas, startRun, STEP_MS } from '../support/replicas.js';

const authorization = bearer(DEMO_TOKENS.acme);
const SHARE = 16;
const FLOOD = 150;
let simulator: Simulator;
let workflowId: string;
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  // Every answer takes a while, so that the flood queues far longer than a state lasts.
  simulator = await startSimulator({ stepMs: STEP_MS, latencyMs: 150 });
  workflowId = simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  await simulator.close();
});

describe('a token flooding the gateway with queries', () => {
  it('does not delay the polls of its own subscriptions: they hear every state, and the queries are served', async () => {
    const [gateway] = await startReplicas(1, { ALTOSTRAT_API_URL: simulator.url, UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN: String(SHARE) }, cleanup);
    const id = await startRun(gateway.url, authorization, workflowId);

    let flooding = true;
    const answers: number[] = [];
    const query = JSON.stringify({ query: `{ workflow(id: "${workflowId}") { name } }` });
    const worker = async (): Promise<void> => {
      while (flooding) {
        const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: query });
        answers.push(response.status);
        await response.arrayBuffer();
      }
    };
    const workers = Array.from({ length: FLOOD }, worker);
    cleanup.push(async () => {
      flooding = false;
      await Promise.all(workers);
    });
    const lookups = () => simulator.calls.filter((c) => c.path === `/workflows/${workflowId}`);
    await until(() => maxInFlight(lookups()) >= SHARE, 'the flood to hold the token’s whole share');

    const subscriber = watch<RunEvent>('sse', gateway.url, EXECUTION_UPDATED, { authorization, variables: { id } });
    cleanup.push(() => subscriber.close());
    await expectCourse(subscriber, () => courseOf(simulator, workflowId, id), 'the subscriber');

    flooding = false;
    await Promise.all(workers);
    expect(answers.length).toBeGreaterThan(FLOOD);
    expect(answers.every((status) => status === 200)).toBe(true);
    // The queries never had more than the token's share in flight, polls aside.
    expect(maxInFlight(lookups())).toBe(SHARE);
  }, 60_000);
});
