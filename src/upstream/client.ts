/**
 * AltostratClient: the domain's calls to Altostrat, one method per endpoint of the catalogue
 * (catalogue/endpoints.ts; the plain reads by id share `read`), built per GraphQL request with that request's Authorization header,
 * which it writes to every call and nowhere else (docs/upstream.md). A method names its endpoint
 * and gives its ids and body; the rest is shared:
 * - the path is the endpoint's pattern filled with ids checked against their shapes (ids.ts), so
 *   no caller text can change it; logs, metrics and traces see only the route;
 * - policy.ts runs it under the request's concurrency, retries, the breaker, the fair share and
 *   the call budget; transport.ts makes each attempt and maps statuses to codes;
 * - the body is cut at `maxJsonDepth` (json.ts) and read by the endpoint's reader (records.ts),
 *   unless it is the text the token got there last time (answers.ts).
 * Callers get records, `null` for a 404 where the endpoint says so, or a coded GraphQLError.
 */
import { codedError, ErrorCode, noToken } from '../errors.js';
import { ENDPOINTS, routeOf, type AnswerOf, type EndpointName, type PathSegment, type ReadById, type Route } from '../catalogue/endpoints.js';
import { cutDeepJson } from './json.js';
import { checkedId, checkedNodeId } from './ids.js';
import type { FairShare } from './fair-share.js';
import type { ListMemory } from './list-memory.js';
import type { ReadAnswers } from './answers.js';
import type { Connections } from './connections.js';
import type { RequestBytes } from './held-bytes.js';
import type {
  AuthorizationRecord,
  CreatedVaultItemRecord,
  LogListRecord,
  NodeTestRecord,
  RunPageRecord,
  RunRecord,
  TriggerableWorkflowRecord,
  ValidationRecord,
  VaultItemRecord,
  WorkflowRecord,
} from './records.js';
import { RecordRefused } from './records.js';
import { RequestPolicy } from './policy.js';
import { UpstreamFault, type Breaker, type Deadline } from './resilience.js';
import {
  errorFor,
  fieldErrorsOf,
  isFaultStatus,
  retryAfterSeconds,
  send,
  type Answer,
  type FieldErrors,
  type UpstreamInput,
} from './transport.js';

export type { Route } from '../catalogue/endpoints.js';

/** What the client reports of each attempt: its route, HTTP status (`error`: none came) and duration. */
export interface CallReport {
  route: Route;
  status: number | 'error';
  ms: number;
}

export interface ClientOptions {
  base: UpstreamBase;
  /** The caller's Authorization header, verbatim; null when the caller sent no usable bearer token. */
  authorization: string | null;
  /** Who the caller is for fair sharing: a keyed hash of the token, never the token. */
  tenant: string;
  /** The process's keep-alive connections to the upstream. */
  connections: Connections;
  /** Longest wait for one attempt's headers, and between two chunks of its body. */
  timeoutMs: number;
  /** The GraphQL request's deadline: no call or retry outlives it. */
  deadline: Deadline;
  /** Aborts when the caller goes away: no call starts after it (transport.ts). */
  signal: AbortSignal;
  /** Whether the signal also cuts a call in flight (transport.ts). */
  cutsInFlight: boolean;
  /** The process-wide circuit breaker. */
  breaker: Breaker;
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
  /** Counts this request's reads' answers against what requests in flight may hold (held-bytes.ts); none for a poll. */
  held?: RequestBytes | undefined;
  maxJsonDepth: number;
  /** What answers said of the run lists: the page size, each list's total. */
  lists: ListMemory;
  /** The last answers each token got, and their records (reads only). */
  answers?: ReadAnswers | undefined;
  /** Sent upstream as X-Request-Id. */
  requestId: string;
  onCall: (call: CallReport) => void;
}

/**
 * The token of a bearer Authorization header (context.ts checks its form). The header goes upstream
 * verbatim, but shares and limits are counted per token: `Bearer x` and `bearer x` are one caller
 * to Altostrat, and must not get two fair shares or two sets of subscriptions.
 */
export const tokenOf = (authorization: string): string => authorization.slice('Bearer '.length);

/** One call of an endpoint: its path ids in order, and what a write sends (its body, how its 422 reads, its secrets). */
interface Call<N extends EndpointName, T> extends Partial<Omit<UpstreamInput, 'body'>> {
  endpoint: N;
  ids?: readonly string[];
  /** The query string, for the one paged endpoint. */
  query?: string;
  /** A write's JSON body. */
  body?: unknown;
  /** Sent as Idempotency-Key on every attempt; makes a write safe to retry. */
  idempotencyKey?: string | undefined;
  /** A 422 as an answer rather than BAD_USER_INPUT (validation). */
  refused?: (fieldErrors: FieldErrors) => T;
  /** Completes what was read with what only the call knows (from its path), before the records are shared. */
  fill?: (answer: T) => void;
}

/** What a call answers: the record, or null for a 404 where the endpoint allows it. */
export type Answered<N extends EndpointName> = (typeof ENDPOINTS)[N]['missing'] extends 'null' ? AnswerOf<N> | null : AnswerOf<N>;

export class AltostratClient {
  readonly #authorization: string | null;
  readonly #options: Omit<ClientOptions, 'authorization'>;
  readonly #policy: RequestPolicy;

  constructor({ authorization, ...options }: ClientOptions) {
    this.#authorization = authorization;
    this.#options = options;
    this.#policy = new RequestPolicy(options);
  }

  /**
   * Sends no call from now on: the execution this client serves has its result. graphql-js
   * answers as soon as an error nulls the whole `data` (a non-null root field failed), while
   * the loaders' batches of its sibling fields are still to be sent; nobody would read them.
   * What its answers held is given back.
   */
  end(): void {
    this.#policy.end();
    this.#options.held?.end();
  }

  listWorkflows(): Promise<WorkflowRecord[]> {
    return this.#call({ endpoint: 'listWorkflows' });
  }

  getWorkflow(workflowId: string): Promise<WorkflowRecord | null> {
    return this.#call({ endpoint: 'getWorkflow', ids: [workflowId] });
  }

  /** One page of a workflow's runs, newest first; null when the workflow does not exist. */
  async listExecutions(workflowId: string, page: number): Promise<RunPageRecord | null> {
    if (!Number.isSafeInteger(page) || page < 1) throw new RangeError(`page must be a positive integer, got ${page}`);
    const record = await this.#call({
      endpoint: 'listExecutions',
      ids: [workflowId],
      query: `page=${page}`,
      // A run in a workflow's list belongs to that workflow, whether or not the item says so.
      fill: (answer) => answer.items.forEach((run) => (run.workflowId = workflowId)),
    });
    if (record === null) return null;
    this.#options.lists.learn(this.#options.tenant, workflowId, record);
    return record;
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return this.#call({ endpoint: 'getRun', ids: [runId] });
  }

  /**
   * Any read of one resource by its id that needs nothing beyond the catalogue's entry (a
   * workflow's stats or log list, a vault item): null when Altostrat has no such resource.
   */
  read<N extends ReadById>(endpoint: N, id: string): Promise<Answered<N>> {
    return this.#call({ endpoint, ids: [id] });
  }

  /** Starts a run; null when the workflow does not exist. */
  async executeWorkflow(workflowId: string, input: { context?: unknown; idempotencyKey?: string | undefined }): Promise<RunRecord | null> {
    const run = await this.#call({
      endpoint: 'executeWorkflow',
      ids: [workflowId],
      body: input.context === undefined ? {} : { context: input.context },
      idempotencyKey: input.idempotencyKey,
      fieldNames: { workflow: 'workflowId', idempotency_key: 'idempotencyKey' },
    });
    return run && freshRun({ ...run, workflowId: run.workflowId ?? workflowId });
  }

  /** A new run that continues a failed one from a node that succeeded; null when the run does not exist. */
  async resumeRun(runId: string, nodeId: string, idempotencyKey?: string): Promise<RunRecord | null> {
    const answer = await this.#call({
      endpoint: 'resumeRun',
      ids: [runId, nodeId],
      idempotencyKey,
      fieldNames: { run: 'executionId', node_id: 'fromNodeId', idempotency_key: 'idempotencyKey' },
    });
    return answer?.newRun ?? null;
  }

  /** A new run with the original's trigger payload; null when the run does not exist. */
  async rerunRun(runId: string, idempotencyKey?: string): Promise<RunRecord | null> {
    const answer = await this.#call({ endpoint: 'rerunRun', ids: [runId], idempotencyKey, fieldNames: { run: 'executionId', idempotency_key: 'idempotencyKey' } });
    return answer ? freshRun(answer.newRun) : null;
  }

  // Writes take bodies made by inputs.ts from the schema's inputs.

  createWorkflow(definition: UpstreamInput): Promise<WorkflowRecord> {
    return this.#call({ endpoint: 'createWorkflow', ...definition });
  }

  /** Only the fields given change; null when the workflow does not exist. */
  updateWorkflow(workflowId: string, changes: UpstreamInput): Promise<WorkflowRecord | null> {
    return this.#call({ endpoint: 'updateWorkflow', ids: [workflowId], ...changes });
  }

  /** True once deleted; null when the workflow does not exist. */
  deleteWorkflow(workflowId: string): Promise<true | null> {
    return this.#call({ endpoint: 'deleteWorkflow', ids: [workflowId] });
  }

  /**
   * Checks a definition and saves nothing. Altostrat may refuse a bad one with 200 `valid: false`
   * or with a 422: both come back as a validation, the 422's messages flattened into `errors`.
   */
  validateWorkflow(definition: UpstreamInput): Promise<ValidationRecord> {
    return this.#call({
      endpoint: 'validateWorkflow',
      ...definition,
      refused: (fieldErrors) => {
        const errors = Object.values(fieldErrors).flat();
        return { valid: false, errors: errors.length > 0 ? errors : ['Altostrat refused the definition without saying why.'] };
      },
    });
  }

  /** The last node's output; null when the workflow does not exist. Sent once: it starts a run. */
  runWorkflowSync(workflowId: string, payload: unknown): Promise<{ output: unknown } | null> {
    return this.#call({ endpoint: 'runWorkflowSync', ids: [workflowId], body: payload ?? {}, fieldNames: { workflow: 'workflowId', '*': 'payload' } });
  }

  listTriggerableWorkflows(): Promise<TriggerableWorkflowRecord[]> {
    return this.#call({ endpoint: 'listTriggerableWorkflows' });
  }

  testNode(input: UpstreamInput): Promise<NodeTestRecord> {
    return this.#call({ endpoint: 'testNode', ...input });
  }

  listRecentLogs(): Promise<LogListRecord> {
    return this.#call({ endpoint: 'listRecentLogs' });
  }


  // A vault secret goes into the body and into `secrets`, so that no error message can carry it
  // back; no answer holds one (records.ts drops it).

  listVaultItems(): Promise<VaultItemRecord[]> {
    return this.#call({ endpoint: 'listVaultItems' });
  }

  createVaultItem(input: UpstreamInput): Promise<CreatedVaultItemRecord> {
    return this.#call({ endpoint: 'createVaultItem', ...input });
  }

  /** Replaces name, secret and expiry; null when the item does not exist. */
  replaceVaultItem(vaultId: string, input: UpstreamInput): Promise<VaultItemRecord | null> {
    return this.#call({ endpoint: 'replaceVaultItem', ids: [vaultId], ...input });
  }

  deleteVaultItem(vaultId: string): Promise<true | null> {
    return this.#call({ endpoint: 'deleteVaultItem', ids: [vaultId] });
  }

  listAuthorizations(): Promise<AuthorizationRecord[]> {
    return this.#call({ endpoint: 'listAuthorizations' });
  }

  /** The login URL of a new authorization's flow. */
  startAuthorization(): Promise<{ url: string }> {
    return this.#call({ endpoint: 'startAuthorization', body: {} });
  }

  deleteAuthorization(authorizationId: string): Promise<true | null> {
    return this.#call({ endpoint: 'deleteAuthorization', ids: [authorizationId] });
  }

  /** One call of an endpoint, under the request's policies. */
  async #call<N extends EndpointName>(call: Call<N, AnswerOf<N>>): Promise<Answered<N>> {
    const endpoint = ENDPOINTS[call.endpoint];
    const path = pathOf(endpoint.path, endpoint.ids, call.ids ?? []);
    const authorization = this.#authorization;
    if (authorization === null) {
      throw noToken();
    }
    if (call.idempotencyKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(call.idempotencyKey)) {
      // It travels in a header: printable ASCII, of a sensible length. Refused as Altostrat refuses a reused one, under its field.
      const message = '`idempotencyKey` must be 1 to 255 printable ASCII characters without spaces (a UUID, say).';
      throw codedError(ErrorCode.BAD_USER_INPUT, message, { fieldErrors: { idempotencyKey: [message] } });
    }
    const route = routeOf(call.endpoint);
    const terms = { route, retried: endpoint.retried === 'always' || call.idempotencyKey !== undefined, writes: endpoint.writes };
    const attempt = (admit: () => void) => this.#attempt(route, path, call, authorization, admit);
    const answer = await this.#policy.run(terms, endpoint.runsCallerCode ? (admit) => attempt(admit).catch(asCallerOutcome) : attempt);
    if (answer === null && endpoint.missing === 'error') throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat answered ${route} with HTTP 404.`);
    return answer as Answered<N>;
  }

  /** One try: the answer read, or null for a 404; else an UpstreamFault (the policy may retry it) or a coded error. */
  async #attempt<N extends EndpointName>(route: Route, path: string, call: Call<N, AnswerOf<N>>, authorization: string, admit: () => void): Promise<AnswerOf<N> | null> {
    const { base, requestId, onCall, maxJsonDepth } = this.#options;
    const endpoint = ENDPOINTS[call.endpoint];
    const started = performance.now();
    const target = `${base.prefix}${path}${call.query === undefined ? '' : `?${call.query}`}`;
    // The breaker weighs a fault by when its call was sent (resilience.ts).
    let answer: Answer;
    try {
      answer = await send(
        {
          route,
          method: endpoint.method,
          origin: base.origin,
          path: target,
          authorization,
          requestId,
          body: call.body,
          idempotencyKey: call.idempotencyKey,
        },
        this.#options,
        { admit, onStatus: (status) => onCall({ route, status, ms: performance.now() - started }) },
      );
    } catch (error) {
      if (error instanceof UpstreamFault) error.sentAt = started;
      throw error;
    }
    const { status, headers, text } = answer;
    if (!isFaultStatus(status)) {
      this.#options.breaker.answered();
      // Any answer but 401 (or a 429 or 5xx, which may come before the token is looked at) says
      // Altostrat knows the token: its tenant is no longer a guest of the fair share.
      if (status !== 401) this.#options.fairShare.vouch(this.#options.tenant);
    }
    if (status === 404) return null;
    if (isFaultStatus(status)) {
      const fault = new UpstreamFault('status', `${route} answered ${status}`, status, retryAfterSeconds(headers['retry-after']));
      fault.sentAt = started;
      throw fault;
    }
    if (status === 422) {
      // A message may quote the request, its Authorization header among it: the token is masked as a secret is.
      const fieldErrors = fieldErrorsOf(text, call.fieldNames, [...(call.secrets ?? []), tokenOf(authorization)]);
      if (call.refused) return call.refused(fieldErrors);
      throw errorFor(422, { route, fieldErrors });
    }
    if (status < 200 || status >= 300) throw errorFor(status, { route });
    // A read whose answer is the text this token got at this path last time is not parsed again (answers.ts).
    const answers = endpoint.method === 'GET' ? this.#options.answers : undefined;
    const read = () => readAnswer(route, call, text, maxJsonDepth);
    return answers ? answers.read(this.#options.tenant, target, text, read) : read();
  }
}

/**
 * A run that execute or rerun has just started, answered `pending`, has run no step: its logs are
 * known to be empty even where the answer leaves them out (docs/upstream.md, "Where the docs are
 * silent"). So the payload needs no second call, which could fail after the write succeeded and
 * take the new run's id with it. (A resumed run is not one: it starts with the steps it resumes after.)
 */
function freshRun(run: RunRecord): RunRecord {
  return run.logs === undefined && run.status === 'pending' ? { ...run, logs: [] } : run;
}

/** A fault of a call that ran the caller's own code: not Altostrat's unless no connection could be made. */
function asCallerOutcome(error: unknown): never {
  if (error instanceof UpstreamFault && error.kind !== 'refused') error.outage = false;
  throw error;
}

/** An answer's text -> the endpoint's records, completed by the call; an UpstreamFault when it is not JSON of the endpoint's shape. */
function readAnswer<N extends EndpointName>(route: Route, call: Call<N, AnswerOf<N>>, text: string, maxJsonDepth: number): AnswerOf<N> {
  let json: unknown;
  try {
    // A delete's body is not read (docs/upstream.md): a 2xx is the answer.
    json = text.trim() === '' || ENDPOINTS[call.endpoint].method === 'DELETE' ? undefined : JSON.parse(cutDeepJson(text, maxJsonDepth));
  } catch {
    throw new UpstreamFault('body', `Altostrat answered ${route} with a body that is not JSON.`);
  }
  try {
    const records = ENDPOINTS[call.endpoint].read(json) as AnswerOf<N>;
    call.fill?.(records);
    return records;
  } catch (error) {
    if (error instanceof RecordRefused) throw new UpstreamFault('body', `Altostrat answered ${route} with an unexpected shape.`);
    throw error;
  }
}

/** The upstream's base URL as its origin and the path prefix that each call's path follows. */
export interface UpstreamBase {
  origin: string;
  prefix: string;
}

/** A base URL (config.ts's: no query, no fragment) split once per process: its clients are made per request. */
export function splitBase(url: string): UpstreamBase {
  const { origin, pathname } = new URL(url);
  // `http://host` parses to the path `/`, which `http://host` + `/workflows` does not carry.
  return { origin, prefix: pathname === '/' && !url.endsWith('/') ? '' : pathname };
}

/** The endpoint's path pattern with each `{...}` filled by its id, checked against its kind's shape: nothing else ever reaches a URL. */
function pathOf(pattern: string, kinds: readonly PathSegment[], ids: readonly string[]): string {
  let at = 0;
  return pattern.replace(/\{[^}]+\}/g, () => {
    const kind = kinds[at]!;
    const id = ids[at++]!;
    return kind === 'node' ? checkedNodeId(id) : checkedId(kind, id);
  });
}
