/**
 * The one table of what each field costs upstream: which call fills it in, and whether an object
 * read from a list already carries it. The cost estimate (cost.ts), the lookups
 * (resolvers/lookup.ts) and the field resolvers all read it, and test/field-needs.test.ts runs
 * every field from every origin and fails when a resolver calls a route the table does not name.
 * docs/guarantees.md ("The upstream-call budget") states the same budget in prose.
 */
import { ROUTES, type Route } from './upstream/client.js';

/** The calls that fill in fields: one per distinct object (or page) per request. */
export const CALLS = {
  /** GET /workflows/{id}: a workflow's own fields. */
  workflow: ROUTES.getWorkflow,
  /** GET /workflows/{id}/executions?page=N: a workflow's runs, newest first. */
  executions: ROUTES.listExecutions,
  /** GET /workflows/runs/{id}: one run with its logs. */
  run: ROUTES.getRun,
  /** GET /workflows/{id}/logs/stats: a workflow's counts. */
  stats: ROUTES.getWorkflowStats,
  /** GET /workflows/{id}/logs: a workflow's whole log list, filtered and paged by the gateway. */
  logs: ROUTES.listWorkflowLogs,
  /** GET /workflows/vault/{id}: one vault item. */
  vaultItem: ROUTES.getVaultItem,
  /** GET /workflows/authorization: there is no single-authorization read, so the list. */
  authorizations: ROUTES.listAuthorizations,
} as const satisfies Record<string, Route>;
export type CallName = keyof typeof CALLS;

export interface FieldNeed {
  /** The call that fills the field in; null when the id alone answers it. */
  call: CallName | null;
  /** Whether an object read from a list (GET /workflows, a run page) carries the field already. */
  listed: boolean;
}

const free: FieldNeed = { call: null, listed: true };
const fromWorkflow = (listed: boolean): FieldNeed => ({ call: 'workflow', listed });
const fromRun = (listed: boolean): FieldNeed => ({ call: 'run', listed });

export const FIELD_NEEDS = {
  Workflow: {
    id: free,
    name: fromWorkflow(true),
    description: fromWorkflow(true),
    isActive: fromWorkflow(true),
    scheduleType: fromWorkflow(true),
    scheduleValue: fromWorkflow(true),
    nextRunAt: fromWorkflow(true),
    webhookUrl: fromWorkflow(true),
    createdAt: fromWorkflow(true),
    updatedAt: fromWorkflow(true),
    // List items may leave out nodes and edges.
    graph: fromWorkflow(false),
    executions: { call: 'executions', listed: false },
    // One call per workflow each, whatever the arguments: the gateway filters and pages.
    stats: { call: 'stats', listed: false },
    logs: { call: 'logs', listed: false },
  },
  WorkflowExecution: {
    id: free,
    status: fromRun(true),
    errorMessage: fromRun(true),
    startedAt: fromRun(true),
    completedAt: fromRun(true),
    durationInSeconds: fromRun(true),
    // A list item may carry its logs; when it does not, the run is fetched. Counted as a fetch.
    logs: fromRun(false),
    // A run read from its workflow's list knows its workflow; a fetched run may name it.
    workflow: fromRun(true),
  },
  VaultItem: {
    id: free,
    name: { call: 'vaultItem', listed: true },
    createdAt: { call: 'vaultItem', listed: true },
    expiresAt: { call: 'vaultItem', listed: true },
  },
  WorkflowAuthorization: {
    id: free,
    userId: { call: 'authorizations', listed: true },
    provider: { call: 'authorizations', listed: true },
    status: { call: 'authorizations', listed: true },
    createdAt: { call: 'authorizations', listed: true },
  },
} as const satisfies Record<string, Record<string, FieldNeed>>;

export type CostedType = keyof typeof FIELD_NEEDS;

/** What `field` of `type` needs, or undefined for fields that cost nothing (`__typename`). */
export function needOf(type: CostedType, field: string): FieldNeed | undefined {
  return (FIELD_NEEDS[type] as Record<string, FieldNeed>)[field];
}

/** Whether an object of `type` found by id (a lookup or a reference) must be fetched for these fields. */
export const lookupNeedsRecord = (type: CostedType, fields: Iterable<string>, call: CallName): boolean =>
  [...fields].some((field) => needOf(type, field)?.call === call);
