/**
 * For the tests of the memory of finished runs: a page of runs with everything a run has, the
 * upstream's truth for it, and what the simulator's call log, `extensions.upstream` and /metrics
 * say the gateway did.
 */
import type { RunJson } from '../../src/demo/seed.js';
import { callsTo, type GraphQLResponse, type Stack } from './stack.js';

export const PAGE = `query Page($id: ID!) {
  workflow(id: $id) {
    executions(first: 20) {
      nodes {
        id status errorMessage startedAt completedAt durationInSeconds
        logs { id nodeId componentId status output createdAt }
        workflow { id }
      }
    }
  }
}`;

/** The page as the upstream holds it now, in the schema's words. */
export function truthOf(stack: Stack, workflowId: string) {
  return stack.simulator
    .runsOf(workflowId)
    .slice(0, 20)
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

export const isFinished = (run: RunJson): boolean => run.status === 'completed' || run.status === 'failed';

/** The runs of the page not finished now, sorted: the only ones a warm page reads. */
export const unfinishedOn = (stack: Stack, workflowId: string): string[] =>
  stack.simulator
    .runsOf(workflowId)
    .slice(0, 20)
    .filter((run) => !isFinished(run))
    .map((run) => run.id)
    .sort();

/** The run ids the simulator was asked for, sorted. */
export const runsRead = (stack: Stack): string[] =>
  callsTo(stack.simulator, 'runs')
    .map((call) => call.path.split('/').pop()!)
    .sort();

/** The runs a response says came from memory, sorted. */
export const remembered = (response: GraphQLResponse): string[] =>
  [...((response as { extensions?: { upstream?: { remembered?: string[] } } }).extensions?.upstream?.remembered ?? [])].sort();

/** One of the gateway's metrics, as /metrics shows it now. */
export async function metric(stack: Stack, name: string): Promise<number> {
  const text = await (await fetch(stack.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no metric ${name}`);
  return Number(line.split(' ')[1]);
}
