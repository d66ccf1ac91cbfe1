/**
 * AltostratClient: the one module that knows HTTP and the upstream's paths, headers, status codes
 * and error bodies (../shared/ALTOSTRAT_API.md). One client is built per GraphQL request with that
 * request's Authorization header, which it writes to every call and nowhere else. Every call has a
 * deadline, goes through the request's concurrency limit, and has its body checked against
 * records.ts, so callers get records, `null` for a 404 on a single resource, or a coded GraphQLError.
 * resilience.ts decides which faults are retried; this module only names them.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import type { LimitFunction } from 'p-limit';
import type { z } from 'zod';
import { GraphQLError } from 'graphql';
import { BrokenCircuitError, BulkheadRejectedError, type IPolicy } from 'cockatiel';
import { codedError, ErrorCode } from '../errors.js';
import {
  runPageSchema,
  runSchema,
  workflowListSchema,
  workflowSchema,
  type RunPageRecord,
  type RunRecord,
  type WorkflowRecord,
} from './records.js';
import { UpstreamFault, type Deadline } from './resilience.js';

export interface ClientOptions {
  baseUrl: string;
  /** The caller's Authorization header, verbatim; null when the caller sent no usable bearer token. */
  authorization: string | null;
  dispatcher: Dispatcher;
  /** Deadline of one call (one attempt), cut to what is left of the request's. */
  timeoutMs: number;
  /** The GraphQL request's deadline: no call or retry outlives it. */
  deadline: Deadline;
  /** Retries, breaker and bulkhead (resilience.ts). */
  policy: IPolicy;
  /** Bounds this request's calls in flight. */
  limit: LimitFunction;
  /** Sent upstream as X-Request-Id. */
  requestId: string;
  /** Told of every attempt, for logs, metrics and the trace: route, status (`error`: none came), ms. */
  onCall: (route: Route, status: number | 'error', ms: number) => void;
}

/** A call's label in errors: the route, never the ids or the query string. */
export type Route = 'GET /workflows' | 'GET /workflows/{id}' | 'GET /workflows/{id}/executions' | 'GET /workflows/runs/{id}';

export class AltostratClient {
  readonly #authorization: string | null;
  readonly #options: Omit<ClientOptions, 'authorization'>;

  constructor({ authorization, ...options }: ClientOptions) {
    this.#authorization = authorization;
    this.#options = options;
  }

  async listWorkflows(): Promise<WorkflowRecord[]> {
    const workflows = await this.#get('GET /workflows', '/workflows', workflowListSchema);
    if (workflows === null) throw upstreamError('Altostrat answered GET /workflows with HTTP 404.');
    return workflows;
  }

  getWorkflow(workflowId: string): Promise<WorkflowRecord | null> {
    return this.#get('GET /workflows/{id}', `/workflows/${encodeURIComponent(workflowId)}`, workflowSchema);
  }

  /** One page of a workflow's runs, newest first; null when the workflow does not exist. */
  listExecutions(workflowId: string, page: number): Promise<RunPageRecord | null> {
    const path = `/workflows/${encodeURIComponent(workflowId)}/executions?page=${page}`;
    return this.#get('GET /workflows/{id}/executions', path, runPageSchema);
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return this.#get('GET /workflows/runs/{id}', `/workflows/runs/${encodeURIComponent(runId)}`, runSchema);
  }

  /** GETs and parses `path`; a 404 is `null`, for the caller to read as "no such resource". */
  async #get<S extends z.ZodType>(route: Route, path: string, schema: S): Promise<z.output<S> | null> {
    const authorization = this.#authorization;
    if (authorization === null) {
      throw codedError(ErrorCode.UNAUTHENTICATED, 'Send an `Authorization: Bearer <token>` header with your Altostrat token.');
    }
    const { limit, policy } = this.#options;
    try {
      return await limit(() => policy.execute(() => this.#attempt(route, path, schema, authorization)));
    } catch (error) {
      throw asCodedError(route, error);
    }
  }

  /** One try: answers the parsed body or null, or throws an UpstreamFault or a coded error. */
  async #attempt<S extends z.ZodType>(route: Route, path: string, schema: S, authorization: string): Promise<z.output<S> | null> {
    const { baseUrl, dispatcher, timeoutMs, deadline, requestId, onCall } = this.#options;
    const budgetMs = Math.min(timeoutMs, deadline.remainingMs());
    if (budgetMs <= 0) throw new UpstreamFault('timeout', `${route}: the request's deadline passed`);
    let response: Dispatcher.ResponseData;
    let text: string;
    const started = performance.now();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), budgetMs);
    let status: number | 'error' = 'error';
    try {
      response = await request(`${baseUrl}${path}`, {
        method: 'GET',
        dispatcher,
        headers: { authorization, accept: 'application/json', 'x-request-id': requestId },
        signal: timeout.signal,
      });
      text = await response.body.text();
      status = response.statusCode;
    } catch {
      throw timeout.signal.aborted
        ? new UpstreamFault('timeout', `${route} got no answer in time`)
        : new UpstreamFault('network', `${route} could not be completed`);
    } finally {
      clearTimeout(timer);
      onCall(route, status, performance.now() - started);
    }
    const { statusCode } = response;
    if (statusCode === 404) return null;
    if (statusCode === 429 || statusCode >= 500) {
      throw new UpstreamFault('status', `${route} answered ${statusCode}`, statusCode, retryAfterSeconds(response.headers['retry-after']));
    }
    if (statusCode < 200 || statusCode >= 300) throw statusError(route, statusCode);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new UpstreamFault('body', `Altostrat answered ${route} with a body that is not JSON.`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new UpstreamFault('body', `Altostrat answered ${route} with an unexpected shape.`);
    return parsed.data;
  }
}

const upstreamError = (message: string): GraphQLError => codedError(ErrorCode.UPSTREAM_ERROR, message);

/** What the policies let through -> a contract code: the one table of it. */
function asCodedError(route: Route, error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof BrokenCircuitError) {
    return upstreamError(`Altostrat has been failing; ${route} was not tried. Retry in a few seconds.`);
  }
  if (error instanceof BulkheadRejectedError) {
    return upstreamError(`Too many calls to Altostrat are in flight; ${route} was not tried. Retry shortly.`);
  }
  if (!(error instanceof UpstreamFault)) throw error; // a bug: Yoga masks it
  switch (error.kind) {
    case 'timeout':
      return upstreamError(`Altostrat did not answer ${route} in time.`);
    case 'network':
      return upstreamError(`Altostrat could not be reached for ${route}, or the connection broke.`);
    case 'body':
      return upstreamError(error.message);
    case 'status':
      if (error.status !== 429) return upstreamError(`Altostrat answered ${route} with HTTP ${error.status}.`);
      return codedError(
        ErrorCode.RATE_LIMITED,
        error.retryAfterSeconds === undefined
          ? 'Altostrat is rate-limiting this token; retry later.'
          : `Altostrat is rate-limiting this token; retry in ${error.retryAfterSeconds} s.`,
        error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds },
      );
  }
}

/** A 4xx that is the caller's, not the upstream's fault. */
function statusError(route: Route, status: number): GraphQLError {
  switch (status) {
    case 401:
      return codedError(ErrorCode.UNAUTHENTICATED, 'Altostrat rejected the bearer token: it is missing, expired or invalid.');
    case 403:
      return codedError(ErrorCode.FORBIDDEN, 'Your Altostrat token may not see this resource.');
    default:
      return upstreamError(`Altostrat answered ${route} with HTTP ${status}.`);
  }
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110, 10.2.3). */
export function retryAfterSeconds(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
