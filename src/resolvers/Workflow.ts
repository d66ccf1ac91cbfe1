/**
 * Workflow fields. A workflow arrives as a full record, a list item (no graph) or a reference (id
 * only); each field takes what it needs from what is there and loads the rest through the request's
 * loader, so the workflow is fetched at most once, and not at all for `id` and `executions`.
 */
import { codedError, ErrorCode } from '../errors.js';
import type { GatewayContext } from '../context.js';
import type { WorkflowGraphNodeResolvers, WorkflowResolvers } from '../generated/resolvers-types.js';
import { executionsPages } from '../loaders.js';
import { resolveExecutions } from '../pagination/connection.js';
import type { WorkflowParent, WorkflowRecord } from '../upstream/records.js';
import { executionsRequestFor, findWorkflow } from './lookup.js';

async function load(id: string, { loaders }: GatewayContext): Promise<WorkflowRecord> {
  const record = await loaders.workflow.load(id);
  if (record === null) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat no longer has workflow ${id}.`);
  return record;
}

const record = (w: WorkflowParent, context: GatewayContext): WorkflowRecord | Promise<WorkflowRecord> =>
  'name' in w ? w : load(w.id, context);

export const Workflow: WorkflowResolvers = {
  // Federation: a reference `{ __typename, id }` from another subgraph; null when Altostrat says 404.
  __resolveReference: (reference, context, info) => findWorkflow(reference.id, context, info),
  name: async (w, _, context) => (await record(w, context)).name,
  description: async (w, _, context) => (await record(w, context)).description,
  isActive: async (w, _, context) => (await record(w, context)).isActive,
  scheduleType: async (w, _, context) => (await record(w, context)).scheduleType,
  scheduleValue: async (w, _, context) => (await record(w, context)).scheduleValue,
  nextRunAt: async (w, _, context) => (await record(w, context)).nextRunAt,
  webhookUrl: async (w, _, context) => (await record(w, context)).webhookUrl,
  createdAt: async (w, _, context) => (await record(w, context)).createdAt,
  updatedAt: async (w, _, context) => (await record(w, context)).updatedAt,
  graph: async (w, _, context) => {
    const graph = ('graph' in w && w.graph) || (await load(w.id, context)).graph;
    if (!graph) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat sent workflow ${w.id} without its nodes and edges.`);
    return graph;
  },
  executions: async (w, args, context, info) => {
    const page = await resolveExecutions(
      executionsRequestFor(w.id, { args, info }),
      executionsPages(context.loaders, w.id),
      context.pageSizeHint,
    );
    if (page === null) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat no longer has workflow ${w.id}.`);
    return page;
  },
};

export const WorkflowGraphNode: WorkflowGraphNodeResolvers = {
  componentId: (node) => (typeof node.data.componentId === 'string' ? node.data.componentId : null),
};
