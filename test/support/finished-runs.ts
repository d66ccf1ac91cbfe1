/**
 * For the tests of the memory of finished runs: a page of runs with everything a run has, the
 * upstream's truth for it, and what the simulator's call log, `extensions.upstream` and /metrics
 * say the gateway did.
 */
import type { RunJson } from '../../src/demo/seed.js';
import { executionsPage, executionsTruth } from './executions.js';
import { callsTo, type GraphQLResponse, type Stack } from './stack.js';

export const PAGE = executionsPage(20);

/** The page as the upstream holds it now, in the schema's words. */
export const truthOf = (stack: Stack, workflowId: string) => executionsTruth(stack, workflowId, 20);

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
