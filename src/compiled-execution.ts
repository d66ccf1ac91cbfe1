/**
 * How a query or mutation runs: compiled by graphql-jit (for speed: about half of a simple query's
 * CPU), or on graphql-js's own `execute`, as subscriptions' events run (subscription-events.ts).
 *
 * On graphql-js, the documents in which graphql-jit 0.8.7 is known to part from the GraphQL
 * specification, each found by running the same documents on both executors:
 * - `@skip` and `@include`: where one response key is selected more than once, graphql-jit runs
 *   the fields an excluded copy reaches through a fragment. They come back in the answer, and the
 *   upstream calls they need are made, though the call budget's estimate (which, like the
 *   specification, drops that copy) never counted them.
 * - A non-null variable with a default value: left out, it is refused instead of taking its
 *   default.
 * - More than one operation: the compiled document is kept per document, not per operation, so a
 *   later request naming another operation of the same text ran the first one compiled (and the
 *   budget estimated the one it named).
 * - `_entities` (federation): when several of its items fail, its list came back with an extra
 *   `null` at the end, which shifts the items a router pairs with its representations.
 * - Mutations: a top-level field reached through a fragment ran after those written directly, so
 *   `...Rename deleteWorkflow(...)` deleted before it renamed. Writes are few and each costs an
 *   upstream call; none is worth running out of order.
 * - A variable inside an object or list literal (`context: { site: $site }`): a scalar's literal
 *   (JSON) is read once, without the variables, so `site` was dropped without an error.
 * Decided once per parsed document (Yoga keeps them), so a document sent over and over pays one
 * walk of its tree.
 *
 * The rest run on graphql-js rather than on Yoga's executor (@graphql-tools/executor 2.0.1, the
 * last that runs on Node 20), which writes an object's keys in the order their values resolve, so
 * that a field that waited for an upstream call came after its siblings. And graphql-jit is given the document with
 * its selections arranged so that it collects fields in the specification's order
 * (`inCollectionOrder`). So every answer's keys come in the order the query asks for them
 * (the specification's "Serialized Map Ordering").
 *
 * Where documents run compiled, an error raised in a resolver reached the client with its path but
 * without `locations`: `useLocatedErrors` puts them back.
 */
import {
  BREAK,
  execute,
  GraphQLError,
  Kind,
  OperationTypeNode,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentSpreadNode,
  type InlineFragmentNode,
  type SourceLocation,
  type ValueNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

const decided = new WeakMap<DocumentNode, boolean>();

/** Whether a literal holds a variable anywhere inside it. */
function containsVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(containsVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((field) => containsVariable(field.value));
  return false;
}

/** Whether graphql-jit runs `document` as the specification says. */
export function compilesAsSpecified(document: DocumentNode): boolean {
  let verdict = decided.get(document);
  if (verdict === undefined) {
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    verdict = operations.length === 1 && operations[0]!.operation !== OperationTypeNode.MUTATION;
    if (verdict) {
      visit(document, {
        Directive(node) {
          if (node.name.value !== 'skip' && node.name.value !== 'include') return undefined;
          verdict = false;
          return BREAK;
        },
        VariableDefinition(node) {
          if (node.defaultValue === undefined || node.type.kind !== Kind.NON_NULL_TYPE) return undefined;
          verdict = false;
          return BREAK;
        },
        ObjectValue(node) {
          if (!containsVariable(node)) return undefined;
          verdict = false;
          return BREAK;
        },
        ListValue(node) {
          if (!containsVariable(node)) return undefined;
          verdict = false;
          return BREAK;
        },
        Field(node) {
          if (node.name.value !== '_entities') return undefined;
          verdict = false;
          return BREAK;
        },
      });
    }
    decided.set(document, verdict);
  }
  return verdict;
}

/** A selection alone in an inline fragment with no type condition, which selects it as it stands. */
const alone = (selection: FieldNode | FragmentSpreadNode): InlineFragmentNode => ({
  kind: Kind.INLINE_FRAGMENT,
  selectionSet: { kind: Kind.SELECTION_SET, selections: [selection] },
});

/**
 * `document` with its selections arranged for graphql-jit to collect each selection set's fields
 * in the specification's order (CollectFields: each selection in turn, a fragment's fields where the
 * fragment stands). graphql-jit takes a selection set's fields first, then its fragments from a
 * stack, the last first, and counts a named fragment as visited (never to be spread again) when it
 * meets it, not when it takes it. So past the fields that lead a selection set, each field and each
 * spread goes alone into an inline fragment, and the selections are reversed: the stack then gives
 * them back in the document's order, each fragment's own selections before the next. The same
 * fields, the same nodes (errors keep their locations); a document graphql-jit already collects
 * in order is returned as it is.
 */
export function inCollectionOrder(document: DocumentNode): DocumentNode {
  return visit(document, {
    SelectionSet: {
      leave(node) {
        const lead = node.selections.findIndex((selection) => selection.kind !== Kind.FIELD);
        if (lead === -1 || lead === node.selections.length - 1) return undefined;
        const rest = node.selections.slice(lead).map((selection) => (selection.kind === Kind.INLINE_FRAGMENT ? selection : alone(selection)));
        return { ...node, selections: [...node.selections.slice(0, lead), ...rest.reverse()] };
      },
    },
  });
}

/**
 * Runs each query and mutation on its executor: compiled (each document compiled once: one that
 * compiles holds a single operation, so the document names it) where `compilesAsSpecified`, on
 * graphql-js's `execute` otherwise. Subscriptions are subscription-events.ts's. Neither executor
 * stops for a client that has gone: the upstream client sends no call once the request's signal
 * has aborted (docs/guarantees.md, "A client that stops waiting").
 */
export function useExecutors(): Plugin {
  const compiled = new WeakMap<DocumentNode, CompiledQuery | ExecutionResult>();
  const runCompiled = (args: ExecutionArgs) => {
    let query = compiled.get(args.document);
    if (query === undefined) {
      query = compileQuery(args.schema, inCollectionOrder(args.document), args.operationName ?? undefined);
      compiled.set(args.document, query);
    }
    return isCompiledQuery(query) ? query.query(args.rootValue, args.contextValue, args.variableValues) : query;
  };
  return {
    onExecute({ args, setExecuteFn }) {
      setExecuteFn(compilesAsSpecified((args as ExecutionArgs).document) ? runCompiled : execute);
    },
  };
}

/** The fields of the document that start at `locations` (graphql-jit's: the fields it ran for the path, type conditions applied). */
function fieldsAt(document: DocumentNode, locations: readonly SourceLocation[]): FieldNode[] {
  const wanted = new Set(locations.map(({ line, column }) => `${line}:${column}`));
  const fields: FieldNode[] = [];
  visit(document, {
    Field(node) {
      const start = node.loc?.startToken;
      if (start && wanted.has(`${start.line}:${start.column}`)) fields.push(node);
    },
  });
  return fields;
}

/** What a plugin's `onExecute` may answer: the hooks of the execution's later steps. */
type ExecuteHooks = Exclude<Awaited<ReturnType<NonNullable<Plugin['onExecute']>>>, void>;

/**
 * Gives an execution error that has a path but no nodes the fields graphql-jit located it at, which
 * its `locations` are made from when Yoga writes it (graphql-jit sets `locations` alone, which
 * Yoga's copy of the error drops).
 */
export function useLocatedErrors(): Plugin {
  const unlocated = (error: GraphQLError): boolean => error.path !== undefined && !error.nodes?.length && !error.positions?.length && !!error.locations?.length;
  // One hook for every execution: nothing is made per request unless its result has such an error.
  const hooks: ExecuteHooks = {
    onExecuteDone({ args, result, setResult }) {
      if (isAsyncIterable(result) || !result.errors?.some(unlocated)) return;
      const { document } = args as ExecutionArgs;
      const located = (error: GraphQLError): GraphQLError => {
        const nodes = unlocated(error) ? fieldsAt(document, error.locations!) : [];
        if (nodes.length === 0) return error;
        return new GraphQLError(error.message, { nodes, path: error.path, originalError: error.originalError, extensions: error.extensions });
      };
      setResult({ ...result, errors: result.errors.map(located) } satisfies ExecutionResult);
    },
  };
  return { onExecute: () => hooks };
}
