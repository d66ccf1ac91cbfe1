/**
 * A page of a workflow's runs with everything a run has, and the upstream's truth for it in the
 * schema's words: what a test of execution fields compares field for field.
 */
import type { Stack } from './stack.js';

/** The first `first` runs of workflow `$id`, every field of each and of its logs. */
export const executionsPage = (first: number): string => `query Page($id: ID!) {
  workflow(id: $id) {
    executions(first: ${first}) {
      nodes {
        id status errorMessage startedAt completedAt durationInSeconds
        logs { id nodeId componentId status output createdAt }
        workflow { id }
      }
    }
  }
}`;

/** The page's nodes as the upstream holds them now, in the upstream's order, timestamps verbatim. */
export function executionsTruth(stack: Stack, workflowId: string, first: number) {
  return stack.simulator
    .runsOf(workflowId)
    .slice(0, first)
    .map((run) => ({
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
    }));
}
