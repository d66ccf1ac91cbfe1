/**
 * How many values an answer can hold, estimated before it runs. The upstream-call estimate
 * (estimate.ts) counts what DataLoader will fetch, and a field asked for again under another alias,
 * or an object asked for again among federation's representations, is fetched once. The answer is
 * not de-duplicated: 63 aliases of a workflow's log list under 500 references to that workflow are
 * 31,500 lists to build and send, from one call. So the answer's size is bounded on its own: every
 * field of every object counts once per response key, multiplied by the lists above it, each list
 * at its bound: a connection's `first`/`last` for its `edges` and `nodes`, the number of
 * `_entities` representations, and the most any other list is assumed to hold. An abstract type
 * counts as its largest member's selection. Reads of the schema itself count as one value each
 * (estimate.ts holds them to a few per operation).
 */
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isIntrospectionType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { collectFields, collectSubFields, getArgumentValues } from '@graphql-tools/utils';
import { codedError, ErrorCode } from '../errors.js';
import { MAX_PAGE_SIZE, sliceSize } from '../pagination/plan.js';

/** The most values an answer may hold: a page of 100 runs with every field of their logs is about 70,000. */
export const MAX_RESULT_VALUES = 250_000;

/** The arguments that bound a list's items. */
const SIZING = new Set(['first', 'last', 'representations']);

/** What a list the schema does not bound (a run's logs, a graph's nodes, the vault) is assumed to hold. */
const LIST_ITEMS = MAX_PAGE_SIZE;

export interface ResultSizeInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
}

export function estimateResultValues({ schema, document, operation, variables }: ResultSizeInput): number {
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );

  /** The values one object of `type` holds for these field nodes; `connection` is the size of the connection it is, if one. */
  function walk(type: GraphQLCompositeType, nodes: FieldNode[], connection?: number): number {
    if (isAbstractType(type)) return Math.max(0, ...schema.getPossibleTypes(type).map((member) => walk(member, nodes)));
    let values = 0;
    for (const fieldNodes of collectSubFields(schema, fragments, variables, type, nodes).fields.values()) {
      values += fieldValues(type.getFields()[fieldNodes[0]!.name.value], fieldNodes, connection);
    }
    return values;
  }

  function fieldValues(definition: GraphQLField<unknown, unknown> | undefined, nodes: FieldNode[], connection?: number): number {
    if (!definition) return 1; // __typename
    const named = getNamedType(definition.type);
    if (isIntrospectionType(named)) return 1;
    const args = argumentsOf(definition, nodes[0]!);
    const isList = isListType(getNullableType(definition.type));
    const items = !isList ? 1 : Array.isArray(args.representations) ? args.representations.length : (connection ?? LIST_ITEMS);
    // A connection: its `edges` and `nodes` hold as many items as its `first` or `last` asks for.
    const size = definition.args.some((arg) => arg.name === 'first' || arg.name === 'last') ? sliceSize(args).count : undefined;
    const each = isObjectType(named) || isAbstractType(named) ? 1 + walk(named, nodes, size) : 1;
    return (isList ? 1 : 0) + items * each;
  }

  /**
   * A field's arguments, read only where they bound a list (so that the estimate's cache is keyed
   * by those variables alone, not by ids); none when they cannot be read, which execution reports
   * at the field.
   */
  function argumentsOf(definition: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> {
    if (!definition.args.some((arg) => SIZING.has(arg.name))) return {};
    try {
      return getArgumentValues(definition, node, variables);
    } catch {
      return {};
    }
  }

  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  let values = 0;
  for (const nodes of collectFields(schema, fragments, variables, root, operation.selectionSet).fields.values()) {
    values += fieldValues(root.getFields()[nodes[0]!.name.value], nodes);
  }
  return values;
}

/** Refuses an operation whose answer could hold more than MAX_RESULT_VALUES values, before any call. */
export function checkResultSize(input: ResultSizeInput): void {
  const estimate = estimateResultValues(input);
  if (estimate <= MAX_RESULT_VALUES) return;
  throw codedError(
    ErrorCode.BAD_USER_INPUT,
    `This query's answer could hold up to ${estimate} values; the limit is ${MAX_RESULT_VALUES}. ` +
      'Ask for fewer items (smaller `first`/`last`), fewer aliases of a list, or fewer repeated references, and page through the rest.',
    { resultSize: { estimate, limit: MAX_RESULT_VALUES } },
  );
}
