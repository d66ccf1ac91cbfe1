/**
 * What a query may cost upstream, estimated before it runs, in the unit that matters here: REST
 * calls to Altostrat. Connection sizes multiply down the tree (each workflow of a page brings its
 * executions pages, each execution may need a run fetch for its logs), so
 * `workflows(first: 100) { nodes { executions(first: 100) { nodes { logs { id } } } } }` is
 * counted as the ten thousand calls it could cause and refused before any is made.
 *
 * The estimate reads field-needs.ts (which call fills which field) and works on the operation as
 * it will run: variables coerced with their defaults, `@include`/`@skip` applied, fragments
 * expanded. It is an upper bound under the budget: one call per root lookup or list, one call per
 * object whose record is needed, ceil(n / page size) + 1 pages per `executions(first: n)` (+ 2
 * with `last`, whose total must be read first), and one run fetch per execution whose logs are
 * asked (as if the list never carried them). Repeated calls that DataLoader would de-duplicate are
 * still counted: the bound stays simple and safe. The client also counts calls at run time, so a
 * wrong estimate can never let a request past the limit.
 */
import {
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { collectFields, collectSubFields, getArgumentValues } from '@graphql-tools/utils';
import { needOf, type CostedType } from './field-needs.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination/plan.js';

export interface CostInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  /** Coerced variable values (defaults applied), as execution will see them. */
  variables: Record<string, unknown>;
  /** Items per upstream page to assume (the learned page size when there is one). */
  perPage: number;
}

/** Where an object came from decides which of its fields it already carries. */
export type Origin = 'list' | 'lookup';

/**
 * What each root field costs: `free` fields make no call; `lookup` fields find one object by id
 * (a workflow or an execution, or either for `node`); `list` fields make one call and return up
 * to `first`/`last` objects; `entities` is federation's batch of references. A root field missing
 * here is refused by the estimate (see `estimateUpstreamCalls`), so a new field cannot slip by.
 */
export const ROOT_COSTS: Record<string, Record<string, RootCost>> = {
  Query: {
    __typename: { kind: 'free' },
    __schema: { kind: 'free' },
    __type: { kind: 'free' },
    _service: { kind: 'free' },
    workflow: { kind: 'lookup', types: ['Workflow'] },
    execution: { kind: 'lookup', types: ['WorkflowExecution'] },
    node: { kind: 'lookup', types: ['Workflow', 'WorkflowExecution', 'VaultItem', 'WorkflowAuthorization'] },
    _entities: { kind: 'entities', types: ['Workflow', 'WorkflowExecution'] },
    workflows: { kind: 'list', type: 'Workflow', connection: 'WorkflowConnection', edge: 'WorkflowEdge' },
    // The rest of the Workflows API. Log connections are one call whatever their size: the
    // entries carry every field.
    triggerableWorkflows: { kind: 'array', type: 'Workflow', origin: 'lookup', carried: ['name'] },
    validateWorkflow: { kind: 'call', calls: 1, objects: {} },
    recentLogs: { kind: 'call', calls: 1, objects: {} },
    workflowAuthorizations: { kind: 'array', type: 'WorkflowAuthorization', origin: 'list' },
    vaultItems: { kind: 'array', type: 'VaultItem', origin: 'list' },
    vaultItem: { kind: 'lookup', types: ['VaultItem'] },
  },
  Mutation: {
    __typename: { kind: 'free' },
    executeWorkflow: { kind: 'call', calls: 1, objects: { execution: { type: 'WorkflowExecution', origin: 'list' } } },
    resumeExecution: {
      kind: 'call',
      calls: 1,
      objects: { execution: { type: 'WorkflowExecution', origin: 'list' }, resumedFrom: { type: 'WorkflowExecution', origin: 'lookup' } },
    },
    // A written workflow is Altostrat's whole answer, counted like a list item (one fetch too many
    // for its graph, which the answer carries: the bound stays simple).
    createWorkflow: { kind: 'call', calls: 1, objects: { workflow: { type: 'Workflow', origin: 'list' } } },
    updateWorkflow: { kind: 'call', calls: 1, objects: { workflow: { type: 'Workflow', origin: 'list' } } },
    deleteWorkflow: { kind: 'call', calls: 1, objects: {} },
    rerunExecution: {
      kind: 'call',
      calls: 1,
      objects: { execution: { type: 'WorkflowExecution', origin: 'list' }, rerunOf: { type: 'WorkflowExecution', origin: 'lookup' } },
    },
    runWorkflowSync: { kind: 'call', calls: 1, objects: {} },
    testWorkflowNode: { kind: 'call', calls: 1, objects: {} },
    createVaultItem: { kind: 'call', calls: 1, objects: { vaultItem: { type: 'VaultItem', origin: 'list' } } },
    updateVaultItem: { kind: 'call', calls: 1, objects: { vaultItem: { type: 'VaultItem', origin: 'list' } } },
    deleteVaultItem: { kind: 'call', calls: 1, objects: {} },
    startWorkflowAuthorization: { kind: 'call', calls: 1, objects: {} },
    deleteWorkflowAuthorization: { kind: 'call', calls: 1, objects: {} },
  },
  Subscription: {
    // One event: the shared poller's calls are not the subscriber's; what the selection asks of
    // the run or workflow beyond what the poll carries is (its workflow's fields, say).
    executionUpdated: { kind: 'call', calls: 0, objects: { '': { type: 'WorkflowExecution', origin: 'list' } } },
    executionStarted: { kind: 'call', calls: 0, objects: { '': { type: 'WorkflowExecution', origin: 'list' } } },
  },
};

export type RootCost =
  | { kind: 'free' }
  /**
   * `calls` upstream calls, then the objects the answer carries: each payload field named here (or
   * `''`: the root field's value itself) is an object of `type`, already carried like a list item
   * (`list`) or known only by id (`lookup`).
   */
  | { kind: 'call'; calls: number; objects: Record<string, { type: CostedType; origin: Origin }> }
  | { kind: 'lookup'; types: CostedType[] }
  | { kind: 'entities'; types: CostedType[] }
  | { kind: 'list'; type: CostedType; connection: string; edge: string }
  /**
   * One call answering a plain array of unknown length (the upstream pages none but the run list),
   * counted as ARRAY_ITEMS items; `carried` names fields every item has beyond its origin's.
   */
  | { kind: 'array'; type: CostedType; origin: Origin; carried?: string[] };

/** How many items a plain upstream array is assumed to hold; the run-time count backs the guess. */
export const ARRAY_ITEMS = MAX_PAGE_SIZE;

export class UnknownCostError extends Error {
  override name = 'UnknownCostError';
}

export function estimateUpstreamCalls(input: CostInput): number {
  const operation = input.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!input.operationName || d.name?.value === input.operationName),
  );
  if (!operation) throw new UnknownCostError('no operation to estimate');
  const rootType = input.schema.getRootType(operation.operation);
  if (!rootType) throw new UnknownCostError(`the schema has no ${operation.operation} type`);
  const fragments = Object.fromEntries(
    input.document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const { schema, perPage, variables } = input;

  const objectType = (name: string): GraphQLObjectType => {
    const type = schema.getType(name);
    if (!isObjectType(type)) throw new UnknownCostError(`${name} is not an object type`);
    return type;
  };
  /** The fields selected on `type` by these field nodes, merged by response key. */
  const children = (type: GraphQLObjectType, nodes: FieldNode[]) =>
    [...collectSubFields(schema, fragments, variables, type, nodes).fields.values()];
  const args = (type: GraphQLObjectType, nodes: FieldNode[]) => {
    const definition = type.getFields()[nodes[0]!.name.value];
    return definition ? getArgumentValues(definition, nodes[0]!, variables) : {};
  };
  const size = (a: Record<string, unknown>) => {
    const n = typeof a.first === 'number' ? a.first : typeof a.last === 'number' ? a.last : DEFAULT_PAGE_SIZE;
    return Math.max(0, Math.min(n, MAX_PAGE_SIZE));
  };

  /** What one object costs given what is asked of it and where it came from. */
  function object(typeName: CostedType, nodes: FieldNode[], origin: Origin, carried: readonly string[] = []): number {
    const type = objectType(typeName);
    let calls = 0;
    const fetches = new Set<string>();
    for (const field of children(type, nodes)) {
      const name = field[0]!.name.value;
      const need = needOf(typeName, name);
      if (!need?.call || carried.includes(name)) continue;
      if (typeName === 'Workflow' && name === 'executions') calls += executions(type, field);
      else if (origin === 'lookup' || !need.listed) fetches.add(need.call);
      // An execution's workflow is a reference: what is asked of it costs a lookup.
      if (typeName === 'WorkflowExecution' && name === 'workflow') calls += object('Workflow', field, 'lookup');
    }
    return calls + fetches.size;
  }

  /** The most one item of a connection can cost, selected through `nodes` or `edges { node }`. */
  function perItem(connection: string, edge: string, nodes: FieldNode[], cost: (item: FieldNode[]) => number): number {
    let most = 0;
    for (const field of children(objectType(connection), nodes)) {
      const name = field[0]!.name.value;
      if (name === 'nodes') most = Math.max(most, cost(field));
      if (name !== 'edges') continue;
      for (const inner of children(objectType(edge), field)) {
        if (inner[0]!.name.value === 'node') most = Math.max(most, cost(inner));
      }
    }
    return most;
  }

  function executions(parent: GraphQLObjectType, nodes: FieldNode[]): number {
    const a = args(parent, nodes);
    const n = size(a);
    const backward = typeof a.last === 'number' || typeof a.before === 'string';
    const pages = Math.ceil(n / perPage) + (backward ? 2 : 1);
    return pages + n * perItem('WorkflowExecutionConnection', 'WorkflowExecutionEdge', nodes, (item) => object('WorkflowExecution', item, 'list'));
  }

  /** What the objects a root field's answer carries cost, read through its payload type's fields. */
  function payload(rootType: GraphQLObjectType, nodes: FieldNode[], objects: Record<string, { type: CostedType; origin: Origin }>): number {
    const self = objects[''];
    if (self) return object(self.type, nodes, self.origin);
    const fieldType = rootType.getFields()[nodes[0]!.name.value]?.type;
    const payloadType = objectType(String(fieldType).replace(/[[\]!]/g, ''));
    let calls = 0;
    for (const field of children(payloadType, nodes)) {
      const carried = objects[field[0]!.name.value];
      if (carried) calls += object(carried.type, field, carried.origin);
    }
    return calls;
  }

  const rootCosts = ROOT_COSTS[rootType.name] ?? {};
  let total = 0;
  const root = collectFields(schema, fragments, variables, rootType, operation.selectionSet).fields;
  for (const nodes of root.values()) {
    const name = nodes[0]!.name.value;
    const cost = rootCosts[name];
    if (!cost) throw new UnknownCostError(`no cost is known for ${rootType.name}.${name}`);
    switch (cost.kind) {
      case 'free':
        break;
      case 'lookup':
        total += Math.max(...cost.types.map((type) => object(type, nodes, 'lookup')));
        break;
      case 'entities': {
        const { representations } = args(rootType, nodes);
        const list: unknown[] = Array.isArray(representations) ? representations : [representations];
        // An entity of another subgraph, or none at all, is the router's mistake (or a hostile
        // caller's): refused here rather than failing deep inside federation's resolver.
        const known: readonly string[] = cost.types;
        if (list.some((r) => !known.includes((r as { __typename?: unknown } | null)?.__typename as string))) {
          throw new UnknownCostError(`every representation's __typename must be one of ${cost.types.join(', ')}`);
        }
        total += list.length * Math.max(...cost.types.map((type) => object(type, nodes, 'lookup')));
        break;
      }
      case 'list':
        total += 1 + size(args(rootType, nodes)) * perItem(cost.connection, cost.edge, nodes, (item) => object(cost.type, item, 'list'));
        break;
      case 'call':
        total += cost.calls + payload(rootType, nodes, cost.objects);
        break;
      case 'array':
        total += 1 + ARRAY_ITEMS * object(cost.type, nodes, cost.origin, cost.carried);
        break;
    }
  }
  return total;
}
