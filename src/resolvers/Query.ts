/**
 * Entry points. `workflow` and `node` look at what the query asks of the workflow before fetching
 * anything: the workflow record only when a field other than `id` and `executions` needs it, and
 * the first pages of each `executions` selection at the same time, so that neither waits for the
 * other and a 404 from either nulls the workflow.
 */
import { badInput } from '../errors.js';
import type { GatewayContext } from '../context.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { firstWave } from '../pagination/connection.js';
import { workflowsPage, workflowsRequest } from '../pagination/list.js';
import type { RunParent, WorkflowParent } from '../upstream/records.js';
import { asksBeyond, selectedFields, type SelectedField } from './selection.js';
import { executionsRequestFor } from './Workflow.js';

export const Query: QueryResolvers = {
  node: (_, { id }, context, info) => {
    if (id.startsWith('fl_run_')) return findExecution(id, context, selectedFields(info, 'WorkflowExecution'));
    if (id.startsWith('fl_') && !id.startsWith('fl_log_')) return findWorkflow(id, context, selectedFields(info, 'Workflow'));
    throw badInput(`\`${id}\` is not the id of a workflow (\`fl_...\`) or of an execution (\`fl_run_...\`).`);
  },
  workflow: (_, { id }, context, info) => findWorkflow(id, context, selectedFields(info, 'Workflow')),
  execution: (_, { id }, context, info) => findExecution(id, context, selectedFields(info, 'WorkflowExecution')),
  workflows: async (_, args, { loaders }) => {
    const request = workflowsRequest(args);
    return workflowsPage(await loaders.workflowList(), request);
  },
};

async function findWorkflow(
  id: string,
  { loaders, pageSizeHint }: GatewayContext,
  fields: SelectedField[],
): Promise<WorkflowParent | null> {
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

async function findExecution(id: string, { loaders }: GatewayContext, fields: SelectedField[]): Promise<RunParent | null> {
  return asksBeyond(fields, ['id']) ? loaders.run.load(id) : { id };
}
