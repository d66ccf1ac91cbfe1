/** What a client reads of an error without a code, and what the server's log keeps of a masked one. */
import { GraphQLError, GraphQLInt } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ErrorCode, maskingBugs, UNEXPECTED, withCode } from './errors.js';
import { createLogger } from './logging.js';

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(line) }) };
}

/** What graphql-jit raises for a value its scalar cannot serialise: a GraphQL error with a path, no code, no original error. */
function unserialisable(): GraphQLError {
  let message = '';
  try {
    GraphQLInt.serialize(2 ** 33);
  } catch (error) {
    message = (error as Error).message;
  }
  return new GraphQLError(message, { path: ['workflow', 'stats', 'totalRuns'] });
}

describe('an error without a code', () => {
  it('raised in a field is a bug: INTERNAL_SERVER_ERROR, its message masked, its path kept', () => {
    const error = withCode(unserialisable());
    expect(error.toJSON()).toEqual({ message: UNEXPECTED, path: ['workflow', 'stats', 'totalRuns'], extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } });
  });

  it('raised outside a field keeps its message: a variable that does not fit is BAD_USER_INPUT, a 403 FORBIDDEN', () => {
    expect(withCode(new GraphQLError('Variable "$n" got an invalid value')).toJSON()).toEqual({ message: 'Variable "$n" got an invalid value', extensions: { code: ErrorCode.BAD_USER_INPUT } });
    expect(withCode(new GraphQLError('cross-site', { extensions: { http: { status: 403 } } })).extensions.code).toBe(ErrorCode.FORBIDDEN);
  });

  it('refusing an argument as the field runs is the caller’s input: BAD_USER_INPUT, its message kept, and nothing logged', () => {
    const refused = new GraphQLError('Argument "id" of non-null type "ID!" must not be null.', { path: ['workflow'] });
    expect(withCode(refused).toJSON()).toEqual({ message: refused.message, path: ['workflow'], extensions: { code: ErrorCode.BAD_USER_INPUT } });
    const { lines, logger } = capture();
    expect((maskingBugs(logger)(refused, UNEXPECTED) as GraphQLError).extensions.code).toBe(ErrorCode.BAD_USER_INPUT);
    expect(lines).toEqual([]);
  });

  it('with a code of its own is left as it is', () => {
    const error = new GraphQLError('Altostrat failed.', { path: ['workflow'], extensions: { code: ErrorCode.UPSTREAM_ERROR } });
    expect(withCode(error)).toBe(error);
  });
});

describe('masking an execution’s errors', () => {
  it('masks a field error without a code and logs what it said', () => {
    const { lines, logger } = capture();
    const masked = maskingBugs(logger)(unserialisable(), UNEXPECTED) as GraphQLError;
    expect(masked.message).toBe(UNEXPECTED);
    expect(masked.extensions.code).toBe(ErrorCode.INTERNAL_SERVER_ERROR);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).err.message).toContain('Int cannot represent non 32-bit signed integer value');
  });

  it('masks an Error a resolver threw as Yoga does, and logs it', () => {
    const { lines, logger } = capture();
    const thrown = new GraphQLError('boom at the resolver', { path: ['workflow'], originalError: new TypeError('boom at the resolver') });
    const masked = maskingBugs(logger)(thrown, UNEXPECTED) as GraphQLError;
    expect(masked.message).toBe(UNEXPECTED);
    expect(masked.path).toEqual(['workflow']);
    expect(JSON.parse(lines[0]!).err.message).toBe('boom at the resolver');
  });

  it('passes a coded error on untouched, and logs nothing', () => {
    const { lines, logger } = capture();
    const coded = new GraphQLError('Send a token.', { path: ['workflow'], extensions: { code: ErrorCode.UNAUTHENTICATED } });
    expect(maskingBugs(logger)(coded, UNEXPECTED)).toBe(coded);
    expect(lines).toEqual([]);
  });
});
