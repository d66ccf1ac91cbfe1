/**
 * Mutations run over WebSocket as over HTTP, with the same limits: a write goes upstream once with
 * the socket's token, and one over the upstream-call budget is refused before any call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { codesOf, initSocket, run, wsClient } from '../support/websocket.js';
import { until } from '../support/wait.js';

let stack: Stack;
let client: Client;
let workflowId: string;
beforeAll(async () => {
  stack = await startStack({ stepMs: 60_000 }, { MAX_UPSTREAM_CALLS: '20', UPSTREAM_TIMEOUT_MS: '500' });
  client = wsClient(stack.url, { authorization: bearer(DEMO_TOKENS.acme) });
  workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active)!.id;
});
afterAll(async () => {
  await client.dispose();
  await stack.close();
});

describe('mutations over WebSocket', () => {
  it('run once, with the socket’s token', async () => {
    stack.simulator.clearCalls();
    const outcome = await run(client, {
      query: `mutation Start($id: ID!) { executeWorkflow(input: { workflowId: $id }) { execution { id status } } }`,
      variables: { id: workflowId },
    });
    expect(outcome.errors).toBeUndefined();
    const { id } = (outcome.results[0]!.data as { executeWorkflow: { execution: { id: string } } }).executeWorkflow.execution;
    expect(stack.simulator.runsOf(workflowId).some((r) => r.id === id)).toBe(true);
    const writes = stack.simulator.calls.filter((c) => c.method === 'POST');
    expect(writes).toHaveLength(1);
    expect(writes[0]!.authorization).toBe(bearer(DEMO_TOKENS.acme));
  });

  it('are refused over the upstream-call budget with BAD_USER_INPUT before any call, as over HTTP', async () => {
    const costly = `mutation ($id: ID!) { executeWorkflow(input: { workflowId: $id }) { execution { workflow { executions(first: 100) { nodes { logs { id } } } } } } }`;
    stack.simulator.clearCalls();
    const outcome = await run(client, { query: costly, variables: { id: workflowId } });
    expect(codesOf(outcome)).toEqual(['BAD_USER_INPUT']);
    const http = await stack.gql(costly, { id: workflowId });
    expect(http.errors!.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('stop before their next write once the client completes the operation, as over HTTP when the client goes away', async () => {
    stack.simulator.clearCalls();
    const posts = () => stack.simulator.calls.filter((c) => c.method === 'POST');
    stack.simulator.configure({ fault: (call) => (call.method === 'POST' && posts().length === 1 ? { kind: 'stall' } : undefined) });
    const { socket, acked } = await initSocket(stack.url, { authorization: bearer(DEMO_TOKENS.acme) });
    try {
      expect(acked).toBe(true);
      const write = (alias: string) => `${alias}: executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } }`;
      socket.send(JSON.stringify({ id: 'two-writes', type: 'subscribe', payload: { query: `mutation { ${write('a')} ${write('b')} }` } }));
      await until('the first write is in flight', () => posts().length === 1);
      socket.send(JSON.stringify({ id: 'two-writes', type: 'complete' }));
      // The stalled write is given up at UPSTREAM_TIMEOUT_MS; the second would follow at once.
      await until('the first write is given up', () => posts()[0]!.endedAt !== undefined, { timeoutMs: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(posts()).toHaveLength(1);
    } finally {
      stack.simulator.configure({ fault: undefined });
      socket.close();
    }
  });
});
