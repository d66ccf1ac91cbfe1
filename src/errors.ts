/**
 * Every error code the gateway emits (docs/guarantees.md, "Errors") and the one constructor for a
 * coded GraphQLError. Anything thrown that is not made here is a bug, and Yoga masks it as
 * INTERNAL_SERVER_ERROR. Messages say what was wrong and what to do; they never carry a token, a
 * header or an upstream body.
 */
import { STATUS_CODES } from 'node:http';
import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { isAsyncIterable, maskError, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';

export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** Mutations and subscriptions only: a query field is null instead. */
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  // Set by Yoga itself: the document does not parse (graphql-armor's token limit answers this
  // too), or does not validate against the schema.
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  // Set by Yoga for a request it cannot take as GraphQL over HTTP: a batch (an array of operations,
  // which this gateway does not run), or a `documentId` when no trusted documents are configured.
  BAD_REQUEST: 'BAD_REQUEST',
  // Set by Yoga: `operationName` names no operation of the document, or it has several and names none.
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  // Trusted documents (PERSISTED_DOCUMENTS): a query was sent instead of an id, or the id is unknown.
  PERSISTED_QUERY_ONLY: 'PERSISTED_QUERY_ONLY',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What a client reads of a bug. */
export const UNEXPECTED = 'Unexpected error.';

export function codedError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
  /** The document's nodes the error is about: its `locations`. */
  nodes?: GraphQLError['nodes'],
): GraphQLError {
  return new GraphQLError(message, { nodes, extensions: { ...extensions, code } });
}

export const badInput = (message: string): GraphQLError => codedError(ErrorCode.BAD_USER_INPUT, message);

/** A request that needs the caller's token and came without one. */
export const noToken = (): GraphQLError => codedError(ErrorCode.UNAUTHENTICATED, 'Send an `Authorization: Bearer <token>` header with your Altostrat token.');

/**
 * The error with a code: its own, else the one its kind implies (see useErrorCodes). A field error
 * with no code is a bug as much as an Error a resolver throws, though GraphQL made it (a value its
 * scalar cannot serialise, which graphql-jit raises with no original error, so Yoga's masking
 * passes its message on): it is masked the same, INTERNAL_SERVER_ERROR and "Unexpected error.".
 * Except an argument refused as the field runs (an explicit null where a nullable variable with a
 * default meets a non-null argument), which is the caller's input: BAD_USER_INPUT, its message
 * kept. graphql-js and graphql-jit word those alike, and only those, `Argument "...`.
 */
export function withCode(error: GraphQLError): GraphQLError {
  if (error.extensions?.code) return error;
  if (error.path && error.message.startsWith('Argument "')) return withExtensions(error, { code: ErrorCode.BAD_USER_INPUT });
  if (error.path) {
    const { nodes, source, positions, path } = error;
    return new GraphQLError(UNEXPECTED, { nodes, source, positions, path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } });
  }
  return withExtensions(error, { code: error.extensions?.http?.status === 403 ? ErrorCode.FORBIDDEN : ErrorCode.BAD_USER_INPUT });
}

/**
 * Yoga's masking of an execution's errors (`maskedErrors.maskError`), which also masks a field
 * error with no code (withCode), and logs each error it masks, message and stack scrubbed
 * (logging.ts): a bug the client cannot read is in the server's log.
 */
export function maskingBugs(logger: Logger): typeof maskError {
  return (error, message, isDev) => {
    const masked = error instanceof GraphQLError && error.path !== undefined && !error.extensions?.code ? withCode(error) : maskError(error, message, isDev);
    if (masked !== error && (masked as GraphQLError).extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR) logger.error({ err: error }, 'a field failed on a bug; masked');
    return masked;
  };
}

/** The JSON body of a refusal made outside a GraphQL result (a body limit, an HTTP refusal): one coded error. */
export const errorBody = (code: ErrorCode, message: string): string => JSON.stringify({ errors: [{ message, extensions: { code } }] });

/** A whole HTTP/1.1 answer carrying `errorBody`, for a socket no ServerResponse writes to (an upgrade refused, a request Node's parser refused). */
export function rawErrorAnswer(status: number, code: ErrorCode, message: string): string {
  const body = errorBody(code, message);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The same error (message, locations, path) with `extensions` added to its own. */
function withExtensions(error: GraphQLError, extensions: Record<string, unknown>): GraphQLError {
  const { message, nodes, source, positions, path } = error;
  return new GraphQLError(message, { nodes, source, positions, path, extensions: { ...error.extensions, ...extensions } });
}

/** What a client gets for an error in a stream's event (SSE and WebSocket): a code always, no HTTP details. */
export function formattedError(error: GraphQLError): GraphQLFormattedError {
  const { http: _http, unexpected: _unexpected, ...extensions } = withCode(error).extensions;
  return { ...error.toJSON(), extensions };
}

/** The status of a request error, by its code; other codes keep Yoga's choice. */
const REQUEST_ERROR_STATUS: Partial<Record<string, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.UPSTREAM_ERROR]: 502,
  [ErrorCode.OPERATION_RESOLUTION_FAILURE]: 400,
  [ErrorCode.PERSISTED_QUERY_ONLY]: 400,
  [ErrorCode.PERSISTED_QUERY_NOT_FOUND]: 404,
};

/**
 * A response with no `data` (refused before execution: the call budget, a variable that does not
 * fit its type, a document limit, an operation it cannot pick) is a request error, which GraphQL
 * over HTTP answers with a 4xx or 5xx under `application/graphql-response+json`. `spec: true` keeps
 * `application/json`'s 200. Yoga's own 400, which it gives any request error whatever its code,
 * gives way to the code's status; a status Yoga chose for a reason of its own (CSRF's 403, a GET
 * mutation's 405) stays.
 */
function withRequestErrorStatus(result: ExecutionResult): ExecutionResult {
  if ('data' in result || !result.errors?.length) return result;
  const errors = result.errors.map((error) => {
    // A request that is not a well-formed GraphQL-over-HTTP request (no query, say) is 400 under
    // `application/json` too, as the specification asks; Yoga marks some of those `spec`.
    if (error.extensions.code === ErrorCode.BAD_REQUEST && error.extensions.http?.spec) return withExtensions(error, { http: { ...error.extensions.http, spec: false } });
    const status = REQUEST_ERROR_STATUS[String(error.extensions.code)];
    const chosen = error.extensions.http?.status;
    return status === undefined || (chosen !== undefined && chosen !== 400) ? error : withExtensions(error, { http: { status, spec: true } });
  });
  return { ...result, errors };
}

/** What graphql-js says, and no more, when checking a document takes more work than it allows. */
const VALIDATION_ABORTED = 'Validation aborted.';

/** graphql-js's bare "Validation aborted." said so that a caller can act on it. */
function withAbortSaid(error: GraphQLError): GraphQLError {
  if (error.message !== VALIDATION_ABORTED) return error;
  const message = 'This document takes more work to validate than graphql-js allows (too many fields and fragments to check against each other): ask for fewer.';
  return new GraphQLError(message, { nodes: error.nodes, extensions: error.extensions });
}

/**
 * The error without `extensions.originalError`, which Yoga fills from the error it wrapped: for a
 * body that is not JSON, the parser's message, which quotes the whole body (variables, vault
 * secrets and all). Its 400 under `application/json` too is withRequestErrorStatus's (BAD_REQUEST).
 */
function withoutOriginalError(error: GraphQLError): GraphQLError {
  if (error.extensions?.originalError === undefined) return error;
  const { originalError: _originalError, ...extensions } = error.extensions;
  const { message, nodes, source, positions, path } = error;
  return new GraphQLError(message, { nodes, source, positions, path, extensions });
}

/**
 * Every error leaves with an `extensions.code`. graphql-js gives none to variables that do not fit
 * their types (BAD_USER_INPUT, as Apollo Server says), and some HTTP-level refusals come without
 * one (a 403 from CSRF prevention: FORBIDDEN). Parse and validation errors already carry Yoga's
 * GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED, and masked bugs INTERNAL_SERVER_ERROR.
 */
export function useErrorCodes(): Plugin {
  const untidy = (e: GraphQLError) => !e.extensions?.code || e.extensions.originalError !== undefined || e.message === VALIDATION_ABORTED;
  const coded = (result: ExecutionResult): ExecutionResult => withRequestErrorStatus(
    result.errors?.some(untidy) ? { ...result, errors: result.errors.map((e) => withCode(withoutOriginalError(withAbortSaid(e)))) } : result,
  );
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map(coded));
      else if (!isAsyncIterable(result)) setResult(coded(result));
    },
    // Yoga answers a body it cannot read (415) or an Accept it cannot meet (406) with no body at all.
    onResponse({ response, setResponse, fetchAPI }) {
      const message = EMPTY_REFUSALS[response.status];
      if (message === undefined || response.headers.has('content-type')) return;
      const headers = new fetchAPI.Headers(response.headers);
      headers.delete('transfer-encoding');
      headers.delete('content-length');
      headers.set('content-type', 'application/json; charset=utf-8');
      const body = errorBody(ErrorCode.BAD_REQUEST, message);
      setResponse(new fetchAPI.Response(body, { status: response.status, headers }));
    },
  };
}

/** What a refusal Yoga sends without a body says instead, by its status. */
const EMPTY_REFUSALS: Partial<Record<number, string>> = {
  406: 'This server answers application/graphql-response+json or application/json (text/event-stream for subscriptions): accept one of them.',
  415: 'Send the operation as JSON (Content-Type: application/json), or as a GET query string.',
};
