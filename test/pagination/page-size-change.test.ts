/**
 * Altostrat picks its page size and may change it (docs/guarantees.md, "The upstream-call budget"):
 * the first request after a change plans with the size last heard, answers right, and teaches the
 * new size, so the next request asks only the pages its slice covers.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { callsTo, startStack, workflowsByRuns, type Stack } from '../support/stack.js';

const QUERY = `query($id: ID!, $first: Int) { workflow(id: $id) { executions(first: $first) { edges { node { id } } } } }`;
let stack: Stack;
let busiest: string;

beforeAll(async () => {
  stack = await startStack({ pageSize: 5 });
  busiest = workflowsByRuns(stack.simulator)[0]!;
});
afterAll(() => stack.close());

/** The run ids of `first: 100`, and the pages that request asked for, in order. */
async function firstHundred(): Promise<{ ids: string[]; pages: number[] }> {
  stack.simulator.clearCalls();
  const response = await stack.gql(QUERY, { id: busiest, first: 100 });
  expect(response.errors).toBeUndefined();
  const ids = response.data.workflow.executions.edges.map((edge: { node: { id: string } }) => edge.node.id);
  return { ids, pages: callsTo(stack.simulator, 'executions').map((call) => call.page ?? 1).sort((a, b) => a - b) };
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

it('answers right across a change of page size, and plans with the new size from the next request', async () => {
  await firstHundred(); // the process hears pages of 5, and the list's total
  expect((await firstHundred()).pages).toEqual(upTo(20));

  stack.simulator.configure({ pageSize: 40 });
  const truth = stack.simulator.runsOf(busiest).slice(0, 100).map((run) => run.id);
  const changed = await firstHundred();
  expect(changed.ids).toEqual(truth);
  expect(changed.pages).toEqual(upTo(20)); // planned with 5: pages 4 to 20 of 40 hold none of the slice

  const next = await firstHundred();
  expect(next.ids).toEqual(truth);
  expect(next.pages).toEqual(upTo(3));
});
