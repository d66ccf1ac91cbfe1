/**
 * Run-time schemas of the upstream's JSON (docs/upstream.md, "Objects" and "The run list") and the
 * camelCase record types they produce. This is the only place that knows
 * Altostrat's snake_case: every body is parsed here once, so a resolver never meets an unchecked
 * shape. Unknown keys are dropped; a missing or mistyped key fails the parse (UPSTREAM_ERROR),
 * but for the nullable leaves read with `lenient`, which fail their field alone.
 */
import { z } from 'zod';
import type { Connection, Edge } from '../pagination/plan.js';
import { isIdOf, type IdKind } from './ids.js';

// RFC 3339 with any fraction of a second: Altostrat sends both `...00.000000Z` and `...56Z`.
const timestamp = z.iso.datetime({ offset: true });
const DATETIME = z.core.regexes.datetime({ offset: true, local: false, precision: null });

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'awaiting_ui_interaction'] as const;
export const SCHEDULE_TYPES = ['manual', 'interval', 'cron', 'daily', 'weekly', 'monthly'] as const;

/**
 * A record's one parser: the upstream's JSON in, the camelCase record out, or `RecordRefused` at
 * the first value of the wrong shape (the client answers UPSTREAM_ERROR).
 */
export type Reader<T> = (body: unknown) => T;

export class RecordRefused extends Error {
  override name = 'RecordRefused';
}
const refuse = (): never => {
  throw new RecordRefused('unexpected shape');
};

// The hot records (a run page, a run, its logs, a workflow) are read by hand rather than by zod:
// one pass checks each key's type and builds the camelCase record, with no intermediate copy.
// Every query reads dozens of them. The rules are the same as for the others: a missing or
// mistyped key refuses the whole body (but a `lenient` leaf), unknown keys are dropped, numbers
// are finite, a nullable key takes null or absent, an optional one absent only.

type Fields = Record<string, unknown>;
const object = (v: unknown): Fields => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Fields) : refuse());
const string = (v: unknown): string => (typeof v === 'string' ? v : refuse());
const number = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : refuse());
/** The most a GraphQL `Int` holds (32 bits, signed): a count past it could not be relayed. */
const MAX_INT = 2 ** 31 - 1;
const wholeNumber = (v: unknown, least: number): number => (Number.isInteger(v) && (v as number) >= least && (v as number) <= MAX_INT ? (v as number) : refuse());
const boolean = (v: unknown): boolean => (typeof v === 'boolean' ? v : refuse());
/** An id the gateway calls Altostrat with later must have its kind's shape (docs/upstream.md, "Ids"). */
const idOf =
  (kind: IdKind) =>
  (v: unknown): string =>
    isIdOf(kind, v) ? (v as string) : refuse();
const runId = idOf('run');
const workflowId = idOf('workflow');
/** An RFC 3339 time, to at most nanoseconds: the log lists' keyset (pagination/keyset.ts) orders by them. */
export const isInstant = (v: unknown): v is string => typeof v === 'string' && DATETIME.test(v) && !/\.\d{10}/.test(v);
const instant = (v: unknown): string => (isInstant(v) ? v : refuse());
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: unknown): T =>
    values.includes(v as T) ? (v as T) : refuse();
/** A nullable key: null when null or absent, else read. */
const orNull =
  <T>(read: (v: unknown) => T) =>
  (v: unknown): T | null =>
    v === null || v === undefined ? null : read(v);
const listOf = <T>(v: unknown, read: (item: unknown) => T): T[] => (Array.isArray(v) ? v.map((item) => read(item)) : refuse());

/**
 * A nullable leaf that only GraphQL's serialisation reads (no resolver computes with it): a value
 * of another type than expected is kept as Altostrat sent it instead of refusing the whole body,
 * so that serialising it fails that one field (UPSTREAM_ERROR, server.ts) and the rest of the
 * object, and of the page or list it is in, still arrives. A schedule type Altostrat added, or a
 * decimal sent as a string (`"3.50"`, which GraphQL's Float reads), costs one field, not a page.
 * Typed as the expected value: nothing but serialisation reads it (and the text of a live run's
 * change, watch.ts, which takes any JSON).
 */
const lenient =
  <T>(read: (v: unknown) => T) =>
  (v: unknown): T => {
    try {
      return read(v);
    } catch (error) {
      if (error instanceof RecordRefused) return v as T;
      throw error;
    }
  };

/** The schema's fields whose records' values are read with `lenient`: server.ts fails each alone when its type cannot serialise it. */
export const LENIENT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Workflow: ['description', 'scheduleType', 'scheduleValue', 'nextRunAt', 'webhookUrl'],
  WorkflowExecution: ['errorMessage', 'startedAt', 'completedAt', 'durationInSeconds'],
  WorkflowExecutionLog: ['componentId'],
  WorkflowGraphEdge: ['sourceHandle'],
  WorkflowStats: ['successRate'],
  VaultItem: ['expiresAt'],
  CreateVaultItemPayload: ['apiKey'],
  WorkflowAuthorization: ['userId', 'provider', 'status', 'createdAt'],
};

const nullableString = orNull(string);
const runStatus = oneOf(RUN_STATUSES);
const leafString = lenient(nullableString);
const leafNumber = lenient(orNull(number));
const leafInstant = lenient(orNull(instant));
const leafScheduleType = lenient(orNull(oneOf(SCHEDULE_TYPES)));
/** The same leaves inside a zod schema: any value, the key absent included, read as above. */
const zodLeaf = <T>(read: (v: unknown) => T) => z.unknown().optional().transform((v) => read(v));

/** The tolerant records, read by a zod schema, behind the same Reader type. */
function fromZod<S extends z.ZodType>(schema: S): Reader<z.output<S>> {
  return (body) => {
    const parsed = schema.safeParse(body);
    return parsed.success ? parsed.data : refuse();
  };
}

export interface LogRecord {
  id: string;
  nodeId: string;
  componentId: string | null;
  status: string;
  output: unknown;
  createdAt: string;
}

function readLog(value: unknown): LogRecord {
  const l = object(value);
  return {
    id: string(l.id),
    nodeId: string(l.node_id),
    componentId: leafString(l.component_id),
    status: string(l.status),
    // Any JSON, null included, but the key must be there.
    output: l.output === undefined ? refuse() : l.output,
    createdAt: instant(l.created_at),
  };
}

export interface RunRecord {
  id: string;
  status: RunStatus;
  errorMessage: string | null;
  startedAt: string | null;
  completedAt: string | null;
  durationInSeconds: number | null;
  logs: LogRecord[] | undefined;
  /** Known from an embedded workflow, or set by the client for a run read from a workflow's list. */
  workflowId: string | null;
}

export function readRun(value: unknown): RunRecord {
  const r = object(value);
  return {
    id: runId(r.id),
    status: runStatus(r.status),
    errorMessage: leafString(r.error_message),
    startedAt: leafInstant(r.started_at),
    completedAt: leafInstant(r.completed_at),
    durationInSeconds: leafNumber(r.duration_in_seconds),
    logs: r.logs === undefined ? undefined : listOf(r.logs, readLog),
    // Older revisions of the reference embed the workflow in a single run.
    workflowId: r.workflow === null || r.workflow === undefined ? null : workflowId(object(r.workflow).id),
  };
}

/** Rerun and resume answer `{message, new_run}`. */
export const readNewRun: Reader<{ newRun: RunRecord }> = (value) => ({ newRun: readRun(object(value).new_run) });

export interface GraphNodeRecord {
  id: string;
  type: string;
  position: { x: number; y: number };
  data: Record<string, unknown>;
  /** Altostrat keeps a node's component inside its free-form `data`. */
  componentId: string | null;
}

function readGraphNode(value: unknown): GraphNodeRecord {
  const n = object(value);
  const position = object(n.position);
  const data = object(n.data);
  return {
    id: string(n.id),
    type: string(n.type),
    position: { x: number(position.x), y: number(position.y) },
    data,
    componentId: typeof data.componentId === 'string' ? data.componentId : null,
  };
}

export interface GraphEdgeRecord {
  id: string;
  source: string;
  target: string;
  sourceHandle: string | null;
}

function readGraphEdge(value: unknown): GraphEdgeRecord {
  const e = object(value);
  return { id: string(e.id), source: string(e.source), target: string(e.target), sourceHandle: leafString(e.sourceHandle) };
}

export interface WorkflowGraphRecord {
  nodes: GraphNodeRecord[];
  edges: GraphEdgeRecord[];
}

export interface WorkflowRecord {
  id: string;
  name: string;
  description: string | null;
  graph: WorkflowGraphRecord | undefined;
  scheduleType: ScheduleType | null;
  scheduleValue: string | null;
  nextRunAt: string | null;
  isActive: boolean;
  webhookUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

export function readWorkflow(value: unknown): WorkflowRecord {
  const w = object(value);
  // The list endpoint may leave the graph out; a single workflow carries it.
  const nodes = w.nodes === undefined ? undefined : listOf(w.nodes, readGraphNode);
  const edges = w.edges === undefined ? undefined : listOf(w.edges, readGraphEdge);
  return {
    id: workflowId(w.id),
    name: string(w.name),
    description: leafString(w.description),
    graph: nodes && edges ? { nodes, edges } : undefined,
    scheduleType: leafScheduleType(w.schedule_type),
    scheduleValue: leafString(w.schedule_value),
    nextRunAt: leafInstant(w.next_run_at),
    isActive: boolean(w.is_active),
    webhookUrl: leafString(w.webhook_url),
    createdAt: instant(w.created_at),
    updatedAt: instant(w.updated_at),
  };
}

export const readWorkflowList: Reader<WorkflowRecord[]> = (value) => listOf(value, readWorkflow);

/** One page of a workflow's runs, with the paginator facts pagination needs. */
export interface RunPageRecord {
  items: RunRecord[];
  page: number;
  perPage: number;
  total: number;
}

export const readRunPage: Reader<RunPageRecord> = (value) => {
  const p = object(value);
  const meta = object(p.meta);
  return {
    items: listOf(p.data, readRun),
    page: wholeNumber(meta.current_page, 1),
    perPage: wholeNumber(meta.per_page, 1),
    total: wholeNumber(meta.total, 0),
  };
};

const count = z.number().int().nonnegative().max(MAX_INT);

export type RunStatus = (typeof RUN_STATUSES)[number];
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

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

// Log lists and stats, vault items, authorizations, and the answers of validate, sync, test-node
// and the authorization flow (docs/upstream.md, "The endpoints"). Each is read as tolerantly as
// the docs allow and no further.

/** GET /workflows/{id}/logs and /workflows/logs/recent: a plain array, in no documented order. */
export const readLogList: Reader<LogRecord[]> = (value) => listOf(value, readLog);

/** `{"success": 3, "error": 1}` -> `[{status, count}]`, in the upstream's order; missing -> []. */
const statusCounts = z
  .record(z.string(), count)
  .nullish()
  .transform((counts) => Object.entries(counts ?? {}).map(([status, n]) => ({ status, count: n })));

/** GET /workflows/{id}/logs/stats, documented by the oldest revision only. */
const statsSchema = z
  .object({
    log_statuses: statusCounts,
    recent_runs: statusCounts,
    total_runs: count,
    success_rate: zodLeaf(leafNumber),
  })
  .transform((s) => ({ logStatuses: s.log_statuses, recentRuns: s.recent_runs, totalRuns: s.total_runs, successRate: s.success_rate }));

/** POST /workflows/validate's 200 answer. */
const validationSchema = z.object({ valid: z.boolean(), errors: z.array(z.string()).nullish() }).transform((v) => ({ valid: v.valid, errors: v.errors ?? [] }));

/**
 * GET /workflows/triggerable-workflows: at least `id` and `name`. A key left out stays absent
 * (not null), so the Workflow resolvers fetch what an item does not carry.
 */
const triggerableListSchema = z.array(
  z
    .object({ id: zodLeaf(workflowId), name: z.string(), description: z.unknown().optional() })
    .transform((w) => ({ id: w.id, name: w.name, ...(w.description !== undefined && { description: leafString(w.description) }) })),
);

const vaultItemObject = z.object({ id: zodLeaf(idOf('vault')), name: z.string(), created_at: timestamp, expires_at: zodLeaf(leafInstant) });
const vaultItemOf = (v: z.output<typeof vaultItemObject>) => ({ id: v.id, name: v.name, createdAt: v.created_at, expiresAt: v.expires_at });

/** A vault item: never a secret, whatever the answer holds (unknown keys are dropped). */
const vaultItemSchema = vaultItemObject.transform(vaultItemOf);


/**
 * POST /workflows/vault: the item, and for an `api-key:` name the generated `wfk_...` key, shown
 * once under a property the docs do not name: `api_key`, else a `secret` that starts `wfk_`.
 */
const createdVaultItemSchema = vaultItemObject
  .extend({ api_key: z.unknown().optional(), secret: z.unknown().optional() })
  .transform((v) => {
    const key = [v.api_key, v.secret].find((k): k is string => typeof k === 'string' && k.startsWith('wfk_'));
    // An `api_key` that is no text is kept, for `apiKey` alone to fail (a `secret` that is none is not the key).
    return { vaultItem: vaultItemOf(v), apiKey: key ?? (typeof v.api_key === 'string' ? null : leafString(v.api_key)) };
  });

/** An authorization; an older revision shows `email` instead of `provider` and `status`. */
const authorizationSchema = z
  .object({
    id: zodLeaf(idOf('authorization')),
    user_id: zodLeaf(leafString),
    provider: zodLeaf(leafString),
    status: zodLeaf(leafString),
    created_at: zodLeaf(leafInstant),
  })
  .transform((a) => ({ id: a.id, userId: a.user_id, provider: a.provider, status: a.status, createdAt: a.created_at }));


/** POST /workflows/authorization: the login URL, under `url` (assumed: the docs name no property). */
const authorizationStartSchema = z.object({ url: z.string().min(1) });

/** POST /workflows/test-node. */
const nodeTestSchema = z.object({ status: z.string(), output: z.unknown() }).transform((t) => ({ status: t.status, output: t.output ?? null }));

/** POST /workflows/sync/{id}: the last node's output, any JSON; an empty body or `null` is a null output (unlike a 404). */
const syncOutputSchema = z.unknown().transform((output) => ({ output: output ?? null }));

/** A delete's answer: 204 with no body, or any 2xx body, which is not read. */
const deletedSchema = z.unknown().transform(() => true as const);

export const readStats = fromZod(statsSchema);
export const readValidation = fromZod(validationSchema);
export const readTriggerableList = fromZod(triggerableListSchema);
export const readVaultItem = fromZod(vaultItemSchema);
export const readVaultItemList = fromZod(z.array(vaultItemSchema));
export const readCreatedVaultItem = fromZod(createdVaultItemSchema);
export const readAuthorizationList = fromZod(z.array(authorizationSchema));
export const readAuthorizationStart = fromZod(authorizationStartSchema);
export const readNodeTest = fromZod(nodeTestSchema);
export const readSyncOutput = fromZod(syncOutputSchema);
export const readDeleted = fromZod(deletedSchema);

export type LogListRecord = LogRecord[];
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
export type LogConnectionRecord = Connection<LogRecord>;
export type LogEdgeRecord = Edge<LogRecord>;
