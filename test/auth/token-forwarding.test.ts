/**
 * Auth (docs/guarantees.md, "Auth"), over HTTP: the caller's Authorization header reaches the upstream
 * verbatim on every call of its own request and on no other's, a missing or malformed one costs no
 * upstream call, upstream 401/403 become UNAUTHENTICATED/FORBIDDEN, and no token is ever echoed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  bearer,
  busiestWorkflow,
  DEMO_TOKENS,
  expectCode,
  overlapped,
  startStack,
  type GraphQLResponse,
  type Stack,
} from '../support/stack.js';

let stack: Stack;
let acmeIds: string[];
let globexIds: string[];
let acmeBusiest: string; // Acme's workflow with the most runs

beforeAll(async () => {
  stack = await startStack();
  acmeIds = stack.simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => w.id);
  globexIds = stack.simulator.workflowsOf(DEMO_TOKENS.globex).map((w) => w.id);
  acmeBusiest = busiestWorkflow(stack.simulator);
});
afterAll(() => stack.close());
beforeEach(() => {
  stack.simulator.configure({ fault: undefined, inlineLogs: undefined, pageSize: undefined, latencyMs: undefined });
  stack.simulator.clearCalls();
});

/** Every error carries a code; returns the distinct codes. */
function codes(response: GraphQLResponse): string[] {
  for (const error of response.errors ?? []) expect(error.extensions?.code, JSON.stringify(error)).toEqual(expect.any(String));
  return [...new Set((response.errors ?? []).map((e) => e.extensions!.code as string))];
}

const authorizations = () => new Set(stack.simulator.calls.map((c) => c.authorization));

/** The org whose workflow a call's path names; undefined for GET /workflows. */
const ownerOf = (path: string): 'acme' | 'globex' | undefined =>
  acmeIds.some((id) => path.includes(id)) ? 'acme' : globexIds.some((id) => path.includes(id)) ? 'globex' : undefined;

const EVERYTHING = `query($id: ID!) {
  workflows { nodes { id name } }
  workflow(id: $id) {
    name
    graph { nodes { id } }
    executions(first: 20) { nodes { id logs { id } } }
  }
}`;

const OWN_WORKFLOWS = `{ workflows(first: 100) { nodes { id name executions(first: 2) { totalCount nodes { id } } } } }`;

describe('the caller’s Authorization header', () => {
  it('reaches the upstream unchanged on every call a request makes', async () => {
    stack.simulator.configure({ inlineLogs: false, pageSize: 15 });
    const response = await stack.gql(EVERYTHING, { id: acmeBusiest });
    expect(response.errors).toBeUndefined();
    expect(response.data.workflow.executions.nodes).toHaveLength(20);
    const paths = stack.simulator.calls.map((c) => c.path);
    expect(paths).toContain('/workflows');
    expect(paths).toContain(`/workflows/${acmeBusiest}`);
    expect(stack.simulator.calls.filter((c) => c.path.endsWith('/executions')).map((c) => c.page).sort()).toEqual([1, 2]);
    expect(paths.filter((p) => p.startsWith('/workflows/runs/'))).toHaveLength(20);
    expect(authorizations()).toEqual(new Set([bearer(DEMO_TOKENS.acme)]));
  });

  it('is forwarded verbatim, lower-case scheme included', async () => {
    const authorization = `bearer ${DEMO_TOKENS.acme}`;
    const response = await stack.gql(`query($id: ID!) { workflow(id: $id) { name } }`, { id: acmeBusiest }, { authorization });
    expect(response.data.workflow.name).toBe(stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id === acmeBusiest)!.name);
    expect(stack.simulator.calls.map((c) => c.authorization)).toEqual([authorization]);
  });

  it('never reaches another request’s calls, with two organisations querying at once', async () => {
    stack.simulator.configure({ latencyMs: 50 }); // keeps the requests in flight together
    const callers = Array.from({ length: 20 }, (_, i): 'acme' | 'globex' => (i % 2 === 0 ? 'acme' : 'globex'));
    const responses = await Promise.all(
      callers.map((org) => stack.gql(OWN_WORKFLOWS, {}, { authorization: bearer(DEMO_TOKENS[org]) })),
    );
    responses.forEach((response, i) => {
      expect(response.errors).toBeUndefined();
      const ids = response.data.workflows.nodes.map((w: { id: string }) => w.id);
      expect(ids).toEqual(callers[i] === 'acme' ? acmeIds : globexIds);
    });
    const executions = stack.simulator.calls.filter((c) => c.path.endsWith('/executions'));
    expect(executions).toHaveLength(10 * acmeIds.length + 10 * globexIds.length);
    for (const call of executions) expect(call.authorization, call.path).toBe(bearer(DEMO_TOKENS[ownerOf(call.path)!]));
    const lists = stack.simulator.calls.filter((c) => c.path === '/workflows');
    expect(lists.filter((c) => c.authorization === bearer(DEMO_TOKENS.acme))).toHaveLength(10);
    expect(lists.filter((c) => c.authorization === bearer(DEMO_TOKENS.globex))).toHaveLength(10);
    // "At once": calls of the two organisations were in flight at the same time, so isolation held
    // under concurrency, not just between requests that happened to run one after the other.
    const of = (org: 'acme' | 'globex') => stack.simulator.calls.filter((c) => c.authorization === bearer(DEMO_TOKENS[org]));
    const together = of('acme').filter((a) => of('globex').some((g) => overlapped(a, g)));
    expect(together.length, 'an Acme call in flight together with a Globex call').toBeGreaterThan(0);
  });

  it('gives another organisation null for the same workflow, not the first caller’s data', async () => {
    const query = `query($id: ID!) { workflow(id: $id) { name executions(first: 3) { nodes { id } } } }`;
    const acme = await stack.gql(query, { id: acmeBusiest });
    expect(acme.data.workflow.executions.nodes).toHaveLength(3);
    stack.simulator.clearCalls();
    const globex = await stack.gql(query, { id: acmeBusiest }, { authorization: bearer(DEMO_TOKENS.globex) });
    expect(globex.errors).toBeUndefined();
    expect(globex.data).toEqual({ workflow: null });
    expect(stack.simulator.calls.length).toBeGreaterThan(0);
    expect(authorizations()).toEqual(new Set([bearer(DEMO_TOKENS.globex)]));
  });
});

describe('a missing or unusable Authorization header', () => {
  it.each([
    ['no header', null],
    ['a Basic header', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l'],
    ['Bearer with no token', 'Bearer '],
    ['Bearer with two words', 'Bearer a b'],
  ])('fails the affected fields with UNAUTHENTICATED and calls nothing upstream: %s', async (_, authorization) => {
    const fields = await stack.gql(
      `query($id: ID!) { workflow(id: $id) { name } execution(id: "fl_run_01k8x246q8q8e4mzfw3045a8ch") { status } }`,
      { id: acmeBusiest },
      { authorization },
    );
    expect(codes(fields)).toEqual(['UNAUTHENTICATED']);
    expect(fields.data).toEqual({ workflow: null, execution: null });
    expectCode(fields, 'UNAUTHENTICATED', ['workflow']);
    expectCode(fields, 'UNAUTHENTICATED', ['execution']);
    const list = await stack.gql(`{ workflows { totalCount } }`, {}, { authorization });
    expectCode(list, 'UNAUTHENTICATED', ['workflows']);
    expect(list.data).toBeNull(); // workflows is non-null: nothing of the root survives
    expect(stack.simulator.calls).toEqual([]);
  });
});

describe('upstream refusals', () => {
  it('maps an upstream 401 for a well-formed unknown token to UNAUTHENTICATED', async () => {
    const authorization = 'Bearer not.a.known-token';
    const response = await stack.gql(`{ workflows { totalCount } }`, {}, { authorization });
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.data).toBeNull();
    expect(stack.simulator.calls.map((c) => [c.path, c.authorization])).toEqual([['/workflows', authorization]]);
  });

  it('maps an upstream 403 for a suspended organisation to FORBIDDEN', async () => {
    const response = await stack.gql(`query($id: ID!) { workflow(id: $id) { name } }`, { id: acmeBusiest }, {
      authorization: bearer(DEMO_TOKENS.suspended),
    });
    expect(codes(response)).toEqual(['FORBIDDEN']);
    expectCode(response, 'FORBIDDEN', ['workflow']);
    expect(response.data).toEqual({ workflow: null });
    expect(stack.simulator.calls.map((c) => c.authorization)).toEqual([bearer(DEMO_TOKENS.suspended)]);
  });

  it.each([
    ['an unknown token (401)', 'eyJzZWNyZXQiOiJkby1ub3QtZWNobyJ9.c2VjcmV0LXRva2VuLXZhbHVl.c2lnbmF0dXJl'],
    ['a suspended token (403)', DEMO_TOKENS.suspended],
  ])('never echoes the token anywhere in the response body: %s', async (_, token) => {
    const response = await stack.gql(
      `query($id: ID!) { workflows { totalCount } workflow(id: $id) { name executions { nodes { id } } } }`,
      { id: acmeBusiest },
      { authorization: bearer(token) },
    );
    expect(codes(response).length).toBeGreaterThan(0);
    expect(JSON.stringify(response)).not.toContain(token);
    expect(stack.simulator.calls.length).toBeGreaterThan(0);
    expect(authorizations()).toEqual(new Set([bearer(token)]));
  });

  it('never echoes a malformed header either', async () => {
    const authorization = 'Basic c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3M=';
    const response = await stack.gql(`{ workflows { totalCount } }`, {}, { authorization });
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(JSON.stringify(response)).not.toContain('c2VjcmV0LXVzZXI6c2VjcmV0LXBhc3M');
    expect(stack.simulator.calls).toEqual([]);
  });
});

describe('introspection', () => {
  it('answers without a token and makes no upstream call', async () => {
    const response = await stack.gql(`{ __schema { queryType { name } } }`, {}, { authorization: null });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect(stack.simulator.calls).toEqual([]);
  });
});
