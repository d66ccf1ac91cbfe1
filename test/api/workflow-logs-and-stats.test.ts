/**
 * Workflow.stats, Workflow.logs and Query.recentLogs over real HTTP against the simulator: values
 * as Altostrat computes them, keyset pages that a walk sees whole while runs arrive, the gateway's
 * own filter, one call per workflow per request, and the cost estimate of each new root field.
 */
import { getOperationAST, parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { estimateUpstreamCalls } from '../../src/cost/estimate.js';
import { compareNewestFirst } from '../../src/pagination/keyset.js';
import { createSchema } from '../../src/server.js';
import { bearer, DEMO_TOKENS, expectCode, startStack, type GraphQLResponse, type Stack } from '../support/stack.js';

let stack: Stack;
let wanId: string;
let theirs: string;

beforeAll(async () => {
  stack = await startStack();
  wanId = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.name === 'WAN failover alert')!.id;
  theirs = stack.simulator.workflowsOf(DEMO_TOKENS.globex)[0]!.id;
});
afterAll(() => stack.close());
beforeEach(() => stack.simulator.clearCalls());

interface LogJson {
  id: string;
  node_id: string;
  status: string;
  created_at: string;
}

/** Ground truth: what Altostrat itself answers, newest first in the gateway's order. */
async function upstream<T>(path: string): Promise<T> {
  const response = await fetch(stack.simulator.url + path, { headers: { authorization: bearer(DEMO_TOKENS.acme) } });
  return (await response.json()) as T;
}
const ordered = (logs: LogJson[]) => [...logs].sort((a, b) => compareNewestFirst({ id: a.id, createdAt: a.created_at }, { id: b.id, createdAt: b.created_at }));

const LOGS = `query($id: ID!, $first: Int, $after: String, $filter: WorkflowLogFilter) {
  workflow(id: $id) { logs(first: $first, after: $after, filter: $filter) { pageInfo { hasNextPage endCursor } nodes { id nodeId status createdAt } } }
}`;

/** Every entry of a walk with endCursor, `between` running after each page. */
async function walk(variables: Record<string, unknown>, between: () => void = () => {}): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 200; page++) {
    const { data, errors }: GraphQLResponse = await stack.gql(LOGS, { ...variables, after });
    expect(errors).toBeUndefined();
    const { nodes, pageInfo } = data.workflow.logs as { nodes: Array<{ id: string }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    seen.push(...nodes.map((n) => n.id));
    between();
    if (!pageInfo.hasNextPage) return seen;
    after = pageInfo.endCursor;
  }
  throw new Error('the walk did not end');
}

describe('Workflow.stats', () => {
  it('answers Altostrat’s counts as StatusCount lists, with one call', async () => {
    const truth = await upstream<{ log_statuses: Record<string, number>; recent_runs: Record<string, number>; total_runs: number; success_rate: number }>(`/workflows/${wanId}/logs/stats`);
    stack.simulator.clearCalls();
    const { data } = await stack.gql('query($id: ID!) { workflow(id: $id) { stats { totalRuns successRate logStatuses { status count } recentRuns { status count } } } }', { id: wanId });
    const counts = (map: Record<string, number>) => Object.entries(map).map(([status, count]) => ({ status, count }));
    expect(data.workflow.stats).toEqual({
      totalRuns: truth.total_runs,
      successRate: truth.success_rate,
      logStatuses: counts(truth.log_statuses),
      recentRuns: counts(truth.recent_runs),
    });
    expect(stack.simulator.calls.map((c) => c.path)).toEqual([`/workflows/${wanId}/logs/stats`]);
  });

  it('fails with UPSTREAM_ERROR, never a masked bug, when Altostrat sends a count past what a GraphQL Int holds', async () => {
    const body = JSON.stringify({ log_statuses: { success: 2 ** 33 }, recent_runs: {}, total_runs: 2 ** 33, success_rate: null });
    stack.simulator.configure({ fault: (call) => (call.path.endsWith('/logs/stats') ? { status: 200, body } : undefined) });
    try {
      const response = await stack.gql('query($id: ID!) { workflow(id: $id) { id stats { totalRuns logStatuses { count } } } }', { id: wanId });
      expect(expectCode(response, 'UPSTREAM_ERROR', ['workflow', 'stats']).message).not.toMatch(/cannot represent|8589934592/);
      expect(response.data).toEqual({ workflow: { id: wanId, stats: null } });
    } finally {
      stack.simulator.configure({ fault: undefined });
    }
  });

  it('is null, without an error, for a workflow the token cannot see', async () => {
    for (const id of [theirs, 'fl_doesnotexist000001']) {
      const { data, errors } = await stack.gql('query($id: ID!) { workflow(id: $id) { id stats { totalRuns } } }', { id });
      expect(errors).toBeUndefined();
      expect(data.workflow).toEqual({ id, stats: null });
    }
  });

  it('is null alone, the workflow kept, when Altostrat answers 404 for the stats of a workflow that exists (a release without the route)', async () => {
    stack.simulator.configure({ fault: (call) => (call.path === `/workflows/${wanId}/logs/stats` ? { status: 404, body: '{"message":"Not found."}' } : undefined) });
    try {
      const name = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id === wanId)!.name;
      const byId = await stack.gql('query($id: ID!) { workflow(id: $id) { id name stats { totalRuns } } node(id: $id) { ... on Workflow { name stats { totalRuns } } } }', { id: wanId });
      expect(byId.errors).toBeUndefined();
      expect(byId.data).toEqual({ workflow: { id: wanId, name, stats: null }, node: { name, stats: null } });
      const listed = await stack.gql('{ workflows(first: 100) { nodes { id stats { totalRuns } } } }');
      expect(listed.errors).toBeUndefined();
      expect(listed.data.workflows.nodes.find((w: { id: string }) => w.id === wanId)).toEqual({ id: wanId, stats: null });
    } finally {
      stack.simulator.configure({ fault: undefined });
    }
  });
});

describe('Workflow.logs', () => {
  it('makes a workflow the token cannot see null, without an error, as its executions do', async () => {
    const { data, errors } = await stack.gql('query($id: ID!) { workflow(id: $id) { logs(first: 1) { nodes { id } } } }', { id: theirs });
    expect(errors).toBeUndefined();
    expect(data.workflow).toBeNull();
  });

  it('walks every entry exactly once, newest first, from one call per page request', async () => {
    const truth = ordered(await upstream<LogJson[]>(`/workflows/${wanId}/logs`));
    stack.simulator.clearCalls();
    expect(await walk({ id: wanId, first: 40 })).toEqual(truth.map((l) => l.id));
    expect(stack.simulator.calls.every((c) => c.path === `/workflows/${wanId}/logs`)).toBe(true);
  });

  it('never skips or repeats an entry while new runs add logs between pages', async () => {
    const before = ordered(await upstream<LogJson[]>(`/workflows/${wanId}/logs`)).map((l) => l.id);
    const seen = await walk({ id: wanId, first: 50 }, () => stack.simulator.insertRuns(wanId, 2));
    expect(seen).toEqual(before);
  });

  it('finds a failed run’s failing step under Altostrat’s word for it, `error`, which the stats count', async () => {
    const failing = stack.simulator
      .workflowsOf(DEMO_TOKENS.acme)
      .map((w) => ({ id: w.id, steps: stack.simulator.runsOf(w.id).filter((run) => run.status === 'failed' && run.logs.length > 0).map((run) => run.logs.at(-1)!) }))
      .find((w) => w.steps.length > 0)!;
    expect(failing.steps.map((log) => log.status)).toEqual(failing.steps.map(() => 'error'));
    const { data } = await stack.gql(
      'query($id: ID!) { workflow(id: $id) { stats { logStatuses { status count } } logs(first: 100, filter: { status: "error" }) { nodes { id } } } }',
      { id: failing.id },
    );
    const errors = data.workflow.logs.nodes.map((log: { id: string }) => log.id);
    expect(errors).toEqual(expect.arrayContaining(failing.steps.map((log) => log.id)));
    expect(data.workflow.stats.logStatuses).toContainEqual({ status: 'error', count: errors.length });
  });

  it('filters by status, node and time range itself, sending no parameter upstream', async () => {
    const truth = ordered(await upstream<LogJson[]>(`/workflows/${wanId}/logs`));
    const since = truth[Math.floor(truth.length / 2)]!.created_at;
    const until = truth[5]!.created_at;
    const nodeId = truth[0]!.node_id;
    const expected = truth.filter((l) => l.status === 'success' && l.node_id === nodeId && l.created_at >= since && l.created_at < until).map((l) => l.id);
    stack.simulator.clearCalls();
    expect(await walk({ id: wanId, first: 3, filter: { status: 'success', nodeId, since, until } })).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    // totalCount counts the whole filtered list, not the page.
    const counted = await stack.gql('query($id: ID!, $filter: WorkflowLogFilter) { workflow(id: $id) { all: logs(first: 1) { totalCount } kept: logs(first: 1, filter: $filter) { totalCount } } }', {
      id: wanId,
      filter: { status: 'success', nodeId, since, until },
    });
    expect(counted.data.workflow).toEqual({ all: { totalCount: truth.length }, kept: { totalCount: expected.length } });
    expect(stack.simulator.calls.every((c) => c.path === `/workflows/${wanId}/logs` && c.page === null)).toBe(true);
  });

  it('makes one call per workflow however many logs and stats fields ask, and fetches no workflow', async () => {
    const { errors } = await stack.gql(`query($id: ID!) { workflow(id: $id) {
      a: logs(first: 2) { nodes { id } } b: logs(filter: { status: "error" }) { nodes { id } }
      s: stats { totalRuns } t: stats { successRate }
    } }`, { id: wanId });
    expect(errors).toBeUndefined();
    expect(stack.simulator.calls.map((c) => c.path).sort()).toEqual([`/workflows/${wanId}/logs`, `/workflows/${wanId}/logs/stats`]);
  });

  it('refuses bad arguments before any call: first over 100, another list’s cursor, a bound that is no timestamp', async () => {
    expectCode(await stack.gql(LOGS, { id: wanId, first: 101 }), 'BAD_USER_INPUT');
    const other = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id !== wanId)!.id;
    const { data } = await stack.gql(LOGS, { id: other, first: 1 });
    stack.simulator.clearCalls();
    expectCode(await stack.gql(LOGS, { id: wanId, after: data.workflow.logs.pageInfo.endCursor }), 'BAD_USER_INPUT');
    expectCode(await stack.gql(LOGS, { id: wanId, filter: { since: 'last tuesday' } }), 'BAD_USER_INPUT');
    expect(stack.simulator.calls).toEqual([]);
  });
});

describe('Query.recentLogs', () => {
  it('pages the recent entries across workflows, newest first, and back again', async () => {
    const truth = ordered(await upstream<LogJson[]>('/workflows/logs/recent')).map((l) => l.id);
    const query = 'query($after: String, $before: String, $first: Int, $last: Int) { recentLogs(first: $first, after: $after, last: $last, before: $before) { pageInfo { endCursor startCursor hasNextPage hasPreviousPage } nodes { id } } }';
    const first = (await stack.gql(query, { first: 25 })).data.recentLogs;
    expect(first.nodes.map((n: { id: string }) => n.id)).toEqual(truth.slice(0, 25));
    const second = (await stack.gql(query, { first: 25, after: first.pageInfo.endCursor })).data.recentLogs;
    expect(second.nodes.map((n: { id: string }) => n.id)).toEqual(truth.slice(25, 50));
    expect(second.pageInfo.hasPreviousPage).toBe(true);
    const back = (await stack.gql(query, { last: 10, before: second.pageInfo.startCursor })).data.recentLogs;
    expect(back.nodes.map((n: { id: string }) => n.id)).toEqual(truth.slice(15, 25));
  });
});

describe('the cost estimate', () => {
  const schema = createSchema();
  const estimate = (query: string) => {
    const document = parse(query);
    return estimateUpstreamCalls({ schema, document, operation: getOperationAST(document)!, variables: {}, perPage: 15 });
  };

  it('counts stats and logs as one call each per workflow, and log connections as one call', () => {
    expect(estimate('{ workflow(id: "fl_a") { stats { totalRuns } logs(first: 100) { nodes { id } } } }')).toBe(2);
    expect(estimate('{ workflows(first: 10) { nodes { stats { totalRuns } logs { nodes { id } } } } }')).toBe(1 + 10 * 2);
    expect(estimate('{ recentLogs(first: 100) { nodes { id output } } }')).toBe(1);
  });

  it('counts the plain lists as one call, and each of up to 100 items that needs a fetch', () => {
    expect(estimate('{ vaultItems { id name } workflowAuthorizations { id status } triggerableWorkflows { id name } }')).toBe(3);
    expect(estimate('{ triggerableWorkflows { isActive } }')).toBe(1 + 100);
    expect(estimate('{ vaultItem(id: "vlt_a") { name } node(id: "auth_a") { id } }')).toBe(1);
    expect(estimate('{ node(id: "auth_a") { ... on WorkflowAuthorization { status } } }')).toBe(1);
  });

  it('counts each write as its call and what its payload asks beyond the answer', () => {
    expect(estimate('mutation { deleteVaultItem(input: { id: "vlt_a" }) { deletedVaultItemId } }')).toBe(1);
    expect(estimate('mutation { rerunExecution(input: { executionId: "fl_run_a" }) { execution { id } rerunOf { logs { id } } } }')).toBe(2);
    expect(estimate('mutation { validateWorkflow: startWorkflowAuthorization { url } }')).toBe(1);
  });
});
