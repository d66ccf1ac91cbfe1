/**
 * The cost table (src/field-needs.ts) against what the resolvers really call: every field of
 * Workflow and WorkflowExecution, asked alone from each origin (a lookup by id, a list item), must
 * make exactly the calls the table names, read from `extensions.upstream`. A resolver that starts
 * fetching something the table does not list fails here, and so does a table entry that claims a
 * call the resolver no longer makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLS, FIELD_NEEDS, type FieldNeed } from '../../src/field-needs.js';
import { ROUTES } from '../../src/upstream/client.js';
import { DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

/** A selection of the field: object fields need a sub-selection. */
const SELECTIONS: Record<string, Record<string, string>> = {
  Workflow: {
    graph: 'graph { nodes { id } }',
    executions: 'executions(first: 1) { nodes { id } }',
    stats: 'stats { totalRuns }',
    logs: 'logs(first: 1) { nodes { id } }',
  },
  WorkflowExecution: { logs: 'logs { id }', workflow: 'workflow { id }' },
};
const select = (type: string, field: string) => SELECTIONS[type]![field] ?? field;

let stack: Stack;
let workflowId: string;
let runId: string;

beforeAll(async () => {
  // List items without logs and without graphs, so that only the table's `listed` fields are carried.
  stack = await startStack({ inlineLogs: false, listWorkflowGraph: false }, { UPSTREAM_TRACE: 'true' });
  [workflowId] = stack.simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => w.id) as [string];
  runId = stack.simulator.runsOf(workflowId)[0]!.id;
});
afterAll(() => stack?.close());

/** The distinct routes a query called (loader-cache hits left out). */
async function routesOf(query: string, variables: Record<string, unknown>): Promise<string[]> {
  const response = await stack.gql(query, variables);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const trace = (response as { extensions?: { upstream?: { trace: Array<{ method: string; path: string; cached: boolean }> } } }).extensions!
    .upstream!.trace;
  return [...new Set(trace.filter((t) => !t.cached).map((t) => `${t.method} ${t.path}`))].sort();
}

/** What the table says a field costs from an origin, beside the calls that reach the object. */
const expected = (reach: string[], need: FieldNeed, origin: 'lookup' | 'list') =>
  [...new Set([...reach, ...(need.call && (origin === 'lookup' || !need.listed) ? [CALLS[need.call]] : [])])].sort();

describe('Workflow fields call what the table says', () => {
  it.each(Object.entries(FIELD_NEEDS.Workflow))('%s, looked up by id', async (field, need) => {
    const routes = await routesOf(`query($id: ID!) { workflow(id: $id) { id ${select('Workflow', field)} } }`, { id: workflowId });
    expect(routes).toEqual(expected([], need, 'lookup'));
  });

  it.each(Object.entries(FIELD_NEEDS.Workflow))('%s, as an item of the workflows list', async (field, need) => {
    const routes = await routesOf(`{ workflows(first: 1) { nodes { id ${select('Workflow', field)} } } }`, {});
    expect(routes).toEqual(expected([ROUTES.listWorkflows], need, 'list'));
  });
});

describe('WorkflowExecution fields call what the table says', () => {
  it.each(Object.entries(FIELD_NEEDS.WorkflowExecution))('%s, looked up by id', async (field, need) => {
    const routes = await routesOf(`query($id: ID!) { execution(id: $id) { id ${select('WorkflowExecution', field)} } }`, { id: runId });
    expect(routes).toEqual(expected([], need, 'lookup'));
  });

  it.each(Object.entries(FIELD_NEEDS.WorkflowExecution))('%s, as an item of a workflow’s executions', async (field, need) => {
    const routes = await routesOf(`query($id: ID!) { workflow(id: $id) { executions(first: 1) { nodes { id ${select('WorkflowExecution', field)} } } } }`, {
      id: workflowId,
    });
    expect(routes).toEqual(expected([ROUTES.listExecutions], need, 'list'));
  });
});
