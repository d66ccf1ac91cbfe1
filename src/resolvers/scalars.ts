/**
 * DateTime and JSON from graphql-scalars. DateTime keeps the upstream's string exactly (its
 * microseconds included) instead of graphql-scalars' re-formatting through a JS Date, which
 * would cut them to milliseconds; records.ts has already checked it is RFC 3339.
 */
import { GraphQLScalarType } from 'graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';

export const DateTime = new GraphQLScalarType({
  ...GraphQLDateTime.toConfig(),
  serialize: (value) => (typeof value === 'string' ? value : GraphQLDateTime.serialize(value)),
});

export const JSON = GraphQLJSON;
