/**
 * SIGTERM with subscriptions open, on the process as `npm start` runs it: each stream is completed
 * (an SSE response that ends properly, a graphql-ws `complete`), the pollers stop, and the process
 * exits 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { endOf, EXECUTION_STARTED, EXECUTION_UPDATED, watch, type Watch } from '../support/live.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { metricsOf } from '../support/replicas.js';
import { until } from '../support/wait.js';

const cleanup: Array<() => unknown> = [];
const authorization = bearer(DEMO_TOKENS.acme);
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A gateway process on an in-test simulator whose runs stay PENDING, and a run of it to watch. */
async function setUp(): Promise<{ simulator: Simulator; gateway: GatewayProcess; workflowId: string; id: string }> {
  const simulator = await startSimulator({ stepMs: 60_000 });
  cleanup.push(() => simulator.close());
  const gateway = await spawnGateway({ ALTOSTRAT_API_URL: simulator.url, LIVE_POLL_INTERVAL_MS: '50' });
  cleanup.push(() => gateway.kill());
  const workflowId = simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active)!.id;
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query: `mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } } }` }),
  });
  const id = ((await response.json())).data.executeWorkflow.execution.id as string;
  return { simulator, gateway, workflowId, id };
}

/** How each stream ended: `complete`, or `close <code>` when the socket closed under an open operation. */
const endingsOf = (watches: Array<Watch<unknown>>) =>
  Promise.all(
    watches.map(async (w) => {
      const ending = await endOf(w, 20_000);
      return ending.kind === 'complete' ? 'complete' : `close ${String((ending.detail as { code?: unknown }).code)}`;
    }),
  );

const opened = (watches: Array<Watch<unknown>>) => {
  cleanup.push(() => Promise.all(watches.map((w) => w.close())));
  return watches;
};

describe('SIGTERM with open streams', () => {
  it('ends every SSE and WebSocket stream, stops polling and exits 0', async () => {
    const { simulator, gateway, workflowId, id } = await setUp();
    const watches = opened([
      watch('sse', gateway.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch('ws', gateway.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch('sse', gateway.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }),
      watch('ws', gateway.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }),
    ]);
    await until('the first event on both transports', () => watches[0]!.events.length > 0 && watches[1]!.events.length > 0);
    await until('executionStarted polling', () => simulator.calls.filter((c) => c.path === `/workflows/${workflowId}/executions`).length >= 2);

    gateway.child.kill('SIGTERM');
    const [sseRun, wsRun, sseStarted, wsStarted] = await endingsOf(watches);
    // An SSE response that ended properly; a WebSocket operation completed, or its socket closed
    // as "going away" (see the next test).
    expect([sseRun, sseStarted]).toEqual(['complete', 'complete']);
    for (const ending of [wsRun, wsStarted]) expect(['complete', 'close 1001']).toContain(ending);
    expect(await gateway.exited).toBe(0);
    for (const w of watches) expect(w.codes.filter((code) => code !== undefined)).toEqual([]);

    // No poller outlives the process.
    const after = simulator.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(simulator.calls.length).toBe(after);
  });

  // On shutdown the hub ends the streams, and graphql-ws must send `complete` for each before the
  // sockets close (with 1001).
  it('sends `complete` for every WebSocket operation before closing its socket', async () => {
    const { gateway, workflowId, id } = await setUp();
    const watches = opened([
      watch('ws', gateway.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch('ws', gateway.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }),
      watch('ws', gateway.url, EXECUTION_UPDATED, { authorization, variables: { id } }),
      watch('ws', gateway.url, EXECUTION_STARTED, { authorization, variables: { workflowId } }),
    ]);
    await until('the first events', () => watches[0]!.events.length > 0 && watches[2]!.events.length > 0);
    // executionStarted hears nothing until a run starts: its operations are open once the hub counts them.
    await until('all four operations open', async () => /^live_subscriptions 4$/m.test(await metricsOf(gateway)), { everyMs: 50 });
    gateway.child.kill('SIGTERM');
    expect(await endingsOf(watches)).toEqual(['complete', 'complete', 'complete', 'complete']);
    expect(await gateway.exited).toBe(0);
  });
});
