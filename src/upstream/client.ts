/**
 * AltostratClient: the one module that knows HTTP and the upstream's paths, headers, status codes
 * and error bodies (docs/upstream.md). One client is built per GraphQL request with that request's
 * Authorization header, which it writes to every call and nowhere else. Every call:
 * - names its route (method and path pattern), which is all that logs, metrics and traces see;
 * - takes only ids of Altostrat's shapes (ids.ts), so no caller text can change the path;
 * - counts against the request's call budget, enforced here whatever the estimate said;
 * - waits for the request's fair share of upstream slots (fair-share.ts) and its concurrency limit;
 * - ends when the caller goes away (the request's signal) or its deadline passes;
 * - reads at most `maxBodyBytes`, cuts JSON nested deeper than `maxJsonDepth` (json.ts), and has
 *   its body checked against records.ts.
 * Callers get records, `null` for a 404, or a coded GraphQLError. resilience.ts decides which
 * faults are retried; a write is retried only when it carries an idempotency key.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import pLimit, { type LimitFunction } from 'p-limit';
import type { z } from 'zod';
import { GraphQLError } from 'graphql';
import { BrokenCircuitError, type IPolicy } from 'cockatiel';
import { badInput, codedError, ErrorCode } from '../errors.js';
import { cutDeepJson } from './json.js';
import { idShape, isIdOf, type IdKind } from './ids.js';
import { WaitExpired, type FairShare } from './fair-share.js';
import type { PageSizeMemory } from './page-size.js';
import { nodeTestBody, vaultItemBody, workflowBody, type NodeTestInput } from './inputs.js';
import type { CreateVaultItemInput, UpdateVaultItemInput, WorkflowDefinitionInput } from '../generated/resolvers-types.js';
import {
  authorizationListSchema,
  authorizationStartSchema,
  createdVaultItemSchema,
  deletedSchema,
  logListSchema,
  newRunSchema,
  nodeTestSchema,
  runPageSchema,
  runSchema,
  statsSchema,
  syncOutputSchema,
  triggerableListSchema,
  validationSchema,
  vaultItemListSchema,
  vaultItemSchema,
  workflowListSchema,
  workflowSchema,
  type AuthorizationRecord,
  type CreatedVaultItemRecord,
  type LogListRecord,
  type NodeTestRecord,
  type RunPageRecord,
  type RunRecord,
  type StatsRecord,
  type TriggerableWorkflowRecord,
  type ValidationRecord,
  type VaultItemRecord,
  type WorkflowRecord,
} from './records.js';
import { UpstreamFault, withRetries, type Deadline } from './resilience.js';

/** Every call the client makes, named by method and path pattern: the only name logs and metrics see. */
export const ROUTES = {
  listWorkflows: 'GET /workflows',
  getWorkflow: 'GET /workflows/{id}',
  listExecutions: 'GET /workflows/{id}/executions',
  getRun: 'GET /workflows/runs/{id}',
  executeWorkflow: 'POST /workflows/{id}/execute',
  resumeRun: 'POST /workflows/runs/{id}/resume-from/{nodeId}',
  rerunRun: 'POST /workflows/runs/{id}/rerun',
  // The rest of the Workflows API (docs/upstream.md, "The endpoints").
  createWorkflow: 'POST /workflows',
  updateWorkflow: 'PUT /workflows/{id}',
  deleteWorkflow: 'DELETE /workflows/{id}',
  validateWorkflow: 'POST /workflows/validate',
  runWorkflowSync: 'POST /workflows/sync/{id}',
  listTriggerableWorkflows: 'GET /workflows/triggerable-workflows',
  testNode: 'POST /workflows/test-node',
  listWorkflowLogs: 'GET /workflows/{id}/logs',
  listRecentLogs: 'GET /workflows/logs/recent',
  getWorkflowStats: 'GET /workflows/{id}/logs/stats',
  listVaultItems: 'GET /workflows/vault',
  createVaultItem: 'POST /workflows/vault',
  getVaultItem: 'GET /workflows/vault/{id}',
  replaceVaultItem: 'PUT /workflows/vault/{id}',
  deleteVaultItem: 'DELETE /workflows/vault/{id}',
  listAuthorizations: 'GET /workflows/authorization',
  startAuthorization: 'POST /workflows/authorization',
  deleteAuthorization: 'DELETE /workflows/authorization/{id}',
} as const;
export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/** What the client reports of each attempt: its route, HTTP status (`error`: none came) and duration. */
export interface CallReport {
  route: Route;
  status: number | 'error';
  ms: number;
}

export interface ClientOptions {
  baseUrl: string;
  /** The caller's Authorization header, verbatim; null when the caller sent no usable bearer token. */
  authorization: string | null;
  /** Who the caller is for fair sharing: a keyed hash of the token, never the token. */
  tenant: string;
  dispatcher: Dispatcher;
  /** Longest wait for one attempt's headers, and between two chunks of its body. */
  timeoutMs: number;
  /** The GraphQL request's deadline: no call or retry outlives it. */
  deadline: Deadline;
  /** Aborts when the caller goes away: calls in flight end and none start. */
  signal: AbortSignal;
  /** The process-wide circuit breaker. */
  breaker: IPolicy;
  /** Retries of an idempotent call on a transient fault. */
  retries: number;
  /** The process's upstream slots, shared fairly between tenants. */
  fairShare: FairShare;
  /** This request's calls in flight at most. */
  concurrency: number;
  /** Calls (attempts) this request may make in all. */
  maxCalls: number;
  /** Asked before each attempt; throws a coded error to refuse it (a subscription's calls per minute). */
  admitCall?: () => void;
  maxBodyBytes: number;
  maxJsonDepth: number;
  /** The run-list page size, learned from answers. */
  pageSize: PageSizeMemory;
  /** Sent upstream as X-Request-Id. */
  requestId: string;
  onCall: (call: CallReport) => void;
}

interface Call<S extends z.ZodType> {
  route: Route;
  path: string;
  /** The answer's shape; an empty body (204) is parsed as `undefined`. */
  schema: S;
  /** A write's JSON body. */
  body?: unknown;
  /** Sent as Idempotency-Key on every attempt; makes a write safe to retry. */
  idempotencyKey?: string | undefined;
  /** A 422's field names as the schema spells them (upstream name -> schema name), see `fieldErrorsOf`. */
  fieldNames?: FieldNames;
  /** Values the caller sent that must never come back in an error message (vault secrets). */
  secrets?: readonly string[];
}

/** Upstream field names (snake_case, dotted for nested ones) -> the schema's names. */
export type FieldNames = Readonly<Record<string, string>>;

export class AltostratClient {
  readonly #authorization: string | null;
  readonly #options: Omit<ClientOptions, 'authorization'>;
  // Made at the first call: a request that calls nothing (an idle subscription's) pays nothing.
  #policy: IPolicy | undefined;
  #limit: LimitFunction | undefined;
  #calls = 0;

  constructor({ authorization, ...options }: ClientOptions) {
    this.#authorization = authorization;
    this.#options = options;
  }

  /** Calls made so far (each attempt counts). */
  get calls(): number {
    return this.#calls;
  }

  async listWorkflows(): Promise<WorkflowRecord[]> {
    const workflows = await this.#get({ route: ROUTES.listWorkflows, path: '/workflows', schema: workflowListSchema });
    if (workflows === null) throw upstreamError('Altostrat answered GET /workflows with HTTP 404.');
    return workflows;
  }

  getWorkflow(workflowId: string): Promise<WorkflowRecord | null> {
    return this.#get({ route: ROUTES.getWorkflow, path: `/workflows/${segment('workflow', workflowId)}`, schema: workflowSchema });
  }

  /** One page of a workflow's runs, newest first; null when the workflow does not exist. */
  async listExecutions(workflowId: string, page: number): Promise<RunPageRecord | null> {
    if (!Number.isSafeInteger(page) || page < 1) throw new RangeError(`page must be a positive integer, got ${page}`);
    const path = `/workflows/${segment('workflow', workflowId)}/executions?page=${page}`;
    const record = await this.#get({ route: ROUTES.listExecutions, path, schema: runPageSchema });
    if (record === null) return null;
    this.#options.pageSize.learn(record.perPage);
    // A run in a workflow's list belongs to that workflow, whether or not the item says so.
    for (const run of record.items) run.workflowId = workflowId;
    return record;
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return this.#get({ route: ROUTES.getRun, path: `/workflows/runs/${segment('run', runId)}`, schema: runSchema });
  }

  // Runs: starting and resuming them (docs/upstream.md, "Runs").

  /** Starts a run; null when the workflow does not exist. */
  executeWorkflow(workflowId: string, input: { context?: unknown; idempotencyKey?: string | undefined }): Promise<RunRecord | null> {
    return this.#write({
      route: ROUTES.executeWorkflow,
      path: `/workflows/${segment('workflow', workflowId)}/execute`,
      schema: runSchema,
      body: input.context === undefined ? {} : { context: input.context },
      idempotencyKey: input.idempotencyKey,
      fieldNames: { workflow: 'workflowId', idempotency_key: 'idempotencyKey' },
    }).then((run) => run && { ...run, workflowId: run.workflowId ?? workflowId });
  }

  /** A new run that continues a failed one from a node that succeeded; null when the run does not exist. */
  async resumeRun(runId: string, nodeId: string, idempotencyKey?: string): Promise<RunRecord | null> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(nodeId)) throw badInput(`\`${nodeId}\` is not a graph node id (letters, digits, \`_\` and \`-\`).`);
    const answer = await this.#write({
      route: ROUTES.resumeRun,
      path: `/workflows/runs/${segment('run', runId)}/resume-from/${nodeId}`,
      schema: newRunSchema,
      idempotencyKey,
      fieldNames: { run: 'executionId', node_id: 'fromNodeId', idempotency_key: 'idempotencyKey' },
    });
    return answer?.newRun ?? null;
  }

  /** A new run with the original's trigger payload; null when the run does not exist. */
  async rerunRun(runId: string, idempotencyKey?: string): Promise<RunRecord | null> {
    const answer = await this.#write({
      route: ROUTES.rerunRun,
      path: `/workflows/runs/${segment('run', runId)}/rerun`,
      schema: newRunSchema,
      idempotencyKey,
      fieldNames: { run: 'executionId', idempotency_key: 'idempotencyKey' },
    });
    return answer?.newRun ?? null;
  }

  // Workflows: editing, validating, running synchronously, testing one node (docs/upstream.md,
  // "The endpoints" #2 to #8 and #20). A 404 is null for the caller to make NOT_FOUND.

  createWorkflow(definition: WorkflowDefinitionInput): Promise<WorkflowRecord> {
    const { body, fieldNames } = workflowBody(definition);
    return this.#write({ route: ROUTES.createWorkflow, path: '/workflows', schema: workflowSchema, body, fieldNames }).then(present(ROUTES.createWorkflow));
  }

  /** Only the fields given change; null when the workflow does not exist. */
  updateWorkflow(workflowId: string, changes: Parameters<typeof workflowBody>[0]): Promise<WorkflowRecord | null> {
    const { body, fieldNames } = workflowBody(changes);
    return this.#write({ route: ROUTES.updateWorkflow, path: `/workflows/${segment('workflow', workflowId)}`, schema: workflowSchema, body, fieldNames });
  }

  /** True once deleted; null when the workflow does not exist. */
  deleteWorkflow(workflowId: string): Promise<true | null> {
    return this.#write({ route: ROUTES.deleteWorkflow, path: `/workflows/${segment('workflow', workflowId)}`, schema: deletedSchema });
  }

  /**
   * Checks a definition and saves nothing. Altostrat may refuse a bad one with 200 `valid: false`
   * or with a 422: both come back as a validation, the 422's messages flattened into `errors`.
   */
  async validateWorkflow(definition: WorkflowDefinitionInput): Promise<ValidationRecord> {
    const { body, fieldNames } = workflowBody(definition);
    try {
      const answer = await this.#call({ route: ROUTES.validateWorkflow, path: '/workflows/validate', schema: validationSchema, body, fieldNames });
      if (answer === null) throw upstreamError(`Altostrat answered ${ROUTES.validateWorkflow} with HTTP 404.`);
      return answer;
    } catch (error) {
      // Nothing is saved, so an answer that never came is a plain failure, not an unknown outcome.
      if (error instanceof OutcomeUnknown) throw upstreamError(`Altostrat gave no answer to ${ROUTES.validateWorkflow}; try again.`);
      const fieldErrors = error instanceof GraphQLError ? (error.extensions.fieldErrors as Record<string, string[]> | undefined) : undefined;
      if (!fieldErrors) throw error;
      const errors = Object.values(fieldErrors).flat();
      return { valid: false, errors: errors.length > 0 ? errors : ['Altostrat refused the definition without saying why.'] };
    }
  }

  /** The last node's output; null when the workflow does not exist. Sent once: it starts a run. */
  async runWorkflowSync(workflowId: string, payload: unknown): Promise<{ output: unknown } | null> {
    const output = await this.#write({
      route: ROUTES.runWorkflowSync,
      path: `/workflows/sync/${segment('workflow', workflowId)}`,
      schema: syncOutputSchema,
      body: payload ?? {},
      fieldNames: { workflow: 'workflowId' },
    });
    return output === null ? null : { output };
  }

  listTriggerableWorkflows(): Promise<TriggerableWorkflowRecord[]> {
    return this.#get({ route: ROUTES.listTriggerableWorkflows, path: '/workflows/triggerable-workflows', schema: triggerableListSchema }).then(present(ROUTES.listTriggerableWorkflows));
  }

  testNode(input: NodeTestInput): Promise<NodeTestRecord> {
    const { body, fieldNames } = nodeTestBody(input);
    return this.#write({ route: ROUTES.testNode, path: '/workflows/test-node', schema: nodeTestSchema, body, fieldNames }).then(present(ROUTES.testNode));
  }

  // Logs and stats (#21 to #23): plain arrays and an object; the gateway filters and pages.

  /** Null when the workflow does not exist. */
  listWorkflowLogs(workflowId: string): Promise<LogListRecord | null> {
    return this.#get({ route: ROUTES.listWorkflowLogs, path: `/workflows/${segment('workflow', workflowId)}/logs`, schema: logListSchema });
  }

  listRecentLogs(): Promise<LogListRecord> {
    return this.#get({ route: ROUTES.listRecentLogs, path: '/workflows/logs/recent', schema: logListSchema }).then(present(ROUTES.listRecentLogs));
  }

  /** Null when the workflow does not exist. */
  getWorkflowStats(workflowId: string): Promise<StatsRecord | null> {
    return this.#get({ route: ROUTES.getWorkflowStats, path: `/workflows/${segment('workflow', workflowId)}/logs/stats`, schema: statsSchema });
  }

  // The vault (#14 to #18). A secret goes into the body and into `secrets`, so that no error
  // message can carry it back; no answer holds one (records.ts drops it).

  listVaultItems(): Promise<VaultItemRecord[]> {
    return this.#get({ route: ROUTES.listVaultItems, path: '/workflows/vault', schema: vaultItemListSchema }).then(present(ROUTES.listVaultItems));
  }

  getVaultItem(vaultId: string): Promise<VaultItemRecord | null> {
    return this.#get({ route: ROUTES.getVaultItem, path: `/workflows/vault/${segment('vault', vaultId)}`, schema: vaultItemSchema });
  }

  createVaultItem(input: CreateVaultItemInput): Promise<CreatedVaultItemRecord> {
    return this.#write({ route: ROUTES.createVaultItem, path: '/workflows/vault', schema: createdVaultItemSchema, ...vaultItemBody(input) }).then(present(ROUTES.createVaultItem));
  }

  /** Replaces name, secret and expiry; null when the item does not exist. */
  replaceVaultItem(vaultId: string, input: Omit<UpdateVaultItemInput, 'id'>): Promise<VaultItemRecord | null> {
    return this.#write({ route: ROUTES.replaceVaultItem, path: `/workflows/vault/${segment('vault', vaultId)}`, schema: vaultItemSchema, ...vaultItemBody(input) });
  }

  deleteVaultItem(vaultId: string): Promise<true | null> {
    return this.#write({ route: ROUTES.deleteVaultItem, path: `/workflows/vault/${segment('vault', vaultId)}`, schema: deletedSchema });
  }

  // Authorizations (#24 to #26).

  listAuthorizations(): Promise<AuthorizationRecord[]> {
    return this.#get({ route: ROUTES.listAuthorizations, path: '/workflows/authorization', schema: authorizationListSchema }).then(present(ROUTES.listAuthorizations));
  }

  /** The login URL of a new authorization's flow. */
  startAuthorization(): Promise<{ url: string }> {
    return this.#write({ route: ROUTES.startAuthorization, path: '/workflows/authorization', schema: authorizationStartSchema, body: {} }).then(present(ROUTES.startAuthorization));
  }

  deleteAuthorization(authorizationId: string): Promise<true | null> {
    return this.#write({ route: ROUTES.deleteAuthorization, path: `/workflows/authorization/${segment('authorization', authorizationId)}`, schema: deletedSchema });
  }

  /** A read: retried on transient faults; a 404 is `null`, for the caller to read as "no such resource". */
  #get<S extends z.ZodType>(call: Call<S>): Promise<z.output<S> | null> {
    return this.#call(call);
  }

  /**
   * A write: sent once unless it carries an idempotency key, since a POST retried after a lost
   * answer could start a second run. A 404 is `null` (the caller says NOT_FOUND), a 422 is
   * BAD_USER_INPUT with `fieldErrors`, and no answer at all is UPSTREAM_ERROR with
   * `outcomeUnknown`: the write may have happened.
   */
  async #write<S extends z.ZodType>(call: Call<S>): Promise<z.output<S> | null> {
    try {
      return await this.#call(call);
    } catch (error) {
      throw error instanceof OutcomeUnknown
        ? codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat gave no answer to ${call.route}: it may or may not have happened. Check before trying again.`, {
            outcomeUnknown: true,
          })
        : error;
    }
  }

  async #call<S extends z.ZodType>(call: Call<S>): Promise<z.output<S> | null> {
    const authorization = this.#authorization;
    if (authorization === null) {
      throw codedError(ErrorCode.UNAUTHENTICATED, 'Send an `Authorization: Bearer <token>` header with your Altostrat token.');
    }
    if (call.idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(call.idempotencyKey)) {
      // It travels in a header: printable ASCII, of a sensible length.
      throw badInput('`idempotencyKey` must be 1 to 255 printable ASCII characters without spaces (a UUID, say).');
    }
    const { fairShare, tenant, signal, breaker, retries, deadline, concurrency } = this.#options;
    const limit = (this.#limit ??= pLimit(concurrency));
    const retried = methodOf(call.route) === 'GET' || call.idempotencyKey !== undefined;
    const attempt = () => fairShare.run(tenant, () => this.#attempt(call, authorization), { signal, deadline: this.#options.deadline });
    try {
      const policy = retried ? (this.#policy ??= withRetries(breaker, retries, deadline)) : breaker;
      return await limit(() => policy.execute(attempt));
    } catch (error) {
      const write = methodOf(call.route) !== 'GET';
      if (write && error instanceof UpstreamFault && error.sent && ['timeout', 'deadline', 'network'].includes(error.kind)) throw new OutcomeUnknown();
      throw asCodedError(call.route, error);
    }
  }

  /** One try: answers the parsed body or null, or throws an UpstreamFault or a coded error. */
  async #attempt<S extends z.ZodType>(call: Call<S>, authorization: string): Promise<z.output<S> | null> {
    const { route, path, schema, body, idempotencyKey } = call;
    const { baseUrl, dispatcher, timeoutMs, deadline, signal, requestId, onCall, maxCalls } = this.#options;
    if (signal.aborted) throw new UpstreamFault('cancelled', `${route}: the caller went away`);
    const budgetMs = Math.min(timeoutMs, deadline.remainingMs());
    if (budgetMs <= 0) throw new UpstreamFault('deadline', `${route}: the request's deadline passed`, undefined, undefined, false);
    if (this.#calls >= maxCalls) throw callBudgetSpent(maxCalls);
    this.#options.admitCall?.();
    this.#calls++;
    const started = performance.now();
    let status: number | 'error' = 'error';
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await request(`${baseUrl}${path}`, {
        method: methodOf(route),
        dispatcher,
        headers: {
          authorization,
          accept: 'application/json',
          'x-request-id': requestId,
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...(idempotencyKey !== undefined && { 'idempotency-key': idempotencyKey }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal,
        headersTimeout: budgetMs,
        bodyTimeout: budgetMs,
      });
      status = response.statusCode;
      text = await this.#readBody(route, response);
    } catch (error) {
      throw error instanceof UpstreamFault ? error : transportFault(route, error, signal, budgetMs < timeoutMs);
    } finally {
      onCall({ route, status, ms: performance.now() - started });
    }
    const { statusCode } = response;
    if (statusCode === 404) return null;
    if (statusCode === 429 || statusCode >= 500) {
      throw new UpstreamFault('status', `${route} answered ${statusCode}`, statusCode, retryAfterSeconds(response.headers['retry-after']));
    }
    if (statusCode === 422) throw invalidInput(route, text, call);
    if (statusCode < 200 || statusCode >= 300) throw statusError(route, statusCode);
    let json: unknown;
    try {
      json = text.trim() === '' ? undefined : JSON.parse(cutDeepJson(text, this.#options.maxJsonDepth));
    } catch {
      throw new UpstreamFault('body', `Altostrat answered ${route} with a body that is not JSON.`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new UpstreamFault('body', `Altostrat answered ${route} with an unexpected shape.`);
    return parsed.data;
  }

  /** The body as text, refused past `maxBodyBytes` (by its Content-Length, or while it streams). */
  async #readBody(route: Route, response: Dispatcher.ResponseData): Promise<string> {
    const { maxBodyBytes, deadline } = this.#options;
    const abandon = (fault: UpstreamFault) => {
      // A body nobody reads errors when destroyed; that error is this fault, already reported.
      response.body.on('error', () => {});
      response.body.destroy();
      return fault;
    };
    const tooLarge = () => abandon(new UpstreamFault('tooLarge', `Altostrat answered ${route} with a body over ${maxBodyBytes} bytes.`));
    if (Number(response.headers['content-length']) > maxBodyBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBodyBytes) throw tooLarge();
      // A body that drips in stays within the deadline: bodyTimeout bounds only the gaps.
      if (deadline.remainingMs() <= 0) throw abandon(new UpstreamFault('deadline', `${route}: the request's deadline passed while its body arrived`));
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size).toString('utf8');
  }
}

/** A write that got no answer: it may have happened. */
class OutcomeUnknown extends Error {
  override name = 'OutcomeUnknown';
}

const methodOf = (route: Route): string => route.slice(0, route.indexOf(' '));

/**
 * A 422 -> BAD_USER_INPUT with `fieldErrors` keyed by the schema's names. Both error shapes the
 * reference shows are read: Laravel's `{message, errors: {field: [..]}}` and
 * `{type, code, message, param?}`. Any secret the caller sent is masked in every message, since
 * a validation message may quote the input.
 */
function invalidInput(route: Route, text: string, { fieldNames = {}, secrets = [] }: Call<z.ZodType>): GraphQLError {
  const mask = (message: string) => secrets.reduce((m, secret) => (secret === '' ? m : m.split(secret).join('[redacted]')), message);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fieldErrors: Record<string, string[]> = {};
  const { errors, param, message } = (body ?? {}) as { errors?: unknown; param?: unknown; message?: unknown };
  if (errors && typeof errors === 'object' && !Array.isArray(errors)) {
    for (const [field, messages] of Object.entries(errors)) {
      const list = (Array.isArray(messages) ? messages : [messages]).filter((m): m is string => typeof m === 'string');
      fieldErrors[schemaFieldName(field, fieldNames)] = list.map(mask);
    }
  } else if (typeof param === 'string' && typeof message === 'string') {
    fieldErrors[schemaFieldName(param, fieldNames)] = [mask(message)];
  }
  const summary = Object.keys(fieldErrors).length > 0 ? ` (${Object.keys(fieldErrors).join(', ')})` : '';
  return codedError(ErrorCode.BAD_USER_INPUT, `Altostrat refused the input of ${route}${summary}; see extensions.fieldErrors.`, {
    fieldErrors,
  });
}

/** `authorization_id` -> `authorizationId`, `nodes.0.type` -> `graph.nodes.0.type` (given `nodes` -> `graph.nodes`). */
export function schemaFieldName(field: string, names: FieldNames): string {
  if (names[field] !== undefined) return names[field];
  const [head, ...rest] = field.split('.');
  const mappedHead = names[head!] ?? head!.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return [mappedHead, ...rest.map((part) => part.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))].join('.');
}

/** An id as a path segment, after checking its shape: nothing else ever reaches a URL. */
function segment(kind: IdKind, id: string): string {
  if (!isIdOf(kind, id)) throw badInput(`\`${id}\` is not an Altostrat ${kind} id (\`${idShape(kind)}\`).`);
  return id;
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

const upstreamError = (message: string): GraphQLError => codedError(ErrorCode.UPSTREAM_ERROR, message);

/** For a route whose 404 has no meaning (a collection, an action without an id): UPSTREAM_ERROR. */
const present =
  (route: Route) =>
  <T>(answer: T | null): T => {
    if (answer === null) throw upstreamError(`Altostrat answered ${route} with HTTP 404.`);
    return answer;
  };

const callBudgetSpent = (maxCalls: number): GraphQLError =>
  codedError(
    ErrorCode.BAD_USER_INPUT,
    `This request has made the ${maxCalls} calls to Altostrat one request may make; ask for less and page through the rest.`,
    { cost: { limit: maxCalls } },
  );

/** What the policies let through -> a contract code: the one table of it. */
function asCodedError(route: Route, error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof BrokenCircuitError) {
    return upstreamError(`Altostrat has been failing; ${route} was not tried. Retry in a few seconds.`);
  }
  if (error instanceof WaitExpired) return upstreamError(`${route} was not tried: this token's share of calls to Altostrat stayed busy until the request's deadline.`);
  if (!(error instanceof UpstreamFault)) {
    // The fair-share wait ended because the caller went away: nobody reads this answer.
    if (error instanceof Error && error.name === 'AbortError') return upstreamError(`${route} was cancelled: the caller went away.`);
    throw error; // a bug: Yoga masks it
  }
  switch (error.kind) {
    case 'cancelled':
      return upstreamError(`${route} was cancelled: the caller went away.`);
    case 'timeout':
    case 'deadline':
      return upstreamError(`Altostrat did not answer ${route} in time.`);
    case 'network':
    case 'refused':
      return upstreamError(`Altostrat could not be reached for ${route}, or the connection broke.`);
    case 'body':
    case 'tooLarge':
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
