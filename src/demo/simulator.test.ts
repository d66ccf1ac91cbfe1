// The demo upstream driven over real HTTP, the way the gateway sees it: Laravel's envelope and page
// arithmetic, auth and error bodies, the call log, faults, insertions, and the seed's guarantees.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSeed, DEMO_TOKENS } from './seed.js';
import { startSimulator } from './simulator.js';
import type { Fault, Simulator } from './simulator.js';

let sim: Simulator;
let wan: string; // 237 runs
let onboard: string; // no runs
let globexWorkflow: string;

beforeAll(async () => {
  sim = await startSimulator();
  const acme = new Map(sim.workflowsOf(DEMO_TOKENS.acme).map((w) => [w.name, w.id]));
  wan = acme.get('WAN failover alert') ?? '';
  onboard = acme.get('Onboard new site') ?? '';
  globexWorkflow = sim.workflowsOf(DEMO_TOKENS.globex)[0]?.id ?? '';
});
afterAll(() => sim.close());
afterEach(() => {
  sim.configure({ pageSize: undefined, inlineLogs: undefined, fault: undefined });
  sim.clearCalls();
});

// `any`: the tests reach into arbitrary JSON and let the assertions check the shape.
async function get(path: string, token: string | null = DEMO_TOKENS.acme): Promise<{ status: number; body: any }> {
  const res = await fetch(sim.url + path, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

describe('GET /workflows/{id}/executions', () => {
  it.each([
    { pageSize: 15, page: 1, from: 1, to: 15, last: 16, prev: null, next: 2 },
    { pageSize: 15, page: 8, from: 106, to: 120, last: 16, prev: 7, next: 9 },
    { pageSize: 15, page: 16, from: 226, to: 237, last: 16, prev: 15, next: null },
    { pageSize: 15, page: 17, from: null, to: null, last: 16, prev: 16, next: null },
    { pageSize: 50, page: 5, from: 201, to: 237, last: 5, prev: 4, next: null },
  ])('page $page of 237 runs at $pageSize a page has the right slice, meta and links', async ({ pageSize, page, from, to, last, prev, next }) => {
    sim.configure({ pageSize });
    const { status, body } = await get(`/workflows/${wan}/executions?page=${page}`);
    const path = `${sim.url}/workflows/${wan}/executions`;
    expect(status).toBe(200);
    expect(body.meta).toEqual({ current_page: page, from, last_page: last, path, per_page: pageSize, to, total: 237 });
    expect(body.links).toEqual({
      first: `${path}?page=1`,
      last: `${path}?page=${last}`,
      prev: prev === null ? null : `${path}?page=${prev}`,
      next: next === null ? null : `${path}?page=${next}`,
    });
    const expected = from === null ? [] : sim.runsOf(wan).slice(from - 1, to ?? undefined);
    expect(body.data).toEqual(expected);
  });

  it('a workflow without runs has one empty page', async () => {
    const { body } = await get(`/workflows/${onboard}/executions`);
    expect(body.data).toEqual([]);
    expect(body.meta).toMatchObject({ current_page: 1, from: null, to: null, last_page: 1, total: 0 });
    expect(body.links.next).toBeNull();
  });

  it('reading every page yields runsOf() exactly, newest first', async () => {
    const ids: string[] = [];
    for (let page = 1, last = 1; page <= last; page++) {
      const { body } = await get(`/workflows/${wan}/executions?page=${page}`);
      last = body.meta.last_page;
      ids.push(...body.data.map((run: { id: string }) => run.id));
    }
    const truth = sim.runsOf(wan);
    expect(ids).toEqual(truth.map((run) => run.id));
    const starts = truth.map((run) => run.started_at ?? '');
    expect(starts).toEqual([...starts].sort().reverse());
  });

  it('without inline logs list items have no logs key, but a single run has them and names its workflow', async () => {
    sim.configure({ inlineLogs: false });
    const { body } = await get(`/workflows/${wan}/executions`);
    expect(body.data[0]).not.toHaveProperty('logs');
    const single = await get(`/workflows/runs/${body.data[0].id}`);
    expect(single.body.logs).toEqual(sim.runsOf(wan)[0]?.logs);
    expect(single.body.workflow).toEqual({ id: wan, name: 'WAN failover alert' });
  });
});

describe('errors', () => {
  it.each([
    { what: 'no token', path: () => '/workflows', token: null, status: 401, body: { message: 'Unauthenticated.' } },
    { what: 'an unknown token', path: () => '/workflows', token: 'eyJnope.eyJnope.nope', status: 401, body: { message: 'Unauthenticated.' } },
    { what: 'a suspended token', path: () => `/workflows/${wan}`, token: DEMO_TOKENS.suspended, status: 403, body: { message: 'This action is unauthorized.' } },
    { what: "another organisation's workflow", path: () => `/workflows/${globexWorkflow}`, token: DEMO_TOKENS.acme, status: 404, body: { message: 'Workflow not found.' } },
    { what: 'an unknown run', path: () => '/workflows/runs/fl_run_nope', token: DEMO_TOKENS.acme, status: 404, body: { message: 'Run not found.' } },
    {
      what: 'a page that is not a positive integer',
      path: () => `/workflows/${wan}/executions?page=0`,
      token: DEMO_TOKENS.acme,
      status: 422,
      body: { message: 'The page field must be an integer.', errors: { page: ['The page field must be an integer.'] } },
    },
  ])('$what is answered $status with Laravel’s body', async ({ path, token, status, body }) => {
    expect(await get(path(), token)).toEqual({ status, body });
  });

  it('a method the route does not have is answered 405 with the methods it has', async () => {
    const res = await fetch(`${sim.url}/workflows`, { method: 'PATCH', headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(await res.json()).toHaveProperty('message');
  });
});

it('insertRuns puts new runs at the head of that simulator only and grows the total', async () => {
  const other = await startSimulator();
  try {
    const before = other.runsOf(wan);
    const inserted = other.insertRuns(wan, 3);
    expect(inserted[0]!.started_at! > inserted[1]!.started_at!).toBe(true);
    expect(inserted[2]!.started_at! > before[0]!.started_at!).toBe(true);
    const res = await fetch(`${other.url}/workflows/${wan}/executions`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } });
    const body = (await res.json()) as { data: Array<{ id: string }>; meta: { total: number } };
    expect(body.meta.total).toBe(240);
    expect(body.data.map((run) => run.id)).toEqual([...inserted, ...before].slice(0, 15).map((run) => run.id));
    expect(sim.runsOf(wan)).toHaveLength(237);
  } finally {
    await other.close();
  }
});

it('every request is recorded with its authorization and page, even one that stalls', async () => {
  sim.configure({ fault: (call) => (call.page === 2 ? { kind: 'stall' } : undefined) });
  await get(`/workflows/${wan}/executions?page=1`);
  const stalled = fetch(`${sim.url}/workflows/${wan}/executions?page=2`, { headers: { 'x-request-id': 'req-42' }, signal: AbortSignal.timeout(200) });
  await expect(stalled).rejects.toThrow();
  expect(sim.calls).toHaveLength(2);
  expect(sim.calls).toMatchObject([
    { method: 'GET', path: `/workflows/${wan}/executions`, page: 1, authorization: `Bearer ${DEMO_TOKENS.acme}`, requestId: undefined },
    { method: 'GET', path: `/workflows/${wan}/executions`, page: 2, authorization: undefined, requestId: 'req-42' },
  ]);
});

describe('faults', () => {
  const answerWith = async (fault: Fault) => {
    sim.configure({ fault: () => fault });
    const res = await fetch(`${sim.url}/workflows/${wan}`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  it('a status fault answers with that status, Laravel’s message and the given headers', async () => {
    const { status, headers, text } = await answerWith({ status: 429, headers: { 'retry-after': '7' } });
    expect([status, headers.get('retry-after'), JSON.parse(text)]).toEqual([429, '7', { message: 'Too Many Attempts.' }]);
  });

  it('malformed, html500 and wrongShape answers break the body in their own way', async () => {
    const malformed = await answerWith({ kind: 'malformed' });
    expect(malformed.headers.get('content-type')).toBe('application/json');
    expect(() => JSON.parse(malformed.text)).toThrow();
    const html = await answerWith({ kind: 'html500' });
    expect([html.status, html.text.startsWith('<!DOCTYPE html>')]).toEqual([500, true]);
    const wrong = await answerWith({ kind: 'wrongShape' });
    expect(wrong.status).toBe(200);
    expect(JSON.parse(wrong.text)).not.toHaveProperty('id');
  });

  it.each([true, false])('a huge answer (Content-Length announced: %s) is a run of about that many bytes whose log output is one long string', async (contentLength) => {
    const { headers, text } = await answerWith({ kind: 'huge', bytes: 3_000_000, contentLength });
    expect(headers.get('content-length')).toBe(contentLength ? String(Buffer.byteLength(text)) : null);
    expect(headers.get('transfer-encoding')).toBe(contentLength ? null : 'chunked');
    expect(Math.abs(text.length - 3_000_000)).toBeLessThan(100);
    const run = JSON.parse(text);
    expect([run.status, run.logs[0].output.length > 2_999_000]).toEqual(['completed', true]);
  });

  it('a deep answer is a run whose first log output nests that many levels', async () => {
    const { status, text } = await answerWith({ kind: 'deep', depth: 5000 });
    expect(status).toBe(200);
    let output = JSON.parse(text).logs[0].output;
    let depth = 0;
    for (; typeof output === 'object'; depth++) output = output.a;
    expect([depth, output]).toEqual([5000, 1]);
  });

  it('a reset sends the headers, then cuts the body short', async () => {
    sim.configure({ fault: () => ({ kind: 'reset' }) });
    const res = await fetch(`${sim.url}/workflows/${wan}`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('a reset of an answer without a body (a delete’s 204) sends nothing, the write done', async () => {
    const headers = { authorization: `Bearer ${DEMO_TOKENS.acme}` };
    const [item] = (await (await fetch(`${sim.url}/workflows/vault`, { headers })).json()) as Array<{ id: string }>;
    sim.configure({ fault: (call) => (call.method === 'DELETE' ? { kind: 'reset' } : undefined) });
    await expect(fetch(`${sim.url}/workflows/vault/${item!.id}`, { method: 'DELETE', headers })).rejects.toThrow();
    sim.configure({ fault: undefined });
    expect((await fetch(`${sim.url}/workflows/vault/${item!.id}`, { headers })).status).toBe(404);
  });
});

describe('createSeed', () => {
  const seed = createSeed();
  const runs = seed.workflows.flatMap((w) => w.runs);

  it('gives the same data on every call', () => {
    expect(JSON.stringify(createSeed())).toBe(JSON.stringify(seed));
  });

  it('holds every run status and the expected run counts', () => {
    expect(new Set(runs.map((run) => run.status))).toEqual(new Set(['pending', 'running', 'completed', 'failed', 'awaiting_ui_interaction']));
    expect(seed.workflows.map((w) => w.runs.length)).toEqual([237, 96, 41, 0, 58, 12]);
  });

  it('gives every workflow, run and log a unique id with its own prefix', () => {
    const workflowIds = seed.workflows.map((w) => w.workflow.id);
    const runIds = runs.map((run) => run.id);
    const logIds = runs.flatMap((run) => run.logs.map((log) => log.id));
    for (const id of workflowIds) expect(id).toMatch(/^fl_(?!run_|log_)[0-9a-z]{26}$/);
    for (const id of runIds) expect(id).toMatch(/^fl_run_[0-9a-z]{26}$/);
    for (const id of logIds) expect(id).toMatch(/^fl_log_[0-9a-z]{26}$/);
    const all = [...workflowIds, ...runIds, ...logIds];
    expect(new Set(all).size).toBe(all.length);
  });
});
