/** PERSISTED_DOCUMENTS: with the client preset's manifest only its documents run; without it, any query does. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { loadTrustedDocuments } from '../../src/protection/trusted-documents.js';
import { bearer, DEMO_TOKENS, post, startStack, type Stack } from '../support/stack.js';

const MANIFEST = 'examples/web-client/src/gql/persisted-documents.json';
const documents = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
const workflowsId = Object.keys(documents).find((id) => documents[id]!.startsWith('query Workflows'))!;

let trusted: Stack;
let open: Stack;
beforeAll(async () => {
  [trusted, open] = await Promise.all([startStack({}, { PERSISTED_DOCUMENTS: MANIFEST }), startStack()]);
});
afterAll(() => Promise.all([trusted.close(), open.close()]));

/** Posts a request body other than `{ query }` (a documentId, a persisted-query hash) and reads the answer. */
async function send(stack: Stack, body: object) {
  const response = await post(stack.url, body);
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

describe('trusted documents', () => {
  it('run a manifest document sent by documentId, or by persisted-query hash', async () => {
    const byId = await send(trusted, { documentId: workflowsId });
    expect(byId.errors).toBeUndefined();
    expect(byId.data.workflows.nodes.length).toBeGreaterThan(0);
    const byHash = await send(trusted, { extensions: { persistedQuery: { version: 1, sha256Hash: workflowsId.replace('sha256:', '') } } });
    expect(byHash.data).toEqual(byId.data);
  });

  it('refuse any other query, before any upstream call', async () => {
    trusted.simulator.clearCalls();
    const arbitrary = await send(trusted, { query: '{ workflows { totalCount } }' });
    expect(arbitrary.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    const unknown = await send(trusted, { documentId: 'sha256:0000' });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    // Refused before they run (no `data`): 4xx under application/graphql-response+json, as GraphQL over HTTP says.
    for (const [body, status] of [[{ query: '{ workflows { totalCount } }' }, 400], [{ documentId: 'sha256:0000' }, 404]] as const) {
      const strict = await post(trusted.url, body, { accept: 'application/graphql-response+json' });
      expect(strict.status).toBe(status);
    }
    expect(trusted.simulator.calls).toHaveLength(0);
  });

  it('run a manifest document asked for by GET, and name an unknown or missing id with a documented code', async () => {
    const get = async (search: string) => {
      const response = await fetch(`${trusted.url}?${search}`, { headers: { accept: 'application/json', authorization: bearer(DEMO_TOKENS.acme) } });
      return (await response.json()) as { data?: any; errors?: Array<{ extensions?: Record<string, unknown> }> };
    };
    const byId = await get(`documentId=${encodeURIComponent(workflowsId)}`);
    expect(byId.errors).toBeUndefined();
    expect(byId.data.workflows.nodes.length).toBeGreaterThan(0);
    expect((await get('documentId=sha256:0000')).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await get('operationName=Workflows')).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
  });

  it('are off by default: any query runs', async () => {
    const response = await open.gql('{ workflows { totalCount } }');
    expect(response.errors).toBeUndefined();
    const byId = await send(open, { documentId: workflowsId });
    expect(byId.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('refuse to start on a manifest that is missing or not a manifest', () => {
    expect(() => loadTrustedDocuments('does/not/exist.json')).toThrow(ConfigError);
    expect(() => loadTrustedDocuments('package.json')).toThrow(/JSON object of document ids to documents/);
    const directory = mkdtempSync(join(tmpdir(), 'manifest-'));
    try {
      const manifest = join(directory, 'persisted-documents.json');
      // A file that is not JSON is named, never quoted: it may be any file, a secret's.
      writeFileSync(manifest, 'root-password: hunter2-not-json');
      expect(() => loadTrustedDocuments(manifest)).toThrow(/^PERSISTED_DOCUMENTS must name a JSON manifest, got ".*", which is not JSON$/);
      writeFileSync(manifest, JSON.stringify({ 'sha256:ok': '{ __typename }', 'sha256:broken': 'query Q { workflows( }' }));
      expect(() => loadTrustedDocuments(manifest)).toThrow(/^PERSISTED_DOCUMENTS must hold GraphQL documents; "sha256:broken" in ".*" is not one \(a syntax error at line 1, column 22\)$/);
      // A JSON file of secrets is no manifest either: its values are not quoted.
      writeFileSync(manifest, JSON.stringify({ db_password: 'hunter2' }));
      expect(() => loadTrustedDocuments(manifest)).toThrow(/^PERSISTED_DOCUMENTS must hold GraphQL documents; "db_password" in ".*" is not one \(a syntax error at line 1, column 1\)$/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
