/**
 * One HTTP exchange with Altostrat, and what its status means. `send` makes one attempt with
 * undici (headers, timeouts cut to the request's deadline, a body read up to `maxBodyBytes`) and
 * answers the status and text, or throws an UpstreamFault; `errorFor` turns a status the caller
 * must hear about into a coded error, from one table (docs/upstream.md, "Status to error code");
 * `fieldErrorsOf` reads a 422's body back onto the input's field names. Policy (budget, retries,
 * breaker, fair share) is policy.ts's; which endpoint and record is the client's.
 */
import type { Dispatcher } from 'undici';
import type { GraphQLError } from 'graphql';
import { codedError, ErrorCode } from '../errors.js';
import { UpstreamFault, type Deadline } from './resilience.js';
import type { Route } from '../catalogue/endpoints.js';

export interface Exchange {
  route: Route;
  method: string;
  /** The upstream's origin (`https://host:port`) and the path after it, query string included. */
  origin: string;
  path: string;
  authorization: string;
  requestId: string;
  /** A write's JSON body. */
  body?: unknown;
  /** Sent as Idempotency-Key on every attempt; makes a write safe to retry. */
  idempotencyKey?: string | undefined;
}

export interface TransportLimits {
  dispatcher: Dispatcher;
  /** Longest wait for the headers, and between two chunks of the body. */
  timeoutMs: number;
  deadline: Deadline;
  /** No attempt starts once it has aborted. */
  signal: AbortSignal;
  /**
   * Whether `signal` also cuts an attempt in flight (a poll's, so that stopping a poller frees its
   * connection at once). A request's attempts run to their end, bounded by their timeout, and the
   * answer is dropped: handing undici the request's signal costs every call a listener on it.
   */
  cutsInFlight: boolean;
  maxBodyBytes: number;
}

export interface Answer {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  text: string;
}

/** What the caller hears of an attempt: `admit` just before it is sent (it may refuse by throwing), then its status (`error`: none came). */
export interface AttemptHooks {
  admit(): void;
  onStatus(status: number | 'error'): void;
}

/** One attempt. */
export async function send(exchange: Exchange, limits: TransportLimits, hooks: AttemptHooks): Promise<Answer> {
  const { route, method, origin, path, authorization, requestId, body, idempotencyKey } = exchange;
  const { dispatcher, timeoutMs, deadline, signal } = limits;
  if (signal.aborted) throw new UpstreamFault('cancelled', `${route}: the caller went away`);
  const budgetMs = Math.min(timeoutMs, deadline.remainingMs());
  if (budgetMs <= 0) throw new UpstreamFault('deadline', `${route}: the request's deadline passed`, undefined, undefined, false);
  hooks.admit();
  let status: number | 'error' = 'error';
  try {
    // The dispatcher's own request: undici's top-level request() would parse a URL string per call.
    const response = await dispatcher.request({
      origin,
      path,
      method,
      headers: {
        authorization,
        accept: 'application/json',
        'x-request-id': requestId,
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(idempotencyKey !== undefined && { 'idempotency-key': idempotencyKey }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      ...(limits.cutsInFlight && { signal }),
      headersTimeout: budgetMs,
      bodyTimeout: budgetMs,
    });
    status = response.statusCode;
    return { status, headers: response.headers, text: await readBody(route, response, limits) };
  } catch (error) {
    throw error instanceof UpstreamFault ? error : transportFault(route, error, signal, budgetMs < timeoutMs);
  } finally {
    hooks.onStatus(status);
  }
}

/**
 * The body as text, refused past `maxBodyBytes` (by its Content-Length, or while it streams). Read
 * from the stream's events: an async iterator costs each call several promises and listeners more.
 */
function readBody(route: Route, response: Dispatcher.ResponseData, { maxBodyBytes, deadline }: TransportLimits): Promise<string> {
  const body = response.body;
  const abandon = (fault: UpstreamFault) => {
    // A body nobody reads errors when destroyed; that error is this fault, already reported.
    body.on('error', () => {});
    body.destroy();
    return fault;
  };
  const tooLarge = () => new UpstreamFault('tooLarge', `Altostrat answered ${route} with a body over ${maxBodyBytes} bytes.`);
  if (Number(response.headers['content-length']) > maxBodyBytes) return Promise.reject(abandon(tooLarge()));
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (fault: UpstreamFault) => {
      body.off('data', onData);
      reject(abandon(fault));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) return fail(tooLarge());
      // A body that drips in stays within the deadline: bodyTimeout bounds only the gaps.
      if (deadline.remainingMs() <= 0) return fail(new UpstreamFault('deadline', `${route}: the request's deadline passed while its body arrived`));
      chunks.push(chunk);
    };
    body
      .on('data', onData)
      .once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8')))
      .once('error', reject)
      // Closed without its end or an error (a settled promise ignores this): the connection broke.
      .once('close', () => reject(new Error('the body closed before its end')));
  });
}

/** `cutByDeadline`: the call's timeout was what was left of the request's deadline, not UPSTREAM_TIMEOUT_MS. */
function transportFault(route: Route, error: unknown, signal: AbortSignal, cutByDeadline: boolean): UpstreamFault {
  if (signal.aborted) return new UpstreamFault('cancelled', `${route}: the caller went away`);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new UpstreamFault(cutByDeadline ? 'deadline' : 'timeout', `${route} got no answer in time`);
  }
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new UpstreamFault('refused', `${route}: no connection could be made`);
  }
  return new UpstreamFault('network', `${route} could not be completed`);
}

/** Whether a status is a fault the policy may retry (429, 5xx) rather than an answer. */
export const isFaultStatus = (status: number): boolean => status === 429 || status >= 500;

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110, 10.2.3). */
export function retryAfterSeconds(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Upstream field names (snake_case, dotted for nested ones) -> the schema's names. */
export type FieldNames = Readonly<Record<string, string>>;

/** `authorization_id` -> `authorizationId`, `nodes.0.type` -> `graph.nodes.0.type` (given `nodes` -> `graph.nodes`). */
function schemaFieldName(field: string, names: FieldNames): string {
  if (names[field] !== undefined) return names[field];
  const [head, ...rest] = field.split('.');
  const mappedHead = names[head!] ?? head!.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return [mappedHead, ...rest.map((part) => part.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))].join('.');
}

/** A write's body, how its 422 field names read in the schema's language, and what it must never echo. */
export interface UpstreamInput {
  body: Record<string, unknown>;
  fieldNames: FieldNames;
  /** Values the caller sent that must never come back in an error message (vault secrets). */
  secrets?: readonly string[];
}

/** Field names of a refused input (schema's names) -> Altostrat's messages. */
export type FieldErrors = Record<string, string[]>;

/** What a refusal's body may say, beside its status. */
export interface Refusal {
  route: Route;
  /** A 422's field errors, keyed by the schema's names. */
  fieldErrors?: FieldErrors;
  /** A 429's Retry-After. */
  retryAfterSeconds?: number | undefined;
}

/** Each status the caller must hear about -> its contract code and message: the one table of it. */
const STATUS_ERRORS: Record<number, (refusal: Refusal) => GraphQLError> = {
  401: () => codedError(ErrorCode.UNAUTHENTICATED, 'Altostrat rejected the bearer token: it is missing, expired or invalid.'),
  403: () => codedError(ErrorCode.FORBIDDEN, 'Your Altostrat token may not see this resource.'),
  422: ({ route, fieldErrors = {} }) => {
    const fields = Object.keys(fieldErrors);
    const summary = fields.length > 0 ? ` (${fields.join(', ')})` : '';
    return codedError(ErrorCode.BAD_USER_INPUT, `Altostrat refused the input of ${route}${summary}; see extensions.fieldErrors.`, { fieldErrors });
  },
  429: ({ retryAfterSeconds: seconds }) =>
    seconds === undefined
      ? codedError(ErrorCode.RATE_LIMITED, 'Altostrat is rate-limiting this token; retry later.', {})
      : codedError(ErrorCode.RATE_LIMITED, `Altostrat is rate-limiting this token; retry in ${seconds} s.`, { retryAfterSeconds: seconds }),
};

/** A status that is not an answer -> the coded error the caller gets (UPSTREAM_ERROR for any other). */
export function errorFor(status: number, refusal: Refusal): GraphQLError {
  return STATUS_ERRORS[status]?.(refusal) ?? codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat answered ${refusal.route} with HTTP ${status}.`);
}

/**
 * A 422's body -> field errors keyed by the schema's names. Both error shapes the reference shows
 * are read: Laravel's `{message, errors: {field: [..]}}` and `{type, code, message, param?}`. Any
 * secret the caller sent is masked in every message, since a validation message may quote the
 * input.
 */
export function fieldErrorsOf(text: string, fieldNames: FieldNames = {}, secrets: readonly string[] = []): FieldErrors {
  const mask = (message: string) => secrets.reduce((m, secret) => (secret === '' ? m : m.split(secret).join('[redacted]')), message);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fieldErrors: FieldErrors = {};
  const { errors, param, message } = (body ?? {}) as { errors?: unknown; param?: unknown; message?: unknown };
  if (errors && typeof errors === 'object' && !Array.isArray(errors)) {
    for (const [field, messages] of Object.entries(errors)) {
      const list = (Array.isArray(messages) ? messages : [messages]).filter((m): m is string => typeof m === 'string');
      fieldErrors[schemaFieldName(field, fieldNames)] = list.map(mask);
    }
  } else if (typeof param === 'string' && typeof message === 'string') {
    fieldErrors[schemaFieldName(param, fieldNames)] = [mask(message)];
  }
  return fieldErrors;
}
