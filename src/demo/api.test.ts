// The Workflows API endpoints the simulator serves beyond the run list, over real HTTP: each
// endpoint's answer, its Laravel validation errors, tenant isolation, idempotency, deletion
// cascading, vault secrets never leaving, and log stats computed from the runs it holds.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_TOKENS, startSimulator } from './simulator.js';
import type { Simulator } from './simulator.js';

let sim: Simulator;
let acme: Map<string, string>; // workflow name -> id
let globex: Map<string, string>;

beforeEach(async () => {
  // A fresh simulator per test: these tests write, and each should start from the seed.
  sim = await startSimulator({ stepMs: 1, now: Date.UTC(2026, 0, 15, 9, 0, 0) });
  acme = new Map(sim.workflowsOf(DEMO_TOKENS.acme).map((w) => [w.name, w.id]));
  globex = new Map(sim.workflowsOf(DEMO_TOKENS.globex).map((w) => [w.name, w.id]));
});
afterEach(() => sim.close());

// `any`: the tests reach into arbitrary JSON and let the assertions check the shape.
async function call(method: string, path: string, body?: unknown, options: { token?: string | null; headers?: Record<string, string> } = {}) {
  const { token = DEMO_TOKENS.acme, headers = {} } = options;
  const res = await fetch(sim.url + path, {
    method,
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const parsed: any = text === '' ? undefined : JSON.parse(text);
  return { status: res.status, body: parsed };
}

const wanId = () => acme.get('WAN failover alert')!;
const authId = async (token: string = DEMO_TOKENS.acme): Promise<string> => (await call('GET', '/workflows/authorization', undefined, { token })).body[0].id;

async function definition(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Ping the core',
    authorization_id: await authId(),
    nodes: [
      { id: 'n1', type: 'trigger', position: { x: 0, y: 0 }, data: { componentId: 'manual_trigger' } },
      { id: 'n2', type: 'action', position: { x: 280, y: 0 }, data: { componentId: 'http_request', url: 'https://core.example/ping' } },
    ],
    edges: [{ id: 'e1', source: 'n1', target: 'n2', sourceHandle: null }],
    ...overrides,
  };
}

describe('workflows', () => {
  it('POST creates a workflow (201) that GET lists and shows, with defaults filled in', async () => {
    const created = await call('POST', '/workflows', await definition({ description: 'Checks the core' }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Ping the core', description: 'Checks the core', is_active: true, schedule_type: 'manual', schedule_value: null, webhook_url: null });
    expect(created.body.id).toMatch(/^fl_[0-9a-z]{26}$/);
    expect((await call('GET', `/workflows/${created.body.id}`)).body).toEqual(created.body);
    expect((await call('GET', '/workflows')).body.map((w: { id: string }) => w.id)).toContain(created.body.id);
    expect((await call('GET', `/workflows/${created.body.id}`, undefined, { token: DEMO_TOKENS.globex })).status).toBe(404);
  });

  it('POST without a body is a 422 naming name, authorization_id and nodes, in Laravel’s words', async () => {
    expect(await call('POST', '/workflows', {})).toEqual({
      status: 422,
      body: {
        message: 'The name field is required. (and 2 more errors)',
        errors: {
          name: ['The name field is required.'],
          authorization_id: ['The authorization id field is required.'],
          nodes: ['The nodes field is required.'],
        },
      },
    });
  });

  it.each([
    { what: 'another organisation’s authorization', field: 'authorization_id', patch: async () => ({ authorization_id: await authId(DEMO_TOKENS.globex) }) },
    { what: 'no nodes', field: 'nodes', patch: () => ({ nodes: [], edges: [] }) },
    {
      what: 'two trigger nodes',
      field: 'nodes',
      patch: () => ({
        nodes: [
          { id: 'n1', type: 'trigger', data: { componentId: 'manual_trigger' } },
          { id: 'n2', type: 'trigger', data: { componentId: 'schedule_trigger' } },
        ],
        edges: [],
      }),
    },
    { what: 'no trigger node', field: 'nodes', patch: () => ({ nodes: [{ id: 'n1', type: 'action', data: { componentId: 'delay' } }], edges: [] }) },
    { what: 'an edge to a missing node', field: 'edges.0.target', patch: () => ({ edges: [{ source: 'n1', target: 'n9' }] }) },
    { what: 'an unknown schedule type', field: 'schedule_type', patch: () => ({ schedule_type: 'hourly' }) },
    { what: 'an interval without a value', field: 'schedule_value', patch: () => ({ schedule_type: 'interval' }) },
    { what: 'a cron without a value', field: 'schedule_value', patch: () => ({ schedule_type: 'cron', schedule_value: null }) },
  ])('POST with $what is a 422 on $field and saves nothing', async ({ field, patch }) => {
    const before = sim.workflowsOf(DEMO_TOKENS.acme).length;
    const { status, body } = await call('POST', '/workflows', await definition(await patch()));
    expect(status).toBe(422);
    expect(Object.keys(body.errors)).toEqual([field]);
    expect(body.message).toBe(body.errors[field][0]);
    expect(sim.workflowsOf(DEMO_TOKENS.acme)).toHaveLength(before);
  });

  it('a workflow whose trigger is a webhook_trigger gets a webhook URL on this simulator that starts a run without a token', async () => {
    const nodes = [{ id: 't', type: 'trigger', data: { componentId: 'webhook_trigger' } }];
    const { body: workflow } = await call('POST', '/workflows', await definition({ nodes, edges: [] }));
    expect(workflow.webhook_url).toMatch(new RegExp(`^${sim.url}/workflows/webhooks/whk_[0-9a-z]{26}$`));
    const res = await fetch(workflow.webhook_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order":7}' });
    expect(res.status).toBe(202);
    const { execution_id: runId } = (await res.json()) as { execution_id: string };
    expect(sim.runsOf(workflow.id).map((run) => run.id)).toEqual([runId]);
  });

  it('PUT changes only the fields sent and moves updated_at', async () => {
    const before = sim.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id === wanId())!;
    const { status, body } = await call('PUT', `/workflows/${wanId()}`, { name: 'WAN failover page', is_active: false });
    expect(status).toBe(200);
    expect(body).toEqual({ ...before, name: 'WAN failover page', is_active: false, updated_at: body.updated_at });
    expect(body.updated_at > before.updated_at).toBe(true);
  });

  it('PUT that would leave an invalid definition is a 422 and changes nothing', async () => {
    const before = sim.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id === wanId());
    const { status, body } = await call('PUT', `/workflows/${wanId()}`, { name: 'Renamed', schedule_type: 'cron', schedule_value: null });
    expect([status, Object.keys(body.errors)]).toEqual([422, ['schedule_value']]);
    expect(sim.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id === wanId())).toEqual(before);
  });

  it('DELETE answers 204 and takes the runs and their logs with the workflow', async () => {
    const runId = sim.runsOf(wanId())[5]!.id;
    expect((await call('DELETE', `/workflows/${wanId()}`)).status).toBe(204);
    expect((await call('GET', `/workflows/${wanId()}`)).status).toBe(404);
    expect((await call('GET', `/workflows/runs/${runId}`)).status).toBe(404);
    expect((await call('GET', `/workflows/${wanId()}/logs`)).status).toBe(404);
    const recent = (await call('GET', '/workflows/logs/recent')).body as Array<{ workflow_id: string }>;
    expect(recent.some((log) => log.workflow_id === wanId())).toBe(false);
  });

  it('validate answers 200 valid for a good definition and valid: false with every message for a bad one', async () => {
    expect(await call('POST', '/workflows/validate', await definition())).toEqual({ status: 200, body: { valid: true, errors: [] } });
    const bad = await call('POST', '/workflows/validate', await definition({ schedule_type: 'interval', authorization_id: 'auth_nope' }));
    expect(bad).toEqual({
      status: 200,
      body: { valid: false, errors: ['The selected authorization id is invalid.', 'The schedule value field is required when schedule type is interval.'] },
    });
  });

  it('validate answers 422 to a body that is no definition at all', async () => {
    const { status, body } = await call('POST', '/workflows/validate', { nodes: [] });
    expect([status, body.errors]).toEqual([422, { name: ['The name field is required.'] }]);
  });

  it('triggerable-workflows lists the active workflows of the caller only', async () => {
    const { body } = await call('GET', '/workflows/triggerable-workflows', undefined, { token: DEMO_TOKENS.globex });
    expect(body.map((w: { name: string }) => w.name)).toEqual(['Provision customer VLAN']);
    expect(body[0]).toMatchObject({ id: globex.get('Provision customer VLAN') });
  });
});

describe('runs: execute, rerun, resume', () => {
  it('execute answers 202 with a new pending run at the head of the list', async () => {
    const { status, body } = await call('POST', `/workflows/${wanId()}/execute`, { context: { site: 'leeds' } });
    expect([status, body.status, body.logs]).toEqual([202, 'pending', []]);
    expect(sim.runsOf(wanId())[0]!.id).toBe(body.id);
  });

  it('execute with a context that is not an object is a 422', async () => {
    const { status, body } = await call('POST', `/workflows/${wanId()}/execute`, { context: 'x' });
    expect([status, body.errors]).toEqual([422, { context: ['The context field must be an array.'] }]);
  });

  it('execute of an inactive workflow is a 422', async () => {
    const { status } = await call('POST', `/workflows/${globex.get('Monthly usage report')}/execute`, {}, { token: DEMO_TOKENS.globex });
    expect(status).toBe(422);
  });

  it('the same Idempotency-Key answers the first run again with its status and creates nothing', async () => {
    const headers = { 'idempotency-key': 'retry-1' };
    const first = await call('POST', `/workflows/${wanId()}/execute`, {}, { headers });
    const count = sim.runsOf(wanId()).length;
    const again = await call('POST', `/workflows/${wanId()}/execute`, {}, { headers });
    expect(again).toEqual(first);
    expect(sim.runsOf(wanId())).toHaveLength(count);
    expect(sim.calls.filter((c) => c.idempotencyKey === 'retry-1')).toHaveLength(2);
  });

  it('an Idempotency-Key is per organisation, and a key reused on another route is a 422', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const mine = await call('POST', `/workflows/${wanId()}/execute`, {}, { headers });
    const theirs = await call('POST', `/workflows/${globex.get('Provision customer VLAN')}/execute`, {}, { headers, token: DEMO_TOKENS.globex });
    expect([mine.status, theirs.status]).toEqual([202, 202]);
    expect(theirs.body.id).not.toBe(mine.body.id);
    const other = await call('POST', `/workflows/${acme.get('Onboard new site')}/execute`, {}, { headers });
    expect([other.status, Object.keys(other.body.errors)]).toEqual([422, ['idempotency_key']]);
  });

  it('rerun of a finished run answers 202 with a message and the new run; of a pending run, 422', async () => {
    const runs = sim.runsOf(wanId());
    const done = runs.find((run) => run.status === 'completed')!;
    const { status, body } = await call('POST', `/workflows/runs/${done.id}/rerun`);
    expect(status).toBe(202);
    expect(body.message).toEqual(expect.any(String));
    expect(body.new_run).toMatchObject({ status: 'pending' });
    expect(sim.runsOf(wanId())[0]!.id).toBe(body.new_run.id);
    const running = runs.find((run) => run.status === 'running')!;
    expect((await call('POST', `/workflows/runs/${running.id}/rerun`)).status).toBe(422);
  });

  it('resume-from starts a run holding the failed run’s logs up to that node, then continues', async () => {
    const failed = sim.runsOf(wanId()).find((run) => run.status === 'failed' && run.logs.filter((l) => l.status === 'success').length >= 2)!;
    const from = failed.logs.filter((log) => log.status === 'success').at(-1)!;
    const { status, body } = await call('POST', `/workflows/runs/${failed.id}/resume-from/${from.node_id}`);
    expect(status).toBe(202);
    const upTo = failed.logs.slice(0, failed.logs.indexOf(from) + 1);
    expect(body.new_run.logs.map((l: { node_id: string; output: unknown }) => [l.node_id, l.output])).toEqual(upTo.map((l) => [l.node_id, l.output]));
    expect(body.new_run.logs[0].id).not.toBe(upTo[0]!.id);
  });

  it('resume-from a node that did not succeed, or of a run that did not fail, is a 422', async () => {
    const runs = sim.runsOf(wanId());
    const failed = runs.find((run) => run.status === 'failed')!;
    const broken = failed.logs.find((log) => log.status === 'error')!;
    expect((await call('POST', `/workflows/runs/${failed.id}/resume-from/${broken.node_id}`)).body.errors).toHaveProperty('node_id');
    const done = runs.find((run) => run.status === 'completed')!;
    const refused = await call('POST', `/workflows/runs/${done.id}/resume-from/n1`);
    expect([refused.status, Object.keys(refused.body.errors)]).toEqual([422, ['run']]);
  });

  it('sync runs a sync_request_trigger workflow to its end and answers its last node’s output', async () => {
    const nodes = [
      { id: 's', type: 'trigger', data: { componentId: 'sync_request_trigger' } },
      { id: 'c', type: 'action', data: { componentId: 'lookup_customer' } },
    ];
    const { body: workflow } = await call('POST', '/workflows', await definition({ nodes, edges: [{ source: 's', target: 'c' }] }));
    const { status, body } = await call('POST', `/workflows/sync/${workflow.id}`, { customer: 42 });
    expect([status, body]).toEqual([200, { ok: true, node_id: 'c', component_id: 'lookup_customer' }]);
    expect(sim.runsOf(workflow.id)[0]!.status).toBe('completed');
  });

  it('sync of a run that fails answers 500 with the run’s error message', async () => {
    const nodes = [
      { id: 's', type: 'trigger', data: { componentId: 'sync_request_trigger' } },
      { id: 'c', type: 'action', data: { componentId: 'send_email', to: ['a@example.com'] } },
    ];
    const { body: workflow } = await call('POST', '/workflows', await definition({ nodes, edges: [{ source: 's', target: 'c' }] }));
    const { status, body } = await call('POST', `/workflows/sync/${workflow.id}`, { fail: true });
    expect([status, body]).toEqual([500, { message: sim.runsOf(workflow.id)[0]!.error_message }]);
    expect(body.message).toMatch(/SMTP/);
  });

  it('rerun honours an Idempotency-Key too', async () => {
    const done = sim.runsOf(wanId()).find((run) => run.status === 'completed')!;
    const headers = { 'idempotency-key': 'rerun-1' };
    const first = await call('POST', `/workflows/runs/${done.id}/rerun`, {}, { headers });
    const count = sim.runsOf(wanId()).length;
    expect(await call('POST', `/workflows/runs/${done.id}/rerun`, {}, { headers })).toEqual(first);
    expect(sim.runsOf(wanId())).toHaveLength(count);
  });

  it('sync of a workflow without a sync_request_trigger is a 422 with a message', async () => {
    const { status, body } = await call('POST', `/workflows/sync/${wanId()}`, {});
    expect([status, Object.keys(body.errors)]).toEqual([422, ['workflow']]);
    expect(body.message).toMatch(/sync request trigger/);
  });

  it('test-node echoes the node and its mocked input; without a node it is a 422', async () => {
    const node = { id: 'n2', type: 'action', data: { componentId: 'http_request', url: 'https://x.example' } };
    const { status, body } = await call('POST', '/workflows/test-node', { node, context: { n2: { hello: 'world' } } });
    expect([status, body]).toEqual([200, { status: 'success', output: { node_id: 'n2', component_id: 'http_request', data: node.data, input: { hello: 'world' } } }]);
    expect((await call('POST', '/workflows/test-node', { context: {} })).body.errors).toEqual({ node: ['The node field is required.'] });
  });

  it('a webhook with an unknown token is a 404', async () => {
    expect((await call('POST', '/workflows/webhooks/whk_nope', {}, { token: null })).status).toBe(404);
  });
});

describe('logs', () => {
  it('GET /workflows/{id}/logs lists every log of its runs, newest first, naming run and workflow', async () => {
    const runs = sim.runsOf(wanId());
    const { status, body } = await call('GET', `/workflows/${wanId()}/logs`);
    expect(status).toBe(200);
    expect(body).toHaveLength(runs.reduce((n, run) => n + run.logs.length, 0));
    const times = body.map((log: { created_at: string }) => log.created_at);
    expect(times).toEqual([...times].sort().reverse());
    const run = runs[3]!;
    const log = body.find((entry: { id: string }) => entry.id === run.logs[0]!.id);
    expect(log).toEqual({ ...run.logs[0], execution_id: run.id, workflow_id: wanId() });
  });

  it('GET /workflows/logs/recent holds at most 200 entries, newest first, of the caller’s workflows only', async () => {
    const { body } = await call('GET', '/workflows/logs/recent');
    expect(body).toHaveLength(200);
    const mine = new Set(acme.values());
    expect(body.every((log: { workflow_id: string }) => mine.has(log.workflow_id))).toBe(true);
    const newest = sim
      .workflowsOf(DEMO_TOKENS.acme)
      .flatMap((w) => sim.runsOf(w.id).flatMap((run) => run.logs.map((l) => l.created_at)))
      .sort()
      .reverse();
    expect(body[0].created_at).toBe(newest[0]);
  });

  it('stats count log statuses, runs of the last 30 days by status, and the success rate of finished runs', async () => {
    const runs = sim.runsOf(wanId());
    const { body } = await call('GET', `/workflows/${wanId()}/logs/stats`);
    const count = <T>(items: T[], key: (item: T) => string) => items.reduce<Record<string, number>>((acc, item) => ({ ...acc, [key(item)]: (acc[key(item)] ?? 0) + 1 }), {});
    const since = Date.UTC(2026, 0, 15, 9, 0, 0) - 30 * 86_400_000;
    const completed = runs.filter((r) => r.status === 'completed').length;
    const failed = runs.filter((r) => r.status === 'failed').length;
    expect(body).toEqual({
      log_statuses: { success: 0, error: 0, warning: 0, ...count(runs.flatMap((r) => r.logs), (l) => l.status) },
      recent_runs: {
        pending: 0,
        running: 0,
        completed: 0,
        failed: 0,
        awaiting_ui_interaction: 0,
        ...count(runs.filter((r) => Date.parse(r.started_at!) >= since), (r) => r.status),
      },
      total_runs: runs.length,
      success_rate: Math.round((completed / (completed + failed)) * 1000) / 10,
    });
    expect(body.success_rate).toBeGreaterThan(90);
  });

  it('stats of a workflow without a finished run have a null success rate', async () => {
    const { body } = await call('GET', `/workflows/${acme.get('Onboard new site')}/logs/stats`);
    expect(body).toMatchObject({ total_runs: 0, success_rate: null, log_statuses: { success: 0, error: 0, warning: 0 } });
  });
});

describe('vault', () => {
  const secretFree = (value: unknown) => expect(JSON.stringify(value)).not.toMatch(/secret|s3cr3t/i);

  it('creates an item (201) that no endpoint returns the secret of, while the simulator keeps it', async () => {
    const created = await call('POST', '/workflows/vault', { name: 'router-ssh', secret: 's3cr3t-value', expires_at: '2027-01-01T00:00:00Z' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^vlt_[0-9a-z]{26}$/), name: 'router-ssh', created_at: expect.any(String), expires_at: '2027-01-01T00:00:00.000000Z' });
    secretFree(created.body);
    secretFree((await call('GET', '/workflows/vault')).body);
    secretFree((await call('GET', `/workflows/vault/${created.body.id}`)).body);
    secretFree((await call('PUT', `/workflows/vault/${created.body.id}`, { name: 'router-ssh', secret: 's3cr3t-2' })).body);
    expect(sim.secretOf(created.body.id)).toBe('s3cr3t-2');
  });

  it('an api-key: name without a secret gets a generated wfk_ key, shown once as api_key', async () => {
    const created = await call('POST', '/workflows/vault', { name: 'api-key:billing' });
    expect(created.status).toBe(201);
    expect(created.body.api_key).toMatch(/^wfk_[0-9a-f]{40}$/);
    expect(sim.secretOf(created.body.id)).toBe(created.body.api_key);
    expect((await call('GET', `/workflows/vault/${created.body.id}`)).body).not.toHaveProperty('api_key');
  });

  it.each([
    { what: 'a name of 2 characters', body: { name: 'ab', secret: 'x' }, errors: { name: ['The name field must be at least 3 characters.'] } },
    { what: 'a name of 51 characters', body: { name: 'n'.repeat(51), secret: 'x' }, errors: { name: ['The name field must not be greater than 50 characters.'] } },
    { what: 'a name of 2 characters past the BMP (4 UTF-16 units)', body: { name: '🔑🔑', secret: 'x' }, errors: { name: ['The name field must be at least 3 characters.'] } },
    { what: 'no secret for an ordinary name', body: { name: 'router-ssh' }, errors: { secret: ['The secret field is required.'] } },
    { what: 'a secret of 2001 characters', body: { name: 'router-ssh', secret: 's'.repeat(2001) }, errors: { secret: ['The secret field must not be greater than 2000 characters.'] } },
    { what: 'an expiry in the past', body: { name: 'router-ssh', secret: 'x', expires_at: '2025-01-01T00:00:00Z' }, errors: { expires_at: ['The expires at field must be a date after now.'] } },
    { what: 'an expiry that is no date', body: { name: 'router-ssh', secret: 'x', expires_at: 'soon' }, errors: { expires_at: ['The expires at field must be a valid date.'] } },
  ])('create with $what is a 422', async ({ body, errors }) => {
    expect(await call('POST', '/workflows/vault', body)).toEqual({ status: 422, body: { message: Object.values(errors)[0]![0], errors } });
  });

  it('counts a name in characters, as Laravel does, not in UTF-16 units', async () => {
    expect((await call('POST', '/workflows/vault', { name: '🔑'.repeat(26), secret: 'x' })).status).toBe(201);
  });

  it('PUT requires the name and the secret, even for an api-key: name', async () => {
    const id = (await call('GET', '/workflows/vault')).body[0].id;
    const { status, body } = await call('PUT', `/workflows/vault/${id}`, { name: 'api-key:x' });
    expect([status, body.errors]).toEqual([422, { secret: ['The secret field is required.'] }]);
  });

  it('DELETE answers 204, then the item is gone; another organisation’s item is a 404 throughout', async () => {
    const theirs = (await call('GET', '/workflows/vault', undefined, { token: DEMO_TOKENS.globex })).body[0].id;
    for (const [method, body] of [['GET'], ['PUT', { name: 'mine-now', secret: 'x' }], ['DELETE']] as const) {
      expect((await call(method, `/workflows/vault/${theirs}`, body)).status).toBe(404);
    }
    const mine = (await call('GET', '/workflows/vault')).body[0].id;
    expect((await call('DELETE', `/workflows/vault/${mine}`)).status).toBe(204);
    expect((await call('GET', `/workflows/vault/${mine}`)).status).toBe(404);
  });
});

describe('authorizations', () => {
  it('GET lists the caller’s authorizations, POST answers a login URL, DELETE answers 204', async () => {
    const { body: list } = await call('GET', '/workflows/authorization');
    expect(list).toEqual([{ id: expect.stringMatching(/^auth_/), user_id: expect.any(String), provider: 'altostrat', status: 'active', created_at: expect.any(String) }]);
    const started = await call('POST', '/workflows/authorization', {});
    expect([started.status, started.body.url]).toEqual([200, expect.stringMatching(/^https:\/\/.+\/oauth\/authorize\?state=[0-9a-z]{26}$/)]);
    expect((await call('DELETE', `/workflows/authorization/${list[0].id}`, undefined, { token: DEMO_TOKENS.globex })).status).toBe(404);
    expect((await call('DELETE', `/workflows/authorization/${list[0].id}`)).status).toBe(204);
    expect((await call('GET', '/workflows/authorization')).body).toEqual([]);
  });
});

describe('isolation', () => {
  it.each([
    ['GET', '/workflows/{id}'],
    ['PUT', '/workflows/{id}'],
    ['DELETE', '/workflows/{id}'],
    ['GET', '/workflows/{id}/executions'],
    ['POST', '/workflows/{id}/execute'],
    ['GET', '/workflows/{id}/logs'],
    ['GET', '/workflows/{id}/logs/stats'],
    ['POST', '/workflows/sync/{id}'],
  ])('%s %s of another organisation’s workflow is a 404 and changes nothing', async (method, template) => {
    const path = (id: string) => template.replace('{id}', id);
    const theirs = globex.get('Provision customer VLAN')!;
    const before = sim.runsOf(theirs);
    const { status, body } = await call(method, path(theirs), method === 'GET' ? undefined : {});
    expect([status, body]).toEqual([404, { message: 'Workflow not found.' }]);
    expect(sim.runsOf(theirs)).toEqual(before);
    expect(sim.workflowsOf(DEMO_TOKENS.globex).map((w) => w.id)).toContain(theirs);
  });

  it.each(['', '/rerun', '/resume-from/n1'])('a run of another organisation is a 404 at runs/{id}%s', async (suffix) => {
    const theirs = sim.runsOf(globex.get('Monthly usage report')!).find((run) => run.status === 'failed')!;
    const { status } = await call(suffix === '' ? 'GET' : 'POST', `/workflows/runs/${theirs.id}${suffix}`, suffix === '' ? undefined : {});
    expect(status).toBe(404);
  });

  it('every endpoint but the webhook answers 401 without a token', async () => {
    expect((await call('GET', '/workflows/logs/recent', undefined, { token: null })).status).toBe(401);
    expect((await call('POST', '/workflows/vault', { name: 'abc', secret: 'x' }, { token: null })).status).toBe(401);
    expect((await call('POST', '/workflows/test-node', {}, { token: null })).status).toBe(401);
  });
});
