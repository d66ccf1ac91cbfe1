/**
 * What a query may cost upstream, estimated before it runs, in the unit that matters here: REST
 * calls to Altostrat. Connection sizes multiply down the tree (each workflow of a page brings its
 * executions pages, each execution may need a run fetch for its logs), so
 * `workflows(first: 100) { nodes { executions(first: 100) { nodes { logs { id } } } } }` is
 * counted as the ten thousand calls it could cause and refused before any is made.
 *
 * The estimate is an upper bound under the contract's budget: one list call, one call per
 * workflow whose record is needed, ceil(n / page size) + 1 pages per `executions(n)`, and one run
 * fetch per execution whose logs are asked (as if the list never carried them). Repeated calls
 * that DataLoader would de-duplicate are still counted: the bound stays simple and safe.
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
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination/plan.js';

export interface CostInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  variables?: Record<string, unknown> | null | undefined;
  /** Runs per upstream page to assume (the learned page size when there is one). */
  perPage: number;
}

/** Where an object came from decides which of its fields cost a call. */
type Origin = 'list' | 'lookup';

export function estimateUpstreamCalls(input: CostInput): number {
  const operation = input.document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!input.operationName || d.name?.value === input.operationName),
  );
  const queryType = input.schema.getQueryType();
  if (!operation || operation.operation !== 'query' || !queryType) return 0;
  const fragments = Object.fromEntries(
    input.document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const variables = input.variables ?? {};
  const { schema, perPage } = input;

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
  const objectType = (name: string) => {
    const type = schema.getType(name);
    return isObjectType(type) ? type : undefined;
  };

  function workflow(nodes: FieldNode[], origin: Origin): number {
    const type = objectType('Workflow')!;
    let calls = 0;
    let needsRecord = false;
    for (const field of children(type, nodes)) {
      const name = field[0]!.name.value;
      if (name === 'executions') calls += executions(type, field);
      else if (name === 'graph' || (origin === 'lookup' && name !== 'id' && name !== '__typename')) needsRecord = true;
    }
    return calls + (needsRecord ? 1 : 0);
  }

  /** The most one item of a connection can cost, selected through `nodes` or `edges { node }`. */
  function perItem(connection: string, edge: string, nodes: FieldNode[], cost: (item: FieldNode[]) => number): number {
    let most = 0;
    for (const field of children(objectType(connection)!, nodes)) {
      const name = field[0]!.name.value;
      if (name === 'nodes') most = Math.max(most, cost(field));
      if (name !== 'edges') continue;
      for (const inner of children(objectType(edge)!, field)) {
        if (inner[0]!.name.value === 'node') most = Math.max(most, cost(inner));
      }
    }
    return most;
  }

  function executions(parent: GraphQLObjectType, nodes: FieldNode[]): number {
    const n = size(args(parent, nodes));
    const pages = Math.ceil(n / perPage) + 1;
    return pages + n * perItem('WorkflowExecutionConnection', 'WorkflowExecutionEdge', nodes, (item) => execution(item, 'list'));
  }

  function execution(nodes: FieldNode[], origin: Origin): number {
    const type = objectType('WorkflowExecution')!;
    let calls = 0;
    let needsRun = false;
    for (const field of children(type, nodes)) {
      const name = field[0]!.name.value;
      if (name === 'workflow') calls += workflow(field, 'lookup');
      else if (name === 'logs' || (origin === 'lookup' && name !== 'id' && name !== '__typename')) needsRun = true;
    }
    return calls + (needsRun ? 1 : 0);
  }

  /** A field whose value may be a workflow or an execution, looked up by id. */
  const lookup = (nodes: FieldNode[]) => Math.max(workflow(nodes, 'lookup'), execution(nodes, 'lookup'));

  let total = 0;
  const root = collectFields(schema, fragments, variables, queryType, operation.selectionSet).fields;
  for (const nodes of root.values()) {
    const name = nodes[0]!.name.value;
    if (name === 'workflows') {
      const n = size(args(queryType, nodes));
      total += 1 + n * perItem('WorkflowConnection', 'WorkflowEdge', nodes, (item) => workflow(item, 'list'));
    } else if (name === 'workflow') total += workflow(nodes, 'lookup');
    else if (name === 'execution') total += execution(nodes, 'lookup');
    else if (name === 'node') total += lookup(nodes);
    else if (name === '_entities') {
      const representations = args(queryType, nodes).representations;
      total += (Array.isArray(representations) ? representations.length : 1) * lookup(nodes);
    }
    // _service, __schema, __typename and the like cost nothing upstream.
  }
  return total;
}
