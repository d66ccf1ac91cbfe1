/** What operators and frontend developers see: /metrics, and `extensions.upstream` with UPSTREAM_TRACE. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { callsTo, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let workflowId: string;

beforeAll(async () => {
  stack = await startStack({ inlineLogs: false }, { UPSTREAM_TRACE: 'true' });
  workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
});
afterAll(() => stack.close());

describe('/metrics', () => {
  it('counts operations, errors by code, upstream calls by route and status, and batch sizes, with no token or id', async () => {
    await stack.gql(`query Latest($id: ID!) { workflow(id: $id) { name executions(first: 3) { nodes { logs { id } } } } }`, { id: workflowId });
    await stack.gql(`query Broken { workflows(first: 500) { totalCount } }`);
    await stack.gql(`query ${'x'.repeat(80)} { __typename }`); // not a label-worthy name
    await stack.gql(`query Junk { workflows { totalCount } }`, {}, { authorization: null }); // no token: no label
    const response = await fetch(stack.metricsUrl);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/graphql_requests_total\{operation="Latest"\} 1/);
    // `Broken` made no call that Altostrat accepted, the long name is not a name, `Junk` had no token.
    expect(text).toMatch(/graphql_requests_total\{operation="other"\} 3/);
    expect(text).not.toContain('operation="Junk"');
    expect(text).toMatch(/graphql_request_duration_seconds_bucket\{le="[^"]+",operation="Latest"\}/);
    expect(text).toMatch(/graphql_errors_total\{code="BAD_USER_INPUT"\} 1/);
    expect(text).toMatch(/graphql_errors_total\{code="UNAUTHENTICATED"\} 1/);
    expect(text).toMatch(/upstream_request_duration_seconds_count\{route="GET \/workflows\/\{id\}\/executions",status="200"\} 1/);
    expect(text).toMatch(/upstream_request_duration_seconds_count\{route="GET \/workflows\/runs\/\{id\}",status="200"\} 3/);
    expect(text).toMatch(/dataloader_batch_size_sum\{loader="run"\} 3/);
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).not.toContain(DEMO_TOKENS.acme);
    expect(text).not.toContain(workflowId);
  });
});

describe('extensions.upstream', () => {
  it('lists the calls a query caused, the loads the request’s cache answered, and the runs served from memory', async () => {
    // The first test read these runs whole: the finished ones are remembered, the others read again.
    const runs = stack.simulator.runsOf(workflowId).slice(0, 2);
    const finished = runs.filter((run) => run.status === 'completed' || run.status === 'failed').map((run) => run.id);
    stack.simulator.clearCalls();
    const response = await stack.gql(
      `query($id: ID!) {
        a: workflow(id: $id) { name executions(first: 2) { nodes { logs { id } } } }
        b: workflow(id: $id) { description }
      }`,
      { id: workflowId },
    );
    const upstream = (response as any).extensions.upstream;
    expect(upstream.calls).toBe(stack.simulator.calls.length);
    const calls = upstream.trace.filter((t: any) => !t.cached);
    expect(calls.map((t: any) => t.path).sort()).toEqual(
      [...runs.filter((run) => !finished.includes(run.id)).map(() => '/workflows/runs/{id}'), '/workflows/{id}', '/workflows/{id}/executions'].sort(),
    );
    expect(calls.every((t: any) => t.method === 'GET' && t.status === 200 && typeof t.ms === 'number')).toBe(true);
    expect(upstream.cacheHits).toBeGreaterThan(0);
    expect(upstream.remembered.sort()).toEqual(finished.sort());
    expect(finished.length, 'a remembered run among them').toBeGreaterThan(0);
    expect(JSON.stringify(upstream)).not.toContain(DEMO_TOKENS.acme);
    expect(callsTo(stack.simulator, 'runs')).toHaveLength(runs.length - finished.length);
  });

  it('is on by default in demo mode only', () => {
    expect(loadConfig({}).upstreamTrace).toBe(true);
    expect(loadConfig({ ALTOSTRAT_API_URL: 'https://v1.api.altostrat.io' }).upstreamTrace).toBe(false);
    expect(loadConfig({ ALTOSTRAT_API_URL: 'https://v1.api.altostrat.io', UPSTREAM_TRACE: 'true' }).upstreamTrace).toBe(true);
  });
});

describe('what is written outside the log', () => {
  it('is nothing when a compiled document holds DateTime and JSON literals', async () => {
    const printed = vi.spyOn(console, 'error');
    const warned = vi.spyOn(console, 'warn');
    try {
      const id = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
      const response = await stack.gql(`query($id: ID!) {
  workflow(id: $id) { logs(first: 1, filter: { since: "2025-01-01T00:00:00Z" }) { pageInfo { hasNextPage } } }
  validateWorkflow(input: { name: "n", authorizationId: "auth_1", graph: { nodes: [{ id: "t", type: "trigger", data: { site: "leeds" } }], edges: [] } }) { valid }
}`, { id });
      expect(response.errors).toBeUndefined();
      expect(printed).not.toHaveBeenCalled();
      expect(warned).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
      warned.mockRestore();
    }
  });
});
