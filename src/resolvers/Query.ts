/** Entry points: thin, over lookup.ts and the workflows list connection. */
import { badInput } from '../errors.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { workflowsPage, workflowsRequest } from '../pagination/list.js';
import { findExecution, findWorkflow } from './lookup.js';

export const Query: QueryResolvers = {
  node: (_, { id }, context, info) => {
    if (id.startsWith('fl_run_')) return findExecution(id, context, info);
    if (id.startsWith('fl_') && !id.startsWith('fl_log_')) return findWorkflow(id, context, info);
    throw badInput(`\`${id}\` is not the id of a workflow (\`fl_...\`) or of an execution (\`fl_run_...\`).`);
  },
  workflow: (_, { id }, context, info) => findWorkflow(id, context, info),
  execution: (_, { id }, context, info) => findExecution(id, context, info),
  workflows: async (_, args, { loaders }) => {
    const request = workflowsRequest(args);
    return workflowsPage(await loaders.workflowList(), request);
  },
};
