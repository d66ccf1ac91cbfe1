/**
 * Errors (docs/guarantees.md, "Errors"), over HTTP: each code from the input or the upstream fault
 * that causes it, null (not an error) for what does not exist, partial results around a failed
 * field, and a gateway that stays healthy after every fault. The gateway's call deadline is short
 * (300 ms) so that a stalled call is given up and retried several times within the request's
 * deadline (10 s), and that deadline is shorter than the Retry-After below, so a 429 answers at once
 * instead of being waited out (upstream-faults.test.ts covers retries).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../src/demo/simulator.js';
import { DEMO_TOKENS, expectCode, startStack, workflowsByRuns, type GraphQLResponse, type Stack } from '../support/stack.js';
import { until } from '../support/wait.js';

let stack: Stack;
let idA: string; // Acme's busiest workflow
let idB: string; // another Acme workflow with runs

/** The gateway's default UPSTREAM_RETRIES: a transient fault costs this many attempts per call. */
const ATTEMPTS = 1 + 2;

beforeAll(async () => {
  stack = await startStack({}, { UPSTREAM_TIMEOUT_MS: '300', REQUEST_TIMEOUT_MS: '10000' });
  [idA, idB] = workflowsByRuns(stack.simulator) as [string, string];
});
afterAll(() => stack.close());
beforeEach(() => {
  stack.simulator.configure({ fault: undefined, inlineLogs: undefined, pageSize: undefined, latencyMs: undefined });
  stack.simulator.clearCalls();
});

/** gql() that also checks what every response must: each error carries `extensions.code`. */
async function gql(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> {
  const response = await stack.gql(query, variables);
  expect(response.status).toBe(200);
  for (const error of response.errors ?? []) {
    expect(error.extensions?.code, `an error without a code: ${JSON.stringify(error)}`).toEqual(expect.any(String));
  }
  return response;
}

const EXECUTIONS = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  workflow(id: $id) { executions(first: $first, after: $after, last: $last, before: $before) { nodes { id } } }
}`;

const WORKFLOW = `query($id: ID!) { workflow(id: $id) { id name executions(first: 3) { totalCount nodes { id status } } } }`;

/** What WORKFLOW must answer for `id`, from the simulator's ground truth. */
function expectedWorkflow(id: string) {
  const runs = stack.simulator.runsOf(id);
  return {
    id,
    name: stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id === id)!.name,
    executions: { totalCount: runs.length, nodes: runs.slice(0, 3).map((r) => ({ id: r.id, status: r.status.toUpperCase() })) },
  };
}

/** The upstream paths called, each once (a retried call counts once). */
const distinctPaths = () => [...new Set(stack.simulator.calls.map((c) => c.path))].sort();

/** After a fault: with the fault gone, a normal query answers in full. */
async function expectHealthy(): Promise<void> {
  stack.simulator.configure({ fault: undefined });
  stack.simulator.clearCalls();
  const response = await gql(WORKFLOW, { id: idA });
  expect(response.errors).toBeUndefined();
  expect(response.data).toEqual({ workflow: expectedWorkflow(idA) });
  expect(stack.simulator.calls).toHaveLength(2);
}

async function endCursorOf(query: string, variables: Record<string, unknown>, pick: (data: any) => string): Promise<string> {
  const cursor = pick((await gql(query, variables)).data);
  expect(cursor).toEqual(expect.any(String));
  stack.simulator.clearCalls();
  return cursor;
}

describe('BAD_USER_INPUT', () => {
  // A size the connection would refuse is refused with the cost estimate, before the operation
  // runs (wherever the connection is, so no call is made for what it is under): no data, and the
  // error points at the field in the document.
  it.each([
    [{ first: 101 }, 'between 0 and 100'],
    [{ first: -1 }, 'between 0 and 100'],
    [{ last: 500 }, 'between 0 and 100'],
    [{ first: 5, last: 5 }, 'not both'],
  ])('rejects executions(%j) before the operation runs, saying what to do', async (args, advice) => {
    const response = await gql(EXECUTIONS, { id: idA, ...args });
    const error = expectCode(response, 'BAD_USER_INPUT');
    expect(error.message).toContain(advice);
    expect((error as { locations?: unknown }).locations).toEqual([{ line: 2, column: EXECUTIONS.split('\n')[1]!.indexOf('executions(') + 1 }]);
    expect(response.data).toBeUndefined();
    expect(stack.simulator.calls).toEqual([]);
  });

  it('does not refuse a non-null variable with a default that is left out: it takes the default', async () => {
    const response = await gql(`query($id: ID!, $n: Int! = 3) { workflow(id: $id) { executions(first: $n) { edges { node { id } } } } }`, { id: idA });
    expect(response.errors).toBeUndefined();
    expect(response.data.workflow.executions.edges).toHaveLength(3);
  });

  it.each([
    ['compiled', 'query($id: ID = "x") { workflow(id: $id) { id name } }'],
    ['on graphql-js', 'query($id: ID = "x", $yes: Boolean = true) { workflow(id: $id) @include(if: $yes) { id name } }'],
  ])('answers an explicit null for a non-null argument, through a variable with a default, as the caller’s input (%s)', async (_, query) => {
    const response = await gql(query, { id: null });
    expect(expectCode(response, 'BAD_USER_INPUT', ['workflow']).message).toBe('Argument "id" of non-null type "ID!" must not be null.');
    expect(stack.simulator.calls).toEqual([]);
  });

  it('rejects a cursor it cannot read before any upstream call, saying what to do', async () => {
    const response = await gql(EXECUTIONS, { id: idA, after: 'nope' });
    expect(expectCode(response, 'BAD_USER_INPUT', ['workflow', 'executions']).message).toContain('leave it out to start at the beginning');
    expect(response.data).toEqual({ workflow: null });
    expect(stack.simulator.calls).toEqual([]);
  });

  it('points each error raised in a resolver at the field it is about, through aliases, fragments and lists', async () => {
    const response = await gql(`{
  all: workflows(first: 2) { nodes { ...Runs } }
}
fragment Runs on Workflow { executions(first: 1, after: "nope") { totalCount } }`);
    const error = expectCode(response, 'BAD_USER_INPUT', ['all', 'nodes', 0, 'executions']);
    expect((error as { locations?: unknown }).locations).toEqual([{ line: 4, column: 29 }]);
  });

  it('points an error only at the field that ran, not at a field of the same name under another type', async () => {
    const query = `query($id: ID!) { node(id: $id) {
  ... on WorkflowExecution { x: workflow { id } }
  ... on Workflow { x: stats { totalRuns } }
} }`;
    stack.simulator.configure({ fault: (call) => (call.path.endsWith('/logs/stats') ? { status: 500 } : undefined) });
    try {
      const error = expectCode(await gql(query, { id: idA }), 'UPSTREAM_ERROR', ['node', 'x']);
      expect((error as { locations?: unknown }).locations).toEqual([{ line: 3, column: query.split('\n')[2]!.indexOf('x:') + 1 }]);
    } finally {
      stack.simulator.configure({ fault: undefined });
    }
  });

  it('rejects workflows(first: 101) before any upstream call', async () => {
    const response = await gql(`{ workflows(first: 101) { totalCount } }`);
    expect(expectCode(response, 'BAD_USER_INPUT').message).toContain('between 0 and 100');
    expect(response.data).toBeUndefined();
    expect(stack.simulator.calls).toEqual([]);
  });

  it('rejects a cursor of another workflow’s executions', async () => {
    const cursor = await endCursorOf(
      `query($id: ID!) { workflow(id: $id) { executions(first: 3) { pageInfo { endCursor } } } }`,
      { id: idA },
      (d) => d.workflow.executions.pageInfo.endCursor,
    );
    const response = await gql(EXECUTIONS, { id: idB, first: 3, after: cursor });
    expect(expectCode(response, 'BAD_USER_INPUT', ['workflow', 'executions']).message).toContain('only with the list they came from');
    expect(stack.simulator.calls).toEqual([]);
  });

  it('rejects a workflows cursor passed to executions', async () => {
    const cursor = await endCursorOf(`{ workflows(first: 1) { pageInfo { endCursor } } }`, {}, (d) => d.workflows.pageInfo.endCursor);
    const response = await gql(EXECUTIONS, { id: idA, first: 3, after: cursor });
    expect(expectCode(response, 'BAD_USER_INPUT', ['workflow', 'executions']).message).toContain('not a cursor of this list');
    expect(stack.simulator.calls).toEqual([]);
  });

  it('rejects node(id) for an id that is neither a workflow nor an execution', async () => {
    const response = await gql(`{ node(id: "abc") { id } }`);
    const error = expectCode(response, 'BAD_USER_INPUT', ['node']);
    expect(error.message).toContain('fl_run_');
    expect((error as { locations?: unknown }).locations).toEqual([{ line: 1, column: 3 }]);
    expect(response.data).toEqual({ node: null });
    // A log entry's id is one of Altostrat's, but names no node: the message says so.
    const log = expectCode(await gql(`{ node(id: "fl_log_01k8x246q8q8e4mzfw3045a8cl") { id } }`), 'BAD_USER_INPUT', ['node']);
    expect(log.message).toMatch(/^A log entry is not a node/);
    expect(stack.simulator.calls).toEqual([]);
  });
});

describe('OPERATION_RESOLUTION_FAILURE', () => {
  it('answers an operationName the document does not have, or several operations with none named, before any call', async () => {
    for (const body of [
      { query: 'query A { workflows(first: 1) { totalCount } }', operationName: 'B' },
      { query: 'query A { workflows(first: 1) { totalCount } } query B { __typename }' },
    ]) {
      const response = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_TOKENS.acme}` },
        body: JSON.stringify(body),
      });
      expectCode({ status: response.status, ...((await response.json()) as object) }, 'OPERATION_RESOLUTION_FAILURE');
    }
    expect(stack.simulator.calls).toEqual([]);
  });
});

describe('the HTTP status of a request refused before it runs', () => {
  const send = (body: unknown, accept: string) =>
    fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_TOKENS.acme}`, accept },
      body: JSON.stringify(body),
    });

  it.each([
    ['over the call budget', { query: '{ workflows(first: 101) { totalCount } }' }],
    ['a negative `first`', { query: '{ workflows(first: -1) { totalCount } }' }],
    ['an Int variable given 1.5', { query: 'query($f: Int) { workflows(first: $f) { totalCount } }', variables: { f: 1.5 } }],
    ['a required variable left out', { query: 'query($f: Int!) { workflows(first: $f) { totalCount } }' }],
    ['over the alias limit', { query: `{ ${Array.from({ length: 80 }, (_, i) => `a${i}: __typename`).join(' ')} }` }],
  ])('is 400 under application/graphql-response+json, 200 under application/json: %s', async (_, body) => {
    const strict = await send(body, 'application/graphql-response+json');
    const json = (await strict.json()) as GraphQLResponse;
    expect(json).not.toHaveProperty('data');
    expectCode({ ...json, status: strict.status }, 'BAD_USER_INPUT');
    expect(strict.status).toBe(400);
    expect((await send(body, 'application/json')).status).toBe(200);
    expect(stack.simulator.calls).toEqual([]);
  });

  it('is 400 under application/graphql-response+json, 200 under application/json, when it names no operation it can pick', async () => {
    const body = { query: 'query A { __typename } query B { __typename }' };
    const strict = await send(body, 'application/graphql-response+json');
    expectCode({ ...((await strict.json()) as GraphQLResponse), status: strict.status }, 'OPERATION_RESOLUTION_FAILURE');
    expect(strict.status).toBe(400);
    expect((await send(body, 'application/json')).status).toBe(200);
  });

  it('is 400 under either for a request that is not a GraphQL request at all (no query)', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const response = await send({ variables: {} }, accept);
      expect(response.status, accept).toBe(400);
      expectCode({ ...((await response.json()) as GraphQLResponse), status: response.status }, 'BAD_REQUEST');
    }
  });

  it('is 400 for a body that is not JSON, which it never quotes (a vault secret may be in it)', async () => {
    const body = `${JSON.stringify({ query: 'mutation($s: String!) { createVaultItem(input: { name: "abc", secret: $s }) { vaultItem { id } } }', variables: { s: 'S3cr3t-hunter2-value' } })}x`;
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const response = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_TOKENS.acme}`, accept }, body });
      expect(response.status).toBe(400);
      const text = await response.text();
      expect(JSON.parse(text).errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(text).not.toContain('hunter2');
    }
    expect(stack.simulator.calls).toEqual([]);
  });

  it('reads media types as HTTP defines them: names in any case, white space around `;`, and Accept by preference', async () => {
    const ask = (headers: Record<string, string>) =>
      fetch(stack.url, { method: 'POST', headers: { authorization: `Bearer ${DEMO_TOKENS.acme}`, ...headers }, body: JSON.stringify({ query: '{ __typename }' }) });
    for (const contentType of ['Application/JSON', 'APPLICATION/JSON', 'application/json ;charset=utf-8', 'application/json; Charset=UTF-8']) {
      const response = await ask({ 'content-type': contentType });
      expect(response.status, contentType).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    }
    for (const [accept, answered] of [
      ['application/graphql-response+json;q=0, application/json', 'application/json'],
      ['application/json;q=0.1, application/graphql-response+json', 'application/graphql-response+json'],
      ['*/*;q=0.1, application/graphql-response+json', 'application/graphql-response+json'],
      ['application/json, application/graphql-response+json', 'application/json'],
    ]) {
      const response = await ask({ 'content-type': 'application/json', accept: accept! });
      expect(response.headers.get('content-type'), accept).toMatch(new RegExp(`^${answered!.replace('+', '\\+')};`));
    }
  });

  it('locates a variable that does not fit its type at its definition', async () => {
    const response = await gql('query Q($f: Int) { workflows(first: $f) { totalCount } }', { f: 1.5 });
    expectCode(response, 'BAD_USER_INPUT');
    expect((response.errors![0] as { locations?: unknown }).locations).toEqual([{ line: 1, column: 9 }]);
  });
});

describe('what does not exist', () => {
  it('is a null workflow, not an error', async () => {
    const response = await gql(`{ workflow(id: "fl_doesnotexist") { name } }`);
    expect(response).toEqual({ status: 200, data: { workflow: null } });
    expect(stack.simulator.calls.map((c) => c.path)).toEqual(['/workflows/fl_doesnotexist']);
  });

  it('is a null execution, not an error', async () => {
    const response = await gql(`{ execution(id: "fl_run_doesnotexist") { status } }`);
    expect(response).toEqual({ status: 200, data: { execution: null } });
    expect(stack.simulator.calls.map((c) => c.path)).toEqual(['/workflows/runs/fl_run_doesnotexist']);
  });

  it('is a null workflow when only its executions are asked for and the list answers 404', async () => {
    const response = await gql(`{ workflow(id: "fl_doesnotexist") { executions { totalCount } } }`);
    expect(response).toEqual({ status: 200, data: { workflow: null } });
    expect(stack.simulator.calls.map((c) => c.path)).toEqual(['/workflows/fl_doesnotexist/executions']);
  });
});

describe('RATE_LIMITED', () => {
  it('carries retryAfterSeconds from the upstream’s Retry-After', async () => {
    stack.simulator.configure({ fault: () => ({ status: 429, headers: { 'retry-after': '30' } }) });
    const response = await gql(WORKFLOW, { id: idA });
    const error = expectCode(response, 'RATE_LIMITED');
    expect(error.extensions!.retryAfterSeconds).toBe(30);
    expect(error.message).toContain('30 s');
    expect(response.data).toEqual({ workflow: null });
    expect(distinctPaths()).toEqual([`/workflows/${idA}`, `/workflows/${idA}/executions`]);
    await expectHealthy();
  });

  it('has no retryAfterSeconds when the upstream gave no Retry-After', async () => {
    stack.simulator.configure({ fault: () => ({ status: 429 }) });
    const response = await gql(WORKFLOW, { id: idA });
    expect(expectCode(response, 'RATE_LIMITED').extensions).not.toHaveProperty('retryAfterSeconds');
    expect(distinctPaths()).toEqual([`/workflows/${idA}`, `/workflows/${idA}/executions`]);
    await expectHealthy();
  });
});

describe('UPSTREAM_ERROR', () => {
  it.each<[string, Fault, string]>([
    ['a 503', { status: 503 }, 'with HTTP 503'],
    ['an HTML 500', { kind: 'html500' }, 'with HTTP 500'],
    ['malformed JSON', { kind: 'malformed' }, 'not JSON'],
    ['a body of the wrong shape', { kind: 'wrongShape' }, 'unexpected shape'],
    ['a connection reset mid-body', { kind: 'reset' }, 'could not be reached'],
  ])('answers %s with UPSTREAM_ERROR, never the upstream body, and stays healthy', async (_, fault, says) => {
    stack.simulator.configure({ fault: () => fault });
    const response = await gql(WORKFLOW, { id: idA });
    const error = expectCode(response, 'UPSTREAM_ERROR');
    expect(response.errors!.map((e) => e.extensions!.code)).toEqual(response.errors!.map(() => 'UPSTREAM_ERROR'));
    expect(response.data).toEqual({ workflow: null });
    const messages = JSON.stringify(response.errors);
    for (const text of ['<html', 'Server Error', 'oops', 'Service Unavailable', 'fl_run_01k8x246q8q8e4mzfw3045a8ch']) {
      expect(messages).not.toContain(text);
    }
    expect(error.message).toMatch(/^Altostrat /);
    expect(error.message).toContain(says);
    expect(distinctPaths()).toEqual([`/workflows/${idA}`, `/workflows/${idA}/executions`]);
    await expectHealthy();
  });

  it('gives up a stalled call at UPSTREAM_TIMEOUT_MS, hanging up on each attempt, well within the request deadline', async () => {
    stack.simulator.configure({ fault: () => ({ kind: 'stall' }) });
    const response = await gql(WORKFLOW, { id: idA });
    expect(expectCode(response, 'UPSTREAM_ERROR').message).toMatch(/^Altostrat .*did not answer/);
    expect(response.errors!.map((e) => e.extensions!.code)).toEqual(response.errors!.map(() => 'UPSTREAM_ERROR'));
    expect(response.data).toEqual({ workflow: null });
    // Every attempt that the retries allow, all within the 10 s request deadline: the 300 ms call
    // deadline ended each one, and the simulator saw the gateway hang up on it.
    const stalled = stack.simulator.calls;
    for (const path of [`/workflows/${idA}`, `/workflows/${idA}/executions`]) {
      expect(stalled.filter((c) => c.path === path), path).toHaveLength(ATTEMPTS);
    }
    await until('the gateway hung up on every stalled call', () => stalled.every((c) => c.endedAt !== undefined));
    await expectHealthy();
  });
});

describe('partial results', () => {
  it('fails alone a field whose value Altostrat sent in a shape the schema does not have, on either executor', async () => {
    const answer = async (path: string) => (await fetch(`${stack.simulator.url}${path}`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } })).json();
    const workflows = (await answer('/workflows')) as Array<Record<string, unknown>>;
    const page = (await answer(`/workflows/${idA}/executions?page=1`)) as { data: Array<Record<string, unknown>> };
    workflows[1]!.schedule_type = 'hourly'; // a schedule type Altostrat added
    workflows[2]!.description = 42; // not text, though GraphQL's String would show it as "42"
    page.data[0]!.duration_in_seconds = '3.50'; // a decimal sent as a string: GraphQL's Float reads it
    page.data[1]!.error_message = ['a', 'list'];
    page.data[1]!.duration_in_seconds = true; // not a number, though GraphQL's Float would show it as 1
    stack.simulator.configure({
      fault: (call) =>
        call.path === '/workflows' ? { status: 200, body: JSON.stringify(workflows) } : call.path === `/workflows/${idA}/executions` && call.page === 1 ? { status: 200, body: JSON.stringify(page) } : undefined,
    });
    for (const directive of ['', '@include(if: true)']) {
      const response = await gql(`{
        workflows(first: 3) ${directive} { nodes { id name scheduleType description } }
        workflow(id: "${idA}") { executions(first: 2) { nodes { id durationInSeconds errorMessage } } }
      }`);
      const nodes = response.data.workflows.nodes as Array<Record<string, unknown>>;
      expect(nodes.map((n) => n.id)).toEqual(workflows.slice(0, 3).map((w) => w.id));
      expect([nodes[1]!.scheduleType, nodes[2]!.description]).toEqual([null, null]);
      expect(nodes[0]!.scheduleType).toEqual(expect.any(String));
      const runs = response.data.workflow.executions.nodes as Array<Record<string, unknown>>;
      expect(runs.map((r) => [r.durationInSeconds, r.errorMessage])).toEqual([[3.5, page.data[0]!.error_message ?? null], [null, null]]);
      expect(response.errors!.map((e) => [e.extensions!.code, e.path])).toEqual([
        ['UPSTREAM_ERROR', ['workflows', 'nodes', 1, 'scheduleType']],
        ['UPSTREAM_ERROR', ['workflows', 'nodes', 2, 'description']],
        ['UPSTREAM_ERROR', ['workflow', 'executions', 'nodes', 1, 'durationInSeconds']],
        ['UPSTREAM_ERROR', ['workflow', 'executions', 'nodes', 1, 'errorMessage']],
      ]);
    }
  });

  it('fails alone every nullable leaf of another shape, of every record: times, a rate, a vault item’s expiry, an authorization’s words', async () => {
    const answer = async (path: string) => (await fetch(`${stack.simulator.url}${path}`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } })).json();
    const [workflow, page, stats, vault, authorizations] = (await Promise.all(
      [`/workflows/${idA}`, `/workflows/${idA}/executions?page=1`, `/workflows/${idA}/logs/stats`, '/workflows/vault', '/workflows/authorization'].map(answer),
    )) as [Record<string, unknown>, { data: Array<Record<string, unknown>> }, Record<string, unknown>, Array<Record<string, unknown>>, Array<Record<string, unknown>>];
    workflow.next_run_at = 12345;
    page.data[0]!.completed_at = 'later';
    page.data[1]!.started_at = false;
    stats.success_rate = 'n/a';
    vault[0]!.expires_at = 'soon';
    authorizations[0]!.provider = 7;
    const bodies: Record<string, unknown> = {
      [`/workflows/${idA}`]: workflow,
      [`/workflows/${idA}/executions`]: page,
      [`/workflows/${idA}/logs/stats`]: stats,
      '/workflows/vault': vault,
      '/workflows/authorization': authorizations,
    };
    stack.simulator.configure({ fault: (call) => (call.path in bodies && (call.page ?? 1) === 1 ? { status: 200, body: JSON.stringify(bodies[call.path]) } : undefined) });
    const response = await gql(`{
      workflow(id: "${idA}") { id nextRunAt stats { totalRuns successRate } executions(first: 2) { nodes { id startedAt completedAt } } }
      vaultItems { id expiresAt }
      workflowAuthorizations { id provider }
    }`);
    expect(response.data.workflow.id).toBe(idA);
    expect(response.data.workflow.stats).toEqual({ totalRuns: stats.total_runs, successRate: null });
    expect(response.data.workflow.executions.nodes.map((r: { id: string }) => r.id)).toEqual(page.data.slice(0, 2).map((r) => r.id));
    expect(response.data.vaultItems.map((v: { id: string }) => v.id)).toEqual(vault.map((v) => v.id));
    expect(response.data.workflowAuthorizations.map((a: { id: string }) => a.id)).toEqual(authorizations.map((a) => a.id));
    expect(response.errors!.map((e) => [e.extensions!.code, e.path!.join('.')]).sort()).toEqual(
      [
        ['UPSTREAM_ERROR', 'workflow.nextRunAt'],
        ['UPSTREAM_ERROR', 'workflow.stats.successRate'],
        ['UPSTREAM_ERROR', 'workflow.executions.nodes.0.completedAt'],
        ['UPSTREAM_ERROR', 'workflow.executions.nodes.1.startedAt'],
        ['UPSTREAM_ERROR', 'vaultItems.0.expiresAt'],
        ['UPSTREAM_ERROR', 'workflowAuthorizations.0.provider'],
      ].sort(),
    );
  });

  it('reads a success rate sent as a decimal string as the number', async () => {
    const stats = (await (await fetch(`${stack.simulator.url}/workflows/${idA}/logs/stats`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } })).json()) as Record<string, unknown>;
    stack.simulator.configure({ fault: (call) => (call.path.endsWith('/logs/stats') ? { status: 200, body: JSON.stringify({ ...stats, success_rate: '97.5' }) } : undefined) });
    const response = await gql(`{ workflow(id: "${idA}") { stats { successRate } } }`);
    expect(response).toMatchObject({ data: { workflow: { stats: { successRate: 97.5 } } } });
    expect(response.errors).toBeUndefined();
  });

  it('answers an id of the wrong shape in a list as Altostrat’s fault, never as the caller’s bad input', async () => {
    stack.simulator.configure({ fault: (call) => (call.path === '/workflows/triggerable-workflows' ? { status: 200, body: JSON.stringify([{ id: 'fl_not-an-id', name: 'x' }]) } : undefined) });
    const response = await gql('{ triggerableWorkflows { id name isActive } }');
    expectCode(response, 'UPSTREAM_ERROR', ['triggerableWorkflows']);
    expect(response.errors!.map((e) => e.extensions!.code)).toEqual(['UPSTREAM_ERROR']);
  });

  it('nulls only the workflow whose executions failed, the error at its executions, and the other alias arrives complete', async () => {
    stack.simulator.configure({ fault: (call) => (call.path.includes(`${idB}/executions`) ? { status: 503 } : undefined) });
    const query = `query($a: ID!, $b: ID!) {
      a: workflow(id: $a) { id name executions(first: 3) { totalCount nodes { id status } } }
      b: workflow(id: $b) { id name executions(first: 3) { totalCount nodes { id status } } }
    }`;
    const response = await gql(query, { a: idA, b: idB });
    expect(response.errors).toHaveLength(1);
    expectCode(response, 'UPSTREAM_ERROR', ['b', 'executions']);
    // executions is non-null, so the error nulls the nearest nullable field: b itself.
    expect(response.data).toEqual({ a: expectedWorkflow(idA), b: null });
    expect(distinctPaths()).toEqual(
      [`/workflows/${idA}`, `/workflows/${idA}/executions`, `/workflows/${idB}`, `/workflows/${idB}/executions`].sort(),
    );
    await expectHealthy();
  });
});
