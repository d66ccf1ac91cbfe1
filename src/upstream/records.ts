/**
 * Run-time schemas of the upstream's JSON (docs/upstream.md, "Objects" and "The run list") and the
 * camelCase record types they produce. This is the only place that knows
 * Altostrat's snake_case: every body is parsed here once, so a resolver never meets an unchecked
 * shape. Unknown keys are dropped; a missing or mistyped key fails the parse (UPSTREAM_ERROR).
 */
import { z } from 'zod';
import type { Connection, Edge } from '../pagination/plan.js';

// RFC 3339 with any fraction of a second: Altostrat sends both `...00.000000Z` and `...56Z`.
const timestamp = z.iso.datetime({ offset: true });

const logSchema = z
  .object({
    id: z.string(),
    node_id: z.string(),
    component_id: z.string().nullish(),
    status: z.string(),
    output: z.unknown(),
    created_at: timestamp,
  })
  .transform((l) => ({
    id: l.id,
    nodeId: l.node_id,
    componentId: l.component_id ?? null,
    status: l.status,
    output: l.output ?? null,
    createdAt: l.created_at,
  }));

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'awaiting_ui_interaction'] as const;

export const runSchema = z
  .object({
    id: z.string(),
    status: z.enum(RUN_STATUSES),
    error_message: z.string().nullish(),
    started_at: timestamp.nullish(),
    completed_at: timestamp.nullish(),
    duration_in_seconds: z.number().nullish(),
    logs: z.array(logSchema).optional(),
    // Older revisions of the reference embed the workflow in a single run.
    workflow: z.object({ id: z.string() }).nullish(),
  })
  .transform((r) => ({
    id: r.id,
    status: r.status,
    errorMessage: r.error_message ?? null,
    startedAt: r.started_at ?? null,
    completedAt: r.completed_at ?? null,
    durationInSeconds: r.duration_in_seconds ?? null,
    logs: r.logs,
    /** Known from an embedded workflow, or set by the client for a run read from a workflow's list. */
    workflowId: r.workflow?.id ?? null,
  }));

/** Rerun and resume answer `{message, new_run}`. */
export const newRunSchema = z.object({ new_run: runSchema }).transform((a) => ({ newRun: a.new_run }));

const graphNodeSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    position: z.object({ x: z.number(), y: z.number() }),
    data: z.record(z.string(), z.unknown()),
  })
  // Altostrat keeps a node's component inside its free-form `data`.
  .transform((n) => ({ ...n, componentId: typeof n.data.componentId === 'string' ? n.data.componentId : null }));

const graphEdgeSchema = z
  .object({
    id: z.string(),
    source: z.string(),
    target: z.string(),
    sourceHandle: z.string().nullish(),
  })
  .transform((e) => ({ ...e, sourceHandle: e.sourceHandle ?? null }));

export const SCHEDULE_TYPES = ['manual', 'interval', 'cron', 'daily', 'weekly', 'monthly'] as const;

export const workflowSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullish(),
    // The list endpoint may leave the graph out; a single workflow carries it.
    nodes: z.array(graphNodeSchema).optional(),
    edges: z.array(graphEdgeSchema).optional(),
    schedule_type: z.enum(SCHEDULE_TYPES).nullish(),
    schedule_value: z.string().nullish(),
    next_run_at: timestamp.nullish(),
    is_active: z.boolean(),
    webhook_url: z.string().nullish(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .transform((w) => ({
    id: w.id,
    name: w.name,
    description: w.description ?? null,
    graph: w.nodes && w.edges ? { nodes: w.nodes, edges: w.edges } : undefined,
    scheduleType: w.schedule_type ?? null,
    scheduleValue: w.schedule_value ?? null,
    nextRunAt: w.next_run_at ?? null,
    isActive: w.is_active,
    webhookUrl: w.webhook_url ?? null,
    createdAt: w.created_at,
    updatedAt: w.updated_at,
  }));

export const workflowListSchema = z.array(workflowSchema);

const count = z.number().int().nonnegative();

export const runPageSchema = z
  .object({
    data: z.array(runSchema),
    meta: z.object({
      current_page: z.number().int().positive(),
      per_page: z.number().int().positive(),
      total: count,
    }),
  })
  .transform((p) => ({
    items: p.data,
    page: p.meta.current_page,
    perPage: p.meta.per_page,
    total: p.meta.total,
  }));

export type RunStatus = (typeof RUN_STATUSES)[number];
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];
export type LogRecord = z.output<typeof logSchema>;
export type RunRecord = z.output<typeof runSchema>;
export type WorkflowRecord = z.output<typeof workflowSchema>;
export type WorkflowGraphRecord = NonNullable<WorkflowRecord['graph']>;
export type GraphNodeRecord = WorkflowGraphRecord['nodes'][number];
export type GraphEdgeRecord = WorkflowGraphRecord['edges'][number];
/** One page of a workflow's runs, with the paginator facts pagination needs. */
export type RunPageRecord = z.output<typeof runPageSchema>;

/** A workflow known only by its id (a reference): its other fields are fetched when asked for. */
export interface WorkflowRef {
  id: string;
}
/** What a Workflow field resolver receives: a full or list record, or a reference. */
export type WorkflowParent = WorkflowRecord | WorkflowRef;

/** An execution known only by its id (a reference): its other fields are fetched when asked for. */
export interface RunRef {
  id: string;
}
/** What a WorkflowExecution field resolver receives. */
export type RunParent = RunRecord | RunRef;

/** Connections of records, as the list resolvers return them. */
export type RunEdgeRecord = Edge<RunRecord>;
export type WorkflowEdgeRecord = Edge<WorkflowRecord>;
export type WorkflowConnectionRecord = Connection<WorkflowRecord>;

// The rest of the Workflows API (docs/upstream.md, "The endpoints" #2 to #26): log lists and
// stats, vault items, authorizations, and the answers of validate, sync, test-node and the
// authorization flow. Each is read as tolerantly as the docs allow and no further.

/** GET /workflows/{id}/logs and /workflows/logs/recent: a plain array, in no documented order. */
export const logListSchema = z.array(logSchema);

/** `{"success": 3, "error": 1}` -> `[{status, count}]`, in the upstream's order; missing -> []. */
const statusCounts = z
  .record(z.string(), count)
  .nullish()
  .transform((counts) => Object.entries(counts ?? {}).map(([status, n]) => ({ status, count: n })));

/** GET /workflows/{id}/logs/stats, documented by the oldest revision only. */
export const statsSchema = z
  .object({
    log_statuses: statusCounts,
    recent_runs: statusCounts,
    total_runs: count,
    success_rate: z.number().nullish(),
  })
  .transform((s) => ({ logStatuses: s.log_statuses, recentRuns: s.recent_runs, totalRuns: s.total_runs, successRate: s.success_rate ?? null }));

/** POST /workflows/validate's 200 answer. */
export const validationSchema = z.object({ valid: z.boolean(), errors: z.array(z.string()).nullish() }).transform((v) => ({ valid: v.valid, errors: v.errors ?? [] }));

/**
 * GET /workflows/triggerable-workflows: at least `id` and `name`. A key left out stays absent
 * (not null), so the Workflow resolvers fetch what an item does not carry.
 */
export const triggerableListSchema = z.array(
  z
    .object({ id: z.string(), name: z.string(), description: z.string().nullish() })
    .transform((w) => ({ id: w.id, name: w.name, ...(w.description !== undefined && { description: w.description }) })),
);

const vaultItemObject = z.object({ id: z.string(), name: z.string(), created_at: timestamp, expires_at: timestamp.nullish() });
const vaultItemOf = (v: z.output<typeof vaultItemObject>) => ({ id: v.id, name: v.name, createdAt: v.created_at, expiresAt: v.expires_at ?? null });

/** A vault item: never a secret, whatever the answer holds (unknown keys are dropped). */
export const vaultItemSchema = vaultItemObject.transform(vaultItemOf);
export const vaultItemListSchema = z.array(vaultItemSchema);

/**
 * POST /workflows/vault: the item, and for an `api-key:` name the generated `wfk_...` key, shown
 * once under a property the docs do not name: `api_key`, else a `secret` that starts `wfk_`.
 */
export const createdVaultItemSchema = vaultItemObject
  .extend({ api_key: z.string().nullish(), secret: z.string().nullish() })
  .transform((v) => {
    const key = [v.api_key, v.secret].find((k) => typeof k === 'string' && k.startsWith('wfk_'));
    return { vaultItem: vaultItemOf(v), apiKey: key ?? null };
  });

/** An authorization; an older revision shows `email` instead of `provider` and `status`. */
export const authorizationSchema = z
  .object({
    id: z.string(),
    user_id: z.string().nullish(),
    provider: z.string().nullish(),
    status: z.string().nullish(),
    created_at: timestamp.nullish(),
  })
  .transform((a) => ({ id: a.id, userId: a.user_id ?? null, provider: a.provider ?? null, status: a.status ?? null, createdAt: a.created_at ?? null }));
export const authorizationListSchema = z.array(authorizationSchema);

/** POST /workflows/authorization: the login URL, under `url` (assumed: the docs name no property). */
export const authorizationStartSchema = z.object({ url: z.string().min(1) });

/** POST /workflows/test-node. */
export const nodeTestSchema = z.object({ status: z.string(), output: z.unknown() }).transform((t) => ({ status: t.status, output: t.output ?? null }));

/** POST /workflows/sync/{id}: the last node's output, any JSON; an empty body is null. */
export const syncOutputSchema = z.unknown().transform((output) => output ?? null);

/** A delete's answer: 204 with no body, or any 2xx body, which is not read. */
export const deletedSchema = z.unknown().transform(() => true as const);

export type LogListRecord = z.output<typeof logListSchema>;
export type StatsRecord = z.output<typeof statsSchema>;
export type StatusCountRecord = StatsRecord['logStatuses'][number];
export type ValidationRecord = z.output<typeof validationSchema>;
export type TriggerableWorkflowRecord = z.output<typeof triggerableListSchema>[number];
export type VaultItemRecord = z.output<typeof vaultItemSchema>;
export type CreatedVaultItemRecord = z.output<typeof createdVaultItemSchema>;
export type AuthorizationRecord = z.output<typeof authorizationSchema>;
export type NodeTestRecord = z.output<typeof nodeTestSchema>;
/** A vault item or authorization known only by its id (from `Query.node` asking for `id` alone). */
export interface VaultItemRef {
  id: string;
}
export type VaultItemParent = VaultItemRecord | VaultItemRef;
export type AuthorizationParent = AuthorizationRecord | { id: string };
/** A page of log entries, as Workflow.logs and Query.recentLogs return it. */
export type LogConnectionRecord = Omit<Connection<LogRecord>, 'totalCount'>;
export type LogEdgeRecord = Edge<LogRecord>;
