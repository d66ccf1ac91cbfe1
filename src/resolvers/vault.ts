/**
 * The vault: items are read through the request's loaders and written through the upstream
 * client, which keeps secrets out of every error (src/upstream/client.ts, `secrets`). A secret
 * goes one way, into Altostrat; a generated `apiKey` comes back once, in `createVaultItem`'s
 * payload, and is cached nowhere (records.ts keeps it out of the item).
 */
import { codedError, ErrorCode } from '../errors.js';
import type { GatewayContext } from '../context.js';
import { lookupNeedsRecord } from '../field-needs.js';
import type { MutationResolvers, QueryResolvers, VaultItemResolvers } from '../generated/resolvers-types.js';
import { vaultItemWritten } from '../loaders.js';
import type { VaultItemParent, VaultItemRecord } from '../upstream/records.js';
import { orNotFound } from './found.js';
import { checkedId } from './ids.js';
import { selectedFields, type SelectionInfo } from './selection.js';

/** By id: no call when only `id` is asked; null when Altostrat says 404. */
export function findVaultItem(id: string, { loaders }: GatewayContext, info: SelectionInfo): Promise<VaultItemParent | null> | VaultItemParent {
  const fields = selectedFields(info, 'VaultItem').map((f) => f.name);
  return lookupNeedsRecord('VaultItem', fields, 'vaultItem') ? loaders.vaultItem.load(id) : { id };
}

function carried<K extends keyof VaultItemRecord>(field: K) {
  return async (item: VaultItemParent, _args: unknown, { loaders }: GatewayContext): Promise<VaultItemRecord[K]> => {
    if (field in item) return (item as VaultItemRecord)[field];
    const record = await loaders.vaultItem.load(item.id);
    if (record === null) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat no longer has vault item ${item.id}.`);
    return record[field];
  };
}

export const VaultItem: VaultItemResolvers = {
  name: carried('name'),
  createdAt: carried('createdAt'),
  expiresAt: carried('expiresAt'),
};

export const vaultQueries: QueryResolvers = {
  vaultItems: (_, __, { loaders }) => loaders.vaultItems.load(),
  vaultItem: (_, { id }, context, info) => findVaultItem(checkedId('vault', id), context, info),
};

export const vaultMutations: MutationResolvers = {
  createVaultItem: async (_, { input }, { upstream, loaders }) => {
    const created = await upstream.createVaultItem(input);
    vaultItemWritten(loaders, created.vaultItem.id, created.vaultItem);
    return created;
  },
  updateVaultItem: async (_, { input: { id, ...content } }, { upstream, loaders }) => {
    const vaultItem = orNotFound(await upstream.replaceVaultItem(id, content), `vault item ${id}`);
    vaultItemWritten(loaders, id, vaultItem);
    return { vaultItem };
  },
  deleteVaultItem: async (_, { input: { id } }, { upstream, loaders }) => {
    orNotFound(await upstream.deleteVaultItem(id), `vault item ${id}`);
    vaultItemWritten(loaders, id, null);
    return { deletedVaultItemId: id };
  },
};
