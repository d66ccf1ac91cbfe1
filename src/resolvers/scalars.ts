/**
 * DateTime and JSON from graphql-scalars. DateTime keeps the upstream's string exactly (its
 * microseconds included) instead of graphql-scalars' re-formatting through a JS Date, which
 * would cut them to milliseconds; records.ts has already checked it is RFC 3339. An input is
 * checked the same way and then kept as the string the caller sent, not turned into a Date: the
 * resolvers' types say string, and what goes upstream is the caller's instant, to the digit.
 * JSON input is held to a depth.
 */
import { GraphQLScalarType, Kind } from 'graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';

/**
 * What a DateTime input that is not one is told. It never quotes the value (graphql-scalars'
 * messages do): a variable's error names no value (docs/guarantees.md), and what was sent may be a
 * token or a secret pasted in the wrong place.
 */
const NOT_A_DATE_TIME = 'DateTime must be an RFC 3339 string such as 2025-10-31T12:00:00Z.';

/** `check(value)`, with its error replaced by NOT_A_DATE_TIME. */
function checked(check: () => unknown): void {
  try {
    check();
  } catch {
    throw new TypeError(NOT_A_DATE_TIME);
  }
}

export const DateTime = new GraphQLScalarType({
  ...GraphQLDateTime.toConfig(),
  serialize: (value) => (typeof value === 'string' ? value : GraphQLDateTime.serialize(value)),
  parseValue: (value) => {
    if (typeof value !== 'string') throw new TypeError(NOT_A_DATE_TIME);
    checked(() => GraphQLDateTime.parseValue(value));
    return value;
  },
  // One parameter: a DateTime literal is a string, with no variable in it (and graphql-jit prints
  // an unstructured warning at each compile of a document using a scalar that takes two).
  parseLiteral: (ast) => {
    checked(() => GraphQLDateTime.parseLiteral(ast, {}));
    return ast.kind === Kind.STRING ? ast.value : null;
  },
});

/**
 * Levels of arrays and objects a JSON input may nest. Deeper input would go upstream only to
 * overflow the stack of whatever serialises it, the gateway's own first. And an answer carries a
 * caller's value some levels below its own root (a graph node's `data`: four), where the gateway
 * reads an answer to UPSTREAM_MAX_JSON_DEPTH (64 by default) from that root: 8 levels under it, so
 * that a write the gateway let through comes back whole in its answer.
 */
export const MAX_JSON_INPUT_DEPTH = 56;

/** The value, if it nests at most MAX_JSON_INPUT_DEPTH levels; looked at without recursion. */
function shallow<T>(value: T): T {
  const pending: Array<[unknown, number]> = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= MAX_JSON_INPUT_DEPTH) throw new TypeError(`JSON input may nest at most ${MAX_JSON_INPUT_DEPTH} levels of arrays and objects.`);
    for (const child of Array.isArray(item) ? item : Object.values(item)) pending.push([child, depth + 1]);
  }
  return value;
}

export const JSON = new GraphQLScalarType({
  ...GraphQLJSON.toConfig(),
  parseValue: (value): unknown => GraphQLJSON.parseValue(shallow(value)) as unknown,
  // `variables` is read (graphql-js passes them for a literal holding one, which never runs
  // compiled), yet not counted in the function's length: graphql-jit, which compiles documents
  // with none there, prints an unstructured warning at each compile for a scalar that takes two.
  parseLiteral: (ast, variables = undefined): unknown => shallow(GraphQLJSON.parseLiteral(ast, variables) as unknown),
});
