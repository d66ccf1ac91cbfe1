// The demo upstream's data: two organisations with their authorizations and vault items, six
// network-operations workflows (workflows.json) and a few hundred runs, in the upstream's own
// snake_case JSON.
// Everything comes from a seeded PRNG and a fixed "now" (2025-10-31T12:00:00Z), so every call to
// createSeed() holds the same ids, timestamps and statuses. A simulator then shifts every
// timestamp (shiftTimestamps) so that this "now" is the moment it started, and keeps the ids.
// `buildRun` is also what the simulator uses for runs made at run time, so they look like seeded ones.

import workflows from './workflows.json' with { type: 'json' };

export interface LogJson {
  id: string;
  node_id: string;
  component_id: string | null;
  status: string;
  output: unknown;
  created_at: string;
}

export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'awaiting_ui_interaction';

export interface RunJson {
  id: string;
  status: RunStatus;
  error_message: string | null;
  started_at: string | null;
  completed_at: string | null;
  duration_in_seconds: number | null;
  logs: LogJson[];
}

export interface NodeJson {
  id: string;
  type: string;
  position: { x: number; y: number };
  data: { componentId: string; [k: string]: unknown };
}

export interface EdgeJson {
  id: string;
  source: string;
  target: string;
  sourceHandle: string | null;
}

export interface WorkflowJson {
  id: string;
  name: string;
  description: string | null;
  nodes: NodeJson[];
  edges: EdgeJson[];
  schedule_type: 'manual' | 'interval' | 'cron' | 'daily' | 'weekly' | 'monthly' | null;
  schedule_value: string | null;
  next_run_at: string | null;
  is_active: boolean;
  webhook_url: string | null;
  created_at: string;
  updated_at: string;
}

export interface Organisation {
  id: string;
  name: string;
  token: string;
}

/** A vault item as every endpoint shows it: the secret is kept apart and never serialised. */
export interface VaultItemJson {
  id: string;
  name: string;
  created_at: string;
  expires_at: string | null;
}

export interface AuthorizationJson {
  id: string;
  user_id: string | null;
  provider: string | null;
  status: string;
  created_at: string;
}

export interface Seed {
  organisations: Organisation[];
  workflows: Array<{ orgId: string; workflow: WorkflowJson; runs: RunJson[] /* newest first */ }>;
  /** One authorization per organisation; every seeded workflow acts as its organisation's. */
  authorizations: Array<{ orgId: string; authorization: AuthorizationJson }>;
  vault: Array<{ orgId: string; item: VaultItemJson; secret: string }>;
}

// Fixed JWT-shaped bearer tokens (HS256 header, claims naming the user and organisation), so a
// developer can paste them into GraphiQL or curl. The signatures are not checked by anything.
export const DEMO_TOKENS = {
  acme: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2F1dGguYWx0b3N0cmF0LmlvIiwic3ViIjoidXNyXzAxamI0cTh4Mm03YzN2OWs1dDZuMXIwd2RlIiwib3JnX2lkIjoib3JnXzAxajhjMmY0YWNtM25ldHcwcmtzMDAwMDBhIiwibmFtZSI6IkRhbmEgV2hpdGZpZWxkIiwiaWF0IjoxNzYxODY4ODAwLCJleHAiOjE4OTM0NTYwMDB9.Rdg1DU8XMcpgnxdvMTMDNVP9wm7DzfoIjLQD2RsbJuE',
  globex: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2F1dGguYWx0b3N0cmF0LmlvIiwic3ViIjoidXNyXzAxamI1cjl5M244ZDR3MG02djdwMnMxeGZnIiwib3JnX2lkIjoib3JnXzAxajlkM2c1ZzEwYmV4MXNwMDAwMDAwMDAwYiIsIm5hbWUiOiJIYW5rIFNjb3JwaW8iLCJpYXQiOjE3NjE4Njg4MDAsImV4cCI6MTg5MzQ1NjAwMH0.SFbUzLMfMDVi85xMeglLxKmrorO4SD5M_zdxKq3u-YI',
  // Belongs to an organisation whose access is suspended: the simulator answers 403 to it.
  suspended: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2F1dGguYWx0b3N0cmF0LmlvIiwic3ViIjoidXNyXzAxamI2czB6NHA5ZTV4MW43dzhxM3QyeWdoIiwib3JnX2lkIjoib3JnXzAxamE3ZTZoMW4xdGVjaDAwMDAwMDAwMDAwYyIsIm5hbWUiOiJCaWxsIEx1bWJlcmdoIiwiaWF0IjoxNzYxODY4ODAwLCJleHAiOjE4OTM0NTYwMDB9.Ou3DtJM8owSr8_Ki1YE5K068FkxSVuGneKJTNcvHoRo',
} as const;

const ACME = { id: 'org_01j8c2f4acm3netw0rks00000a', name: 'Acme Networks', token: DEMO_TOKENS.acme };
const GLOBEX = { id: 'org_01j9d3g5g10bex1sp00000000b', name: 'Globex ISP', token: DEMO_TOKENS.globex };

/** The seed's "now": every seeded run starts before it; inserted runs start after it. */
export const SEED_NOW = Date.UTC(2025, 9, 31, 12, 0, 0);

const DAY = 24 * 60 * 60 * 1000;

export type Rng = () => number;

/** mulberry32: tiny, fast and good enough to make demo data look random yet repeat exactly. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

// Laravel serialises Carbon instants with microseconds; we only have milliseconds to give.
export const timestamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

// A ULID (48-bit time + 80 random bits, Crockford base32) in lowercase: ids sort like their
// timestamps, as Altostrat's do, and the alphabet has no '_' so a workflow id can never begin
// with `fl_run_` or `fl_log_`.
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
export function ulid(ms: number, rng: Rng): string {
  let time = '';
  for (let rest = Math.floor(ms), i = 0; i < 10; i++, rest = Math.floor(rest / 32)) time = CROCKFORD[rest % 32] + time;
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[Math.floor(rng() * 32)];
  return time + random;
}

// ---------------------------------------------------------------------------------------------
// Workflows: workflows.json holds each one's graph, its settings and the plan of its seeded runs.

interface NodeSpec {
  id: string;
  type: string;
  /** The node's column and row on the editor's canvas. */
  col: number;
  row?: number;
  data: NodeJson['data'];
}

/** When a workflow's seeded runs started, newest first, and how they ended. */
interface RunPlan {
  /** Runs given one by one; otherwise the instants of `at`, `every` and `gaps`, in that order. */
  runs?: Array<{ at: string; status: RunStatus }>;
  at?: string[];
  /** `count` instants going back from `newest` in steps of `stepMs`, each jittered by up to `jitterMs`. */
  every?: { newest: string; stepMs: number; count: number; jitterMs: number };
  /** `count` instants going back from `newest`, with gaps of `minMs` to `maxMs` between them. */
  gaps?: { newest: string; minMs: number; maxMs: number; count: number };
  /** The statuses of the newest runs, still in flight; the rest completed or (at `failRate`) failed. */
  inFlight?: RunStatus[];
  failRate?: number;
  /** Why the runs look as they do, for the reader of workflows.json. */
  note?: string;
}

interface Blueprint {
  org: 'acme' | 'globex';
  createdAt: string;
  updatedAt: string;
  /** Share of runs whose condition node takes the `true` branch. */
  conditionTrue: number;
  runs: RunPlan;
  workflow: Omit<WorkflowJson, 'id' | 'nodes' | 'edges' | 'created_at' | 'updated_at'> & {
    nodes: NodeSpec[];
    /** Source, target and, for a condition's branch, its handle. */
    edges: Array<[string, string] | [string, string, 'true' | 'false']>;
  };
}

// A JSON import types an array as an array, never as a tuple, so the edges need this cast.
const BLUEPRINTS = workflows as unknown as Blueprint[];
const ORGANISATIONS = { acme: ACME, globex: GLOBEX };

function graph({ nodes, edges }: Blueprint['workflow']): Pick<WorkflowJson, 'nodes' | 'edges'> {
  return {
    nodes: nodes.map(({ id, type, col, row = 0, data }) => ({ id, type, position: { x: 80 + col * 280, y: 200 + row * 160 }, data })),
    edges: edges.map(([source, target, handle]) => ({ id: `e_${source}_${target}`, source, target, sourceHandle: handle ?? null })),
  };
}

/** The plan's runs, newest first, drawing jitter, gaps and failures from `rng` in a fixed order. */
function plannedRuns(rng: Rng, plan: RunPlan): Array<{ at: number; status: RunStatus }> {
  if (plan.runs) return plan.runs.map(({ at, status }) => ({ at: Date.parse(at), status }));
  const times = (plan.at ?? []).map((at) => Date.parse(at));
  if (plan.every) {
    const { newest, stepMs, count, jitterMs } = plan.every;
    for (let i = 0; i < count; i++) times.push(Date.parse(newest) - i * stepMs + between(rng, 0, jitterMs));
  }
  if (plan.gaps) {
    const { newest, minMs, maxMs, count } = plan.gaps;
    for (let at = Date.parse(newest), i = 0; i < count; at -= between(rng, minMs, maxMs), i++) times.push(at);
  }
  const failRate = plan.failRate ?? 0;
  return times.map((at, i) => ({ at, status: plan.inFlight?.[i] ?? (rng() < failRate ? 'failed' : 'completed') }));
}

// ---------------------------------------------------------------------------------------------
// Runs

const COMPONENT_SECONDS: Record<string, [number, number]> = {
  http_request: [0.1, 2.5],
  webhook: [0.2, 1.5],
  router_command: [1, 8],
  send_email: [0.4, 2],
  slack_message: [0.2, 0.9],
  condition: [0, 0.05],
};

function failureMessage(node: NodeJson, rng: Rng): string {
  const data = node.data as Record<string, unknown>;
  const host = typeof data.url === 'string' ? new URL(data.url).host : 'upstream';
  switch (node.data.componentId) {
    case 'webhook':
      return pick(rng, ['Webhook request failed: 503 Service Unavailable', 'Webhook request failed: 504 Gateway Timeout']);
    case 'http_request':
      return pick(rng, [`HTTP request to ${host} failed: 502 Bad Gateway`, `HTTP request to ${host} failed: connect ETIMEDOUT`]);
    case 'router_command':
      return pick(rng, [`SSH command timed out after 30s on router ${String(data.router)}`, `Router ${String(data.router)} refused the SSH login: authentication failed`]);
    case 'send_email':
      return 'SMTP error: 421 Service not available, closing transmission channel';
    case 'slack_message':
      return pick(rng, ['Slack API error: channel_not_found', 'Slack API error: ratelimited']);
    case 'condition': {
      // The object holding the first non-trigger variable was missing, e.g. `site.vlan` for
      // `{{site.vlan.min}}`: the usual way a condition breaks when an upstream answer changes.
      const variable = [...String(data.expression).matchAll(/\{\{\s*([\w.]+)/g)].map((m) => m[1] ?? '').find((v) => !v.startsWith('trigger.')) ?? 'trigger';
      return `Condition evaluation error: undefined variable '${variable.split('.').slice(0, -1).join('.') || variable}'`;
    }
    default:
      return `Step ${node.id} failed`;
  }
}

function successOutput(node: NodeJson, rng: Rng, at: number, branch: boolean): unknown {
  const data = node.data as Record<string, unknown>;
  const url = typeof data.url === 'string' ? data.url : '';
  switch (node.data.componentId) {
    case 'schedule_trigger':
      return { fired_at: timestamp(at), schedule: data.interval ?? data.cron ?? data.time ?? null };
    case 'manual_trigger':
      return { triggered_by: 'dana.whitfield@acme-networks.net', inputs: { site_name: 'lisbon-02', router_serial: 'HE508RK9Q2T', wan_ip: '198.51.100.42' } };
    case 'webhook_trigger':
      return {
        payload: {
          order_id: `ord_${between(rng, 10000, 99999)}`,
          customer_id: `cus_${between(rng, 1000, 9999)}`,
          vlan_id: branch ? between(rng, 100, 3999) : between(rng, 4000, 4094),
          port: `sfp-sfpplus${between(rng, 1, 12)}`,
        },
      };
    case 'http_request':
      if (url.includes('/wan/')) {
        const site = pick(rng, ['branch-leeds', 'branch-porto', 'branch-gdansk', 'branch-austin']);
        return {
          status: 200,
          body: {
            site,
            site_contact: `${site.slice(7)}-it@acme-networks.net`,
            primary: { interface: 'ether1-fibre', state: branch ? 'down' : 'up', latency_ms: branch ? null : between(rng, 4, 28) },
            backup: { interface: 'lte1', state: 'up', latency_ms: between(rng, 35, 90) },
          },
        };
      }
      if (url.includes('/certificates')) {
        const expiring = branch
          ? [{ common_name: pick(rng, ['vpn.acme-networks.net', 'portal.acme-networks.net', 'radius.acme-networks.net']), not_after: timestamp(at + between(rng, 3, 29) * DAY) }]
          : [];
        return { status: 200, body: { checked: between(rng, 38, 44), expiring } };
      }
      if (url.includes('/usage')) {
        return { status: 200, body: { customers: between(rng, 1180, 1320), total_gb: between(rng, 410000, 520000), csv: 'https://billing.globex-isp.com/exports/usage.csv' } };
      }
      return { status: 201, body: { prefix: `10.${between(rng, 16, 31)}.${between(rng, 0, 255)}.0/24`, gateway: '10.20.7.1' } };
    case 'webhook':
      return url.includes('backup')
        ? { status: 200, body: { changed: branch, archive: `configs/${timestamp(at).slice(0, 10)}.tar.gz`, diff: branch ? '+/ip firewall filter add chain=forward ...' : '' } }
        : { status: 200, body: { message: 'ok' } };
    case 'router_command':
      return {
        router: data.router,
        exit_code: 0,
        stdout: String(data.command).startsWith('/export')
          ? `# ${timestamp(at).slice(0, 10)} by RouterOS 7.16.1\n/interface bridge\nadd name=bridge-lan\n...`
          : String(data.command).includes('bgp')
            ? `0 E name="uplink-1" remote.address=203.0.113.1 .as=64512 state=${branch ? 'established' : 'active'}`
            : '',
      };
    case 'send_email':
      return { message_id: `<${ulid(at, rng)}@mail.altostrat.io>`, accepted: (data.to as string[]).filter((to) => !to.includes('{{')) };
    case 'slack_message':
      return { ok: true, channel: data.channel, ts: `${Math.floor(at / 1000)}.${String(between(rng, 0, 999999)).padStart(6, '0')}` };
    case 'delay':
      return { waited_seconds: data.seconds };
    case 'condition':
      return { result: branch, expression: data.expression };
    default:
      // Workflows created at run time may use any component: say which step answered.
      return { ok: true, node_id: node.id, component_id: node.data.componentId };
  }
}

/** The nodes a run visits, in the workflow's node order, each marked run or skipped. */
function route(workflow: WorkflowJson, branch: boolean): Array<{ node: NodeJson; skipped: boolean }> {
  const taken = new Set<string>();
  const queue = workflow.nodes.filter((n) => n.type === 'trigger').map((n) => n.id);
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    if (taken.has(id)) continue;
    taken.add(id);
    for (const edge of workflow.edges) {
      if (edge.source === id && (edge.sourceHandle === null || edge.sourceHandle === String(branch))) queue.push(edge.target);
    }
  }
  return workflow.nodes.map((node) => ({ node, skipped: !taken.has(node.id) }));
}

/**
 * One run of `workflow` started at `startedAt`: a log per node walked (untaken branches are
 * `skipped`); a failed run stops at its failing step, a run still in flight after a few steps.
 */
export function buildRun(workflow: WorkflowJson, startedAt: number, status: RunStatus, rng: Rng, conditionTrue = 0.5, failAt?: string): RunJson {
  const branch = rng() < conditionTrue;
  const steps = route(workflow, branch);
  const runnable = steps.filter((s) => !s.skipped && s.node.type !== 'trigger');
  // `failAt` names the step a failed run breaks at when it is on the route taken; otherwise one is drawn.
  const failing = status === 'failed' && runnable.length > 0 ? (runnable.find((s) => s.node.id === failAt) ?? pick(rng, runnable)).node : undefined;
  // A run still in flight has done at least its trigger and has at least one step left to do.
  const inFlightAfter = status === 'pending' ? 1 : between(rng, 1, runnable.length);

  const finished = status === 'completed' || status === 'failed';
  const logs: LogJson[] = [];
  let done = 0;
  let at = startedAt + between(rng, 5, 60);
  for (const { node, skipped } of steps) {
    if (!finished && done >= inFlightAfter) break;
    if (!skipped) done++;
    const failed = node === failing;
    if (!skipped) {
      const [min, max] = COMPONENT_SECONDS[node.data.componentId] ?? [0, 0.05];
      const seconds = node.data.componentId === 'delay' ? Number(node.data.seconds) : failed && node.data.componentId === 'router_command' ? 30 : min + rng() * (max - min);
      at += Math.round(seconds * 1000);
    }
    logs.push({
      id: `fl_log_${ulid(at, rng)}`,
      node_id: node.id,
      component_id: node.data.componentId,
      status: skipped ? 'skipped' : failed ? 'error' : 'success',
      output: skipped ? null : failed ? { error: failureMessage(node, rng) } : successOutput(node, rng, at, branch),
      created_at: timestamp(at),
    });
    if (failed) break;
  }

  const completedAt = at + between(rng, 20, 400);
  const lastOutput = logs[logs.length - 1]?.output as { error?: string } | null | undefined;
  return {
    id: `fl_run_${ulid(startedAt, rng)}`,
    status,
    error_message: status === 'failed' ? (lastOutput?.error ?? null) : null,
    started_at: timestamp(startedAt),
    completed_at: finished ? timestamp(completedAt) : null,
    duration_in_seconds: finished ? Math.round((completedAt - startedAt) / 1000) : null,
    logs,
  };
}

export function createSeed(): Seed {
  const rng = createRng(0x5eed);
  return {
    organisations: [{ ...ACME }, { ...GLOBEX }],
    workflows: BLUEPRINTS.map((blueprint) => {
      const createdAt = Date.parse(blueprint.createdAt);
      const spec = structuredClone(blueprint.workflow);
      const workflow: WorkflowJson = {
        id: `fl_${ulid(createdAt, rng)}`,
        ...spec,
        ...graph(spec),
        created_at: timestamp(createdAt),
        updated_at: timestamp(Date.parse(blueprint.updatedAt)),
      };
      const runs = plannedRuns(rng, blueprint.runs).map(({ at, status }) => buildRun(workflow, at, status, rng, blueprint.conditionTrue));
      return { orgId: ORGANISATIONS[blueprint.org].id, workflow, runs };
    }),
    ...createAccounts(),
  };
}

// Authorizations and vault items come from their own stream, so adding them left every workflow,
// run and log id above as it was.
function createAccounts(): Pick<Seed, 'authorizations' | 'vault'> {
  const rng = createRng(0xa117);
  const authorization = (org: Organisation, at: number, userId: string): Seed['authorizations'][number] => ({
    orgId: org.id,
    authorization: { id: `auth_${ulid(at, rng)}`, user_id: userId, provider: 'altostrat', status: 'active', created_at: timestamp(at) },
  });
  const item = (org: Organisation, at: number, name: string, expiresAt: number | null): Seed['vault'][number] => ({
    orgId: org.id,
    item: { id: `vlt_${ulid(at, rng)}`, name, created_at: timestamp(at), expires_at: expiresAt === null ? null : timestamp(expiresAt) },
    secret: `demo-secret-${ulid(at, rng)}`,
  });
  return {
    authorizations: [
      authorization(ACME, Date.UTC(2025, 0, 14, 10, 2, 11), 'usr_01jb4q8x2m7c3v9k5t6n1r0wde'),
      authorization(GLOBEX, Date.UTC(2025, 0, 19, 16, 40, 3), 'usr_01jb5r9y3n8d4w0m6v7p2s1xfg'),
    ],
    vault: [
      item(ACME, Date.UTC(2025, 1, 3, 9, 5, 0), 'slack-bot-token', null),
      item(ACME, Date.UTC(2025, 6, 21, 14, 12, 30), 'backup-vault-hook', Date.UTC(2026, 6, 21, 0, 0, 0)),
      item(GLOBEX, Date.UTC(2025, 4, 6, 8, 40, 0), 'crm-api-token', null),
    ],
  };
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * Moves every timestamp in `value` (workflows, runs, logs, outputs) by `offsetMs`, in place. Ids
 * keep the seed epoch they were made with: they only have to be stable and sort like their runs.
 */
export function shiftTimestamps<T>(value: T, offsetMs: number): T {
  const pending: unknown[] = [value];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next !== 'object' || next === null) continue;
    const record = next as Record<string, unknown>;
    for (const [key, field] of Object.entries(record)) {
      if (typeof field === 'string' && TIMESTAMP.test(field)) record[key] = timestamp(Date.parse(field) + offsetMs);
      else if (typeof field === 'object' && field !== null) pending.push(field);
    }
  }
  return value;
}
