/**
 * Workflow fields. A workflow arrives as a full record, a list item (no graph) or a reference (id
 * only); each field takes what the object carries and loads the rest through the request's loader
 * (catalogue/fields.ts says which), so the workflow is fetched at most once, and not at all for
 * `id` and `executions`.
 */
import { carriedFrom, seen } from './carried.js';
import { codedError, ErrorCode } from '../errors.js';
import type { WorkflowResolvers } from '../generated/resolvers-types.js';
import { isIdOf } from '../upstream/ids.js';
import { asEntity, executionsKey, findWorkflow } from './lookup.js';

/** The whole workflow, fetched once per request. */
const carried = carriedFrom(async (id, { loaders }) => seen(await loaders.workflow.load(id), `workflow ${id}`));

export const Workflow: WorkflowResolvers = {
  // Federation: a reference `{ __typename, id }` from another subgraph; null when Altostrat says 404,
  // and, with no call, when the id is not a workflow id at all.
  __resolveReference: (reference, context, info) =>
    isIdOf('workflow', reference.id) ? asEntity(findWorkflow(reference.id, context, info, { whole: true })) : null,
  name: carried('name'),
  description: carried('description'),
  isActive: carried('isActive'),
  scheduleType: carried('scheduleType'),
  scheduleValue: carried('scheduleValue'),
  nextRunAt: carried('nextRunAt'),
  webhookUrl: carried('webhookUrl'),
  createdAt: carried('createdAt'),
  updatedAt: carried('updatedAt'),
  graph: async (w, args, context) => {
    const graph = await carried('graph')(w, args, context);
    if (!graph) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat sent workflow ${w.id} without its nodes and edges.`);
    return graph;
  },
  executions: async (w, args, context, info) => {
    return seen(await context.loaders.executions.load(executionsKey(w.id, args, info)), `workflow ${w.id}`);
  },
};
