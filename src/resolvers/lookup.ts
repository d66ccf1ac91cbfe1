/**
 * Finding a workflow or an execution by id, for Query.workflow, Query.execution, Query.node and
 * federation's `_entities`. Each looks at what the query asks of the object before fetching
 * anything: nothing when only `id` is asked (a reference resolves from its id alone); for a
 * workflow, the record only when a field other than `id` and `executions` needs it, and the first
 * pages of each `executions` selection at the same time, so that neither waits for the other and a
 * 404 from either makes the workflow null.
 */
import type { GatewayContext } from '../context.js';
import { executionsRequest, firstWave, type ExecutionsRequest } from '../pagination/connection.js';
import type { PageArgs } from '../pagination/plan.js';
import type { RunParent, WorkflowParent } from '../upstream/records.js';
import { asksBeyond, selectedFields, type SelectionInfo } from './selection.js';

/** The request for one `executions` selection; only `totalCount` asked needs no runs. */
export function executionsRequestFor(workflowId: string, field: { args: PageArgs; info: SelectionInfo }): ExecutionsRequest {
  const request = executionsRequest(workflowId, field.args);
  const wantsRuns = asksBeyond(selectedFields(field.info, 'WorkflowExecutionConnection'), ['totalCount']);
  return wantsRuns ? request : { ...request, size: { from: 'first', count: 0 } };
}

export async function findWorkflow(id: string, context: GatewayContext, info: SelectionInfo): Promise<WorkflowParent | null> {
  const { loaders, pageSizeHint } = context;
  const fields = selectedFields(info, 'Workflow');
  const record = asksBeyond(fields, ['id', 'executions']) ? loaders.workflow.load(id) : undefined;
  const pages = fields
    .filter((field) => field.name === 'executions')
    .flatMap((field) => {
      try {
        return firstWave(executionsRequestFor(id, field), pageSizeHint);
      } catch {
        return []; // bad arguments: the field itself reports them, and nothing is fetched for it
      }
    })
    .map((page) => loaders.executionsPage.load({ workflowId: id, page }));
  const [recordAnswer, ...pageAnswers] = await Promise.allSettled([record, ...pages]);
  // Other failures belong to the fields that need the answer: they meet the same cached error.
  const notFound = [recordAnswer, ...pageAnswers].some((a) => a?.status === 'fulfilled' && a.value === null);
  if (notFound) return null;
  return recordAnswer?.status === 'fulfilled' && recordAnswer.value ? recordAnswer.value : { id };
}

export async function findExecution(id: string, { loaders }: GatewayContext, info: SelectionInfo): Promise<RunParent | null> {
  return asksBeyond(selectedFields(info, 'WorkflowExecution'), ['id']) ? loaders.run.load(id) : { id };
}
