/**
 * The contract's error codes (../shared/CONTRACT.md, "Errors") and the one constructor for a coded
 * GraphQLError. Anything thrown that is not made here is a bug, and Yoga masks it as
 * INTERNAL_SERVER_ERROR. Messages say what was wrong and what to do; they never carry a token, a
 * header or an upstream body.
 */
import { GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function codedError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const badInput = (message: string): GraphQLError => codedError(ErrorCode.BAD_USER_INPUT, message);

/**
 * Variables that do not fit their types fail the whole request before any resolver runs, and
 * graphql-js gives those errors no code: mark them BAD_USER_INPUT, as Apollo Server does. (Parse
 * and validation errors already carry GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED from Yoga.)
 */
export function useRequestErrorCodes(): Plugin {
  return {
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if (isAsyncIterable(result) || result.data !== undefined || !result.errors?.length) return;
        setResult({
          ...result,
          errors: result.errors.map((error) =>
            error.extensions.code
              ? error
              : new GraphQLError(error.message, {
                  nodes: error.nodes,
                  source: error.source,
                  positions: error.positions,
                  extensions: { ...error.extensions, code: ErrorCode.BAD_USER_INPUT },
                }),
          ),
        });
      },
    }),
  };
}
