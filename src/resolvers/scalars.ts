/**
 * DateTime and JSON from graphql-scalars. DateTime keeps the upstream's string exactly (its
 * microseconds included) instead of graphql-scalars' re-formatting through a JS Date, which
 * would cut them to milliseconds; records.ts has already checked it is RFC 3339. An input is
 * checked the same way and then kept as the string the caller sent, not turned into a Date: the
 * resolvers' types say string, and what goes upstream is the caller's instant, to the digit.
 */
import { GraphQLScalarType, Kind } from 'graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';

export const DateTime = new GraphQLScalarType({
  ...GraphQLDateTime.toConfig(),
  serialize: (value) => (typeof value === 'string' ? value : GraphQLDateTime.serialize(value)),
  parseValue: (value) => {
    if (typeof value !== 'string') throw new TypeError('DateTime must be an RFC 3339 string such as 2025-10-31T12:00:00Z.');
    GraphQLDateTime.parseValue(value);
    return value;
  },
  parseLiteral: (ast, variables) => {
    GraphQLDateTime.parseLiteral(ast, variables);
    return ast.kind === Kind.STRING ? ast.value : null;
  },
});

export const JSON = GraphQLJSON;
