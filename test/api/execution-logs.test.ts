/** Execution logs: the same from the list's inline logs or from each run, field for field as the upstream has them. */
import { describe, expect, it } from 'vitest';
import { executionsPage, executionsTruth } from '../support/executions.js';
import { callsTo, DEMO_TOKENS, stackWorld } from '../support/stack.js';

const world = stackWorld();

const QUERY = executionsPage(12);

describe('execution logs', () => {
  it('are the same whether the list carries them or each run is fetched', async () => {
    world.stack.simulator.configure({ inlineLogs: true });
    world.stack.simulator.clearCalls();
    const inline = await world.stack.gql(QUERY, { id: world.workflowId });
    expect(callsTo(world.stack.simulator, 'runs')).toHaveLength(0);
    world.stack.simulator.configure({ inlineLogs: false });
    world.stack.simulator.clearCalls();
    const separate = await world.stack.gql(QUERY, { id: world.workflowId });
    expect(callsTo(world.stack.simulator, 'runs')).toHaveLength(12);
    expect(inline.errors).toBeUndefined();
    expect(inline.data.workflow.executions.nodes).toHaveLength(12);
    expect(separate).toEqual(inline);
  });

  it('match the upstream’s runs field by field, in the upstream’s order, timestamps verbatim', async () => {
    world.stack.simulator.configure({ inlineLogs: false });
    const response = await world.stack.gql(QUERY, { id: world.workflowId });
    expect(response.data.workflow.executions.nodes).toEqual(executionsTruth(world.stack, world.workflowId, 12));
  });

  it('come with an execution fetched by id, which names its workflow', async () => {
    const run = world.stack.simulator.runsOf(world.workflowId)[3]!;
    const response = await world.stack.gql(`query($id: ID!) { execution(id: $id) { id logs { id } workflow { id name } } }`, { id: run.id });
    expect(response.data.execution).toEqual({
      id: run.id,
      logs: run.logs.map((l) => ({ id: l.id })),
      workflow: { id: world.workflowId, name: world.stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.name },
    });
  });
});
