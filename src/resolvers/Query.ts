/** Entry points: thin, over lookup.ts and the workflows list connection. Ids are checked before any call. */
import { badInput } from '../errors.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { sliceWholeList, wholeListRequest } from '../pagination/whole-list.js';
import { idShape, typeOfId } from '../upstream/ids.js';
import { checkedId } from './ids.js';
import { findExecution, findWorkflow } from './lookup.js';
import { findAuthorization } from './authorizations.js';
import { findVaultItem } from './vault.js';

export const Query: QueryResolvers = {
  node: (_, { id }, context, info) => {
    switch (typeOfId(id)) {
      case 'run':
        return findExecution(id, context, info);
      case 'workflow':
        return findWorkflow(id, context, info);
      case 'vault':
        return findVaultItem(id, context, info);
      case 'authorization':
        return findAuthorization(id, context, info);
      default:
        throw badInput(
          `\`${id}\` is not the id of a workflow (\`${idShape('workflow')}\`), an execution (\`${idShape('run')}\`), ` +
            `a vault item (\`${idShape('vault')}\`) or an authorization (\`${idShape('authorization')}\`).`,
        );
    }
  },
  workflow: (_, { id }, context, info) => findWorkflow(checkedId('workflow', id), context, info),
  execution: (_, { id }, context, info) => findExecution(checkedId('run', id), context, info),
  workflows: async (_, args, { loaders, cursors }) => {
    const request = wholeListRequest(args, cursors);
    return sliceWholeList(await loaders.workflowList(), request, cursors);
  },
};
