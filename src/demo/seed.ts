// The demo upstream's data: two organisations with their authorizations and vault items, six
// network-operations workflows and a few hundred runs, in the upstream's own snake_case JSON.
// Everything comes from a seeded PRNG and a fixed "now" (2025-10-31T12:00:00Z), so every call to
// createSeed() holds the same ids, timestamps and statuses. A simulator then shifts every
// timestamp (shiftTimestamps) so that this "now" is the moment it started, and keeps the ids.
// `buildRun` is also what the simulator uses for runs made at run time, so they look like seeded ones.

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

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

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
// Workflow graphs

type Handle = 'true' | 'false';
interface NodeSpec {
  id: string;
  type: string;
  col: number;
  row?: number;
  data: NodeJson['data'];
}

const node = (id: string, type: string, col: number, data: NodeJson['data'], row = 0): NodeSpec => ({ id, type, col, row, data });

function graph(nodes: NodeSpec[], edges: Array<[string, string, Handle?]>): Pick<WorkflowJson, 'nodes' | 'edges'> {
  return {
    nodes: nodes.map(({ id, type, col, row = 0, data }) => ({
      id,
      type,
      position: { x: 80 + col * 280, y: 200 + row * 160 },
      data,
    })),
    edges: edges.map(([source, target, handle]) => ({
      id: `e_${source}_${target}`,
      source,
      target,
      sourceHandle: handle ?? null,
    })),
  };
}

interface PlannedRun {
  at: number;
  status: RunStatus;
}

interface Blueprint {
  org: Organisation;
  createdAt: number;
  updatedAt: number;
  workflow: Omit<WorkflowJson, 'id' | 'created_at' | 'updated_at'>;
  /** Share of runs whose condition node takes the `true` branch. */
  conditionTrue: number;
  /** Newest first. */
  plan: (rng: Rng) => PlannedRun[];
}

/** Runs at the given instants, newest first: the first few still in flight, the rest finished. */
function history(rng: Rng, times: number[], inFlight: RunStatus[], failRate: number): PlannedRun[] {
  return times.map((at, i) => ({ at, status: inFlight[i] ?? (rng() < failRate ? 'failed' : 'completed') }));
}

/** `count` instants going back from `newest` in steps of `step`, each jittered by up to `jitter`. */
function every(rng: Rng, newest: number, step: number, count: number, jitter: number): number[] {
  return Array.from({ length: count }, (_, i) => newest - i * step + between(rng, 0, jitter));
}

const BLUEPRINTS: Blueprint[] = [
  {
    org: ACME,
    createdAt: Date.UTC(2025, 1, 3, 9, 12, 44),
    updatedAt: Date.UTC(2025, 9, 14, 16, 2, 9),
    conditionTrue: 0.08,
    plan: (rng) => history(rng, every(rng, SEED_NOW - 5 * MINUTE, 5 * MINUTE, 237, 900), ['running'], 0.04),
    workflow: {
      name: 'WAN failover alert',
      description:
        'Polls the WAN status of every branch router every five minutes and alerts the NOC when a primary uplink has failed over to the LTE backup.',
      ...graph(
        [
          node('n1', 'trigger', 0, { componentId: 'schedule_trigger', label: 'Every 5 minutes', interval: '5 minutes' }),
          node('n2', 'action', 1, {
            componentId: 'http_request',
            label: 'Fetch WAN status',
            method: 'GET',
            url: 'https://monitor.acme-networks.net/api/v2/wan/status?scope=branches',
            headers: { Accept: 'application/json' },
            timeoutSeconds: 10,
          }),
          node('n3', 'condition', 2, {
            componentId: 'condition',
            label: 'Primary uplink down?',
            expression: "{{n2.body.primary.state}} == 'down'",
          }),
          node('n4', 'action', 3, {
            componentId: 'slack_message',
            label: 'Page the NOC',
            channel: '#noc-alerts',
            message:
              ':rotating_light: WAN failover at {{n2.body.site}}: {{n2.body.primary.interface}} is down, traffic is on {{n2.body.backup.interface}}',
          }),
          node('n5', 'action', 4, {
            componentId: 'send_email',
            label: 'Email the site contact',
            to: ['noc@acme-networks.net', '{{n2.body.site_contact}}'],
            subject: 'WAN failover at {{n2.body.site}}',
            template: 'The primary uplink at {{n2.body.site}} went down at {{trigger.fired_at}}. Traffic now runs over LTE.',
          }),
        ],
        [
          ['n1', 'n2'],
          ['n2', 'n3'],
          ['n3', 'n4', 'true'],
          ['n4', 'n5'],
        ],
      ),
      schedule_type: 'interval',
      schedule_value: '5 minutes',
      next_run_at: timestamp(SEED_NOW),
      is_active: true,
      webhook_url: null,
    },
  },
  {
    org: ACME,
    createdAt: Date.UTC(2025, 6, 21, 14, 30, 5),
    updatedAt: Date.UTC(2025, 7, 2, 10, 45, 51),
    conditionTrue: 0.15,
    plan: (rng) => history(rng, every(rng, Date.UTC(2025, 9, 31, 2, 0, 0), DAY, 96, 2000), [], 0.08),
    workflow: {
      name: 'Nightly config backup',
      description: 'Exports the running configuration of both core routers every night and archives it in the backup vault.',
      ...graph(
        [
          node('n1', 'trigger', 0, { componentId: 'schedule_trigger', label: 'Every night at 02:00', cron: '0 2 * * *', timezone: 'UTC' }),
          node('n2', 'action', 1, { componentId: 'router_command', label: 'Export core-rtr-01', router: 'core-rtr-01', command: '/export terse' }),
          node('n3', 'action', 2, { componentId: 'router_command', label: 'Export core-rtr-02', router: 'core-rtr-02', command: '/export terse' }),
          node('n4', 'action', 3, {
            componentId: 'webhook',
            label: 'Archive in backup vault',
            method: 'POST',
            url: 'https://backup.acme-networks.net/hooks/config-archive',
            payload: { 'core-rtr-01': '{{n2.stdout}}', 'core-rtr-02': '{{n3.stdout}}' },
          }),
          node('n5', 'condition', 4, { componentId: 'condition', label: 'Configuration changed?', expression: '{{n4.body.changed}} == true' }),
          node('n6', 'action', 5, {
            componentId: 'send_email',
            label: 'Send the diff',
            to: ['netops@acme-networks.net'],
            subject: 'Router configuration changed overnight',
            template: '{{n4.body.diff}}',
          }),
        ],
        [
          ['n1', 'n2'],
          ['n2', 'n3'],
          ['n3', 'n4'],
          ['n4', 'n5'],
          ['n5', 'n6', 'true'],
        ],
      ),
      schedule_type: 'cron',
      schedule_value: '0 2 * * *',
      next_run_at: timestamp(Date.UTC(2025, 10, 1, 2, 0, 0)),
      is_active: true,
      webhook_url: null,
    },
  },
  {
    org: ACME,
    createdAt: Date.UTC(2025, 0, 15, 11, 3, 27),
    updatedAt: Date.UTC(2025, 0, 15, 11, 3, 27),
    conditionTrue: 0.25,
    // 40 Monday runs plus one started by hand a minute ago that is still queued.
    plan: (rng) =>
      history(rng, [SEED_NOW - 79 * SECOND, ...every(rng, Date.UTC(2025, 9, 27, 8, 0, 0), WEEK, 40, 1500)], ['pending'], 0.05),
    workflow: {
      name: 'Certificate expiry check',
      description: 'Lists the TLS certificates on VPN concentrators and management portals and warns before any of them expires.',
      ...graph(
        [
          node('n1', 'trigger', 0, { componentId: 'schedule_trigger', label: 'Mondays at 08:00', day: 'monday', time: '08:00' }),
          node('n2', 'action', 1, {
            componentId: 'http_request',
            label: 'List certificates',
            method: 'GET',
            url: 'https://certs.acme-networks.net/api/certificates?expires_within=30d',
            headers: { Accept: 'application/json' },
            timeoutSeconds: 15,
          }),
          node('n3', 'condition', 2, { componentId: 'condition', label: 'Anything expiring?', expression: '{{n2.body.expiring | length}} > 0' }),
          node('n4', 'action', 3, {
            componentId: 'send_email',
            label: 'Warn security',
            to: ['security@acme-networks.net'],
            subject: '{{n2.body.expiring | length}} certificate(s) expire within 30 days',
            template: '{{#each n2.body.expiring}}{{common_name}} expires on {{not_after}}\n{{/each}}',
          }),
          node(
            'n5',
            'action',
            3,
            { componentId: 'slack_message', label: 'All clear', channel: '#netops', message: 'Certificate check passed: nothing expires within 30 days.' },
            1,
          ),
        ],
        [
          ['n1', 'n2'],
          ['n2', 'n3'],
          ['n3', 'n4', 'true'],
          ['n3', 'n5', 'false'],
        ],
      ),
      schedule_type: 'weekly',
      schedule_value: 'monday 08:00',
      next_run_at: timestamp(Date.UTC(2025, 10, 3, 8, 0, 0)),
      is_active: true,
      webhook_url: null,
    },
  },
  {
    org: ACME,
    createdAt: Date.UTC(2025, 9, 29, 15, 20, 11),
    updatedAt: Date.UTC(2025, 9, 30, 9, 41, 37),
    conditionTrue: 0.8,
    plan: () => [],
    workflow: {
      name: 'Onboard new site',
      description: 'Allocates a prefix for a new branch, pushes the base configuration to its edge router and announces it once BGP is up.',
      ...graph(
        [
          node('n1', 'trigger', 0, { componentId: 'manual_trigger', label: 'Started by an engineer', inputs: ['site_name', 'router_serial', 'wan_ip'] }),
          node('n2', 'action', 1, {
            componentId: 'http_request',
            label: 'Allocate a /24',
            method: 'POST',
            url: 'https://ipam.acme-networks.net/api/prefixes/allocate',
            body: { site: '{{trigger.site_name}}', prefix_length: 24, pool: 'branches' },
          }),
          node('n3', 'action', 2, {
            componentId: 'router_command',
            label: 'Push base configuration',
            router: '{{trigger.router_serial}}',
            command:
              '/system identity set name={{trigger.site_name}}-edge; /ip address add address={{n2.body.gateway}}/24 interface=bridge-lan; /routing bgp session print',
          }),
          node('n4', 'condition', 3, { componentId: 'condition', label: 'BGP established?', expression: "{{n3.stdout}} contains 'established'" }),
          node('n5', 'action', 4, { componentId: 'slack_message', label: 'Announce', channel: '#site-rollouts', message: 'Site {{trigger.site_name}} is live on {{n2.body.prefix}}' }),
          node(
            'n6',
            'action',
            4,
            { componentId: 'send_email', label: 'Ask for help', to: ['netops@acme-networks.net'], subject: 'Onboarding {{trigger.site_name}}: BGP did not come up' },
            1,
          ),
        ],
        [
          ['n1', 'n2'],
          ['n2', 'n3'],
          ['n3', 'n4'],
          ['n4', 'n5', 'true'],
          ['n4', 'n6', 'false'],
        ],
      ),
      schedule_type: 'manual',
      schedule_value: null,
      next_run_at: null,
      is_active: true,
      webhook_url: null,
    },
  },
  {
    org: GLOBEX,
    createdAt: Date.UTC(2025, 4, 6, 8, 55, 0),
    updatedAt: Date.UTC(2025, 8, 18, 13, 17, 42),
    conditionTrue: 0.9,
    // Orders arrive whenever the CRM sends them: irregular gaps of two hours to four days.
    plan: (rng) => {
      const times: number[] = [];
      for (let at = SEED_NOW - 95 * SECOND; times.length < 58; at -= between(rng, 2 * HOUR, 4 * DAY)) times.push(at);
      return history(rng, times, ['running', 'awaiting_ui_interaction'], 0.1);
    },
    workflow: {
      name: 'Provision customer VLAN',
      description: 'Creates the customer VLAN on the provider edge router when the CRM confirms an order, then reports back to the CRM.',
      ...graph(
        [
          node('n1', 'trigger', 0, { componentId: 'webhook_trigger', label: 'CRM order confirmed', expects: ['order_id', 'customer_id', 'vlan_id', 'port'] }),
          node('n2', 'condition', 1, {
            componentId: 'condition',
            label: 'VLAN id in customer range?',
            expression: '{{trigger.vlan_id}} >= {{site.vlan.min}} && {{trigger.vlan_id}} <= {{site.vlan.max}}',
          }),
          node('n3', 'action', 2, {
            componentId: 'router_command',
            label: 'Create VLAN',
            router: 'pe-rtr-03',
            command: '/interface vlan add name=cust-{{trigger.customer_id}} vlan-id={{trigger.vlan_id}} interface={{trigger.port}}',
          }),
          node('n4', 'action', 3, { componentId: 'delay', label: 'Let the bridge settle', seconds: 10 }),
          node('n5', 'action', 4, {
            componentId: 'webhook',
            label: 'Report to CRM',
            method: 'POST',
            url: 'https://crm.globex-isp.com/hooks/provisioning',
            payload: { order_id: '{{trigger.order_id}}', status: 'provisioned' },
          }),
          node(
            'n6',
            'action',
            2,
            {
              componentId: 'slack_message',
              label: 'Reject order',
              channel: '#provisioning',
              message: 'Rejected VLAN {{trigger.vlan_id}} for {{trigger.customer_id}}: outside the customer range',
            },
            1,
          ),
        ],
        [
          ['n1', 'n2'],
          ['n2', 'n3', 'true'],
          ['n3', 'n4'],
          ['n4', 'n5'],
          ['n2', 'n6', 'false'],
        ],
      ),
      schedule_type: null,
      schedule_value: null,
      next_run_at: null,
      is_active: true,
      webhook_url: 'https://v1.api.altostrat.io/workflows/webhooks/whk_01jtkq5d8r2m6c4x9v7b3n0pzs',
    },
  },
  {
    org: GLOBEX,
    createdAt: Date.UTC(2025, 0, 20, 17, 8, 30),
    updatedAt: Date.UTC(2025, 9, 2, 10, 0, 3),
    conditionTrue: 0,
    // Nine monthly reports, February to October, before it was paused; three failed and were
    // re-run by hand a few hours later.
    plan: () => {
      const runs: PlannedRun[] = [];
      for (let month = 1; month <= 9; month++) {
        const at = Date.UTC(2025, month, 1, 6, 0, 0);
        if (month === 3 || month === 6 || month === 8) {
          runs.push({ at, status: 'failed' }, { at: at + 3 * HOUR + 17 * MINUTE, status: 'completed' });
        } else {
          runs.push({ at, status: 'completed' });
        }
      }
      return runs.reverse();
    },
    workflow: {
      name: 'Monthly usage report',
      description: 'Mails finance the per-customer bandwidth usage of the previous month. Paused while billing moves to the new platform.',
      ...graph(
        [
          node('n1', 'trigger', 0, { componentId: 'schedule_trigger', label: 'First of the month, 06:00', day_of_month: 1, time: '06:00' }),
          node('n2', 'action', 1, {
            componentId: 'http_request',
            label: 'Fetch usage',
            method: 'GET',
            url: 'https://billing.globex-isp.com/api/usage?period={{trigger.previous_month}}&format=json',
            timeoutSeconds: 60,
          }),
          node('n3', 'action', 2, {
            componentId: 'send_email',
            label: 'Mail finance',
            to: ['finance@globex-isp.com'],
            subject: 'Bandwidth usage {{trigger.previous_month}}',
            attachments: [{ name: 'usage-{{trigger.previous_month}}.csv', from: '{{n2.body.csv}}' }],
          }),
          node('n4', 'action', 3, { componentId: 'slack_message', label: 'Notify #finance', channel: '#finance', message: 'Usage report for {{trigger.previous_month}} sent.' }),
        ],
        [
          ['n1', 'n2'],
          ['n2', 'n3'],
          ['n3', 'n4'],
        ],
      ),
      schedule_type: 'monthly',
      schedule_value: '1 06:00',
      next_run_at: null,
      is_active: false,
      webhook_url: null,
    },
  },
];

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
      status: skipped ? 'skipped' : failed ? 'failed' : 'success',
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
      const workflow: WorkflowJson = {
        id: `fl_${ulid(blueprint.createdAt, rng)}`,
        ...structuredClone(blueprint.workflow),
        created_at: timestamp(blueprint.createdAt),
        updated_at: timestamp(blueprint.updatedAt),
      };
      const runs = blueprint.plan(rng).map(({ at, status }) => buildRun(workflow, at, status, rng, blueprint.conditionTrue));
      return { orgId: blueprint.org.id, workflow, runs };
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
