/**
 * A page asked for again and again (docs/design.md, "Reading the same answer twice"): each query
 * still calls Altostrat, and its answer is what Altostrat holds at that moment.
 */
import { describe, expect, it } from 'vitest';
import { executionsPage, executionsTruth } from '../support/executions.js';
import { callsTo, stackWorld } from '../support/stack.js';

const world = stackWorld({ inlineLogs: true });
const QUERY = executionsPage(15);

describe('the same page asked for again', () => {
  it('is called for every time, and a run that arrives meanwhile is in the next answer', async () => {
    world.stack.simulator.clearCalls();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await world.stack.gql(QUERY, { id: world.workflowId }));
    expect(callsTo(world.stack.simulator, 'executions')).toHaveLength(3);
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data.workflow.executions.nodes).toEqual(executionsTruth(world.stack, world.workflowId, 15));
    }

    const [arrived] = world.stack.simulator.insertRuns(world.workflowId, 1);
    const after = await world.stack.gql(QUERY, { id: world.workflowId });
    expect(callsTo(world.stack.simulator, 'executions')).toHaveLength(4);
    expect(after.data.workflow.executions.nodes[0].id).toBe(arrived!.id);
    expect(after.data.workflow.executions.nodes).toEqual(executionsTruth(world.stack, world.workflowId, 15));
  });
});
