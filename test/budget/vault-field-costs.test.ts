/**
 * The cost table (src/field-needs.ts) for vault items and authorizations: each field, asked alone
 * of an object looked up by id, makes exactly the call the table names (UPSTREAM_TRACE's
 * `extensions.upstream.trace`). test/field-needs.test.ts does the same for workflows and runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLS, FIELD_NEEDS } from '../../src/field-needs.js';
import { DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
const ids: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack({}, { UPSTREAM_TRACE: 'true' });
  ids.Workflow = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
  const { data } = await stack.gql('{ vaultItems { id } workflowAuthorizations { id } }');
  ids.VaultItem = data.vaultItems[0].id;
  ids.WorkflowAuthorization = data.workflowAuthorizations[0].id;
});
afterAll(() => stack.close());

const cases = (['VaultItem', 'WorkflowAuthorization'] as const).flatMap((type) =>
  Object.keys(FIELD_NEEDS[type]).map((field) => ({ type: type, field })),
);

describe('the cost table', () => {
  it.each(cases)('names the only call that $type.$field makes', async ({ type, field }) => {
    const need = (FIELD_NEEDS as Record<string, Record<string, { call: keyof typeof CALLS | null }>>)[type]![field]!;
    const { data, errors, ...rest } = await stack.gql(`query($id: ID!) { node(id: $id) { ... on ${type} { ${field} } } }`, { id: ids[type] });
    expect(errors).toBeUndefined();
    expect(data.node).not.toBeNull();
    const trace = (rest as unknown as { extensions: { upstream: { trace: Array<{ method: string; path: string; cached: boolean }> } } }).extensions.upstream.trace;
    const made = trace.filter((t) => !t.cached).map((t) => `${t.method} ${t.path}`);
    expect(made).toEqual(need.call === null ? [] : [CALLS[need.call]]);
  });
});
