/**
 * The memory of finished runs never serves a run to a caller that may not see it
 * (docs/guarantees.md, "What the gateway remembers"): another token asking for the same runs gets
 * nothing from it and its calls go out under its own token, and a token the upstream now refuses
 * gets UNAUTHENTICATED (or FORBIDDEN) and no run.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, busiestWorkflow, callsTo, DEMO_TOKENS, expectCode, startStack, type Stack } from '../support/stack.js';
import { isFinished, PAGE, remembered, runsRead } from '../support/finished-runs.js';

let stack: Stack;
let workflowId: string;
let finished: string[];

beforeAll(async () => {
  stack = await startStack({ inlineLogs: false, pageSize: 20 }, { UPSTREAM_TRACE: 'true' });
  workflowId = busiestWorkflow(stack.simulator);
  finished = stack.simulator.runsOf(workflowId).slice(0, 20).filter(isFinished).map((run) => run.id);
});
afterAll(() => stack.close());
beforeEach(async () => {
  stack.simulator.configure({ fault: undefined });
  // Acme's page, read twice: its finished runs are remembered, and served from memory to Acme.
  await stack.gql(PAGE, { id: workflowId });
  expect(remembered(await stack.gql(PAGE, { id: workflowId }))).toEqual([...finished].sort());
  stack.simulator.clearCalls();
});

describe('runs remembered for one token', () => {
  it('are never served to another token: its calls go out under its own token', async () => {
    const globex = { authorization: bearer(DEMO_TOKENS.globex) };
    const page = await stack.gql(PAGE, { id: workflowId }, globex);
    expect(page.data.workflow).toBeNull();
    const byId = await stack.gql(
      `query($ids: [_Any!]!) { runs: _entities(representations: $ids) { ... on WorkflowExecution { id status logs { id } } } }`,
      { ids: finished.map((id) => ({ __typename: 'WorkflowExecution', id })) },
      globex,
    );
    expect(byId.data.runs).toEqual(finished.map(() => null));
    expect([...remembered(page), ...remembered(byId)]).toEqual([]);
    expect(runsRead(stack)).toEqual([...finished].sort());
    expect(new Set(stack.simulator.calls.map((call) => call.authorization))).toEqual(new Set([globex.authorization]));
  });

  it('are not served once the upstream refuses the token: UNAUTHENTICATED, and no run', async () => {
    stack.simulator.configure({ fault: () => ({ status: 401 }) });
    const response = await stack.gql(PAGE, { id: workflowId });
    expectCode(response, 'UNAUTHENTICATED');
    expect(response.data?.workflow ?? null).toBeNull();
    expect(JSON.stringify(response.data)).not.toContain('fl_run_');
    expect(remembered(response)).toEqual([]);
    expect(callsTo(stack.simulator, 'runs')).toHaveLength(0);
  });

  it('are not served when the upstream forbids the token: FORBIDDEN, and no run', async () => {
    stack.simulator.configure({ fault: () => ({ status: 403 }) });
    const response = await stack.gql(PAGE, { id: workflowId });
    expectCode(response, 'FORBIDDEN');
    expect(JSON.stringify(response.data)).not.toContain('fl_run_');
    expect(remembered(response)).toEqual([]);
    expect(callsTo(stack.simulator, 'runs')).toHaveLength(0);
  });
});
