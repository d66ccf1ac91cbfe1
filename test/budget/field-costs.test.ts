/**
 * The catalogue (src/catalogue/fields.ts) against what the resolvers really call: every field of
 * every node type of the schema (read from the schema, not from the catalogue), asked alone of an
 * object from each origin (looked up by id, an item of a list), makes exactly the calls its entry
 * names, read from `extensions.upstream`. A resolver that starts fetching something its entry does
 * not name fails here, and so does an entry that claims a call the resolver no longer makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNamedType, isLeafType, isObjectType, type GraphQLObjectType } from 'graphql';
import { costOf, FIELDS, type EntityType, type FieldCost } from '../../src/catalogue/fields.js';
import { routeOf } from '../../src/catalogue/endpoints.js';
import { createSchema } from '../../src/server.js';
import { DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

const schema = createSchema();
const nodeTypes = schema.getPossibleTypes(schema.getType('Node') as never) as GraphQLObjectType[];

/** The smallest selection of a field's value: a leaf of it, or of its first object field. */
function selectionOf(type: GraphQLObjectType, field: string): string {
  const named = getNamedType(type.getFields()[field]!.type);
  if (!isObjectType(named)) return field;
  const fields = Object.values(named.getFields());
  const leaf = fields.find((f) => isLeafType(getNamedType(f.type)));
  return `${field} { ${leaf ? leaf.name : selectionOf(named, fields[0]!.name)} }`;
}

/** How an item of each node type is reached from a list: a root list, or a paged field of another node type. */
function listOf(type: EntityType): { query: (selection: string) => string; route: string } {
  for (const [name, cost] of Object.entries<FieldCost>(FIELDS.Query)) {
    if (cost.kind !== 'list' || cost.items !== type || cost.origin !== 'list') continue;
    return { query: (s) => (cost.paged ? `{ ${name}(first: 1) { nodes { id ${s} } } }` : `{ ${name} { id ${s} } }`), route: routeOf(cost.endpoint) };
  }
  for (const parent of nodeTypes) {
    for (const [name, cost] of Object.entries<FieldCost>(FIELDS[parent.name as EntityType])) {
      if (cost.kind !== 'pages' || cost.items !== type) continue;
      return {
        query: (s) => `query($parent: ID!) { node(id: $parent) { ... on ${parent.name} { ${name}(first: 1) { nodes { id ${s} } } } } }`,
        route: routeOf(cost.endpoint),
      };
    }
  }
  throw new Error(`no list holds ${type}`);
}

/** What the catalogue says a field costs from an origin, beside the calls that reach the object. */
function expected(reach: string[], cost: FieldCost, origin: 'lookup' | 'list'): string[] {
  const own =
    (cost.kind === 'record' && (origin === 'lookup' || !cost.listed)) || cost.kind === 'pages' || cost.kind === 'call' ? [routeOf(cost.endpoint)] : [];
  return [...new Set([...reach, ...own])].sort();
}

let stack: Stack;
const ids: Partial<Record<string, string>> = {};

beforeAll(async () => {
  // List items without logs and without graphs, so that only the catalogue's `listed` fields are carried.
  stack = await startStack({ inlineLogs: false, listWorkflowGraph: false }, { UPSTREAM_TRACE: 'true' });
  const workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
  const { data } = await stack.gql('{ vaultItems { id } workflowAuthorizations { id } }');
  Object.assign(ids, {
    Workflow: workflowId,
    WorkflowExecution: stack.simulator.runsOf(workflowId)[0]!.id,
    VaultItem: data.vaultItems[0].id,
    WorkflowAuthorization: data.workflowAuthorizations[0].id,
  });
});
afterAll(() => stack?.close());

/** The distinct routes a query called (loader-cache hits left out). */
async function routesOf(query: string, variables: Record<string, unknown>): Promise<string[]> {
  const response = await stack.gql(query, variables);
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  const trace = (response as { extensions?: { upstream?: { trace: Array<{ method: string; path: string; cached: boolean }> } } }).extensions!
    .upstream!.trace;
  return [...new Set(trace.filter((t) => !t.cached).map((t) => `${t.method} ${t.path}`))].sort();
}

const cases = nodeTypes.flatMap((type) => Object.keys(type.getFields()).map((field) => ({ type: type.name, field })));

describe('every field of every node type calls what the catalogue says', () => {
  it('covers the node types the catalogue costs', () => {
    expect(nodeTypes.map((t) => t.name).sort()).toEqual(['VaultItem', 'Workflow', 'WorkflowAuthorization', 'WorkflowExecution']);
  });

  it.each(cases)('$type.$field, looked up by id', async ({ type, field }) => {
    const cost = costOf(type, field);
    expect(cost, `${type}.${field} has no entry`).toBeDefined();
    const selection = selectionOf(schema.getType(type) as GraphQLObjectType, field);
    const routes = await routesOf(`query($id: ID!) { node(id: $id) { ... on ${type} { id ${selection} } } }`, { id: ids[type] });
    expect(routes).toEqual(expected([], cost!, 'lookup'));
  });

  it.each(cases)('$type.$field, as an item of a list', async ({ type, field }) => {
    const cost = costOf(type, field);
    expect(cost, `${type}.${field} has no entry`).toBeDefined();
    const list = listOf(type as EntityType);
    const selection = selectionOf(schema.getType(type) as GraphQLObjectType, field);
    const routes = await routesOf(list.query(selection), { parent: ids.Workflow });
    expect(routes).toEqual(expected([list.route], cost!, 'list'));
  });
});
