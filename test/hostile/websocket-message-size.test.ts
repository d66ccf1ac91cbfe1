/**
 * A WebSocket message is held to MAX_BODY_BYTES, as an HTTP body is: a bigger one closes the
 * socket (1009, "message too big") before it is parsed, and nothing goes upstream; HTTP still
 * answers 413 for a body over the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, post, startStack, type Stack } from '../support/stack.js';
import { initSocket, run, wsClient } from '../support/websocket.js';

const LIMIT = 2_000;
const acme = bearer(DEMO_TOKENS.acme);
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({}, { MAX_BODY_BYTES: String(LIMIT) });
});
afterAll(() => stack.close());

const VALIDATE = `mutation ($definition: WorkflowDefinitionInput!) { validateWorkflow(definition: $definition) { valid } }`;
const padded = (bytes: number) => ({ definition: { name: 'x'.repeat(bytes), nodes: [], edges: [] } });

describe('message size over WebSocket', () => {
  it('closes the socket with 1009 on a message over MAX_BODY_BYTES, and calls nothing upstream', async () => {
    stack.simulator.clearCalls();
    const client = wsClient(stack.url, { authorization: acme });
    const outcome = await run(client, { query: `query { workflows(first: 1) { totalCount } } # ${'x'.repeat(LIMIT)}` });
    await client.dispose();
    expect(outcome.results).toEqual([]);
    expect(outcome.closeCode).toBe(1009);

    const { socket, acked, closed } = await initSocket(stack.url, { authorization: acme });
    expect(acked).toBe(true);
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'query Check($definition: JSON) { __typename }', variables: padded(LIMIT * 50) } }));
    expect((await closed).code).toBe(1009);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('runs an operation under the limit', async () => {
    const client = wsClient(stack.url, { authorization: acme });
    const outcome = await run(client, { query: '{ workflows(first: 1) { totalCount } }' });
    await client.dispose();
    expect(outcome.errors).toBeUndefined();
    expect(outcome.results).toHaveLength(1);
  });

  it('leaves HTTP answering 413 for a body over the limit', async () => {
    const response = await post(stack.url, { query: VALIDATE, variables: padded(LIMIT) });
    expect(response.status).toBe(413);
  });
});
