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
