/**
 * One HTTP exchange with Altostrat, and what its status means. `send` makes one attempt over the
 * process's connections (headers, a timeout cut to the request's deadline, a body read up to
 * `maxBodyBytes`) and answers the status and text, or throws an UpstreamFault; `errorFor` turns a
 * status the caller must hear about into a coded error, from one table (docs/upstream.md, "Status
 * to error code"); `fieldErrorsOf` reads a 422's body back onto the input's field names. Policy
 * (budget, retries, breaker, fair share) is policy.ts's; which endpoint and record is the client's.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { GraphQLError } from 'graphql';
import { codedError, ErrorCode } from '../errors.js';
import { UpstreamFault, type Deadline } from './resilience.js';
import type { Route } from '../catalogue/endpoints.js';
import type { Connections } from './connections.js';
import type { RequestBytes } from './held-bytes.js';
import { LONE_SURROGATE } from './ids.js';

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
  connections: Connections;
  /** Longest wait for the headers, and between two chunks of the body. */
  timeoutMs: number;
  deadline: Deadline;
  /** No attempt starts once it has aborted. */
  signal: AbortSignal;
  /**
   * Whether `signal` also cuts an attempt in flight (a poll's, so that stopping a poller frees its
   * connection at once). A request's attempts run to their end, bounded by their timeout, and the
   * answer is dropped: handing each call the request's signal costs every call a listener on it.
   */
  cutsInFlight: boolean;
  maxBodyBytes: number;
  /** Counts a read's answer as it arrives, against what requests in flight may hold (held-bytes.ts). */
  held?: RequestBytes | undefined;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** What the caller hears of an attempt: `admit` just before it is sent (it may refuse by throwing), then its status (`error`: none came). */
export interface AttemptHooks {
  admit(): void;
  onStatus(status: number | 'error'): void;
}

/** One attempt. */
export function send(exchange: Exchange, limits: TransportLimits, hooks: AttemptHooks): Promise<Answer> {
  const { route, method, origin, path, authorization, requestId, body, idempotencyKey } = exchange;
  const { connections, timeoutMs, deadline, signal, maxBodyBytes } = limits;
  const held = method === 'GET' ? limits.held : undefined;
  if (signal.aborted) return Promise.reject(new UpstreamFault('cancelled', `${route}: the caller went away`));
  const budgetMs = Math.min(timeoutMs, deadline.remainingMs());
  if (budgetMs <= 0) return Promise.reject(new UpstreamFault('deadline', `${route}: the request's deadline passed`, undefined, undefined, false));
  const full = held?.admit();
  if (full) return Promise.reject(full);
  hooks.admit();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<Answer>((resolve, reject) => {
    let status: number | 'error' = 'error';
    let headers: IncomingHttpHeaders = {};
    let settled = false;
    /** This attempt's bytes counted against what its request may hold. */
    let counted = 0;
    const settle = (fault: UpstreamFault | GraphQLError | undefined, answer?: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      hooks.onStatus(status);
      // A body dropped (a fault, or an answer whose status alone decides) is held by nobody.
      if (counted > 0 && (fault || answer!.status < 200 || answer!.status >= 300)) held!.give(counted);
      if (fault) {
        // Whatever is left of the exchange is dropped with its connection, which no other call reuses.
        request.destroy();
        reject(fault);
      } else resolve(answer!);
    };
    // Once a status other than 2xx has come, it alone decides (docs/upstream.md, "Errors"): a body
    // that then breaks off, runs late or is too big is dropped, with its connection, and the answer
    // has none. (Only a 2xx answer needs its body whole; without it, a write's outcome is unknown.)
    const fault = (error: UpstreamFault | GraphQLError) => {
      if (typeof status !== 'number' || (status >= 200 && status < 300)) return settle(error);
      settle(undefined, { status, headers, text: '' });
      request.destroy();
    };
    const request = connections.request(origin, {
      method,
      path,
      headers: {
        authorization,
        accept: 'application/json',
        'x-request-id': requestId,
        ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        ...(idempotencyKey !== undefined && { 'idempotency-key': idempotencyKey }),
      },
      signal: limits.cutsInFlight ? signal : undefined,
    });
    // Whether the request may have reached Altostrat: not before its connection was made (a name
    // that does not resolve, a host that cannot be reached, a wait for a connection that timed out).
    let connected = false;
    request.once('socket', (socket: Socket) => {
      if (socket.connecting) socket.once('connect', () => void (connected = true));
      else connected = true;
    });
    // Bounds the wait for the headers (from now: a queued call, a connection being made), then
    // each gap between two chunks of the body: the call's timeout, or what is left of the
    // deadline when that is less. A body that drips in is bounded by the deadline too.
    const expire = (ms: number) =>
      setTimeout(() => fault(new UpstreamFault(ms < timeoutMs ? 'deadline' : 'timeout', `${route} got no answer in time`, undefined, undefined, connected)), ms);
    let timer = expire(budgetMs);
    const fail = (error?: unknown) => settled || fault(transportFault(route, error, signal, connected));
    request.on('error', fail).on('response', (response: IncomingMessage) => {
      const code = response.statusCode!;
      status = code;
      headers = response.headers;
      const tooLarge = () => new UpstreamFault('tooLarge', `Altostrat answered ${route} with a body over ${maxBodyBytes} bytes.`);
      if (Number(response.headers['content-length']) > maxBodyBytes) return fault(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      response
        .on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBodyBytes) return fault(tooLarge());
          if (held) {
            const refused = held.take(chunk.length);
            if (refused) return fault(refused);
            counted += chunk.length;
          }
          const leftMs = deadline.remainingMs();
          if (leftMs <= 0) return fault(new UpstreamFault('deadline', `${route}: the request's deadline passed while its body arrived`));
          chunks.push(chunk);
          if (leftMs >= timeoutMs) timer.refresh();
          else {
            clearTimeout(timer);
            timer = expire(leftMs);
          }
        })
        .once('end', () => {
          const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
          settle(undefined, { status: code, headers: response.headers, text });
        })
        .on('error', fail)
        // Closed without its end or an error: the connection broke. (It closes after its end too.)
        .once('close', fail);
    });
    request.end(payload);
  });
}

function transportFault(route: Route, error: unknown, signal: AbortSignal, connected: boolean): UpstreamFault {
  if (signal.aborted) return new UpstreamFault('cancelled', `${route}: the caller went away`);
  if (!connected || (error as { code?: unknown } | null)?.code === 'ECONNREFUSED') {
    return new UpstreamFault('refused', `${route}: no connection could be made`, undefined, undefined, false);
  }
  return new UpstreamFault('network', `${route} could not be completed`);
}

/** Whether a status is a fault the policy may retry (429, 5xx) rather than an answer. */
export const isFaultStatus = (status: number): boolean => status === 429 || status >= 500;

/**
 * Retry-After is either delay-seconds or an HTTP date (RFC 9110, 10.2.3). A fraction of a second
 * is read up to the next second; anything else without a letter (`-1`, `1e3`) is neither, where
 * Date.parse would read some of it as a date.
 */
export function retryAfterSeconds(header: string | string[] | undefined): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value));
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * Upstream field names (snake_case, dotted for nested ones) -> the schema's names. `*` names the
 * input a body is the caller's own JSON of (a sync run's `payload`): any other field is under it,
 * as sent.
 */
export type FieldNames = Readonly<Record<string, string>>;

/**
 * `authorization_id` -> `authorizationId`, `nodes.0.type` -> `graph.nodes.0.type` (given those in
 * `names`: each write names every key of its body whose schema name differs). A key with no
 * counterpart in the schema stays as Altostrat wrote it (`unknown_thing`), as do the keys of a
 * free-form input, as the caller wrote them (`context.user_id`, `nodes.0.data.api_url`).
 */
function schemaFieldName(field: string, names: FieldNames): string {
  if (names[field] !== undefined) return names[field];
  if (names['*'] !== undefined) return `${names['*']}.${field}`;
  const [head, ...rest] = field.split('.') as [string, ...string[]];
  return [names[head] ?? head, ...rest].join('.');
}

/** A write's body, how its 422 field names read in the schema's language, and what it must never echo. */
export interface UpstreamInput {
  body: Record<string, unknown>;
  fieldNames: FieldNames;
  /** Values the caller sent that must never come back in an error message (vault secrets; the client adds the token). */
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

/** HTML's escapes as PHP's `htmlspecialchars` writes them (Laravel's `e()`, which its views use). */
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#039;' };

/**
 * The ways a message may spell a secret: as sent; as it reads inside JSON text that a message
 * quotes (the request body, say), escaped as JavaScript escapes it or as PHP's `json_encode` does
 * by default (`/` as `\/`, anything past ASCII as `\uXXXX`); escaped for HTML; and percent-encoded
 * as in a URL (upper- or lower-case hex, a space as `%20` or `+`).
 */
function spellings(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const php = json.replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const html = secret.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
  // A secret with a lone surrogate has no URL spelling (and no message could quote it as one).
  const url = LONE_SURROGATE.test(secret) ? secret : encodeURIComponent(secret);
  const forms = [secret, json, php, html, url, url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()), url.replace(/%20/g, '+')];
  // The longest first: a form that holds another (`a&amp;` holds `a&`) is masked whole.
  return [...new Set(forms)].sort((x, y) => y.length - x.length);
}

/**
 * Secrets at least this long are masked where a message quotes them. A shorter one may be a word,
 * or part of one, of any message, and the places of `[redacted]` in a known sentence would spell
 * it out: a message holding it is withheld whole.
 */
const MASKED_SECRET_LENGTH = 8;

/** What a message that held a short secret reads instead. */
export const WITHHELD_MESSAGE = 'Altostrat refused this field; its message is withheld because it held the secret sent.';

/**
 * Masks or withholds what a message holds of the secrets (docs/guarantees.md, "Writes"); and what a
 * field name holds of them, a short secret there only where no letter or digit adjoins it
 * (`secret.xy`, `secret[xy]`), since a name is words (`name` holds `e`).
 */
function withoutSecrets(secrets: readonly string[]): { message: (text: string) => string; name: (text: string) => string } {
  const given = secrets.filter((secret) => secret !== '');
  const masked = given.filter((secret) => secret.length >= MASKED_SECRET_LENGTH).flatMap(spellings);
  const withheld = given.filter((secret) => secret.length < MASKED_SECRET_LENGTH).flatMap(spellings);
  const mask = (text: string) => masked.reduce((m, form) => m.split(form).join('[redacted]'), text);
  const standalone = withheld.map((form) => new RegExp(`(?<![\\p{L}\\p{N}])${form.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'gu'));
  return {
    message: (text) => (withheld.some((form) => text.includes(form)) ? WITHHELD_MESSAGE : mask(text)),
    name: (text) => standalone.reduce((name, form) => name.replace(form, '[redacted]'), mask(text)),
  };
}

/**
 * A 422's body -> field errors keyed by the schema's names. Both error shapes the reference shows
 * are read: Laravel's `{message, errors: {field: [..]}}` and `{type, code, message, param?}`. No
 * message or field name keeps a secret the caller sent, since a validation message may quote the input.
 */
export function fieldErrorsOf(text: string, fieldNames: FieldNames = {}, secrets: readonly string[] = []): FieldErrors {
  const mask = withoutSecrets(secrets);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fieldErrors: FieldErrors = {};
  // A field's name is masked too: an upstream may name a field by the value it refused.
  const add = (field: string, messages: string[]) => {
    const name = mask.name(schemaFieldName(field, fieldNames));
    fieldErrors[name] = [...(fieldErrors[name] ?? []), ...messages.map(mask.message)];
  };
  const { errors, param, message } = (body ?? {}) as { errors?: unknown; param?: unknown; message?: unknown };
  if (errors && typeof errors === 'object' && !Array.isArray(errors)) {
    for (const [field, messages] of Object.entries(errors)) {
      add(field, (Array.isArray(messages) ? messages : [messages]).filter((m): m is string => typeof m === 'string'));
    }
  } else if (typeof param === 'string' && typeof message === 'string') {
    add(param, [message]);
  }
  return fieldErrors;
}
