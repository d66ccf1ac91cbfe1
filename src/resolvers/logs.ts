/**
 * Workflow.stats, Workflow.logs and Query.recentLogs. Altostrat answers each log list whole, with
 * no documented filter or page parameter, so the gateway reads it once per request (the loaders),
 * filters it here and pages it with keyset cursors (pagination/keyset.ts).
 */
import { codedError, ErrorCode } from '../errors.js';
import type { QueryResolvers, WorkflowLogFilter, WorkflowLogsArgs, WorkflowResolvers } from '../generated/resolvers-types.js';
import type { CursorCodec } from '../pagination/cursor.js';
import { inRange, instantRange, keysetRequest, sliceKeyset } from '../pagination/keyset.js';
import type { LogRecord } from '../upstream/records.js';

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

/** A workflow's `logs` arguments, checked (BAD_USER_INPUT before any call): the page and the filter. */
export function workflowLogsPlan(workflowId: string, { filter, ...args }: WorkflowLogsArgs, cursors: CursorCodec) {
  return { request: keysetRequest(workflowId, args, cursors), matches: logFilter(filter) };
}

export const workflowLogFields: WorkflowResolvers = {
  stats: (w, _, { loaders }) => loaders.stats.load(w.id),
  logs: async (w, args, { loaders, cursors }) => {
    const { request, matches } = workflowLogsPlan(w.id, args, cursors);
    const logs = await loaders.workflowLogs.load(w.id);
    if (logs === null) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat no longer has workflow ${w.id}.`);
    return sliceKeyset(logs.filter(matches), request, cursors);
  },
};
