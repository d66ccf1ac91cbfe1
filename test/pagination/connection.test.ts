/**
 * Pagination over HTTP (docs/guarantees.md, "Pagination"): walking a workflow's executions forward
 * and backward gives every run once, in the upstream's order, whatever its page size and while new
 * runs arrive at the head; pageInfo is exact at both ends; workflows page the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault, RecordedCall } from '../../src/demo/simulator.js';
import { DEMO_TOKENS, startStack, workflowsByRuns, type GraphQLResponse, type Stack } from '../support/stack.js';

const EXECUTIONS = `
  query Executions($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    workflow(id: $id) {
      executions(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        edges { cursor node { id status } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }`;

interface Connection {
  totalCount: number;
  edges: Array<{ cursor: string; node: { id: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

let stack: Stack;
let busiest: string; // the workflow with the most runs
let empty: string; // a workflow with none
let fault: ((call: RecordedCall) => Fault | undefined) | undefined;

beforeAll(async () => {
  stack = await startStack({ fault: (call) => fault?.(call) });
  const byRuns = workflowsByRuns(stack.simulator);
  busiest = byRuns[0]!;
  empty = byRuns.find((id) => stack.simulator.runsOf(id).length === 0)!;
});
afterAll(() => stack.close());

async function page(variables: Record<string, unknown>): Promise<Connection> {
  const response = await stack.gql(EXECUTIONS, { id: busiest, ...variables });
  expect(response.errors).toBeUndefined();
  return response.data.workflow.executions;
}

async function walkForward(first: number, between: () => void = () => {}): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let requests = 0; requests < 200; requests++) {
    const connection = await page({ first, after });
    seen.push(...connection.edges.map((e) => e.node.id));
    if (!connection.pageInfo.hasNextPage) return seen;
    after = connection.pageInfo.endCursor;
    between();
  }
  throw new Error('the walk did not end');
}

async function walkBackward(last: number): Promise<string[]> {
  const pages: string[][] = [];
  let before: string | null = null;
  for (let requests = 0; requests < 200; requests++) {
    const connection = await page({ last, before });
    pages.unshift(connection.edges.map((e) => e.node.id));
    if (!connection.pageInfo.hasPreviousPage) return pages.flat();
    before = connection.pageInfo.startCursor;
  }
  throw new Error('the walk did not end');
}

describe('walking a workflow’s executions', () => {
  for (const pageSize of [15, 7, 50]) {
    it(`forward with endCursor gives every run once, in upstream order, on ${pageSize}-run pages`, async () => {
      stack.simulator.configure({ pageSize });
      const truth = stack.simulator.runsOf(busiest).map((r) => r.id);
      expect(await walkForward(20)).toEqual(truth);
      expect(await walkForward(pageSize)).toEqual(truth);
    });

    it(`backward with startCursor gives every run once, in upstream order, on ${pageSize}-run pages`, async () => {
      stack.simulator.configure({ pageSize });
      expect(await walkBackward(25)).toEqual(stack.simulator.runsOf(busiest).map((r) => r.id));
    });
  }

  it('forward while new runs arrive at the head gives every run that was there exactly once', async () => {
    stack.simulator.configure({ pageSize: 15 });
    const truth = stack.simulator.runsOf(busiest).map((r) => r.id);
    let arrivals = 0;
    const seen = await walkForward(20, () => stack.simulator.insertRuns(busiest, 1 + (arrivals++ % 3)));
    expect(arrivals).toBeGreaterThan(5);
    expect(seen).toEqual(truth);
  });

  /**
   * Runs `read` while the busiest workflow's list answers its first pages as Laravel does when a
   * run arrives between its count and its select: page 1 before the run arrived, page 2 counted
   * before and selected after. Later reads of the list are answered as it is.
   */
  async function withRacingPages<R>(read: () => Promise<R>): Promise<R> {
    stack.simulator.configure({ pageSize: 15 });
    const path = `/workflows/${busiest}/executions`;
    const pageOf = async (n: number) =>
      (await (await fetch(`${stack.simulator.url}${path}?page=${n}`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } })).json()) as {
        meta: { total: number };
      };
    const before = await pageOf(1);
    stack.simulator.insertRuns(busiest, 1);
    const shifted = await pageOf(2);
    const racing = { ...shifted, meta: { ...shifted.meta, total: before.meta.total } };
    const scripted = new Map([
      [1, before],
      [2, racing],
    ]);
    fault = (call) => {
      const body = call.path === path ? scripted.get(call.page ?? 1) : undefined;
      scripted.delete(call.page ?? 1);
      return body && { status: 200, body: JSON.stringify(body) };
    };
    try {
      const result = await read();
      expect(scripted.size).toBe(0);
      return result;
    } finally {
      fault = undefined;
    }
  }

  it('reads again, afresh, a list whose pages disagree (a page counted before a run arrived and selected after): each run once', async () => {
    const connection = await withRacingPages(() => page({ first: 40 }));
    expect(connection.edges.map((e) => e.node.id)).toEqual(stack.simulator.runsOf(busiest).slice(0, 40).map((r) => r.id));
  });

  it('reads each page once for two connections of the list that start their reads over together', async () => {
    const query = `query Two($id: ID!) { workflow(id: $id) { a: executions(first: 40) { edges { node { id } } } b: executions(first: 30) { edges { node { id } } } } }`;
    const listed = () => stack.simulator.calls.filter((c) => c.path === `/workflows/${busiest}/executions`).length;
    let calls = 0;
    const response = await withRacingPages(() => {
      calls = listed();
      return stack.gql(query, { id: busiest });
    });
    expect(response.errors).toBeUndefined();
    const truth = stack.simulator.runsOf(busiest).map((r) => r.id);
    expect(response.data.workflow.a.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(truth.slice(0, 40));
    expect(response.data.workflow.b.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(truth.slice(0, 30));
    // Pages 1 to 3 (b needs 1 and 2), then the same three afresh: shared by the two reads each time.
    expect(listed() - calls).toBe(6);
  });

  describe('once it has read a list, plans `first` from its total', () => {
    const pagesAsked = async (id: string, variables: Record<string, unknown>) => {
      const from = stack.simulator.calls.length;
      const response = await stack.gql(EXECUTIONS, { id, ...variables });
      expect(response.errors).toBeUndefined();
      const pages = stack.simulator.calls.slice(from).filter((c) => c.path === `/workflows/${id}/executions`).map((c) => c.page ?? 1);
      return { pages, ids: (response.data.workflow.executions as Connection).edges.map((e) => e.node.id) };
    };

    it('asks for no page past the end of a short list', async () => {
      stack.simulator.configure({ pageSize: 50 });
      // The workflow with the fewest runs but some: on one page of 50, where `first: 100` would take two.
      const short = workflowsByRuns(stack.simulator).findLast((id) => stack.simulator.runsOf(id).length > 0)!;
      expect(stack.simulator.runsOf(short).length).toBeLessThanOrEqual(50);
      await pagesAsked(short, { first: 100 });
      const again = await pagesAsked(short, { first: 100 });
      expect(again.pages).toEqual([1]);
      expect(again.ids).toEqual(stack.simulator.runsOf(short).map((r) => r.id));
    });

    it('reads a list grown past those pages since in one more wave, every run in order', async () => {
      stack.simulator.configure({ pageSize: 50 });
      const short = workflowsByRuns(stack.simulator).findLast((id) => stack.simulator.runsOf(id).length > 0)!;
      await pagesAsked(short, { first: 100 });
      stack.simulator.insertRuns(short, 50);
      const grown = await pagesAsked(short, { first: 100 });
      expect(grown.pages).toEqual([1, 2]);
      expect(grown.ids).toEqual(stack.simulator.runsOf(short).slice(0, 100).map((r) => r.id));
    });
  });

  it('reports totalCount from the upstream and exact pageInfo at both ends', async () => {
    stack.simulator.configure({ pageSize: 15 });
    const total = stack.simulator.runsOf(busiest).length;
    const head = await page({ first: 5 });
    expect(head.totalCount).toBe(total);
    expect(head.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    expect(head.pageInfo.startCursor).toBe(head.edges[0]!.cursor);
    expect(head.pageInfo.endCursor).toBe(head.edges[4]!.cursor);
    const tail = await page({ last: 5 });
    expect(tail.totalCount).toBe(total);
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    expect(tail.pageInfo.startCursor).toBe(tail.edges[0]!.cursor);
    expect(tail.pageInfo.endCursor).toBe(tail.edges[4]!.cursor);
    expect(tail.edges.map((e) => e.node.id)).toEqual(stack.simulator.runsOf(busiest).slice(-5).map((r) => r.id));
  });

  it('answers an empty list with no edges, null cursors and no further pages', async () => {
    const response = await stack.gql(EXECUTIONS, { id: empty, first: 10 });
    expect(response.data.workflow.executions).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it('returns the first 20 when neither first nor last is given', async () => {
    expect((await page({})).edges).toHaveLength(20);
  });
});

describe('walking workflows', () => {
  it('pages through the organisation’s workflows with first/after, each once', async () => {
    const ids: string[] = [];
    let after: string | null = null;
    for (let requests = 0; requests < 10; requests++) {
      const response: GraphQLResponse = await stack.gql(
        `query($after: String) { workflows(first: 3, after: $after) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const { nodes, pageInfo, totalCount } = response.data.workflows as {
        nodes: Array<{ id: string }>;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        totalCount: number;
      };
      expect(totalCount).toBe(stack.simulator.workflowsOf(DEMO_TOKENS.acme).length);
      ids.push(...nodes.map((n) => n.id));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(ids).toEqual(stack.simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => w.id));
  });

  it('takes the last workflows with last/before', async () => {
    const all = stack.simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => w.id);
    const tail = await stack.gql(`{ workflows(last: 2) { nodes { id } pageInfo { hasPreviousPage startCursor } } }`);
    expect(tail.data.workflows.nodes.map((n: { id: string }) => n.id)).toEqual(all.slice(-2));
    const before = await stack.gql(`query($b: String) { workflows(last: 1, before: $b) { nodes { id } } }`, {
      b: tail.data.workflows.pageInfo.startCursor,
    });
    expect(before.data.workflows.nodes.map((n: { id: string }) => n.id)).toEqual(all.slice(-3, -2));
  });
});
