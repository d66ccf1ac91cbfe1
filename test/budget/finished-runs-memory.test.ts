/**
 * The memory of finished runs (docs/guarantees.md, "What the gateway remembers"), against a
 * simulator whose run list leaves the logs out, read from its call log: a page asked again costs
 * its list call and a read of each unfinished run only, answers what the upstream holds, reads a
 * run that finished since once more, serves nothing of a deleted workflow, and stays within its
 * byte bound.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, busiestWorkflow, callsTo, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { isFinished, metric, PAGE, remembered, runsRead, truthOf, unfinishedOn } from '../support/finished-runs.js';
import { until } from '../support/wait.js';

/** A fresh copy of the busiest workflow (its runs finished as the original's are), for a test of its own. */
const copyOfBusiest = (stack: Stack): string => stack.simulator.cloneWorkflow(busiestWorkflow(stack.simulator), 1)[0]!.id;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ inlineLogs: false, pageSize: 20 }, { UPSTREAM_TRACE: 'true' });
});
afterAll(() => stack.close());
beforeEach(() => {
  stack.simulator.configure({ inlineLogs: false, pageSize: 20, stepMs: undefined, fault: undefined });
  stack.simulator.clearCalls();
});

describe('a page of runs asked again', () => {
  it('costs one list call and a read of each unfinished run, and answers what the upstream holds', async () => {
    const workflowId = busiestWorkflow(stack.simulator);
    const runs = stack.simulator.runsOf(workflowId).slice(0, 20);
    const unfinished = unfinishedOn(stack, workflowId);
    const finished = runs.filter(isFinished).map((run) => run.id);
    expect(unfinished.length, 'the page holds a run still going').toBeGreaterThan(0);

    const cold = await stack.gql(PAGE, { id: workflowId });
    expect(cold.errors).toBeUndefined();
    expect(runsRead(stack)).toEqual(runs.map((run) => run.id).sort());
    expect(remembered(cold)).toEqual([]);

    stack.simulator.clearCalls();
    const warm = await stack.gql(PAGE, { id: workflowId });
    expect(warm.errors).toBeUndefined();
    expect(callsTo(stack.simulator, 'executions')).toHaveLength(1);
    expect(runsRead(stack)).toEqual(unfinished);
    expect(stack.simulator.calls).toHaveLength(1 + unfinished.length);
    expect(remembered(warm)).toEqual([...finished].sort());
    expect(warm.data.workflow.executions.nodes).toEqual(truthOf(stack, workflowId));
    expect(warm.data).toEqual(cold.data);
  });

  it('reads a run that finished since once more, with its final logs, and remembers it from then on', async () => {
    const workflowId = copyOfBusiest(stack);
    await stack.gql(PAGE, { id: workflowId });
    // Slow enough steps that the next query sees the new run still going.
    stack.simulator.configure({ stepMs: 300 });
    const started = await stack.gql(`mutation($id: ID!) { executeWorkflow(input: { workflowId: $id }) { execution { id } } }`, { id: workflowId });
    const runId: string = started.data.executeWorkflow.execution.id;

    stack.simulator.clearCalls();
    const going = await stack.gql(PAGE, { id: workflowId });
    expect(going.data.workflow.executions.nodes[0]).toMatchObject({ id: runId, completedAt: null });
    expect(runsRead(stack)).toEqual(unfinishedOn(stack, workflowId));
    expect(runsRead(stack)).toContain(runId);

    const current = () => stack.simulator.runsOf(workflowId).find((run) => run.id === runId)!;
    await until('the new run finished', () => isFinished(current()), { everyMs: 50 });
    stack.simulator.clearCalls();
    const done = await stack.gql(PAGE, { id: workflowId });
    expect(runsRead(stack)).toEqual([runId, ...unfinishedOn(stack, workflowId)].sort());
    expect(done.data.workflow.executions.nodes).toEqual(truthOf(stack, workflowId));
    expect(done.data.workflow.executions.nodes[0].logs).toHaveLength(current().logs.length);

    stack.simulator.clearCalls();
    const again = await stack.gql(PAGE, { id: workflowId });
    expect(runsRead(stack)).toEqual(unfinishedOn(stack, workflowId));
    expect(remembered(again)).toContain(runId);
    expect(again.data).toEqual(done.data);
  });

  it('serves none of the runs of a workflow deleted upstream', async () => {
    const workflowId = copyOfBusiest(stack);
    const runIds = stack.simulator.runsOf(workflowId).slice(0, 3).map((run) => run.id);
    await stack.gql(PAGE, { id: workflowId });
    // Deleted by someone else, straight at the upstream.
    const deleted = await fetch(`${stack.simulator.url}/workflows/${workflowId}`, { method: 'DELETE', headers: { authorization: bearer(DEMO_TOKENS.acme) } });
    expect(deleted.status).toBe(204);

    stack.simulator.clearCalls();
    const page = await stack.gql(PAGE, { id: workflowId });
    expect(page.errors).toBeUndefined();
    expect(page.data.workflow).toBeNull();
    expect(runsRead(stack)).toEqual([]);
    const lookups = await stack.gql(`query($ids: [_Any!]!) { nodes: _entities(representations: $ids) { ... on WorkflowExecution { id logs { id } } } }`, {
      ids: runIds.map((id) => ({ __typename: 'WorkflowExecution', id })),
    });
    expect(lookups.data.nodes).toEqual([null, null, null]);
    expect(runsRead(stack)).toEqual([...runIds].sort());
    expect([...remembered(page), ...remembered(lookups)]).toEqual([]);
  });

  it('still reads a run asked for by id, whose answer refreshes the memory', async () => {
    const workflowId = copyOfBusiest(stack);
    const run = stack.simulator.runsOf(workflowId).find(isFinished)!;
    const byId = `query($id: ID!) { execution(id: $id) { id logs { id } } node(id: $id) { ... on WorkflowExecution { status } } }`;
    for (let i = 0; i < 2; i++) {
      stack.simulator.clearCalls();
      const response = await stack.gql(byId, { id: run.id });
      expect(response.data.execution).toEqual({ id: run.id, logs: run.logs.map((log) => ({ id: log.id })) });
      expect(runsRead(stack)).toEqual([run.id]);
      expect(remembered(response)).toEqual([]);
    }
    stack.simulator.clearCalls();
    const page = await stack.gql(PAGE, { id: workflowId });
    expect(remembered(page)).toEqual([run.id]);
    expect(runsRead(stack)).not.toContain(run.id);
    // Asked for by id beside a page that shows it finished, in one request: still read, once.
    stack.simulator.clearCalls();
    const both = await stack.gql(`query($wf: ID!, $id: ID!) { execution(id: $id) { id logs { id } } workflow(id: $wf) { executions(first: 20) { nodes { id logs { id } } } } }`, { wf: workflowId, id: run.id });
    expect(both.data.execution.logs).toEqual(run.logs.map((log) => ({ id: log.id })));
    expect(runsRead(stack).filter((id) => id === run.id)).toEqual([run.id]);
    expect(remembered(both)).not.toContain(run.id);
  });
});

describe('its metrics', () => {
  it('count hits and misses, and the bytes held', async () => {
    const workflowId = copyOfBusiest(stack);
    const finished = stack.simulator.runsOf(workflowId).slice(0, 20).filter(isFinished).length;
    const before = { hits: await metric(stack, 'finished_runs_memory_hits_total'), misses: await metric(stack, 'finished_runs_memory_misses_total') };
    const bytesBefore = await metric(stack, 'finished_runs_memory_bytes');
    await stack.gql(PAGE, { id: workflowId });
    await stack.gql(PAGE, { id: workflowId });
    expect(await metric(stack, 'finished_runs_memory_misses_total')).toBe(before.misses + finished);
    expect(await metric(stack, 'finished_runs_memory_hits_total')).toBe(before.hits + finished);
    expect(await metric(stack, 'finished_runs_memory_bytes')).toBeGreaterThan(bytesBefore);
    expect(await metric(stack, 'finished_runs_memory_evictions_total')).toBe(0);
  });
});

describe('its bound', () => {
  it('holds under a flood of distinct runs, and 0 turns the memory off', async () => {
    const maxBytes = 40_000;
    const [bounded, off] = await Promise.all([
      startStack({ inlineLogs: false, pageSize: 20 }, { UPSTREAM_TRACE: 'true', FINISHED_RUNS_CACHE_BYTES: String(maxBytes) }),
      startStack({ inlineLogs: false, pageSize: 20 }, { UPSTREAM_TRACE: 'true', FINISHED_RUNS_CACHE_BYTES: '0' }),
    ]);
    try {
      const copies = bounded.simulator.cloneWorkflow(busiestWorkflow(bounded.simulator), 6).map((w) => w.id);
      for (const id of copies) {
        const response = await bounded.gql(PAGE, { id });
        expect(response.errors).toBeUndefined();
        expect(await metric(bounded, 'finished_runs_memory_bytes')).toBeLessThanOrEqual(maxBytes);
      }
      expect(await metric(bounded, 'finished_runs_memory_bytes')).toBeGreaterThan(0);
      expect(await metric(bounded, 'finished_runs_memory_evictions_total')).toBeGreaterThan(0);

      const workflowId = busiestWorkflow(off.simulator);
      await off.gql(PAGE, { id: workflowId });
      off.simulator.clearCalls();
      const warm = await off.gql(PAGE, { id: workflowId });
      expect(runsRead(off)).toHaveLength(20);
      expect(remembered(warm)).toEqual([]);
      expect(await metric(off, 'finished_runs_memory_bytes')).toBe(0);
    } finally {
      await Promise.all([bounded.close(), off.close()]);
    }
  });
});
