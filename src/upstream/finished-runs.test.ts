import { describe, expect, it } from 'vitest';
import { FinishedRuns } from './finished-runs.js';
import type { RunRecord, RunStatus } from './records.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

function run(id: string, status: RunStatus = 'completed', output: unknown = { status: 200 }): RunRecord {
  return {
    id,
    status,
    errorMessage: status === 'failed' ? 'node 2 failed' : null,
    startedAt: '2026-01-02T03:04:05Z',
    completedAt: status === 'completed' || status === 'failed' ? '2026-01-02T03:04:09Z' : null,
    durationInSeconds: 4,
    logs: [{ id: `fl_log_${id.slice(7)}`, nodeId: 'n1', componentId: null, status: 'success', output, createdAt: '2026-01-02T03:04:06Z' }],
    workflowId: null,
  };
}

function counted(maxBytes: number) {
  const counts = { hit: 0, miss: 0, evicted: 0 };
  const memory = new FinishedRuns({
    maxBytes,
    secret: SECRET,
    observer: { hit: () => counts.hit++, miss: () => counts.miss++, evicted: () => counts.evicted++ },
  });
  return { memory, counts };
}

describe('the memory of finished runs', () => {
  it('gives back a remembered finished run as it was read, a copy each time', () => {
    const { memory, counts } = counted(1_000_000);
    const acme = memory.forTenant('acme-token');
    acme.remember(run('fl_run_1'));
    acme.remember(run('fl_run_2', 'failed'));
    const first = acme.recall('fl_run_1', 'completed');
    expect(first).toEqual(run('fl_run_1'));
    first!.logs!.length = 0;
    expect(acme.recall('fl_run_1', 'completed')).toEqual(run('fl_run_1'));
    expect(acme.recall('fl_run_2', 'failed')).toEqual(run('fl_run_2', 'failed'));
    expect(counts).toEqual({ hit: 3, miss: 0, evicted: 0 });
  });

  it('keeps nothing of a run that is not finished, or that came without its logs', () => {
    const { memory, counts } = counted(1_000_000);
    const acme = memory.forTenant('acme-token');
    for (const status of ['pending', 'running', 'awaiting_ui_interaction'] as const) acme.remember(run(`fl_run_${status.length}`, status));
    acme.remember({ ...run('fl_run_9'), logs: undefined });
    expect(memory.bytes).toBe(0);
    expect(acme.recall('fl_run_9', 'completed')).toBeUndefined();
    expect(counts.miss).toBe(1);
  });

  it('answers only for the status the proof showed', () => {
    const { memory } = counted(1_000_000);
    const acme = memory.forTenant('acme-token');
    acme.remember(run('fl_run_1', 'failed'));
    expect(acme.recall('fl_run_1', 'completed')).toBeUndefined();
  });

  it('never answers one token with what another token read', () => {
    const { memory } = counted(1_000_000);
    memory.forTenant('acme-token').remember(run('fl_run_1'));
    expect(memory.forTenant('globex-token').recall('fl_run_1', 'completed')).toBeUndefined();
    expect(memory.forTenant('acme-token').recall('fl_run_1', 'completed')).toBeDefined();
  });

  it('holds no more bytes than its bound under a flood of distinct runs, the least recently used out first', () => {
    const maxBytes = 50_000;
    const { memory, counts } = counted(maxBytes);
    // Eight tenants, so that together they can fill it (one holds at most a quarter).
    const tenants = Array.from({ length: 8 }, (_, t) => memory.forTenant(`token-${t}`));
    const entryBytes = JSON.stringify(run('fl_run_0000')).length;
    const flood = 5_000;
    let largest = 0;
    for (let i = 0; i < flood; i++) {
      tenants[i % tenants.length]!.remember(run(`fl_run_${String(i).padStart(4, '0')}`));
      // The oldest run is kept in use, so it is never the least recently used.
      tenants[0]!.recall('fl_run_0000', 'completed');
      largest = Math.max(largest, memory.bytes);
    }
    expect(largest).toBeLessThanOrEqual(maxBytes);
    expect(memory.bytes).toBeGreaterThan(maxBytes - 2 * entryBytes - 100);
    const kept = Math.floor(maxBytes / entryBytes);
    expect(counts.evicted).toBeGreaterThanOrEqual(flood - kept);
    expect(tenants[0]!.recall('fl_run_0000', 'completed')).toBeDefined();
    expect(tenants[0]!.recall('fl_run_0008', 'completed')).toBeUndefined();
    expect(tenants[(flood - 1) % tenants.length]!.recall(`fl_run_${flood - 1}`, 'completed')).toBeDefined();
  });

  it('lets one tenant hold a quarter of it at most: past that its own least recently used go, never another tenant’s', () => {
    const maxBytes = 80_000;
    const { memory } = counted(maxBytes);
    const globex = memory.forTenant('globex-token');
    const globexRuns = Array.from({ length: 20 }, (_, i) => `fl_run_g${i}`);
    for (const id of globexRuns) globex.remember(run(id));
    const globexBytes = memory.bytes;
    const acme = memory.forTenant('acme-token');
    const flood = 2_000;
    for (let i = 0; i < flood; i++) {
      acme.remember(run(`fl_run_${i}`));
      // Acme's first run is kept in use: within its share, it is the last of Acme's to go.
      acme.recall('fl_run_0', 'completed');
    }
    // Acme holds its quarter, no more; Globex, which read nothing since, holds all it read.
    const acmeBytes = memory.bytes - globexBytes;
    expect(acmeBytes).toBeLessThanOrEqual(maxBytes / 4);
    expect(acmeBytes).toBeGreaterThan(maxBytes / 4 - 2 * JSON.stringify(run('fl_run_0000')).length - 100);
    for (const id of globexRuns) expect(globex.recall(id, 'completed')).toEqual(run(id));
    expect(acme.recall('fl_run_0', 'completed')).toBeDefined();
    expect(acme.recall('fl_run_1', 'completed')).toBeUndefined();
    expect(acme.recall(`fl_run_${flood - 1}`, 'completed')).toBeDefined();
  });

  it.each([4, 10])('lets %i tenants flooding it together push out none of the runs of a tenant holding less than an equal share', (flooders) => {
    const maxBytes = 80_000;
    const { memory } = counted(maxBytes);
    const globex = memory.forTenant('globex-token');
    const globexRuns = Array.from({ length: 10 }, (_, i) => `fl_run_g${i}`);
    for (const id of globexRuns) globex.remember(run(id));
    expect(memory.bytes).toBeLessThan(maxBytes / (flooders + 1));
    const tenants = Array.from({ length: flooders }, (_, t) => memory.forTenant(`flooding-token-${t}`));
    for (let i = 0; i < 3_000; i++) tenants[i % flooders]!.remember(run(`fl_run_${i}`));
    expect(memory.bytes).toBeGreaterThan(maxBytes - 2 * JSON.stringify(run('fl_run_0000')).length - 100);
    expect(memory.bytes).toBeLessThanOrEqual(maxBytes);
    for (const id of globexRuns) expect(globex.recall(id, 'completed')).toEqual(run(id));
    // The flooders share the rest: each keeps its latest runs.
    for (let t = 0; t < flooders; t++) expect(tenants[t]!.recall(`fl_run_${3_000 - flooders + t}`, 'completed')).toBeDefined();
  });

  it('makes room from the tenant holding the most, however many tenants hold runs', () => {
    const maxBytes = 60_000;
    const { memory } = counted(maxBytes);
    // Tenants by the hundred read a run each, filling most of it; then one reads runs by the hundred.
    const passing = Math.floor((0.85 * maxBytes) / (JSON.stringify(run('fl_run_p000')).length + 40));
    for (let t = 0; t < passing; t++) memory.forTenant(`passing-token-${t}`).remember(run(`fl_run_p${String(t).padStart(3, '0')}`));
    const heavy = memory.forTenant('heavy-token');
    for (let i = 0; i < 400; i++) heavy.remember(run(`fl_run_h${i}`));
    expect(memory.bytes).toBeLessThanOrEqual(maxBytes);
    // Each passing tenant holds less than an equal share: the room came from the heavy one.
    for (let t = 0; t < passing; t++) expect(memory.forTenant(`passing-token-${t}`).recall(`fl_run_p${String(t).padStart(3, '0')}`, 'completed')).toBeDefined();
    expect(heavy.recall('fl_run_h399', 'completed')).toBeDefined();
    expect(heavy.recall('fl_run_h0', 'completed')).toBeUndefined();
  });

  it('makes no room from a tenant holding less than the reader will once it holds the run it adds', () => {
    const maxBytes = 100_000; // five tenants: an equal share is 20,000 bytes, a quarter 25,000
    const { memory } = counted(maxBytes);
    const ids = (tenant: string, count: number) => Array.from({ length: count }, (_, i) => `fl_run_${tenant}${i}`);
    // Four tenants just under an equal share each, the reader a little under them.
    for (const tenant of ['b', 'c', 'd', 'e']) for (const id of ids(tenant, 19)) memory.forTenant(tenant).remember(run(id, 'completed', 'x'.repeat(700)));
    for (const id of ids('a', 17)) memory.forTenant('a').remember(run(id, 'completed', 'x'.repeat(700)));
    expect(memory.bytes).toBeLessThan(maxBytes);
    // The reader's next run is within its quarter but past the bound, and would make it the largest holder.
    memory.forTenant('a').remember(run('fl_run_big', 'completed', 'x'.repeat(6_500)));
    expect(memory.bytes).toBeLessThanOrEqual(maxBytes);
    for (const tenant of ['b', 'c', 'd', 'e']) for (const id of ids(tenant, 19)) expect(memory.forTenant(tenant).recall(id, 'completed'), id).toBeDefined();
    expect(memory.forTenant('a').recall('fl_run_big', 'completed')).toBeDefined();
    expect(memory.forTenant('a').recall('fl_run_a0', 'completed')).toBeUndefined(); // the room came from the reader's own oldest
  });

  it('keeps no run bigger than a tenant’s share', () => {
    const { memory } = counted(10_000);
    const acme = memory.forTenant('acme-token');
    acme.remember(run('fl_run_1', 'completed', 'x'.repeat(3_000)));
    expect(memory.bytes).toBe(0);
    expect(acme.recall('fl_run_1', 'completed')).toBeUndefined();
  });

  it('forgets a run after its time to live', async () => {
    const memory = new FinishedRuns({ maxBytes: 1_000_000, secret: SECRET, ttlMs: 1 });
    const acme = memory.forTenant('acme-token');
    acme.remember(run('fl_run_1'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(acme.recall('fl_run_1', 'completed')).toBeUndefined();
  });

  it('refuses a bound that is not a positive whole number', () => {
    for (const maxBytes of [0, -1, 1.5, Number.NaN]) expect(() => new FinishedRuns({ maxBytes, secret: SECRET })).toThrow(RangeError);
  });
});
