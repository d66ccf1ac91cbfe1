/**
 * Workflow authorizations. Altostrat has no single-authorization read, so one is found in the
 * list (read at most once per request) by its id.
 */
import type { GatewayContext } from '../context.js';
import { lookupNeeds } from '../catalogue/fields.js';
import type { MutationResolvers, QueryResolvers, WorkflowAuthorizationResolvers } from '../generated/resolvers-types.js';
import type { AuthorizationParent, AuthorizationRecord } from '../upstream/records.js';
import { carriedFrom, seen } from './carried.js';
import { orNotFound } from './found.js';
import { selectedFields, type SelectionInfo } from './selection.js';

const fromList = async (id: string, { loaders }: GatewayContext): Promise<AuthorizationRecord | null> =>
  (await loaders.authorizations.load()).find((a) => a.id === id) ?? null;

/** By id: no call when only `id` is asked; null when the list does not hold it. */
export function findAuthorization(id: string, context: GatewayContext, info: SelectionInfo): Promise<AuthorizationParent | null> | AuthorizationParent {
  const fields = selectedFields(info, 'WorkflowAuthorization').map((f) => f.name);
  return lookupNeeds('WorkflowAuthorization', fields, 'listAuthorizations') ? fromList(id, context) : { id };
}

const carried = carriedFrom(async (id, context) => seen(await fromList(id, context), `authorization ${id}`));

export const WorkflowAuthorization: WorkflowAuthorizationResolvers = {
  userId: carried('userId'),
  provider: carried('provider'),
  status: carried('status'),
  createdAt: carried('createdAt'),
};

export const authorizationQueries: QueryResolvers = {
  workflowAuthorizations: (_, __, { loaders }) => loaders.authorizations.load(),
};

export const authorizationMutations: MutationResolvers = {
  startWorkflowAuthorization: (_, __, { upstream }) => upstream.startAuthorization(),
  deleteWorkflowAuthorization: async (_, { input: { id } }, { upstream, loaders }) => {
    orNotFound(await upstream.deleteAuthorization(id), `authorization ${id}`);
    loaders.authorizations.clear();
    return { deletedAuthorizationId: id };
  },
};
