/**
 * An operation over WebSocket is logged as an HTTP request is: one `request` line when it ends,
 * with a request id of its own (the X-Request-Id its upstream calls carry), its operation name,
 * how it ended and what it cost upstream; the token appears in none of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { run, wsClient } from '../support/websocket.js';

const lines: string[] = [];
let stack: Stack;
let client: Client;
beforeAll(async () => {
  stack = await startStack({}, { LOG_LEVEL: 'info' }, { write: (line: string) => void lines.push(line) });
  client = wsClient(stack.url, { authorization: bearer(DEMO_TOKENS.acme) });
});
afterAll(async () => {
  await client.dispose();
  await stack.close();
});

const requestLines = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'request');

describe('the request log over WebSocket', () => {
  it('has one line per operation, each with its own request id, the one its upstream call carried', async () => {
    stack.simulator.clearCalls();
    lines.length = 0;
    for (let i = 0; i < 30; i++) await run(client, { query: 'query Count { workflows(first: 1) { totalCount } }' });
    const entries = requestLines();
    expect(entries).toHaveLength(30);
    expect(entries.every((e) => e.method === 'WS' && e.path === '/graphql' && e.operationName === 'Count' && e.outcome === 'complete' && e.upstreamCalls === 1)).toBe(true);
    const ids = entries.map((e) => e.requestId);
    expect(new Set(ids).size).toBe(30);
    expect(stack.simulator.calls.map((c) => c.requestId)).toEqual(ids);
    expect(lines.join('\n')).not.toContain(DEMO_TOKENS.acme);
  });

  it('logs a refused operation with its outcome, and HTTP requests as before', async () => {
    lines.length = 0;
    await run(client, { query: '{ workflows(first: 1) { nope } }' });
    await stack.gql('query Count { workflows(first: 1) { totalCount } }');
    const [refused, http] = requestLines();
    expect(refused).toMatchObject({ method: 'WS', outcome: 'error', upstreamCalls: 0 });
    expect(http).toMatchObject({ method: 'POST', path: '/graphql', status: 200, operationName: 'Count', upstreamCalls: 1 });
  });
});
