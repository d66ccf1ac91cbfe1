/**
 * The catalogue's field side: for every field of every object type in the schema, what it costs
 * upstream, which endpoint (endpoints.ts) fills it, and whether an object read from a list already
 * carries it. The cost estimate (cost/estimate.ts), the lookups (resolvers/lookup.ts and the
 * `find...` functions) and the field-cost tests read it; docs/guarantees.md ("The upstream-call
 * budget") states the same budget in prose.
 *
 * `FIELDS` is a required mapped type over codegen's resolver types, so a field added to the SDL
 * is, after `npm run codegen`, a type error here that names it until it has an entry: nothing can
 * ship without a cost. A field that costs nothing says `FREE`.
 */
import type { Resolvers } from '../generated/resolvers-types.js';
import type { EndpointName } from './endpoints.js';
import { typeOfId } from '../upstream/ids.js';

/** Where an object came from decides which of its fields it already carries. */
export type Origin = 'list' | 'lookup';

/** The types with ids of their own, found by `Query.node` and fetched by the loaders. */
export type EntityType = 'Workflow' | 'WorkflowExecution' | 'VaultItem' | 'WorkflowAuthorization';

/** The value is an object of `type`, carried like a list item (`list`) or known only by id (`lookup`). */
interface ObjectOf {
  type: EntityType;
  origin: Origin;
}

export type FieldCost =
  /** No call of its own: the id, or part of what its parent already holds. `object`: the value is such an object. */
  | { kind: 'free'; object?: ObjectOf }
  /**
   * A field of the object's own answer from `endpoint`, one call per object whatever else it asks
   * of the same endpoint. `listed`: an object read from a list carries it already.
   */
  | { kind: 'record'; endpoint: EndpointName; listed: boolean; object?: ObjectOf }
  /** One call of `endpoint`, then what its answer carries (a mutation's payload, a check). */
  | { kind: 'call'; endpoint: EndpointName }
  /** An object of one of `types`, found by its id. */
  | { kind: 'lookup'; types: readonly EntityType[] }
  /** Federation's batch of references, each an object of one of `types`. */
  | { kind: 'entities'; types: readonly EntityType[] }
  /**
   * One call answering `items` (from `origin`, each carrying `carried` beyond what that origin
   * carries): as a connection paged by `first`/`last`, or as a plain array of unknown length.
   */
  | { kind: 'list'; endpoint: EndpointName; items: EntityType; origin: Origin; carried?: readonly string[]; paged: boolean }
  /** A connection read page by page from `endpoint`: ceil(n / page size) + 1 pages of list items. */
  | { kind: 'pages'; endpoint: EndpointName; items: EntityType }
  /** One item of the list its connection holds (`nodes`, an edge's `node`). */
  | { kind: 'item' };

const FREE = { kind: 'free' } as const satisfies FieldCost;
const ITEM = { kind: 'item' } as const satisfies FieldCost;
const record = (endpoint: EndpointName, listed: boolean): FieldCost => ({ kind: 'record', endpoint, listed });
const call = (endpoint: EndpointName): FieldCost => ({ kind: 'call', endpoint });
const carries = (type: EntityType, origin: Origin): FieldCost => ({ kind: 'free', object: { type, origin } });

type ResolverTypes = { [T in keyof Resolvers]-?: NonNullable<Resolvers[T]> };
/** Object types: not scalars, enums (whose values are strings) or interfaces (`__resolveType`). */
type ObjectTypeName = {
  [T in keyof ResolverTypes]: ResolverTypes[T] extends { __resolveType: unknown } | { serialize: unknown }
    ? never
    : Required<ResolverTypes[T]>[keyof ResolverTypes[T]] extends string
      ? never
      : T;
}[keyof ResolverTypes];
type FieldName<T extends ObjectTypeName> = Exclude<keyof ResolverTypes[T], `__${string}`>;

/** Every schema field, required. */
export type FieldCatalogue = { [T in ObjectTypeName]: { [F in FieldName<T>]-?: FieldCost } };

/** How a node's id prefix names its type (ids.ts kinds -> the schema's types). */
export const NODE_TYPES = { workflow: 'Workflow', run: 'WorkflowExecution', vault: 'VaultItem', authorization: 'WorkflowAuthorization' } as const satisfies Record<
  string,
  EntityType
>;

/** The node type an id names by its shape, or undefined when it names none. */
export function nodeTypeOf(id: unknown): EntityType | undefined {
  const kind = typeOfId(id);
  return kind !== undefined && kind in NODE_TYPES ? NODE_TYPES[kind as keyof typeof NODE_TYPES] : undefined;
}

const fromWorkflow = (listed: boolean) => record('getWorkflow', listed);
const fromRun = (listed: boolean) => record('getRun', listed);
const freeFields = <K extends string>(...names: K[]) => Object.fromEntries(names.map((name) => [name, FREE])) as Record<K, FieldCost>;
const connection = { edges: FREE, nodes: ITEM, pageInfo: FREE, totalCount: FREE };

export const FIELDS: FieldCatalogue = {
  Query: {
    workflow: { kind: 'lookup', types: ['Workflow'] },
    execution: { kind: 'lookup', types: ['WorkflowExecution'] },
    node: { kind: 'lookup', types: Object.values(NODE_TYPES) },
    vaultItem: { kind: 'lookup', types: ['VaultItem'] },
    workflows: { kind: 'list', endpoint: 'listWorkflows', items: 'Workflow', origin: 'list', paged: true },
    // Items carry at least `id` and `name`; the rest is fetched per item.
    triggerableWorkflows: { kind: 'list', endpoint: 'listTriggerableWorkflows', items: 'Workflow', origin: 'lookup', carried: ['name'], paged: false },
    workflowAuthorizations: { kind: 'list', endpoint: 'listAuthorizations', items: 'WorkflowAuthorization', origin: 'list', paged: false },
    vaultItems: { kind: 'list', endpoint: 'listVaultItems', items: 'VaultItem', origin: 'list', paged: false },
    validateWorkflow: call('validateWorkflow'),
    // A log connection is one call whatever its size: the entries carry every field.
    recentLogs: call('listRecentLogs'),
  },
  Mutation: {
    executeWorkflow: call('executeWorkflow'),
    resumeExecution: call('resumeRun'),
    rerunExecution: call('rerunRun'),
    createWorkflow: call('createWorkflow'),
    updateWorkflow: call('updateWorkflow'),
    deleteWorkflow: call('deleteWorkflow'),
    runWorkflowSync: call('runWorkflowSync'),
    testWorkflowNode: call('testNode'),
    createVaultItem: call('createVaultItem'),
    updateVaultItem: call('replaceVaultItem'),
    deleteVaultItem: call('deleteVaultItem'),
    startWorkflowAuthorization: call('startAuthorization'),
    deleteWorkflowAuthorization: call('deleteAuthorization'),
  },
  // One event: the shared poller's calls are not the subscriber's; what the selection asks of the
  // run beyond what the poll carries is (its workflow's fields, say).
  Subscription: {
    executionUpdated: carries('WorkflowExecution', 'list'),
    executionStarted: carries('WorkflowExecution', 'list'),
  },
  Workflow: {
    id: FREE,
    name: fromWorkflow(true),
    description: fromWorkflow(true),
    isActive: fromWorkflow(true),
    scheduleType: fromWorkflow(true),
    scheduleValue: fromWorkflow(true),
    nextRunAt: fromWorkflow(true),
    webhookUrl: fromWorkflow(true),
    createdAt: fromWorkflow(true),
    updatedAt: fromWorkflow(true),
    // List items may leave out nodes and edges.
    graph: fromWorkflow(false),
    executions: { kind: 'pages', endpoint: 'listExecutions', items: 'WorkflowExecution' },
    // One call per workflow each, whatever the arguments: the gateway filters and pages.
    stats: record('getWorkflowStats', false),
    logs: record('listWorkflowLogs', false),
  },
  WorkflowExecution: {
    id: FREE,
    status: fromRun(true),
    errorMessage: fromRun(true),
    startedAt: fromRun(true),
    completedAt: fromRun(true),
    durationInSeconds: fromRun(true),
    // A list item may carry its logs; when it does not, the run is fetched. Counted as a fetch.
    logs: fromRun(false),
    // A run read from its workflow's list knows its workflow; a fetched run may name it. What is
    // asked of the workflow costs a lookup.
    workflow: { kind: 'record', endpoint: 'getRun', listed: true, object: { type: 'Workflow', origin: 'lookup' } },
  },
  VaultItem: {
    id: FREE,
    name: record('getVaultItem', true),
    createdAt: record('getVaultItem', true),
    expiresAt: record('getVaultItem', true),
  },
  // Altostrat has no single-authorization read: the list it is found in.
  WorkflowAuthorization: {
    id: FREE,
    userId: record('listAuthorizations', true),
    provider: record('listAuthorizations', true),
    status: record('listAuthorizations', true),
    createdAt: record('listAuthorizations', true),
  },
  WorkflowConnection: connection,
  WorkflowEdge: { cursor: FREE, node: ITEM },
  WorkflowExecutionConnection: connection,
  WorkflowExecutionEdge: { cursor: FREE, node: ITEM },
  PageInfo: freeFields('hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor'),
  // What the answers carry whole.
  WorkflowExecutionLog: freeFields('id', 'nodeId', 'componentId', 'status', 'output', 'createdAt'),
  WorkflowLogConnection: freeFields('edges', 'nodes', 'pageInfo', 'totalCount'),
  WorkflowLogEdge: freeFields('cursor', 'node'),
  WorkflowGraph: freeFields('nodes', 'edges'),
  WorkflowGraphNode: freeFields('nodeId', 'id', 'type', 'componentId', 'position', 'data'),
  WorkflowGraphEdge: freeFields('edgeId', 'id', 'source', 'target', 'sourceHandle'),
  WorkflowGraphPosition: freeFields('x', 'y'),
  WorkflowStats: freeFields('totalRuns', 'successRate', 'logStatuses', 'recentRuns'),
  StatusCount: freeFields('status', 'count'),
  WorkflowValidation: freeFields('valid', 'errors'),
  // Payloads: a written object is Altostrat's whole answer, carried like a list item (one fetch
  // too many for a workflow's graph, which the answer carries: the bound stays simple); the
  // object a new run came from is known by id only.
  ExecuteWorkflowPayload: { execution: carries('WorkflowExecution', 'list') },
  ResumeExecutionPayload: { execution: carries('WorkflowExecution', 'list'), resumedFrom: carries('WorkflowExecution', 'lookup') },
  RerunExecutionPayload: { execution: carries('WorkflowExecution', 'list'), rerunOf: carries('WorkflowExecution', 'lookup') },
  CreateWorkflowPayload: { workflow: carries('Workflow', 'list') },
  UpdateWorkflowPayload: { workflow: carries('Workflow', 'list') },
  DeleteWorkflowPayload: freeFields('deletedWorkflowId'),
  RunWorkflowSyncPayload: freeFields('output'),
  TestWorkflowNodePayload: freeFields('status', 'output'),
  CreateVaultItemPayload: { vaultItem: carries('VaultItem', 'list'), apiKey: FREE },
  UpdateVaultItemPayload: { vaultItem: carries('VaultItem', 'list') },
  DeleteVaultItemPayload: freeFields('deletedVaultItemId'),
  StartWorkflowAuthorizationPayload: freeFields('url'),
  DeleteWorkflowAuthorizationPayload: freeFields('deletedAuthorizationId'),
};

/** Fields the SDL does not declare: introspection's, and federation's (`_service`, `_entities`). */
const META_FIELDS: Readonly<Record<string, Readonly<Record<string, FieldCost>>>> = {
  Query: { __schema: FREE, __type: FREE, _service: FREE, _entities: { kind: 'entities', types: ['Workflow', 'WorkflowExecution'] } },
  _Service: { sdl: FREE },
};

/** What `field` of `type` costs; undefined when the catalogue has no entry (the estimate refuses it). */
export function costOf(type: string, field: string): FieldCost | undefined {
  // Every object type has `__typename`, but a subscription's root may not select it (graphql's
  // SingleFieldSubscriptionsRule).
  if (field === '__typename') return type === 'Subscription' ? undefined : FREE;
  return (FIELDS as Record<string, Record<string, FieldCost>>)[type]?.[field] ?? META_FIELDS[type]?.[field];
}

/** Whether an object of `type` found by id must be read from `endpoint` for these fields. */
export const lookupNeeds = (type: EntityType, fields: Iterable<string>, endpoint: EndpointName): boolean =>
  [...fields].some((field) => {
    const cost = costOf(type, field);
    return cost?.kind === 'record' && cost.endpoint === endpoint;
  });
