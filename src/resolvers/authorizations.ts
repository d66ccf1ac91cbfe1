/**
 * Workflow authorizations. Altostrat has no single-authorization read, so one is found in the
 * list (read at most once per request) by its id.
 */
import { codedError, ErrorCode } from '../errors.js';
import type { GatewayContext } from '../context.js';
import { lookupNeedsRecord } from '../field-needs.js';
import type { MutationResolvers, QueryResolvers, WorkflowAuthorizationResolvers } from '../generated/resolvers-types.js';
import type { AuthorizationParent, AuthorizationRecord } from '../upstream/records.js';
import { orNotFound } from './found.js';
import { selectedFields, type SelectionInfo } from './selection.js';

const fromList = async (id: string, { loaders }: GatewayContext): Promise<AuthorizationRecord | null> =>
  (await loaders.authorizations.load()).find((a) => a.id === id) ?? null;

/** By id: no call when only `id` is asked; null when the list does not hold it. */
export function findAuthorization(id: string, context: GatewayContext, info: SelectionInfo): Promise<AuthorizationParent | null> | AuthorizationParent {
  const fields = selectedFields(info, 'WorkflowAuthorization').map((f) => f.name);
  return lookupNeedsRecord('WorkflowAuthorization', fields, 'authorizations') ? fromList(id, context) : { id };
}

function carried<K extends keyof AuthorizationRecord>(field: K) {
  return async (item: AuthorizationParent, _args: unknown, context: GatewayContext): Promise<AuthorizationRecord[K]> => {
    if (field in item) return (item as AuthorizationRecord)[field];
    const record = await fromList(item.id, context);
    if (record === null) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat no longer has authorization ${item.id}.`);
    return record[field];
  };
}

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
