/**
 * The upstream-call budget (docs/guarantees.md, "The upstream-call budget"), read from the
 * simulator's call log: each distinct call once, only the calls the query needs, independent calls
 * side by side. "Side by side" is read from when each call began and ended, never from how long the
 * request took: the simulator's latency only keeps calls in flight long enough to be seen together.
 */
import { getOperationAST, parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { estimateUpstreamCalls } from '../../src/cost/estimate.js';
import { createSchema } from '../../src/server.js';
import { callsTo, maxInFlight, overlapped, startStack, workflowsByRuns, type Stack } from '../support/stack.js';

let stack: Stack;
let busiest: string;
let other: string;

beforeAll(async () => {
  stack = await startStack({ pageSize: 15 });
  [busiest, other] = workflowsByRuns(stack.simulator) as [string, string];
});
afterAll(() => stack.close());
beforeEach(() => {
  stack.simulator.configure({ pageSize: 15, inlineLogs: true, latencyMs: 0 });
  stack.simulator.clearCalls();
});

const pagesAsked = () => callsTo(stack.simulator, 'executions').map((c) => c.page);

async function cursorAfter(position: number): Promise<string> {
  const response = await stack.gql(`query($id: ID!, $n: Int) { workflow(id: $id) { executions(first: $n) { pageInfo { endCursor } } } }`, {
    id: busiest,
    n: position,
  });
  stack.simulator.clearCalls();
  return response.data.workflow.executions.pageInfo.endCursor;
}

describe('the upstream-call budget', () => {
  it('fetches exactly pages 1 and 2, together, for first: 20 after the 10th run on 15-run pages', async () => {
    const after = await cursorAfter(10);
    stack.simulator.configure({ latencyMs: 200 });
    const response = await stack.gql(
      `query($id: ID!, $after: String) { workflow(id: $id) { executions(first: 20, after: $after) { edges { node { id } } } } }`,
      { id: busiest, after },
    );
    expect(response.data.workflow.executions.edges.map((e: any) => e.node.id)).toEqual(
      stack.simulator.runsOf(busiest).slice(10, 30).map((r) => r.id),
    );
    expect(pagesAsked().sort()).toEqual([1, 2]);
    expect(stack.simulator.calls).toHaveLength(2);
    // Together: page 2 was asked for while page 1 was still in flight, not after its answer.
    expect(maxInFlight(stack.simulator.calls)).toBe(2);
  });

  it('makes identical calls once across aliases, fragments and repeated paths', async () => {
    const response = await stack.gql(
      `query($id: ID!) {
        a: workflow(id: $id) { name ...Runs }
        b: workflow(id: $id) { name description executions(first: 5) { nodes { id logs { id } } } }
        c: node(id: $id) { ... on Workflow { isActive ...Runs } }
      }
      fragment Runs on Workflow { executions(first: 5) { totalCount nodes { id status } } }`,
      { id: busiest },
    );
    expect(response.errors).toBeUndefined();
    expect(callsTo(stack.simulator, 'workflow')).toHaveLength(1);
    expect(pagesAsked()).toEqual([1]);
    expect(stack.simulator.calls).toHaveLength(2);
  });

  it('does not fetch the workflow when only its id and executions are asked for', async () => {
    await stack.gql(`query($id: ID!) { workflow(id: $id) { id executions(first: 3) { nodes { id } } } }`, { id: busiest });
    expect(callsTo(stack.simulator, 'workflow')).toHaveLength(0);
    expect(pagesAsked()).toEqual([1]);
  });

  it('fetches the workflow and its executions side by side, not one after the other, also when only its runs ask for it', async () => {
    stack.simulator.configure({ latencyMs: 200 });
    for (const query of [
      `query($id: ID!) { workflow(id: $id) { name executions(first: 3) { nodes { id } } } }`,
      // A run's workflow is this one.
      `query($id: ID!) { workflow(id: $id) { executions(first: 3) { nodes { id workflow { name } } } } }`,
      `query($id: ID!) { workflow(id: $id) { executions(first: 3) { edges { node { ...Run } } } } } fragment Run on WorkflowExecution { id workflow { name } }`,
    ]) {
      stack.simulator.clearCalls();
      const response = await stack.gql(query, { id: busiest });
      expect(response.errors).toBeUndefined();
      const [workflow] = callsTo(stack.simulator, 'workflow');
      const [page] = callsTo(stack.simulator, 'executions');
      expect(stack.simulator.calls).toHaveLength(2);
      expect(overlapped(workflow!, page!), 'the workflow and its executions page were in flight at the same time').toBe(true);
    }
  });

  it('fetches a workflow’s stats beside its record, not after it', async () => {
    stack.simulator.configure({ latencyMs: 200 });
    const response = await stack.gql(`query($id: ID!) { workflow(id: $id) { name stats { totalRuns } } }`, { id: busiest });
    expect(response.errors).toBeUndefined();
    const [workflow] = callsTo(stack.simulator, 'workflow');
    const stats = stack.simulator.calls.find((c) => c.path === `/workflows/${busiest}/logs/stats`);
    expect(stack.simulator.calls).toHaveLength(2);
    expect(overlapped(workflow!, stats!), 'the workflow and its stats were in flight at the same time').toBe(true);
  });

  it('lets no connection wait for another: one root’s runs are read while another root’s connection still pages', async () => {
    stack.simulator.configure({ inlineLogs: false, latencyMs: 200 });
    // b's connection takes one wave (page 1), then its runs are read; a's `last` takes two (page 1
    // for the total, then the last pages). b's run reads go out beside a's second wave.
    const response = await stack.gql(
      `query($a: ID!, $b: ID!) {
        a: workflow(id: $a) { executions(last: 3) { nodes { id } } }
        b: workflow(id: $b) { executions(first: 2) { nodes { id logs { id } } } }
      }`,
      { a: busiest, b: other },
    );
    expect(response.errors).toBeUndefined();
    const lastPages = callsTo(stack.simulator, 'executions').filter((c) => c.path.includes(busiest) && c.page !== 1);
    const runs = callsTo(stack.simulator, 'runs');
    expect([lastPages.length > 0, runs.length]).toEqual([true, 2]);
    for (const run of runs) expect(overlapped(run, lastPages[0]!), 'b’s run reads were in flight with a’s last pages').toBe(true);
  });

  it('answers a listed workflow’s runs’ workflow from the list, with no call of its own', async () => {
    const response = await stack.gql(`{ workflows(first: 2) { nodes { name executions(first: 2) { nodes { workflow { id name } } } } } }`);
    expect(response.errors).toBeUndefined();
    for (const workflow of response.data.workflows.nodes as Array<{ name: string; executions: { nodes: Array<{ workflow: { name: string } }> } }>) {
      expect(workflow.executions.nodes.map((run) => run.workflow.name)).toEqual(workflow.executions.nodes.map(() => workflow.name));
    }
    expect(callsTo(stack.simulator, 'workflow')).toHaveLength(0);
  });

  it('reads totalCount alone from a single page', async () => {
    const response = await stack.gql(`query($id: ID!) { workflow(id: $id) { executions(first: 50) { totalCount } } }`, { id: busiest });
    expect(response.data.workflow.executions.totalCount).toBe(stack.simulator.runsOf(busiest).length);
    expect(stack.simulator.calls).toHaveLength(1);
  });

  it('needs no run fetch when the list carries the logs', async () => {
    const response = await stack.gql(`query($id: ID!) { workflow(id: $id) { executions(first: 20) { nodes { id logs { id } } } } }`, {
      id: busiest,
    });
    expect(response.data.workflow.executions.nodes).toHaveLength(20);
    expect(callsTo(stack.simulator, 'runs')).toHaveLength(0);
  });

  it('fetches each run once, all together, when the list leaves the logs out', async () => {
    stack.simulator.configure({ inlineLogs: false, latencyMs: 400 });
    const response = await stack.gql(
      `query($id: ID!) { workflow(id: $id) { executions(first: 20) { nodes { id logs { id } again: logs { nodeId } } } } }`,
      { id: busiest },
    );
    expect(response.errors).toBeUndefined();
    const runIds = stack.simulator.runsOf(busiest).slice(0, 20).map((r) => r.id);
    const runs = callsTo(stack.simulator, 'runs');
    const pages = callsTo(stack.simulator, 'executions');
    expect(runs.map((c) => c.path.split('/').pop()).sort()).toEqual([...runIds].sort());
    // Two waves: pages 1 and 2 together (the page size is known by now), then the 20 runs together.
    expect(pages.map((c) => c.page).sort()).toEqual([1, 2]);
    expect(maxInFlight(pages)).toBe(2);
    expect(maxInFlight(runs)).toBe(20);
    expect(stack.simulator.calls).toHaveLength(22);
  });

  it.each(['first: 0', 'last: 0'])('makes one call, within the estimate, for executions(%s) whose runs ask their workflow', async (size) => {
    const query = `query($id: ID!) { workflow(id: $id) { executions(${size}) { totalCount nodes { workflow { name } } } } }`;
    const document = parse(query);
    const estimate = estimateUpstreamCalls({ schema: createSchema(), document, operation: getOperationAST(document)!, variables: { id: other }, perPage: 15 });
    const response = await stack.gql(query, { id: other });
    expect(response.errors).toBeUndefined();
    expect(response.data.workflow.executions.nodes).toEqual([]);
    // No run could read the workflow: it is not fetched beside the page.
    expect(stack.simulator.calls.map((c) => c.path)).toEqual([`/workflows/${other}/executions`]);
    expect(estimate).toBeGreaterThanOrEqual(stack.simulator.calls.length);
  });

  it('makes no call for a workflow or an execution asked only for its id', async () => {
    const response = await stack.gql(`query($id: ID!) { workflow(id: $id) { id } node(id: "fl_run_x") { id } }`, { id: other });
    expect(response.data).toEqual({ workflow: { id: other }, node: { id: 'fl_run_x' } });
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('sends no call once the answer is known: when a failed non-null root field nulls `data`, its siblings’ next waves are not sent', async () => {
    // `@include` runs it on graphql-js's executor, which answers as soon as `data` is nulled while the
    // sibling is still reading its list; without the end of its calls, that list's answer would
    // send a read of each run, after the response.
    stack.simulator.configure({ inlineLogs: false, latencyMs: 100 });
    const query = `query($id: ID!, $yes: Boolean = true) {
  workflows(before: "nope") @include(if: $yes) { totalCount }
  workflow(id: $id) { executions(first: 5) { nodes { logs { id } } } }
}`;
    const response = await stack.gql(query, { id: busiest });
    expect(response.data).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(callsTo(stack.simulator, 'runs')).toEqual([]);
  });
});
