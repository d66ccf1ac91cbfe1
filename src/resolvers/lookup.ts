/**
 * Finding a workflow or an execution by id, for Query.workflow, Query.execution, Query.node and
 * federation's `_entities`. Each looks at what the query asks of the object before fetching
 * anything (catalogue/fields.ts): nothing when only `id` is asked (a reference resolves from its id
 * alone); for a workflow, its record only when a field needs it, and every `executions` selection
 * and its log list at the same time, through the same per-request loaders the fields read, so
 * that nothing waits for anything else and each connection is planned once.
 *
 * A 404 from any of its calls makes the object null. A failed call fails the field that needs it,
 * at its own path, the rest of the object still answered; for federation's `_entities` the lookup
 * settles the entity as one instead, failing it once at its own path: routers map one error per
 * entity reliably, and several errors for the fields of one entity are merged by some (Hive
 * Gateway) into a masked "Unexpected error.", losing the code.
 */
import { Kind, type FieldNode, type SelectionSetNode } from 'graphql';
import type { GatewayContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import { lookupNeeds } from '../catalogue/fields.js';
import type { ExecutionsKey } from '../loaders.js';
import type { PageArgs } from '../pagination/plan.js';
import type { RunParent, WorkflowParent } from '../upstream/records.js';
import { asksBeyond, selectedFields, type SelectedField, type SelectionInfo } from './selection.js';
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

/** How a lookup answers a failed call: `whole` fails the object (federation's entities), else the field that needs it. */
export interface LookupMode {
  whole: boolean;
}

/** Field nodes already looked through for a field named `workflow` (fragments included), and what was found. */
const mentionsWorkflow = new WeakMap<FieldNode, boolean>();

/** Whether a selection names a field `workflow` anywhere below it: a quick look, before `runsAsk`. */
function namesWorkflow(info: SelectionInfo): boolean {
  return info.fieldNodes.some((fieldNode) => {
    let found = mentionsWorkflow.get(fieldNode);
    if (found === undefined) {
      found = false;
      const seen = new Set<string>();
      const look = (set: SelectionSetNode | undefined): void => {
        for (const selection of set?.selections ?? []) {
          if (found) return;
          if (selection.kind === Kind.FIELD) {
            if (selection.name.value === 'workflow') found = true;
            else look(selection.selectionSet);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) look(selection.selectionSet);
          else if (!seen.has(selection.name.value)) {
            seen.add(selection.name.value);
            look(info.fragments[selection.name.value]?.selectionSet);
          }
        }
      };
      look(fieldNode.selectionSet);
      mentionsWorkflow.set(fieldNode, found);
    }
    return found;
  });
}

/**
 * What the runs of an `executions` selection ask of their workflow, which is this one
 * (`nodes { workflow { name } }`, or through `edges { node }`): its record is then fetched beside
 * the page, not after it. Nothing for a slice that holds no run whatever the list holds (`first:
 * 0`, `last: 0`): no run would read it, and the call estimate counts none.
 */
function runsAsk(executions: SelectedField): string[] {
  const { first, last } = executions.args as PageArgs;
  if (first === 0 || last === 0 || !namesWorkflow(executions.info)) return [];
  return selectedFields(executions.info, 'WorkflowExecutionConnection')
    .flatMap((field) => (field.name === 'nodes' ? [field] : field.name === 'edges' ? selectedFields(field.info, 'WorkflowExecutionEdge').filter((e) => e.name === 'node') : []))
    .flatMap((runs) => selectedFields(runs.info, 'WorkflowExecution').filter((field) => field.name === 'workflow'))
    .flatMap((workflow) => selectedFields(workflow.info, 'Workflow').map((field) => field.name));
}

export async function findWorkflow(id: string, context: GatewayContext, info: SelectionInfo, { whole }: LookupMode = { whole: false }): Promise<WorkflowParent | null> {
  const { loaders } = context;
  const fields = selectedFields(info, 'Workflow');
  const asked = fields.flatMap((field) => (field.name === 'executions' ? [field.name, ...runsAsk(field)] : [field.name]));
  const record = lookupNeeds('Workflow', asked, 'getWorkflow') ? loaders.workflow.load(id) : undefined;
  // A workflow's log list and stats are read by its id, like its executions: started now, and a 404
  // of the log list makes the workflow null. The log list only when some `logs` selection's
  // arguments are good: bad ones cost no call, and the field reports them. A 404 of the stats makes
  // `stats` null alone, as the contract says: Altostrat documents that route in its oldest revision
  // only, and a release without it must not make every workflow asked for its stats vanish.
  const logs = fields.some((field) => field.name === 'logs' && isValid(() => workflowLogsPlan(id, field.args, context)))
    ? loaders.byId('listWorkflowLogs').load(id)
    : undefined;
  const stats = fields.some((field) => field.name === 'stats') ? loaders.byId('getWorkflowStats').load(id) : undefined;
  const connections = fields
    .filter((field) => field.name === 'executions')
    // Bad arguments belong to their field, which meets the same cached error and reports it there.
    .map((field) => loaders.executions.load(executionsKey(id, field.args, field.info)).catch((error: unknown) => {
      if (isArgumentError(error)) return undefined;
      throw error;
    }));
  // Every call settles before the lookup answers, so none outlives the object's error; the fields
  // read the same loads, and a failed one reports its own error at its own path.
  const [found, statsAnswer, ...answers] = await Promise.allSettled([record, stats, logs, ...connections]);
  if ([found, ...answers].some((answer) => answer.status === 'fulfilled' && answer.value === null)) return null;
  if (found.status === 'rejected') throw found.reason;
  const failed = [statsAnswer, ...answers].find((answer) => answer.status === 'rejected');
  if (whole && failed) throw failed.reason;
  return (found.value as WorkflowParent | undefined) ?? { id };
}

export async function findExecution(id: string, { loaders }: GatewayContext, info: SelectionInfo): Promise<RunParent | null> {
  const fields = selectedFields(info, 'WorkflowExecution').map((f) => f.name);
  return lookupNeeds('WorkflowExecution', fields, 'getRun') ? loaders.run.load(id) : { id };
}
