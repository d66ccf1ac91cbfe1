/**
 * Editing, checking and running workflows through GraphQL, over real HTTP against the simulator:
 * what each operation sends upstream (the call log: method, path, snake_case body, headers), what
 * it answers, each error mapping (422 -> BAD_USER_INPUT with `fieldErrors` in the schema's names,
 * 404 -> NOT_FOUND, no answer -> `outcomeUnknown`), and that later fields of a request see what an
 * earlier write did.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_JSON_INPUT_DEPTH } from '../../src/resolvers/scalars.js';
import { DEMO_TOKENS, expectCode, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let authorizationId: string;
let wanId: string; // an active Acme workflow with runs
let theirs: string; // a Globex workflow: 404 for Acme's token

beforeAll(async () => {
  stack = await startStack({ stepMs: 1 });
  const byName = new Map(stack.simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => [w.name, w.id]));
  wanId = byName.get('WAN failover alert')!;
  theirs = stack.simulator.workflowsOf(DEMO_TOKENS.globex)[0]!.id;
  authorizationId = (await stack.gql('{ workflowAuthorizations { id } }')).data.workflowAuthorizations[0].id;
});
afterAll(() => stack.close());
beforeEach(() => {
  stack.simulator.configure({ fault: undefined });
  stack.simulator.clearCalls();
});

const graph = (trigger = 'manual_trigger') => ({
  nodes: [
    { id: 'n1', type: 'trigger', componentId: trigger, position: { x: 0, y: 0 } },
    { id: 'n2', type: 'action', componentId: 'http_request', position: { x: 280, y: 0 }, data: { url: 'https://core.example/ping' } },
  ],
  edges: [{ id: 'e1', source: 'n1', target: 'n2' }],
});
const definition = (overrides: Record<string, unknown> = {}) => ({ name: 'Ping the core', authorizationId, graph: graph(), ...overrides });

/** The body Altostrat should receive for `definition()`: snake_case, the component in `data`. */
const upstreamDefinition = () => ({
  name: 'Ping the core',
  authorization_id: authorizationId,
  nodes: [
    { id: 'n1', type: 'trigger', position: { x: 0, y: 0 }, data: { componentId: 'manual_trigger' } },
    { id: 'n2', type: 'action', position: { x: 280, y: 0 }, data: { url: 'https://core.example/ping', componentId: 'http_request' } },
  ],
  edges: [{ id: 'e1', source: 'n1', target: 'n2', sourceHandle: null }],
});

const VALIDATE = 'query($input: WorkflowDefinitionInput!) { validateWorkflow(input: $input) { valid errors } }';
const CREATE = `mutation($input: CreateWorkflowInput!) {
  createWorkflow(input: $input) { workflow { id name isActive scheduleType graph { nodes { id componentId data } edges { source target } } } }
}`;
const UPDATE = 'mutation($input: UpdateWorkflowInput!) { updateWorkflow(input: $input) { workflow { id name description isActive } } }';
const DELETE = 'mutation($id: ID!) { deleteWorkflow(input: { id: $id }) { deletedWorkflowId } }';
const RERUN = `mutation($id: ID!, $key: String) {
  rerunExecution(input: { executionId: $id, idempotencyKey: $key }) { execution { id status } rerunOf { id } }
}`;
const SYNC = 'mutation($id: ID!, $payload: JSON) { runWorkflowSync(input: { workflowId: $id, payload: $payload }) { output } }';
const TEST_NODE = `mutation($input: TestWorkflowNodeInput!) { testWorkflowNode(input: $input) { status output } }`;

const writes = () => stack.simulator.calls.filter((c) => c.method !== 'GET');

describe('validateWorkflow', () => {
  it('sends the definition in Altostrat’s words and answers valid for a good one', async () => {
    const { data } = await stack.gql(VALIDATE, { input: definition() });
    expect(data.validateWorkflow).toEqual({ valid: true, errors: [] });
    expect(stack.simulator.calls.map((c) => [c.method, c.path, c.body])).toEqual([['POST', '/workflows/validate', upstreamDefinition()]]);
  });

  it('answers valid: false with every message for a bad definition, saving nothing', async () => {
    const before = stack.simulator.workflowsOf(DEMO_TOKENS.acme).length;
    const twoTriggers = { nodes: [graph().nodes[0], { ...graph().nodes[1], type: 'trigger' }], edges: [] };
    const { data } = await stack.gql(VALIDATE, { input: definition({ graph: twoTriggers, scheduleType: 'INTERVAL' }) });
    expect(data.validateWorkflow).toEqual({
      valid: false,
      errors: ['A workflow must have exactly one trigger node (type "trigger"), found 2.', 'The schedule value field is required when schedule type is interval.'],
    });
    expect(stack.simulator.calls[0]!.body).toMatchObject({ schedule_type: 'interval' });
    expect(stack.simulator.workflowsOf(DEMO_TOKENS.acme)).toHaveLength(before);
  });

  it('reads a 422 as valid: false too, and a malformed authorization id without a call', async () => {
    const refused = await stack.gql(VALIDATE, { input: definition({ name: '' }) });
    expect(refused.data.validateWorkflow).toEqual({ valid: false, errors: ['The name field is required.'] });
    stack.simulator.clearCalls();
    const malformed = await stack.gql(VALIDATE, { input: definition({ authorizationId: 'nope' }) });
    expect(malformed.data.validateWorkflow.valid).toBe(false);
    expect(stack.simulator.calls).toEqual([]);
  });
});

describe('createWorkflow', () => {
  it('creates the workflow from the schema’s input and answers it whole, with no second call', async () => {
    const { data, errors } = await stack.gql(CREATE, { input: definition({ isActive: false, scheduleType: 'CRON', scheduleValue: '0 4 * * *' }) });
    expect(errors).toBeUndefined();
    const created = data.createWorkflow.workflow;
    expect(created).toMatchObject({ name: 'Ping the core', isActive: false, scheduleType: 'CRON' });
    expect(created.graph.nodes.map((n: { componentId: string }) => n.componentId)).toEqual(['manual_trigger', 'http_request']);
    expect(created.graph.nodes[1].data).toEqual({ url: 'https://core.example/ping', componentId: 'http_request' });
    expect(stack.simulator.calls.map((c) => [c.method, c.path, c.body])).toEqual([
      ['POST', '/workflows', { ...upstreamDefinition(), is_active: false, schedule_type: 'cron', schedule_value: '0 4 * * *' }],
    ]);
    expect(stack.simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => w.id)).toContain(created.id);
  });

  it.each([
    { what: 'an authorization of another organisation', input: () => definition({ authorizationId: 'auth_nope' }), field: 'authorizationId' },
    { what: 'no trigger node', input: () => definition({ graph: { nodes: [graph().nodes[1]], edges: [] } }), field: 'graph.nodes' },
    { what: 'a node without a component', input: () => definition({ graph: { nodes: [graph().nodes[0], { id: 'n2', type: 'action' }], edges: [] } }), field: 'graph.nodes.1.componentId' },
    { what: 'an edge to a missing node', input: () => definition({ graph: { ...graph(), edges: [{ source: 'n1', target: 'n9' }] } }), field: 'graph.edges.0.target' },
    { what: 'an interval without a value', input: () => definition({ scheduleType: 'INTERVAL' }), field: 'scheduleValue' },
  ])('with $what is BAD_USER_INPUT with fieldErrors on $field, sent once', async ({ input, field }) => {
    const response = await stack.gql(CREATE, { input: input() });
    const error = expectCode(response, 'BAD_USER_INPUT', ['createWorkflow']);
    expect(Object.keys(error.extensions!.fieldErrors)).toEqual([field]);
    expect(error.extensions!.fieldErrors[field][0]).toEqual(expect.any(String));
    expect(writes()).toHaveLength(1);
  });

  it('refuses a malformed authorization id before any call, in fieldErrors too', async () => {
    const response = await stack.gql(CREATE, { input: definition({ authorizationId: 'fl_notanauth' }) });
    expect(Object.keys(expectCode(response, 'BAD_USER_INPUT').extensions!.fieldErrors)).toEqual(['authorizationId']);
    expect(stack.simulator.calls).toEqual([]);
  });

  it('answers a workflow whose node `data` nests as deep as an input may: the write is never lost to its answer', async () => {
    const nested = (depth: number): Record<string, unknown> => (depth === 1 ? { leaf: true } : { a: nested(depth - 1) });
    const withData = (data: Record<string, unknown>) => ({ ...graph(), nodes: [graph().nodes[0]!, { ...graph().nodes[1]!, data }] });
    const response = await stack.gql(CREATE, { input: definition({ graph: withData(nested(MAX_JSON_INPUT_DEPTH)) }) });
    expect(response.errors).toBeUndefined();
    let value = response.data.createWorkflow.workflow.graph.nodes[1].data;
    for (let level = 1; level < MAX_JSON_INPUT_DEPTH; level++) value = value.a;
    expect(value).toEqual({ leaf: true });
    expectCode(await stack.gql(CREATE, { input: definition({ graph: withData(nested(MAX_JSON_INPUT_DEPTH + 1)) }) }), 'BAD_USER_INPUT');
  });

  it('refuses a node `data` that is not a JSON object before any call, and takes null as an empty one', async () => {
    for (const data of [['keep', 'me'], 'keep me', 42]) {
      const nodes = [graph().nodes[0], { ...graph().nodes[1], data }];
      const response = await stack.gql(CREATE, { input: definition({ graph: { ...graph(), nodes } }) });
      expect(Object.keys(expectCode(response, 'BAD_USER_INPUT', ['createWorkflow']).extensions!.fieldErrors)).toEqual(['graph.nodes.1.data']);
      const checked = await stack.gql(VALIDATE, { input: definition({ graph: { ...graph(), nodes } }) });
      expect(checked.data.validateWorkflow).toEqual({ valid: false, errors: [expect.stringContaining('graph.nodes.1.data')] });
    }
    expect(stack.simulator.calls).toEqual([]);
    const nulled = await stack.gql(CREATE, { input: definition({ graph: { ...graph(), nodes: [graph().nodes[0], { ...graph().nodes[1], data: null }] } }) });
    expect(nulled.errors).toBeUndefined();
    expect(writes()[0]!.body).toMatchObject({ nodes: [{}, { data: { componentId: 'http_request' } }] });
  });

  it('reads the other error shape the docs show, `{type, code, message, param}`', async () => {
    const body = JSON.stringify({ type: 'invalid_request_error', code: 'parameter_missing', message: 'authorization_id is missing', param: 'authorization_id', doc_url: 'https://docs.altostrat.io' });
    stack.simulator.configure({ fault: () => ({ status: 422, body }) });
    const error = expectCode(await stack.gql(CREATE, { input: definition() }), 'BAD_USER_INPUT');
    expect(error.extensions!.fieldErrors).toEqual({ authorizationId: ['authorization_id is missing'] });
  });

  it.each([
    { fault: { status: 401 }, code: 'UNAUTHENTICATED' },
    { fault: { status: 403 }, code: 'FORBIDDEN' },
    { fault: { status: 429, headers: { 'retry-after': '7' } }, code: 'RATE_LIMITED' },
    { fault: { status: 503 }, code: 'UPSTREAM_ERROR' },
  ])('maps an upstream $fault.status to $code without retrying the write', async ({ fault, code }) => {
    stack.simulator.configure({ fault: () => fault });
    expectCode(await stack.gql(CREATE, { input: definition() }), code, ['createWorkflow']);
    expect(writes()).toHaveLength(1);
  });

  it('says outcomeUnknown when the connection broke after the write was sent', async () => {
    stack.simulator.configure({ fault: () => ({ kind: 'reset' }) });
    const error = expectCode(await stack.gql(CREATE, { input: definition() }), 'UPSTREAM_ERROR');
    expect(error.extensions!.outcomeUnknown).toBe(true);
    expect(writes()).toHaveLength(1);
  });
});

describe('updateWorkflow', () => {
  it('sends only the fields given, and answers the workflow as Altostrat did', async () => {
    const { data } = await stack.gql(UPDATE, { input: { id: wanId, name: 'WAN failover page', description: null } });
    expect(data.updateWorkflow.workflow).toMatchObject({ id: wanId, name: 'WAN failover page', description: null, isActive: true });
    expect(stack.simulator.calls.map((c) => [c.method, c.path, c.body])).toEqual([['PUT', `/workflows/${wanId}`, { name: 'WAN failover page', description: null }]]);
  });

  it('is NOT_FOUND for a workflow the token cannot see, BAD_USER_INPUT for a malformed id, and maps a 422', async () => {
    expectCode(await stack.gql(UPDATE, { input: { id: theirs, name: 'Mine now' } }), 'NOT_FOUND', ['updateWorkflow']);
    stack.simulator.clearCalls();
    expectCode(await stack.gql(UPDATE, { input: { id: 'fl_run_x', name: 'x' } }), 'BAD_USER_INPUT');
    expect(stack.simulator.calls).toEqual([]);
    const refused = expectCode(await stack.gql(UPDATE, { input: { id: wanId, scheduleType: 'CRON', scheduleValue: null } }), 'BAD_USER_INPUT');
    expect(Object.keys(refused.extensions!.fieldErrors)).toEqual(['scheduleValue']);
  });

  it('fetches the graph once when the answer leaves it out', async () => {
    const { nodes: _nodes, edges: _edges, ...bare } = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id === wanId)!;
    stack.simulator.configure({ fault: (call) => (call.method === 'PUT' ? { status: 200, body: JSON.stringify({ ...bare, name: 'Without its graph' }) } : undefined) });
    const { data, errors } = await stack.gql(`mutation($id: ID!) {
      updateWorkflow(input: { id: $id, name: "Without its graph" }) { workflow { name graph { nodes { id } } } }
    }`, { id: wanId });
    expect(errors, JSON.stringify(errors)).toBeUndefined();
    expect(data.updateWorkflow.workflow.name).toBe('Without its graph');
    expect(data.updateWorkflow.workflow.graph.nodes.length).toBeGreaterThan(0);
    expect(stack.simulator.calls.map((c) => [c.method, c.path])).toEqual([['PUT', `/workflows/${wanId}`], ['GET', `/workflows/${wanId}`]]);
  });

  it('lets later fields of the same request read the updated workflow without fetching it', async () => {
    const runId = stack.simulator.runsOf(wanId).find((r) => r.status === 'completed')!.id;
    const { data, errors } = await stack.gql(`mutation($id: ID!, $run: ID!) {
      updateWorkflow(input: { id: $id, name: "Renamed in this request" }) { workflow { name } }
      rerunExecution(input: { executionId: $run }) { rerunOf { workflow { name isActive } } }
    }`, { id: wanId, run: runId });
    expect(errors).toBeUndefined();
    expect(data.rerunExecution.rerunOf.workflow.name).toBe('Renamed in this request');
    expect(stack.simulator.calls.filter((c) => c.method === 'GET' && c.path === `/workflows/${wanId}`)).toEqual([]);
  });
});

describe('deleteWorkflow', () => {
  it('takes any 2xx as deleted, without reading its body', async () => {
    const { data: created } = await stack.gql(CREATE, { input: definition({ name: 'Deleted with a word' }) });
    const id = created.createWorkflow.workflow.id;
    stack.simulator.configure({ fault: (call) => (call.method === 'DELETE' ? { status: 200, body: 'OK', headers: { 'content-type': 'text/plain' } } : undefined) });
    const { data, errors } = await stack.gql(DELETE, { id });
    expect(errors, JSON.stringify(errors)).toBeUndefined();
    expect(data.deleteWorkflow).toEqual({ deletedWorkflowId: id });
  });

  it('deletes a workflow with its runs; a second delete is NOT_FOUND', async () => {
    const { data: created } = await stack.gql(CREATE, { input: definition({ name: 'Short-lived' }) });
    const id = created.createWorkflow.workflow.id;
    const { data } = await stack.gql(DELETE, { id });
    expect(data.deleteWorkflow).toEqual({ deletedWorkflowId: id });
    expect(writes().at(-1)).toMatchObject({ method: 'DELETE', path: `/workflows/${id}` });
    expect((await stack.gql('query($id: ID!) { workflow(id: $id) { name } }', { id })).data.workflow).toBeNull();
    expectCode(await stack.gql(DELETE, { id }), 'NOT_FOUND', ['deleteWorkflow']);
  });
});

describe('triggerableWorkflows', () => {
  it('lists the active workflows in one call, and fetches a workflow only for fields the list lacks', async () => {
    const active = stack.simulator.workflowsOf(DEMO_TOKENS.acme).filter((w) => w.is_active);
    const { data } = await stack.gql('{ triggerableWorkflows { id name } }');
    expect(data.triggerableWorkflows).toEqual(active.map((w) => ({ id: w.id, name: w.name })));
    expect(stack.simulator.calls.map((c) => c.path)).toEqual(['/workflows/triggerable-workflows']);
    stack.simulator.clearCalls();
    const full = await stack.gql('{ triggerableWorkflows { isActive } }');
    expect(full.data.triggerableWorkflows.every((w: { isActive: boolean }) => w.isActive)).toBe(true);
    expect(stack.simulator.calls).toHaveLength(1 + active.length);
  });
});

describe('rerunExecution', () => {
  it('starts a new run with the key as Idempotency-Key, and answers it with the original', async () => {
    const done = stack.simulator.runsOf(wanId).find((r) => r.status === 'failed')!;
    const { data } = await stack.gql(RERUN, { id: done.id, key: 'rerun-graphql-1' });
    expect(data.rerunExecution).toEqual({ execution: { id: expect.stringMatching(/^fl_run_/), status: 'PENDING' }, rerunOf: { id: done.id } });
    expect(writes()).toEqual([expect.objectContaining({ method: 'POST', path: `/workflows/runs/${done.id}/rerun`, idempotencyKey: 'rerun-graphql-1' })]);
    expect(stack.simulator.runsOf(wanId)[0]!.id).toBe(data.rerunExecution.execution.id);
  });

  it('maps a refused rerun to fieldErrors on executionId, and an unknown run to NOT_FOUND', async () => {
    const running = stack.simulator.runsOf(wanId).find((r) => r.status === 'running' || r.status === 'pending');
    if (running) {
      const error = expectCode(await stack.gql(RERUN, { id: running.id }), 'BAD_USER_INPUT');
      expect(Object.keys(error.extensions!.fieldErrors)).toEqual(['executionId']);
    }
    expectCode(await stack.gql(RERUN, { id: 'fl_run_doesnotexist' }), 'NOT_FOUND', ['rerunExecution']);
  });

  it('makes later fields of the same request read the run list again', async () => {
    const done = stack.simulator.runsOf(wanId).find((r) => r.status === 'completed')!;
    const newest = '{ rerunOf { workflow { executions(first: 1) { nodes { id } } } } execution { id } }';
    const { data, errors } = await stack.gql(`mutation($id: ID!) {
      a: rerunExecution(input: { executionId: $id }) ${newest}
      b: rerunExecution(input: { executionId: $id }) ${newest}
    }`, { id: done.id });
    expect(errors).toBeUndefined();
    expect(data.a.rerunOf.workflow.executions.nodes[0].id).toBe(data.a.execution.id);
    expect(data.b.rerunOf.workflow.executions.nodes[0].id).toBe(data.b.execution.id);
  });
});

describe('runWorkflowSync', () => {
  /** A workflow with a sync trigger, created through the gateway: its id. */
  async function syncWorkflow(): Promise<string> {
    const lookup = { nodes: [{ id: 's', type: 'trigger', componentId: 'sync_request_trigger' }, { id: 'c', type: 'action', componentId: 'lookup_customer' }], edges: [{ source: 's', target: 'c' }] };
    const { data: created } = await stack.gql(CREATE, { input: definition({ name: 'Lookup', graph: lookup }) });
    stack.simulator.clearCalls();
    return created.createWorkflow.workflow.id;
  }

  it('runs a sync workflow to its end and answers its last output; the body is the payload', async () => {
    const id = await syncWorkflow();
    // `fail: false`: the simulator draws no failure for this run.
    const { data, errors } = await stack.gql(SYNC, { id, payload: { customer: 42, fail: false } });
    expect(errors, JSON.stringify(errors)).toBeUndefined();
    expect(data.runWorkflowSync.output).toEqual({ ok: true, node_id: 'c', component_id: 'lookup_customer' });
    expect(writes()).toEqual([expect.objectContaining({ method: 'POST', path: `/workflows/sync/${id}`, body: { customer: 42, fail: false } })]);
  });

  it.each([
    { answer: { status: 200, body: 'null' }, what: '`null`' },
    { answer: { status: 200, body: '' }, what: 'an empty body' },
    { answer: { status: 204, body: '' }, what: '204' },
  ])('answers a null output for $what, not NOT_FOUND', async ({ answer }) => {
    stack.simulator.configure({ fault: (call) => (call.method === 'POST' ? { ...answer, headers: { 'content-type': 'application/json' } } : undefined) });
    const { data, errors } = await stack.gql(SYNC, { id: wanId });
    expect(errors, JSON.stringify(errors)).toBeUndefined();
    expect(data.runWorkflowSync).toEqual({ output: null });
  });

  it('maps a workflow without a sync trigger to fieldErrors on workflowId, and an unknown one to NOT_FOUND', async () => {
    const error = expectCode(await stack.gql(SYNC, { id: wanId }), 'BAD_USER_INPUT');
    expect(Object.keys(error.extensions!.fieldErrors)).toEqual(['workflowId']);
    expectCode(await stack.gql(SYNC, { id: theirs }), 'NOT_FOUND', ['runWorkflowSync']);
  });

  it('is sent once, and says outcomeUnknown when the answer was lost', async () => {
    const id = await syncWorkflow();
    // Its 200 broken off mid-body: whatever the run did, the gateway cannot say.
    stack.simulator.configure({ fault: (call) => (call.method === 'POST' ? { kind: 'reset' } : undefined) });
    const error = expectCode(await stack.gql(SYNC, { id, payload: { customer: 42, fail: false } }), 'UPSTREAM_ERROR');
    expect(error.extensions!.outcomeUnknown).toBe(true);
    expect(writes()).toHaveLength(1);
  });
});

describe('testWorkflowNode', () => {
  it('runs one node with mock context and answers its status and output', async () => {
    const node = graph().nodes[1];
    const { data } = await stack.gql(TEST_NODE, { input: { node, context: { n2: { ping: true } }, authorizationId } });
    expect(data.testWorkflowNode).toEqual({
      status: 'success',
      output: { node_id: 'n2', component_id: 'http_request', data: { url: 'https://core.example/ping', componentId: 'http_request' }, input: { ping: true } },
    });
    expect(writes()[0]!.body).toEqual({
      node: { id: 'n2', type: 'action', position: { x: 280, y: 0 }, data: { url: 'https://core.example/ping', componentId: 'http_request' } },
      context: { n2: { ping: true } },
      authorization_id: authorizationId,
    });
  });

  it('refuses a mock context that is not a JSON object before any call', async () => {
    const response = await stack.gql(TEST_NODE, { input: { node: graph().nodes[1], context: [{ n2: { ping: true } }] } });
    expect(Object.keys(expectCode(response, 'BAD_USER_INPUT', ['testWorkflowNode']).extensions!.fieldErrors)).toEqual(['context']);
    expect(stack.simulator.calls).toEqual([]);
  });

  it('maps refusals to the input’s names: node.componentId, authorizationId', async () => {
    const noComponent = await stack.gql(TEST_NODE, { input: { node: { id: 'n2', type: 'action' } } });
    expect(Object.keys(expectCode(noComponent, 'BAD_USER_INPUT').extensions!.fieldErrors)).toEqual(['node.componentId']);
    const otherAuth = await stack.gql(TEST_NODE, { input: { node: graph().nodes[1], authorizationId: 'auth_nope' } });
    expect(Object.keys(expectCode(otherAuth, 'BAD_USER_INPUT').extensions!.fieldErrors)).toEqual(['authorizationId']);
  });
});
