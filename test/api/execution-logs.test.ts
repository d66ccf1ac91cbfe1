/** Execution logs: the same from the list's inline logs or from each run, field for field as the upstream has them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsTo, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let workflowId: string;

beforeAll(async () => {
  stack = await startStack();
  workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
});
afterAll(() => stack.close());

const QUERY = `query($id: ID!) {
  workflow(id: $id) {
    executions(first: 12) {
      nodes {
        id status errorMessage startedAt completedAt durationInSeconds
        logs { id nodeId componentId status output createdAt }
        workflow { id }
      }
    }
  }
}`;

describe('execution logs', () => {
  it('are the same whether the list carries them or each run is fetched', async () => {
    stack.simulator.configure({ inlineLogs: true });
    stack.simulator.clearCalls();
    const inline = await stack.gql(QUERY, { id: workflowId });
    expect(callsTo(stack.simulator, 'runs')).toHaveLength(0);
    stack.simulator.configure({ inlineLogs: false });
    stack.simulator.clearCalls();
    const separate = await stack.gql(QUERY, { id: workflowId });
    expect(callsTo(stack.simulator, 'runs')).toHaveLength(12);
    expect(inline.errors).toBeUndefined();
    expect(inline.data.workflow.executions.nodes).toHaveLength(12);
    expect(separate).toEqual(inline);
  });

  it('match the upstream’s runs field by field, in the upstream’s order, timestamps verbatim', async () => {
    stack.simulator.configure({ inlineLogs: false });
    const response = await stack.gql(QUERY, { id: workflowId });
    const truth = stack.simulator.runsOf(workflowId).slice(0, 12);
    expect(response.data.workflow.executions.nodes).toEqual(
      truth.map((run) => ({
        id: run.id,
        status: run.status.toUpperCase(),
        errorMessage: run.error_message,
        startedAt: run.started_at,
        completedAt: run.completed_at,
        durationInSeconds: run.duration_in_seconds,
        logs: run.logs.map((log) => ({
          id: log.id,
          nodeId: log.node_id,
          componentId: log.component_id,
          status: log.status,
          output: log.output,
          createdAt: log.created_at,
        })),
        workflow: { id: workflowId },
      })),
    );
  });

  it('come with an execution fetched by id, which names its workflow', async () => {
    const run = stack.simulator.runsOf(workflowId)[3]!;
    const response = await stack.gql(`query($id: ID!) { execution(id: $id) { id logs { id } workflow { id name } } }`, { id: run.id });
    expect(response.data.execution).toEqual({
      id: run.id,
      logs: run.logs.map((l) => ({ id: l.id })),
      workflow: { id: workflowId, name: stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.name },
    });
  });
});
