/**
 * The vault: items are read through the request's loaders and written through the upstream
 * client, which keeps secrets out of every error (src/upstream/client.ts, `secrets`). A secret
 * goes one way, into Altostrat; a generated `apiKey` comes back once, in `createVaultItem`'s
 * payload, and is cached nowhere (records.ts keeps it out of the item).
 */
import type { GatewayContext } from '../context.js';
import { lookupNeeds } from '../catalogue/fields.js';
import type { MutationResolvers, QueryResolvers, VaultItemResolvers } from '../generated/resolvers-types.js';
import { vaultItemWritten } from '../loaders.js';
import type { VaultItemParent } from '../upstream/records.js';
import { checkedId } from '../upstream/ids.js';
import { vaultItemBody } from '../upstream/inputs.js';
import { carriedFrom, seen } from './carried.js';
import { orNotFound } from './found.js';
import { selectedFields, type SelectionInfo } from './selection.js';

/** By id: no call when only `id` is asked; null when Altostrat says 404. */
export function findVaultItem(id: string, { loaders }: GatewayContext, info: SelectionInfo): Promise<VaultItemParent | null> | VaultItemParent {
  const fields = selectedFields(info, 'VaultItem').map((f) => f.name);
  return lookupNeeds('VaultItem', fields, 'getVaultItem') ? loaders.byId('getVaultItem').load(id) : { id };
}

const carried = carriedFrom(async (id, { loaders }) => seen(await loaders.byId('getVaultItem').load(id), `vault item ${id}`));

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
    const created = await upstream.createVaultItem(vaultItemBody(input));
    vaultItemWritten(loaders, created.vaultItem.id, created.vaultItem);
    return created;
  },
  updateVaultItem: async (_, { input: { id, ...content } }, { upstream, loaders }) => {
    const vaultItem = orNotFound(await upstream.replaceVaultItem(id, vaultItemBody(content)), `vault item ${id}`);
    vaultItemWritten(loaders, id, vaultItem);
    return { vaultItem };
  },
  deleteVaultItem: async (_, { input: { id } }, { upstream, loaders }) => {
    orNotFound(await upstream.deleteVaultItem(id), `vault item ${id}`);
    vaultItemWritten(loaders, id, null);
    return { deletedVaultItemId: id };
  },
};
