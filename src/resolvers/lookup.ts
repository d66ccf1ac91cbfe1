/**
 * Finding a workflow or an execution by id, for Query.workflow, Query.execution, Query.node and
 * federation's `_entities`. Each looks at what the query asks of the object before fetching
 * anything (catalogue/fields.ts): nothing when only `id` is asked (a reference resolves from its id
 * alone); for a workflow, its record only when a field needs it, and every `executions` selection
 * and its log list at the same time, through the same per-request loaders the fields read, so
 * that nothing waits for anything else and each connection is planned once.
 *
 * A lookup settles the object as one: a 404 from any of its calls makes it null, and a failed call
 * fails it once, at the object's own path. Federation routers map one error per entity reliably;
 * several errors for the fields of one entity are merged by some (Hive Gateway) into a masked
 * "Unexpected error.", losing the code.
 */
import type { GatewayContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import { lookupNeeds } from '../catalogue/fields.js';
import type { ExecutionsKey } from '../loaders.js';
import type { PageArgs } from '../pagination/plan.js';
import type { RunParent, WorkflowParent } from '../upstream/records.js';
import { asksBeyond, selectedFields, type SelectionInfo } from './selection.js';
import { workflowLogsPlan } from './logs.js';

/** The loader key of one `executions` selection. */
export function executionsKey(workflowId: string, args: PageArgs, info: SelectionInfo): ExecutionsKey {
  const countOnly = !asksBeyond(selectedFields(info, 'WorkflowExecutionConnection'), ['totalCount']);
  return { workflowId, args, countOnly };
}

const isArgumentError = (error: unknown): boolean =>
  (error as { extensions?: { code?: unknown } } | null)?.extensions?.code === ErrorCode.BAD_USER_INPUT;

/** Whether arguments pass their check; only an argument error counts as not passing. */
function isValid(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (isArgumentError(error)) return false;
    throw error;
  }
}

/**
 * An object for federation's `_entities`, which marks each with its `__typename` (@apollo/subgraph
 * defines the property): a copy of its own, since records are frozen and may be shared (answers.ts).
 */
export const asEntity = async <T extends object>(found: Promise<T | null>): Promise<T | null> => {
  const object = await found;
  return object && { ...object };
};

export async function findWorkflow(id: string, context: GatewayContext, info: SelectionInfo): Promise<WorkflowParent | null> {
  const { loaders } = context;
  const fields = selectedFields(info, 'Workflow');
  const record = lookupNeeds('Workflow', fields.map((f) => f.name), 'getWorkflow') ? loaders.workflow.load(id) : undefined;
  // A workflow's log list is read by its id, like its executions: started now, and a 404 makes the
  // workflow null. Only when some `logs` selection's arguments are good: bad ones cost no call,
  // and the field reports them. (`stats` is nullable and answers a 404 with null itself.)
  const logs = fields.some((field) => field.name === 'logs' && isValid(() => workflowLogsPlan(id, field.args, context)))
    ? loaders.byId('listWorkflowLogs').load(id)
    : undefined;
  const connections = fields
    .filter((field) => field.name === 'executions')
    // Bad arguments belong to their field, which meets the same cached error and reports it there.
    .map((field) => loaders.executions.load(executionsKey(id, field.args, field.info)).catch((error: unknown) => {
      if (isArgumentError(error)) return undefined;
      throw error;
    }));
  // Every call settles before the lookup answers, so none outlives the object's error.
  const settled = await Promise.allSettled([record, logs, ...connections]);
  const failed = settled.find((answer) => answer.status === 'rejected');
  if (failed) throw failed.reason;
  const [found, ...answers] = settled.map((answer) => (answer as PromiseFulfilledResult<unknown>).value);
  if (found === null || answers.some((answer) => answer === null)) return null;
  return (found as WorkflowParent | undefined) ?? { id };
}

export async function findExecution(id: string, { loaders }: GatewayContext, info: SelectionInfo): Promise<RunParent | null> {
  const fields = selectedFields(info, 'WorkflowExecution').map((f) => f.name);
  return lookupNeeds('WorkflowExecution', fields, 'getRun') ? loaders.run.load(id) : { id };
}
