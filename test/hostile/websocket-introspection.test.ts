/**
 * INTROSPECTION=false refuses `__schema` and `__type` at validation, so it holds on every
 * transport: HTTP, Server-Sent Events and WebSocket answer GRAPHQL_VALIDATION_FAILED, and
 * `__typename` still answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { codesOf, run, wsClient } from '../support/websocket.js';

const SCHEMA = '{ __schema { types { name } } }';
const TYPE = '{ __type(name: "Workflow") { fields { name } } }';
const acme = bearer(DEMO_TOKENS.acme);

let closed: Stack;
let open: Stack;
const clients: Client[] = [];
beforeAll(async () => {
  [closed, open] = await Promise.all([startStack({}, { INTROSPECTION: 'false' }), startStack()]);
});
afterAll(async () => {
  for (const client of clients) await client.dispose();
  await Promise.all([closed.close(), open.close()]);
});

const ws = (stack: Stack) => {
  const client = wsClient(stack.url, { authorization: acme });
  clients.push(client);
  return client;
};

/** One query over graphql-sse's client: its result, or the errors it failed with. */
async function overSse(stack: Stack, query: string) {
  const client = createSseClient({ url: stack.url, headers: { authorization: acme }, retryAttempts: 0 });
  try {
    const results: Array<{ data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> }> = [];
    await new Promise<void>((resolve, reject) =>
      client.subscribe({ query }, { next: (r) => void results.push(r as never), error: reject, complete: resolve }),
    );
    return results;
  } finally {
    client.dispose();
  }
}

describe('introspection switched off', () => {
  it.each([SCHEMA, TYPE])('is refused over WebSocket with GRAPHQL_VALIDATION_FAILED: %s', async (query) => {
    const outcome = await run(ws(closed), { query });
    expect(outcome.results).toEqual([]);
    expect(new Set(codesOf(outcome))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });

  it('is refused over Server-Sent Events and HTTP alike', async () => {
    const sse = await overSse(closed, SCHEMA);
    expect(sse.every((r) => r.data === undefined)).toBe(true);
    expect(new Set(sse.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    const http = await closed.gql(SCHEMA);
    expect(http.data).toBeUndefined();
    expect(new Set(http.errors!.map((e) => e.extensions?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });

  it('still answers __typename over WebSocket', async () => {
    const outcome = await run(ws(closed), { query: '{ __typename }' });
    expect(outcome.results).toEqual([{ data: { __typename: 'Query' } }]);
  });

  it('is on by default: the schema answers over WebSocket', async () => {
    const outcome = await run(ws(open), { query: SCHEMA });
    expect(outcome.errors).toBeUndefined();
    const data = outcome.results[0]!.data as { __schema: { types: Array<{ name: string }> } };
    expect(data.__schema.types.map((t) => t.name)).toContain('Workflow');
  });
});
