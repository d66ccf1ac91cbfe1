/**
 * What a query may cost upstream, estimated before it runs, in the unit that matters here: REST
 * calls to Altostrat. Connection sizes multiply down the tree (each workflow of a page brings its
 * executions pages, each execution may need a run fetch for its logs), so
 * `workflows(first: 100) { nodes { executions(first: 100) { nodes { logs { id } } } } }` is
 * counted as the ten thousand calls it could cause and refused before any is made.
 *
 * Every field is costed by its entry in the catalogue (catalogue/fields.ts), and a field without
 * one is refused, never skipped. The estimate works on the operation as it will run: variables
 * coerced with their defaults, `@include`/`@skip` applied, fragments expanded. It is an upper
 * bound under the budget: one call per root lookup, list or write, one call per object and
 * endpoint whose answer a field needs and the object does not carry, ceil(n / page size) + 1
 * pages per paged connection of n items (+ 2 with `last`, whose total must be read first), and
 * one run fetch per execution whose logs are asked (as if the list never carried them). Repeated
 * calls that DataLoader would de-duplicate are still counted: the bound stays simple and safe.
 * The client also counts calls at run time, so a wrong estimate can never let a request past the
 * limit.
 */
import {
  GraphQLError,
  getNamedType,
  isIntrospectionType,
  isObjectType,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { collectFields, collectSubFields, getArgumentValues } from '@graphql-tools/utils';
import { costOf, type EntityType, type FieldCost, type Origin } from '../catalogue/fields.js';
import { MAX_PAGE_SIZE, sliceSize } from '../pagination/plan.js';

export interface CostInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  /** The operation that will run, picked by the executor's rule (graphql's `getOperationAST`). */
  operation: OperationDefinitionNode;
  /** Coerced variable values (defaults applied), as execution will see them. */
  variables: Record<string, unknown>;
  /** Items per upstream page to assume (the learned page size when there is one). */
  perPage: number;
}

/** How many items a plain upstream array is assumed to hold; the run-time count backs the guess. */
const ARRAY_ITEMS = MAX_PAGE_SIZE;

export class UnknownCostError extends Error {
  override name = 'UnknownCostError';
}

/** Where a selection's objects come from: their origin, the fields they carry beyond it, and a list's items. */
interface Scope {
  origin: Origin;
  carried: readonly string[];
}
const LOOKUP: Scope = { origin: 'lookup', carried: [] };

/**
 * Reads of the schema itself make no upstream call, but their answers are large (the whole
 * schema is about 60 KB): under 64 aliases, a 2 KB query would be answered with 4 MB. So an
 * operation reads it once, and a type by name a few times.
 */
const SCHEMA_READS: Readonly<Record<string, number>> = { __schema: 1, _service: 1, __type: 10 };

export function estimateUpstreamCalls({ schema, document, operation, variables, perPage }: CostInput): number {
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) throw new UnknownCostError(`the schema has no ${operation.operation} type`);
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );

  const objectType = (name: string): GraphQLObjectType => {
    const type = schema.getType(name);
    if (!isObjectType(type)) throw new UnknownCostError(`${name} is not an object type`);
    return type;
  };
  /** The fields selected on `type` by these field nodes, merged by response key, each with its cost. */
  const selected = (type: GraphQLObjectType, nodes: FieldNode[]) =>
    [...collectSubFields(schema, fragments, variables, type, nodes).fields.values()].map((field) => fieldOf(type, field));
  function fieldOf(type: GraphQLObjectType, nodes: FieldNode[]) {
    const name = nodes[0]!.name.value;
    const cost = costOf(type.name, name);
    if (!cost) throw new UnknownCostError(`no cost is known for ${type.name}.${name}`);
    const definition = type.getFields()[name];
    const inner = definition ? getNamedType(definition.type) : undefined;
    let args: Record<string, unknown> | undefined;
    return {
      name,
      nodes,
      cost,
      args: () => (args ??= definition ? getArgumentValues(definition, nodes[0]!, variables) : {}),
      /** A connection: its size is checked whether or not the calls depend on it. */
      sized: definition?.args.some((arg) => arg.name === 'first' || arg.name === 'last') ?? false,
      /** The object type the field's value is (null for a leaf, an introspection type or a union). */
      inner: isObjectType(inner) && !isIntrospectionType(inner) ? inner : null,
    };
  }
  type Selected = ReturnType<typeof fieldOf>;
  const size = (args: Record<string, unknown>) => sliceSize(args).count;
  /**
   * A connection's `first` or `last` that it would refuse itself (plan.ts) is refused here, the
   * error pointing at the field: before the call that fetches the list or object it is under.
   */
  function checkSize(field: Selected): void {
    try {
      size(field.args());
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      throw new GraphQLError(error.message, { nodes: field.nodes, extensions: error.extensions });
    }
  }
  const mostOf = (types: readonly EntityType[], nodes: FieldNode[]) => Math.max(...types.map((type) => walk(objectType(type), nodes, LOOKUP)));

  /** What a selection on `type` costs, its objects coming from `scope`. */
  function walk(type: GraphQLObjectType, nodes: FieldNode[], scope: Scope): number {
    let calls = 0;
    // One call per endpoint per object, however many of its fields that answer fills.
    const fetches = new Set<string>();
    for (const field of selected(type, nodes)) {
      const { cost } = field;
      if (cost.kind === 'record' && !scope.carried.includes(field.name) && (scope.origin === 'lookup' || !cost.listed)) fetches.add(cost.endpoint);
      calls += fieldCalls(field, cost, scope);
    }
    return calls + fetches.size;
  }

  /** The calls a field makes beyond its object's own fetches, with what its value asks. */
  function fieldCalls(field: Selected, cost: FieldCost, scope: Scope): number {
    if (field.sized) checkSize(field);
    switch (cost.kind) {
      case 'free':
      case 'record':
        if (cost.object) return walk(objectType(cost.object.type), field.nodes, { origin: cost.object.origin, carried: [] });
        return field.inner ? walk(field.inner, field.nodes, scope) : 0;
      case 'call':
        return 1 + (field.inner ? walk(field.inner, field.nodes, scope) : 0);
      case 'lookup':
        return mostOf(cost.types, field.nodes);
      case 'entities': {
        const { representations } = field.args();
        const list: unknown[] = Array.isArray(representations) ? representations : [representations];
        // An entity of another subgraph, or none at all, is the router's mistake (or a hostile
        // caller's): refused here rather than failing deep inside federation's resolver.
        const known: readonly string[] = cost.types;
        if (list.some((r) => !known.includes((r as { __typename?: unknown } | null)?.__typename as string))) {
          throw new UnknownCostError(`every representation's __typename must be one of ${cost.types.join(', ')}`);
        }
        // The loaders read each object once, however often a router names it (Apollo Gateway
        // sends a representation per reference, duplicates and all): distinct objects count.
        const distinct = new Set(list.map((r) => JSON.stringify([(r as { __typename: string }).__typename, (r as { id?: unknown }).id])));
        return distinct.size * mostOf(cost.types, field.nodes);
      }
      case 'list': {
        const items: Scope = { origin: cost.origin, carried: cost.carried ?? [] };
        if (!cost.paged) return 1 + ARRAY_ITEMS * walk(objectType(cost.items), field.nodes, items);
        return 1 + size(field.args()) * perItem(field, cost.items, items);
      }
      case 'pages': {
        const args = field.args();
        const n = size(args);
        const backward = typeof args.last === 'number' || typeof args.before === 'string';
        const pages = Math.ceil(n / perPage) + (backward ? 2 : 1);
        return pages + n * perItem(field, cost.items, { origin: 'list', carried: [] });
      }
      case 'item':
        throw new UnknownCostError(`${field.name} is an item of no list here`);
    }
  }

  /**
   * What one item of a connection costs, however often it is reached (`nodes`, `edges { node }`,
   * each under any number of aliases): every such selection resolves on the same item, so they
   * are walked together, and one item's fetches count once whichever alias asks for them.
   */
  function perItem(field: Selected, items: EntityType, scope: Scope): number {
    const nodes = itemNodes(field, []);
    return nodes.length === 0 ? 0 : walk(objectType(items), nodes, scope);
  }

  /** The field nodes that select a connection's items, through any free wrapper (`edges`). */
  function itemNodes(field: Selected, into: FieldNode[]): FieldNode[] {
    if (!field.inner) return into;
    for (const inner of selected(field.inner, field.nodes)) {
      if (inner.cost.kind === 'item') into.push(...inner.nodes);
      else if (inner.cost.kind === 'free') itemNodes(inner, into);
      else throw new UnknownCostError(`${field.inner.name}.${inner.name} cannot be costed inside a connection`);
    }
    return into;
  }

  const root = collectFields(schema, fragments, variables, rootType, operation.selectionSet).fields;
  // graphql-js checks this before `@skip`/`@include` are applied, then fails on an empty root.
  if (operation.operation === OperationTypeNode.SUBSCRIPTION && root.size !== 1) {
    throw new UnknownCostError('a subscription must select exactly one field, and `@skip` or `@include` leave this one none');
  }
  const schemaReads = new Map<string, number>();
  let total = 0;
  for (const nodes of root.values()) {
    const { value: name } = nodes[0]!.name;
    const most = SCHEMA_READS[name];
    if (most !== undefined) {
      const reads = (schemaReads.get(name) ?? 0) + 1;
      if (reads > most) throw new UnknownCostError(`an operation may select \`${name}\` ${most === 1 ? 'once' : `${most} times`}, under however many aliases`);
      schemaReads.set(name, reads);
    }
    const field = fieldOf(rootType, nodes);
    total += fieldCalls(field, field.cost, LOOKUP);
  }
  return total;
}
