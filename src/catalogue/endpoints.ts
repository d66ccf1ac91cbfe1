/**
 * The catalogue's upstream side: every Altostrat endpoint the gateway calls (docs/upstream.md,
 * "The endpoints"), once. The client builds its calls from these entries (path, method, ids,
 * reader, retries, what a 404 means); logs, metrics and traces name a call by its `route`, the
 * method and path pattern, never by its real path. fields.ts says which endpoint fills which
 * schema field. A new endpoint is one entry here, its reader in records.ts, and one client method.
 */
import type { IdKind } from '../upstream/ids.js';
import {
  readAuthorizationList,
  readAuthorizationStart,
  readCreatedVaultItem,
  readDeleted,
  readLogList,
  readNewRun,
  readNodeTest,
  readRunPage,
  readRun,
  readStats,
  readSyncOutput,
  readTriggerableList,
  readValidation,
  readVaultItem,
  readVaultItemList,
  readWorkflowList,
  readWorkflow,
  type Reader,
} from '../upstream/records.js';

/** What may stand in a path's `{...}`: an Altostrat id of a kind, or a graph node's id. */
export type PathSegment = IdKind | 'node';

export interface Endpoint<T = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path pattern; each `{...}` is filled, in order, with an id of the kind `ids` names. */
  path: string;
  ids: readonly PathSegment[];
  /** Reads the answer's body (an empty body is `undefined`). */
  read: Reader<T>;
  /**
   * `always`: retried on transient faults (it changes nothing). `with key`: a write, retried only
   * when the caller sends an idempotency key, since a retry after a lost answer could repeat it.
   */
  retried: 'always' | 'with key';
  /** Whether it changes anything upstream: a call that got no answer then may have happened. */
  writes: boolean;
  /** A 404: `null` (no such resource, the caller decides) or `error` (it has no meaning here). */
  missing: 'null' | 'error';
  /** Read page by page (`?page=N`): the run list, the only paged collection. */
  paged?: true;
  /**
   * It runs the caller's own workflow or node and answers with how that went: a 5xx or a slow
   * answer can be that workflow failing or taking long, not Altostrat being unwell, so the
   * circuit breaker does not count it (resilience.ts).
   */
  runsCallerCode?: true;
}

type Missing = Endpoint['missing'];
const get = <T, M extends Missing>(path: string, ids: readonly PathSegment[], read: Reader<T>, missing: M): Endpoint<T> & { method: 'GET'; missing: M } => ({
  method: 'GET',
  path,
  ids,
  read,
  retried: 'always',
  writes: false,
  missing,
});
const write = <T, M extends Missing>(
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  ids: readonly PathSegment[],
  read: Reader<T>,
  missing: M,
): Endpoint<T> & { missing: M } => ({
  method,
  path,
  ids,
  read,
  retried: 'with key',
  writes: true,
  missing,
});

export const ENDPOINTS = {
  listWorkflows: get('/workflows', [], readWorkflowList, 'error'),
  getWorkflow: get('/workflows/{id}', ['workflow'], readWorkflow, 'null'),
  listExecutions: { ...get('/workflows/{id}/executions', ['workflow'], readRunPage, 'null'), paged: true },
  getRun: get('/workflows/runs/{id}', ['run'], readRun, 'null'),
  executeWorkflow: write('POST', '/workflows/{id}/execute', ['workflow'], readRun, 'null'),
  resumeRun: write('POST', '/workflows/runs/{id}/resume-from/{nodeId}', ['run', 'node'], readNewRun, 'null'),
  rerunRun: write('POST', '/workflows/runs/{id}/rerun', ['run'], readNewRun, 'null'),
  createWorkflow: write('POST', '/workflows', [], readWorkflow, 'error'),
  updateWorkflow: write('PUT', '/workflows/{id}', ['workflow'], readWorkflow, 'null'),
  deleteWorkflow: write('DELETE', '/workflows/{id}', ['workflow'], readDeleted, 'null'),
  // A POST that saves nothing: never an unknown outcome, and (no key) sent once.
  validateWorkflow: { ...write('POST', '/workflows/validate', [], readValidation, 'error'), writes: false },
  runWorkflowSync: { ...write('POST', '/workflows/sync/{id}', ['workflow'], readSyncOutput, 'null'), runsCallerCode: true },
  listTriggerableWorkflows: get('/workflows/triggerable-workflows', [], readTriggerableList, 'error'),
  testNode: { ...write('POST', '/workflows/test-node', [], readNodeTest, 'error'), runsCallerCode: true },
  listWorkflowLogs: get('/workflows/{id}/logs', ['workflow'], readLogList, 'null'),
  listRecentLogs: get('/workflows/logs/recent', [], readLogList, 'error'),
  getWorkflowStats: get('/workflows/{id}/logs/stats', ['workflow'], readStats, 'null'),
  listVaultItems: get('/workflows/vault', [], readVaultItemList, 'error'),
  createVaultItem: write('POST', '/workflows/vault', [], readCreatedVaultItem, 'error'),
  getVaultItem: get('/workflows/vault/{id}', ['vault'], readVaultItem, 'null'),
  replaceVaultItem: write('PUT', '/workflows/vault/{id}', ['vault'], readVaultItem, 'null'),
  deleteVaultItem: write('DELETE', '/workflows/vault/{id}', ['vault'], readDeleted, 'null'),
  listAuthorizations: get('/workflows/authorization', [], readAuthorizationList, 'error'),
  startAuthorization: write('POST', '/workflows/authorization', [], readAuthorizationStart, 'error'),
  deleteAuthorization: write('DELETE', '/workflows/authorization/{id}', ['authorization'], readDeleted, 'null'),
} as const satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof ENDPOINTS;
/** What an endpoint's answer reads as. */
export type AnswerOf<N extends EndpointName> = ReturnType<(typeof ENDPOINTS)[N]['read']>;

/** The reads of one resource by its id: a GET whose 404 means "no such resource", not paged. */
export type ReadById = {
  [N in EndpointName]: (typeof ENDPOINTS)[N] extends { method: 'GET'; missing: 'null' } ? ((typeof ENDPOINTS)[N]['paged'] extends true ? never : N) : never;
}[EndpointName];

/** `GET /workflows/{id}`: the name of an endpoint in logs, metrics and traces. */
export type Route = `${Endpoint['method']} ${string}`;
export const routeOf = (name: EndpointName): Route => `${ENDPOINTS[name].method} ${ENDPOINTS[name].path}`;
