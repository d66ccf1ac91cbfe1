/** Entry points: thin, over lookup.ts and the workflows list connection. Ids are checked before any call. */
import { badInput } from '../errors.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { sliceWholeList, wholeListRequest } from '../pagination/whole-list.js';
import { idShape, isIdOf, typeOfId, type IdKind } from '../upstream/ids.js';
import { findExecution, findWorkflow } from './lookup.js';

/** The id argument, if it has the shape of a `kind` id; BAD_USER_INPUT before any call otherwise. */
function checkedId(kind: IdKind, id: string): string {
  if (!isIdOf(kind, id)) throw badInput(`\`${id}\` is not a ${kind} id: Altostrat's look like \`${idShape(kind)}\`.`);
  return id;
}

export const Query: QueryResolvers = {
  node: (_, { id }, context, info) => {
    switch (typeOfId(id)) {
      case 'run':
        return findExecution(id, context, info);
      case 'workflow':
        return findWorkflow(id, context, info);
      default:
        throw badInput(`\`${id}\` is not the id of a workflow (\`${idShape('workflow')}\`) or of an execution (\`${idShape('run')}\`).`);
    }
  },
  workflow: (_, { id }, context, info) => findWorkflow(checkedId('workflow', id), context, info),
  execution: (_, { id }, context, info) => findExecution(checkedId('run', id), context, info),
  workflows: async (_, args, { loaders, cursors }) => {
    const request = wholeListRequest(args, cursors);
    return sliceWholeList(await loaders.workflowList(), request, cursors);
  },
};
