/**
 * SIGTERM with subscriptions open, on the process as `npm start` runs it: each stream is completed
 * (an SSE response that ends properly, a graphql-ws `complete`), the pollers stop, and the process
 * exits 0.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS } from '../support/stack.js';
import { endOf, EXECUTION_STARTED, EXECUTION_UPDATED, watch, type Watch } from '../support/live.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { metricsOf } from '../support/replicas.js';
import { startRedis } from '../support/redis.js';
import { until } from '../support/wait.js';
import { codesOf, initSocket, run, wsClient } from '../support/websocket.js';

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

describe('SIGTERM with Redis hung', () => {
  it('exits 0 at the end of the drain, though every Redis command of the streams\' release times out', async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    cleanup.push(() => redis.resume());
    const simulator = await startSimulator({ stepMs: 60_000 });
    cleanup.push(() => simulator.close());
    // A long interval: each Redis command of a topic's release waits that long before it fails.
    const gateway = await spawnGateway({ ALTOSTRAT_API_URL: simulator.url, REDIS_URL: redis.url, CURSOR_SECRET: 'a-cursor-secret-of-at-least-32-characters', LIVE_POLL_INTERVAL_MS: '10000' });
    cleanup.push(() => gateway.kill());
    const workflowId = simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active)!.id;
    opened([watch('sse', gateway.url, EXECUTION_STARTED, { authorization, variables: { workflowId } })]);
    await until('the poller polls', () => simulator.calls.some((call) => call.path === `/workflows/${workflowId}/executions`));
    redis.pause();
    gateway.child.kill('SIGTERM');
    // The drain lasts 10 s at most; the release's commands, one interval each, would take 30 s.
    const exit = await Promise.race([gateway.exited, sleep(20_000).then(() => 'still running 20 s after SIGTERM')]);
    expect(exit).toBe(0);
  }, 40_000);
});

describe('SIGTERM with WebSockets open', () => {
  it('answers a query and a mutation in flight over a WebSocket before closing it, as HTTP does', async () => {
    const simulator = await startSimulator({ latencyMs: 1_000 });
    cleanup.push(() => simulator.close());
    const gateway = await spawnGateway({ ALTOSTRAT_API_URL: simulator.url });
    cleanup.push(() => gateway.kill());
    const client = wsClient(gateway.url, { authorization });
    cleanup.push(() => client.dispose());
    const workflowId = simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active)!.id;

    const query = run(client, { query: '{ workflows(first: 1) { totalCount } }' }, 20_000);
    const mutation = run(client, { query: `mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } } }` }, 20_000);
    await until('both calls in flight', () => simulator.calls.length >= 2);
    gateway.child.kill('SIGTERM');
    await until('the drain began', () => gateway.output().includes('SIGTERM: draining'));
    // No new work is taken on the open socket meanwhile: the client sends it elsewhere.
    const late = await run(client, { query: `mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } } }` }, 20_000);
    expect(codesOf(late)).toEqual(['BAD_REQUEST']);
    const [asked, wrote] = await Promise.all([query, mutation]);
    expect(simulator.calls.filter((call) => call.method === 'POST')).toHaveLength(1);
    expect(asked.results[0]!.data).toEqual({ workflows: { totalCount: simulator.workflowsOf(DEMO_TOKENS.acme).length } });
    // The run the mutation started is the one its answer names.
    expect((wrote.results[0]!.data as { executeWorkflow: { execution: { id: string } } }).executeWorkflow.execution.id).toBe(simulator.runsOf(workflowId)[0]!.id);
    expect([asked.closeCode, wrote.closeCode]).toEqual([undefined, undefined]);
    expect(await gateway.exited).toBe(0);
  });

  it('stops accepting at once, and cuts a socket whose client no longer reads at the end of the drain instead of waiting for it', async () => {
    const { gateway } = await setUp();
    const { socket, acked } = await initSocket(gateway.url, { authorization });
    cleanup.push(() => socket.terminate());
    expect(acked).toBe(true);
    // The client stops reading: it never sees the close frame, so never answers it.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();

    gateway.child.kill('SIGTERM');
    await until('the drain began', () => gateway.output().includes('SIGTERM: draining'));
    await expect(fetch(gateway.url.replace('/graphql', '/health'))).rejects.toThrow();
    // The drain lasts 10 s at most; ws's own wait for a closing handshake, 30 s.
    const exit = await Promise.race([gateway.exited, sleep(25_000).then(() => 'still running 25 s after SIGTERM')]);
    expect(exit).toBe(0);
  }, 40_000);
});
