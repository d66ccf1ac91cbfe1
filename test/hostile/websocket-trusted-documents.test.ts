/**
 * With PERSISTED_DOCUMENTS, only the manifest's documents run over WebSocket, as over HTTP: an
 * arbitrary document is PERSISTED_QUERY_ONLY, an unknown id PERSISTED_QUERY_NOT_FOUND, both before
 * any upstream call; a manifest document runs by `documentId` or by persisted-query hash.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, post, startStack, type Stack } from '../support/stack.js';
import { codesOf, run, wsClient } from '../support/websocket.js';
import type { Client } from 'graphql-ws';

const MANIFEST = 'examples/web-client/src/gql/persisted-documents.json';
const documents = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
const workflowsId = Object.keys(documents).find((id) => documents[id]!.startsWith('query Workflows'))!;

let stack: Stack;
let client: Client;
beforeAll(async () => {
  stack = await startStack({}, { PERSISTED_DOCUMENTS: MANIFEST });
  client = wsClient(stack.url, { authorization: bearer(DEMO_TOKENS.acme) });
});
afterAll(async () => {
  await client.dispose();
  await stack.close();
});

describe('trusted documents over WebSocket', () => {
  it('refuse an arbitrary query with PERSISTED_QUERY_ONLY, and an unknown id with PERSISTED_QUERY_NOT_FOUND, before any call', async () => {
    stack.simulator.clearCalls();
    const arbitrary = await run(client, { query: '{ workflows { totalCount } }' });
    expect(arbitrary.results).toEqual([]);
    expect(codesOf(arbitrary)).toEqual(['PERSISTED_QUERY_ONLY']);
    const subscription = await run(client, { query: 'subscription { executionStarted(workflowId: "fl_abc") { id } }' });
    expect(codesOf(subscription)).toEqual(['PERSISTED_QUERY_ONLY']);
    const unknown = await run(client, { query: '', documentId: 'sha256:0000' });
    expect(codesOf(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('run a manifest document sent by documentId, or by persisted-query hash, as HTTP does', async () => {
    const byId = await run(client, { query: '', documentId: workflowsId });
    expect(byId.errors).toBeUndefined();
    expect(byId.results).toHaveLength(1);
    const data = byId.results[0]!.data as { workflows: { nodes: unknown[] } };
    expect(data.workflows.nodes.length).toBeGreaterThan(0);
    const byHash = await run(client, { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: workflowsId.replace('sha256:', '') } } });
    expect(byHash.results[0]!.data).toEqual(data);
    const overHttp = (await (await post(stack.url, { documentId: workflowsId })).json()) as { data: unknown };
    expect(overHttp.data).toEqual(data);
  });

  it('leave HTTP refusing the same way', async () => {
    const arbitrary = (await (await post(stack.url, { query: '{ workflows { totalCount } }' })).json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(arbitrary.errors.map((e) => e.extensions.code)).toEqual(['PERSISTED_QUERY_ONLY']);
  });
});
