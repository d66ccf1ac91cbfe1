/**
 * Structured JSON logs (pino), one line per request with what it cost upstream, and the rule that
 * no credential is ever written: Authorization headers and tokens are redacted by path, and any
 * `Bearer ...` that reaches a log message as text is masked too.
 */
import { randomUUID } from 'node:crypto';
import { getOperationAST, type DocumentNode } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { YogaLogger } from '@graphql-yoga/logger';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Span } from '@opentelemetry/api';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const BEARER_TEXT = /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi;
const scrub = (value: unknown): unknown => (typeof value === 'string' ? value.replace(BEARER_TEXT, 'Bearer [redacted]') : value);

/** A logged text is cut here: one hostile request must not write hundreds of kilobytes of log. */
export const MAX_LOGGED_TEXT = 2_000;
const cut = (text: string): string => (text.length > MAX_LOGGED_TEXT ? `${text.slice(0, MAX_LOGGED_TEXT)}... [${text.length - MAX_LOGGED_TEXT} more]` : text);
const clean = (value: unknown): unknown => (typeof value === 'string' ? cut(scrub(value) as string) : value);

/**
 * Errors are logged as their type, code, message and stack, each scrubbed of `Bearer ...` and cut
 * to a bounded length: an error's message can carry what a caller sent (a bad `__typename`, say).
 */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return clean(String(error));
  const code = (error as { extensions?: { code?: unknown }; code?: unknown }).extensions?.code ?? (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...((typeof code === 'string' || typeof code === 'number') && { code: clean(String(code)) }),
    message: clean(error.message),
    stack: clean(error.stack ?? ''),
  };
}

/** The line format: no pid or hostname, an ISO time. */
const FORMAT = { base: undefined, timestamp: pino.stdTimeFunctions.isoTime };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    ...FORMAT,
    redact: {
      paths: ['authorization', 'token', '*.authorization', '*.token', 'headers.authorization', '*.headers.authorization'],
      censor: '[redacted]',
    },
    serializers: { err: serializeError },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(this, args.map(clean));
      },
    },
  };
  // Standard output is written asynchronously, in batches of 4 KiB: a synchronous write per
  // request line is a syscall per request. A batch waits a second at most, so that a quiet
  // process does not keep its lines (a warning at start among them); main.ts flushes what is
  // left before the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1_000 }));
}

/** Yoga's own messages (masked errors among them) through the same logger. */
export function yogaLogger(logger: Logger): YogaLogger {
  const forward =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error) logger[level]({ err: first }, rest.map(String).join(' ') || first.message);
      else logger[level](args.map(String).join(' '));
    };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}

/** One upstream call as a client sees it in `extensions.upstream` (never with ids or a token). */
export interface UpstreamTraceEntry {
  method: string;
  /** The route pattern, e.g. `/workflows/{id}/executions`. */
  path: string;
  /** HTTP status; absent when served from the request's loader cache, `error` when none came. */
  status?: number | 'error';
  ms?: number;
  cached: boolean;
}

/** What one request did, filled in as it goes; read by the context (upstream client) and the log line. */
export interface RequestStats {
  requestId: string;
  operationName: string | undefined;
  upstreamCalls: number;
  upstreamMs: number;
  /** Whether Altostrat answered one of this request's calls without refusing its token. */
  upstreamAccepted: boolean;
  /** Who sent it: a keyed hash of its token (context.ts `tenantNamer`), set with its context. */
  tenant: string | undefined;
  /** Every upstream call and loader-cache hit, when UPSTREAM_TRACE is on. */
  trace: UpstreamTraceEntry[] | undefined;
  /** The runs served from the memory of finished runs, by id (runs the response holds anyway), when UPSTREAM_TRACE is on. */
  remembered?: string[];
  /** The operation's OpenTelemetry span, when OTEL_TRACING is on. */
  span?: Span;
}

const statsByRequest = new WeakMap<Request, RequestStats & { started: number }>();
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's stats; a request the plugin did not see (none in practice) gets fresh ones. */
export function requestStats(request: Request): RequestStats {
  let stats = statsByRequest.get(request);
  if (!stats) {
    const given = request.headers.get('x-request-id');
    stats = {
      requestId: given && REQUEST_ID.test(given) ? given : randomUUID(),
      operationName: undefined,
      upstreamCalls: 0,
      upstreamMs: 0,
      upstreamAccepted: false,
      tenant: undefined,
      trace: undefined,
      started: performance.now(),
    };
    statsByRequest.set(request, stats);
  }
  return stats;
}

/** How an operation over a WebSocket ended: completed, failed, or cut by the socket closing. */
export type OperationOutcome = 'complete' | 'error' | 'closed';

export interface RequestLog {
  /** Honours (or makes) X-Request-Id, answers it, and logs one line per HTTP request. */
  plugin: Plugin;
  /** Logs the line of an operation that came over a WebSocket (its stand-in request), once it ended. */
  operationEnded(request: Request, outcome: OperationOutcome): void;
}

/**
 * One line per GraphQL request, and per operation over a WebSocket. The line is written by a twin
 * of `logger` (same level, format and destination) without its redaction and hooks: the line
 * holds only the fixed fields below, none a credential, so there is nothing to redact, and
 * redaction would copy every logged object.
 */
export function createRequestLog(logger: Logger): RequestLog {
  const lines = pino({ level: logger.level, ...FORMAT }, (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]);
  const fields = (stats: RequestStats & { started: number }) => ({
    requestId: stats.requestId,
    operationName: stats.operationName === undefined ? undefined : stats.operationName.slice(0, 200),
    durationMs: Math.round(performance.now() - stats.started),
    upstreamCalls: stats.upstreamCalls,
    upstreamMs: Math.round(stats.upstreamMs),
  });
  return {
    plugin: {
      onRequest({ request }) {
        requestStats(request);
      },
      onExecute({ args }) {
        const request = (args.contextValue as { request?: Request }).request;
        if (request) requestStats(request).operationName = getOperationAST(args.document as DocumentNode, args.operationName as string | null | undefined)?.name?.value;
      },
      onResponse({ request, response }) {
        const stats = statsByRequest.get(request);
        if (!stats) return;
        response.headers.set('x-request-id', stats.requestId);
        const path = new URL(request.url).pathname;
        lines[path === '/health' ? 'debug' : 'info']({ ...fields(stats), method: request.method, path, status: response.status }, 'request');
      },
    },
    operationEnded(request, outcome) {
      const stats = statsByRequest.get(request);
      if (stats) lines.info({ ...fields(stats), method: 'WS', path: new URL(request.url).pathname, outcome }, 'request');
    },
  };
}

/** With UPSTREAM_TRACE on, each response carries `extensions.upstream`: what the query cost Altostrat. */
export function useUpstreamTrace(): Plugin {
  return {
    onExecute: () => ({
      onExecuteDone({ args, result, setResult }) {
        const request = (args.contextValue as { request?: Request }).request;
        const stats = request && statsByRequest.get(request);
        const trace = stats?.trace;
        if (!trace || isAsyncIterable(result)) return;
        const calls = trace.filter((entry) => !entry.cached);
        setResult({
          ...result,
          extensions: {
            ...result.extensions,
            upstream: {
              calls: calls.length,
              cacheHits: trace.length - calls.length,
              ms: Math.round(calls.reduce((sum, entry) => sum + (entry.ms ?? 0), 0)),
              trace,
              remembered: stats.remembered ?? [],
            },
          },
        });
      },
    }),
  };
}
