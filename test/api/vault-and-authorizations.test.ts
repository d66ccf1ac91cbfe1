/**
 * Vault items and workflow authorizations through GraphQL, over real HTTP against the simulator:
 * reads (lists, by id, through Query.node), writes with what each sends upstream, the generated
 * API key shown once, and each error mapping. test/auth/secrets-write-only.test.ts proves that
 * secrets never come back out.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_TOKENS, expectCode, startStack, type Stack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());
beforeEach(() => {
  stack.simulator.configure({ fault: undefined });
  stack.simulator.clearCalls();
});

const ITEM = 'id name createdAt expiresAt';
const CREATE = `mutation($input: CreateVaultItemInput!) { createVaultItem(input: $input) { apiKey vaultItem { ${ITEM} } } }`;
const UPDATE = `mutation($input: UpdateVaultItemInput!) { updateVaultItem(input: $input) { vaultItem { ${ITEM} } } }`;
const DELETE = 'mutation($id: ID!) { deleteVaultItem(input: { id: $id }) { deletedVaultItemId } }';
const theirVaultItem = async () => (await stack.gql('{ vaultItems { id } }', {}, { authorization: `Bearer ${DEMO_TOKENS.globex}` })).data.vaultItems[0].id as string;

describe('vault reads', () => {
  it('lists the items, finds one by id and through Query.node, and is null for another organisation’s', async () => {
    const { data } = await stack.gql(`{ vaultItems { ${ITEM} } }`);
    expect(data.vaultItems.length).toBeGreaterThan(0);
    const [first] = data.vaultItems;
    expect(first.id).toMatch(/^vlt_/);
    stack.simulator.clearCalls();
    const byId = await stack.gql(`query($id: ID!) { vaultItem(id: $id) { ${ITEM} } node(id: $id) { id ... on VaultItem { name } } }`, { id: first.id });
    expect(byId.data).toEqual({ vaultItem: first, node: { id: first.id, name: first.name } });
    expect(stack.simulator.calls.map((c) => c.path)).toEqual([`/workflows/vault/${first.id}`]);
    const theirs = await theirVaultItem();
    expect((await stack.gql('query($id: ID!) { vaultItem(id: $id) { name } }', { id: theirs })).data.vaultItem).toBeNull();
  });

  it('refuses an id of another shape before any call, and answers `id` alone with none', async () => {
    stack.simulator.clearCalls();
    expectCode(await stack.gql('{ vaultItem(id: "fl_abc") { name } }'), 'BAD_USER_INPUT');
    expect((await stack.gql('{ vaultItem(id: "vlt_abc") { id } }')).data.vaultItem).toEqual({ id: 'vlt_abc' });
    expect(stack.simulator.calls).toEqual([]);
  });
});

describe('vault writes', () => {
  it('creates an item from the schema’s input, sends the secret only upstream, and the list shows it next', async () => {
    const { data, errors } = await stack.gql(CREATE, { input: { name: 'router-ssh', secret: 'pa55-router', expiresAt: '2099-01-01T00:00:00Z' } });
    expect(errors).toBeUndefined();
    const item = data.createVaultItem.vaultItem;
    expect(data.createVaultItem).toEqual({ apiKey: null, vaultItem: { id: expect.stringMatching(/^vlt_/), name: 'router-ssh', createdAt: expect.any(String), expiresAt: '2099-01-01T00:00:00.000000Z' } });
    expect(stack.simulator.calls[0]).toMatchObject({ method: 'POST', path: '/workflows/vault', body: { name: 'router-ssh', secret: 'pa55-router', expires_at: '2099-01-01T00:00:00Z' } });
    expect(stack.simulator.secretOf(item.id)).toBe('pa55-router');
    expect((await stack.gql('{ vaultItems { id } }')).data.vaultItems.map((v: { id: string }) => v.id)).toContain(item.id);
  });

  it('shows a generated API key once, in the create payload only', async () => {
    const { data } = await stack.gql(CREATE, { input: { name: 'api-key:billing' } });
    const { apiKey, vaultItem } = data.createVaultItem;
    expect(apiKey).toMatch(/^wfk_[0-9a-f]{40}$/);
    expect(stack.simulator.calls[0]!.body).toEqual({ name: 'api-key:billing', expires_at: null });
    const later = await stack.gql(`query($id: ID!) { vaultItem(id: $id) { ${ITEM} } vaultItems { ${ITEM} } }`, { id: vaultItem.id });
    expect(JSON.stringify(later)).not.toContain(apiKey);
  });

  it('fails `apiKey` alone, the item it created still answered, when Altostrat sends the key in another shape', async () => {
    const created = { id: 'vlt_01k0created', name: 'api-key:odd', created_at: '2026-01-02T03:04:05.000000Z', expires_at: null };
    for (const odd of [{ api_key: 12345 }, { api_key: { key: 'wfk_1' } }]) {
      stack.simulator.configure({ fault: (call) => (call.method === 'POST' ? { status: 201, body: JSON.stringify({ ...created, ...odd }) } : undefined) });
      const response = await stack.gql(CREATE, { input: { name: 'api-key:odd' } });
      expect(response.data).toEqual({ createVaultItem: { apiKey: null, vaultItem: { id: created.id, name: created.name, createdAt: created.created_at, expiresAt: null } } });
      expect(response.errors!.map((e) => [e.extensions!.code, e.path])).toEqual([['UPSTREAM_ERROR', ['createVaultItem', 'apiKey']]]);
    }
  });

  it('maps refusals to the input’s names', async () => {
    const short = expectCode(await stack.gql(CREATE, { input: { name: 'ab', secret: 'x' } }), 'BAD_USER_INPUT', ['createVaultItem']);
    expect(short.extensions!.fieldErrors).toEqual({ name: ['The name field must be at least 3 characters.'] });
    const past = expectCode(await stack.gql(CREATE, { input: { name: 'old-item', secret: 'x', expiresAt: '2001-01-01T00:00:00Z' } }), 'BAD_USER_INPUT');
    expect(Object.keys(past.extensions!.fieldErrors)).toEqual(['expiresAt']);
    expectCode(await stack.gql(CREATE, { input: { name: 'old-item', secret: 'x', expiresAt: 'soon' } }), 'BAD_USER_INPUT');
  });

  it('replaces an item, then deletes it; both are NOT_FOUND for another organisation’s item', async () => {
    const { data } = await stack.gql(CREATE, { input: { name: 'to-replace', secret: 'first' } });
    const id = data.createVaultItem.vaultItem.id;
    stack.simulator.clearCalls();
    const replaced = await stack.gql(UPDATE, { input: { id, name: 'replaced', secret: 'second' } });
    expect(replaced.data.updateVaultItem.vaultItem).toMatchObject({ id, name: 'replaced', expiresAt: null });
    expect(stack.simulator.calls[0]).toMatchObject({ method: 'PUT', path: `/workflows/vault/${id}`, body: { name: 'replaced', secret: 'second', expires_at: null } });
    expect(stack.simulator.secretOf(id)).toBe('second');
    expect((await stack.gql(DELETE, { id })).data.deleteVaultItem).toEqual({ deletedVaultItemId: id });
    expect(stack.simulator.secretOf(id)).toBeUndefined();
    expectCode(await stack.gql(DELETE, { id }), 'NOT_FOUND', ['deleteVaultItem']);
    const theirs = await theirVaultItem();
    expectCode(await stack.gql(UPDATE, { input: { id: theirs, name: 'mine-now', secret: 'x' } }), 'NOT_FOUND', ['updateVaultItem']);
    expectCode(await stack.gql(DELETE, { id: theirs }), 'NOT_FOUND', ['deleteVaultItem']);
  });

  it('sends a write once and says outcomeUnknown when its answer was lost', async () => {
    stack.simulator.configure({ fault: () => ({ kind: 'reset' }) });
    const error = expectCode(await stack.gql(CREATE, { input: { name: 'lost-answer', secret: 'x' } }), 'UPSTREAM_ERROR');
    expect(error.extensions!.outcomeUnknown).toBe(true);
    expect(stack.simulator.calls).toHaveLength(1);
  });

  it('says outcomeUnknown when a delete’s answer was lost, though Altostrat deleted the item', async () => {
    const { id } = (await stack.gql(CREATE, { input: { name: 'lost-delete', secret: 'x' } })).data.createVaultItem.vaultItem;
    stack.simulator.clearCalls();
    stack.simulator.configure({ fault: (call) => (call.method === 'DELETE' ? { kind: 'reset' } : undefined) });
    const error = expectCode(await stack.gql(DELETE, { id }), 'UPSTREAM_ERROR', ['deleteVaultItem']);
    expect(error.extensions!.outcomeUnknown).toBe(true);
    expect(stack.simulator.calls.map((c) => c.method)).toEqual(['DELETE']);
    stack.simulator.configure({ fault: undefined });
    expect((await stack.gql('query($id: ID!) { vaultItem(id: $id) { name } }', { id })).data.vaultItem).toBeNull();
  });
});

describe('workflow authorizations', () => {
  it('lists them, finds one through Query.node from the list, and starts the login flow', async () => {
    const { data } = await stack.gql('{ workflowAuthorizations { id userId provider status createdAt } }');
    const [auth] = data.workflowAuthorizations;
    expect(auth).toEqual({ id: expect.stringMatching(/^auth_/), userId: expect.any(String), provider: 'altostrat', status: 'active', createdAt: expect.any(String) });
    const node = await stack.gql('query($id: ID!) { node(id: $id) { __typename ... on WorkflowAuthorization { status } } missing: node(id: "auth_nope") { id ... on WorkflowAuthorization { status } } }', { id: auth.id });
    expect(node.data).toEqual({ node: { __typename: 'WorkflowAuthorization', status: 'active' }, missing: null });
    stack.simulator.clearCalls();
    const started = await stack.gql('mutation { startWorkflowAuthorization { url } }');
    expect(started.data.startWorkflowAuthorization.url).toMatch(/^https:\/\/.+\/oauth\/authorize\?state=/);
    expect(stack.simulator.calls).toEqual([expect.objectContaining({ method: 'POST', path: '/workflows/authorization' })]);
  });

  it('answers UPSTREAM_ERROR, not an empty link, when the login URL is missing from the answer', async () => {
    stack.simulator.configure({ fault: () => ({ status: 200, body: '{"redirect":"https://x"}' }) });
    expectCode(await stack.gql('mutation { startWorkflowAuthorization { url } }'), 'UPSTREAM_ERROR');
  });

  it('deletes one, after which the list no longer holds it and a second delete is NOT_FOUND', async () => {
    const token = { authorization: `Bearer ${DEMO_TOKENS.globex}` };
    const { data } = await stack.gql('{ workflowAuthorizations { id } }', {}, token);
    const id = data.workflowAuthorizations[0].id;
    const deleted = await stack.gql('mutation($id: ID!) { deleteWorkflowAuthorization(input: { id: $id }) { deletedAuthorizationId } }', { id }, token);
    expect(deleted.data.deleteWorkflowAuthorization).toEqual({ deletedAuthorizationId: id });
    expect(stack.simulator.calls.at(-1)).toMatchObject({ method: 'DELETE', path: `/workflows/authorization/${id}` });
    expect((await stack.gql('{ workflowAuthorizations { id } }', {}, token)).data.workflowAuthorizations).toEqual([]);
    const again = await stack.gql('mutation($id: ID!) { deleteWorkflowAuthorization(input: { id: $id }) { deletedAuthorizationId } }', { id }, token);
    expectCode(again, 'NOT_FOUND', ['deleteWorkflowAuthorization']);
    expectCode(await stack.gql('mutation { deleteWorkflowAuthorization(input: { id: "vlt_x" }) { deletedAuthorizationId } }', {}, token), 'BAD_USER_INPUT');
  });
});
