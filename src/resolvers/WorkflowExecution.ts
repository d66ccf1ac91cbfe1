/**
 * WorkflowExecution fields. An execution arrives as a list item (logs inline or not), a whole run
 * (GET /workflows/runs/{id}) or a reference (id only). Logs come from the item when it has them,
 * else from the run loader, which batches every execution of the response into concurrent calls.
 */
import { codedError, ErrorCode } from '../errors.js';
import type { GatewayContext } from '../context.js';
import type { WorkflowExecutionResolvers } from '../generated/resolvers-types.js';
import type { RunParent, RunRecord } from '../upstream/records.js';
import { findExecution } from './lookup.js';

async function load(id: string, { loaders }: GatewayContext): Promise<RunRecord> {
  const run = await loaders.run.load(id);
  if (run === null) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat no longer has execution ${id}.`);
  return run;
}

const record = (e: RunParent, context: GatewayContext): RunRecord | Promise<RunRecord> =>
  'status' in e ? e : load(e.id, context);

export const WorkflowExecution: WorkflowExecutionResolvers = {
  // Federation: a reference `{ __typename, id }` from another subgraph; null when Altostrat says 404.
  __resolveReference: (reference, context, info) => findExecution(reference.id, context, info),
  status: async (e, _, context) => (await record(e, context)).status,
  errorMessage: async (e, _, context) => (await record(e, context)).errorMessage,
  startedAt: async (e, _, context) => (await record(e, context)).startedAt,
  completedAt: async (e, _, context) => (await record(e, context)).completedAt,
  durationInSeconds: async (e, _, context) => (await record(e, context)).durationInSeconds,
  logs: async (e, _, context) => {
    const logs = ('logs' in e && e.logs) || (await load(e.id, context)).logs;
    if (!logs) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat sent execution ${e.id} without its logs.`);
    return logs;
  },
  workflow: async (e, _, context) => {
    const { workflowId } = await record(e, context);
    return workflowId === null ? null : { id: workflowId };
  },
};
