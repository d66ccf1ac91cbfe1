/**
 * Workflow.stats, Workflow.logs and Query.recentLogs. Altostrat answers each log list whole, with
 * no documented filter or page parameter, so the gateway reads it once per request (the loaders),
 * filters it here and pages it with keyset cursors (pagination/keyset.ts).
 */
import type { GatewayContext } from '../context.js';
import type { QueryResolvers, WorkflowLogFilter, WorkflowLogsArgs, WorkflowResolvers } from '../generated/resolvers-types.js';
import type { Loaders } from '../loaders.js';
import { inRange, instantRange, keysetRequest, sliceKeyset, type KeysetRequest } from '../pagination/keyset.js';
import type { LogConnectionRecord, LogRecord } from '../upstream/records.js';
import { seen } from './carried.js';

/** The list id of `recentLogs` cursors; workflow ids (`fl_...`) name the workflows' own lists. */
const RECENT = 'recent';

/** A predicate for the filter, its bounds checked before any call. */
function logFilter(filter: WorkflowLogFilter | null | undefined): (log: LogRecord) => boolean {
  const { status, nodeId } = filter ?? {};
  const range = instantRange(filter ?? {});
  return (log) => (status == null || log.status === status) && (nodeId == null || log.nodeId === nodeId) && inRange(log.createdAt, range);
}

export const logQueries: QueryResolvers = {
  recentLogs: async (_, args, { loaders, cursors }) => {
    const request = keysetRequest(RECENT, args, cursors);
    return sliceKeyset(await loaders.recentLogs.load(), request, cursors);
  },
};

export interface WorkflowLogsPlan {
  request: KeysetRequest;
  matches: (log: LogRecord) => boolean;
  /** The page cut from each log list read (a write in the request reads the list anew): every alias and reference asking for it shares it. */
  pages: WeakMap<readonly LogRecord[], LogConnectionRecord>;
}

/** Each request's plans (or their argument errors), by workflow and arguments; gone with its loaders. */
const plans = new WeakMap<Loaders, Map<string, WorkflowLogsPlan | Error>>();

/**
 * A workflow's `logs` arguments, checked (BAD_USER_INPUT before any call): the page and the
 * filter. Planned once per request and arguments: the lookup that starts the log list and the
 * field that pages it share the plan.
 */
export function workflowLogsPlan(workflowId: string, args: WorkflowLogsArgs, { loaders, cursors }: GatewayContext): WorkflowLogsPlan {
  let known = plans.get(loaders);
  if (!known) plans.set(loaders, (known = new Map<string, WorkflowLogsPlan | Error>()));
  const key = JSON.stringify([workflowId, args]);
  let plan = known.get(key);
  if (plan === undefined) {
    try {
      const { filter, ...page } = args;
      plan = { request: keysetRequest(workflowId, page, cursors), matches: logFilter(filter), pages: new WeakMap() };
    } catch (error) {
      plan = error instanceof Error ? error : new Error(String(error));
    }
    known.set(key, plan);
  }
  if (plan instanceof Error) throw plan;
  return plan;
}

export const workflowLogFields: WorkflowResolvers = {
  stats: (w, _, { loaders }) => loaders.byId('getWorkflowStats').load(w.id),
  logs: async (w, args, context) => {
    const { request, matches, pages } = workflowLogsPlan(w.id, args, context);
    const logs = seen(await context.loaders.byId('listWorkflowLogs').load(w.id), `workflow ${w.id}`);
    // Filtered and sorted once per request, list and arguments, not once per alias or reference.
    let page = pages.get(logs);
    if (!page) pages.set(logs, (page = sliceKeyset(logs.filter(matches), request, context.cursors)));
    return page;
  },
};
