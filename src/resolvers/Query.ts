/** Entry points: thin, over lookup.ts and the workflows list connection. Ids are checked before any call. */
import type { GatewayContext } from '../context.js';
import { badInput } from '../errors.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { NODE_TYPES, nodeTypeOf, type EntityType } from '../catalogue/fields.js';
import { sliceWholeList, wholeListRequest } from '../pagination/whole-list.js';
import { checkedId, idShape, isIdOf } from '../upstream/ids.js';
import { findExecution, findWorkflow } from './lookup.js';
import { findAuthorization } from './authorizations.js';
import { findVaultItem } from './vault.js';
import type { SelectionInfo } from './selection.js';
import type { AuthorizationParent, RunParent, VaultItemParent, WorkflowParent } from '../upstream/records.js';

/** How each node type is found by its id. */
type NodeParent = WorkflowParent | RunParent | VaultItemParent | AuthorizationParent;
const FIND: Record<EntityType, (id: string, context: GatewayContext, info: SelectionInfo) => Promise<NodeParent | null> | NodeParent> = {
  Workflow: findWorkflow,
  WorkflowExecution: findExecution,
  VaultItem: findVaultItem,
  WorkflowAuthorization: findAuthorization,
};

const nodeShapes = Object.keys(NODE_TYPES)
  .map((kind) => `\`${idShape(kind as keyof typeof NODE_TYPES)}\``)
  .join(', ');

export const Query: QueryResolvers = {
  node: (_, { id }, context, info) => {
    const type = nodeTypeOf(id);
    if (type === undefined) {
      // A log entry's id has a shape of its own, but no read of its own at Altostrat.
      if (isIdOf('log', id)) throw badInput('A log entry is not a node: Altostrat reads none by its id. Ask for it through its execution\'s `logs` or a `logs` connection.');
      throw badInput(`This is not the id of a node: Altostrat's look like ${nodeShapes}.`);
    }
    return FIND[type](id, context, info);
  },
  workflow: (_, { id }, context, info) => findWorkflow(checkedId('workflow', id), context, info),
  execution: (_, { id }, context, info) => findExecution(checkedId('run', id), context, info),
  workflows: async (_, args, { loaders, cursors }) => {
    const request = wholeListRequest(args, cursors);
    return sliceWholeList(await loaders.workflowList(), request, cursors);
  },
};
