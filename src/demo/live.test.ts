// The living demo over real HTTP: runs started at run time go pending -> running -> a log per
// node -> completed or failed, deterministically, or walk their route forever when endless; the
// scheduler starts runs of its own; close() stops all of it; the seed's timestamps are moved to
// the simulator's start, its ids are not.

import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_SIMULATOR_OPTIONS, DEMO_TOKENS, startSimulator } from './simulator.js';
import type { Simulator, SimulatorOptions } from './simulator.js';
import { SEED_NOW } from './seed.js';
import type { RunJson } from './seed.js';

const started: Simulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});

async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ stepMs: 2, ...options });
  started.push(sim);
  return sim;
}

async function post(sim: Simulator, path: string, body: unknown = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(sim.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_TOKENS.acme}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Polls GET /workflows/runs/{id} until the run is finished; every status seen, in order, and the last answer. */
async function untilFinished(sim: Simulator, runId: string): Promise<{ statuses: string[]; run: RunJson }> {
  const statuses: string[] = [];
  for (let i = 0; i < 500; i++) {
    const res = await fetch(`${sim.url}/workflows/runs/${runId}`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } });
    const run = (await res.json()) as RunJson;
    if (statuses.at(-1) !== run.status) statuses.push(run.status);
    if (run.status === 'completed' || run.status === 'failed') return { statuses, run };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`run ${runId} did not finish after 500 polls`);
}

const idOf = (sim: Simulator, name: string) => sim.workflowsOf(DEMO_TOKENS.acme).find((w) => w.name === name)!.id;

describe('a run started at run time', () => {
  it('goes pending -> running -> completed with one log per node of the workflow, in graph order', async () => {
    const sim = await simulator();
    const onboard = idOf(sim, 'Onboard new site');
    const { body } = await post(sim, `/workflows/${onboard}/execute`, { context: { site_name: 'lisbon-03' } });
    const { statuses, run } = await untilFinished(sim, body.id);
    // A poll may miss a short-lived status, never see one out of order.
    expect(['pending', 'running', 'completed'].filter((s) => statuses.includes(s))).toEqual(statuses);
    expect(statuses.at(-1)).toBe('completed');
    const nodes = sim.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id === onboard)!.nodes.map((n) => n.id);
    expect(run.logs.map((log) => log.node_id)).toEqual(nodes);
    expect(run.logs.every((log) => log.status === 'success' || log.status === 'skipped')).toBe(true);
    expect([run.error_message, run.completed_at! >= run.started_at!]).toEqual([null, true]);
    expect(run).toMatchObject(sim.runsOf(onboard)[0]!);
  });

  it('fails, with an error message and a log whose status is `error`, when its context says "fail": true', async () => {
    const sim = await simulator();
    const { body } = await post(sim, `/workflows/${idOf(sim, 'Onboard new site')}/execute`, { context: { fail: true } });
    const { run } = await untilFinished(sim, body.id);
    const failed = run.logs.filter((log) => log.status === 'error');
    expect([run.status, failed.length]).toEqual(['failed', 1]);
    expect(run.error_message).toBe((failed[0]!.output as { error: string }).error);
    expect(run.logs.at(-1)).toBe(run.logs.find((log) => log.status === 'error'));
  });

  it('fails at the node a workflow marks with "fail": true', async () => {
    const sim = await simulator();
    const authorization = (await (await fetch(`${sim.url}/workflows/authorization`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } })).json()) as Array<{ id: string }>;
    const nodes = [
      { id: 't', type: 'trigger', data: { componentId: 'manual_trigger' } },
      { id: 'a', type: 'action', data: { componentId: 'http_request', url: 'https://a.example/x' } },
      { id: 'b', type: 'action', data: { componentId: 'webhook', url: 'https://b.example/hook', fail: true } },
      { id: 'c', type: 'action', data: { componentId: 'slack_message', channel: '#x' } },
    ];
    const edges = [{ source: 't', target: 'a' }, { source: 'a', target: 'b' }, { source: 'b', target: 'c' }];
    const { body: workflow } = await post(sim, '/workflows', { name: 'Breaks at b', authorization_id: authorization[0]!.id, nodes, edges });
    for (let i = 0; i < 3; i++) {
      const { body } = await post(sim, `/workflows/${workflow.id}/execute`);
      const { run } = await untilFinished(sim, body.id);
      expect(run.logs.map((log) => [log.node_id, log.status])).toEqual([['t', 'success'], ['a', 'success'], ['b', 'error']]);
    }
  });

  it('is the same from one simulator to the next: same ids, statuses and steps for the same calls', async () => {
    const course = async () => {
      const sim = await simulator({ now: Date.UTC(2026, 0, 1) });
      const wan = idOf(sim, 'WAN failover alert');
      const runs: Array<[string, string, string[]]> = [];
      for (let i = 0; i < 8; i++) {
        const { run } = await untilFinished(sim, (await post(sim, `/workflows/${wan}/execute`)).body.id);
        runs.push([run.id.slice(17), run.status, run.logs.map((log) => `${log.node_id}:${log.status}`)]);
      }
      return runs;
    };
    // The ULIDs' time part (and timestamps in outputs) follow the clock; the rest must repeat.
    const first = await course();
    expect(await course()).toEqual(first);
    expect(first.some(([, status]) => status === 'failed') && first.some(([, status]) => status === 'completed')).toBe(true);
  });

  it('started endless, stays running pass after pass, each pass with fresh logs replacing the last', async () => {
    // Slow enough steps that a poll sees each pass whole before the next one starts.
    const sim = await simulator({ stepMs: 20 });
    const wan = idOf(sim, 'WAN failover alert');
    const { id } = sim.startEndlessRun(wan);
    const nodes = sim.workflowsOf(DEMO_TOKENS.acme).find((w) => w.id === wan)!.nodes.length;
    const statuses = new Set<string>();
    const passes: string[][] = [];
    for (let i = 0; i < 2000 && passes.length < 3; i++) {
      const run = (await (await fetch(`${sim.url}/workflows/runs/${id}`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } })).json()) as RunJson;
      statuses.add(run.status);
      const ids = run.logs.map((log) => log.id);
      // A pass is seen whole once it has a log per node; the next one starts again from none.
      if (ids.length === nodes && passes.at(-1)?.[0] !== ids[0]) passes.push(ids);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(passes.length).toBe(3);
    expect(new Set(passes.flat()).size).toBe(3 * nodes);
    expect([...statuses].every((status) => status === 'pending' || status === 'running')).toBe(true);
    expect(sim.runsOf(wan)[0]!.id).toBe(id);
  });

  it('stops where it is when the simulator closes', async () => {
    const sim = await simulator({ stepMs: 20 });
    const wan = idOf(sim, 'WAN failover alert');
    await post(sim, `/workflows/${wan}/execute`);
    await sim.close();
    const frozen = sim.runsOf(wan)[0]!;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sim.runsOf(wan)[0]).toEqual(frozen);
    expect(frozen.status).not.toBe('completed');
  });
});

describe('the scheduler', () => {
  it('starts runs of active scheduled workflows only, and finishes the seed’s runs in flight', async () => {
    const sim = await simulator({ scheduler: true, schedulerMs: 20 });
    const byName = (name: string) => sim.workflowsOf(DEMO_TOKENS.acme).find((w) => w.name === name)!.id;
    const wan = byName('WAN failover alert');
    const seededRunning = sim.runsOf(wan)[0]!;
    expect(seededRunning.status).toBe('running');
    const before = sim.runsOf(wan).length;
    for (let i = 0; i < 400 && sim.runsOf(wan).length < before + 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sim.runsOf(wan).length).toBeGreaterThanOrEqual(before + 2);
    // Manual workflows are never scheduled.
    expect(sim.runsOf(byName('Onboard new site'))).toEqual([]);
    const { run } = await untilFinished(sim, seededRunning.id);
    expect(run.logs.length).toBeGreaterThan(seededRunning.logs.length);
  });

  it('is off by default: without it nothing moves', async () => {
    const sim = await simulator({ schedulerMs: 5 });
    const wan = idOf(sim, 'WAN failover alert');
    const before = sim.runsOf(wan);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sim.runsOf(wan)).toEqual(before);
  });

  it('is on in the options npm start uses', () => {
    expect(DEMO_SIMULATOR_OPTIONS).toMatchObject({ scheduler: true });
  });
});

describe('timestamps', () => {
  it('are moved so the seed’s newest activity is just before the start, while ids stay the same', async () => {
    const now = Date.UTC(2027, 5, 1, 12, 0, 0);
    const [a, b] = [await simulator({ now }), await simulator({ now: SEED_NOW })];
    const wan = idOf(a, 'WAN failover alert');
    const [shifted, original] = [a.runsOf(wan), b.runsOf(wan)];
    expect(shifted.map((run) => run.id)).toEqual(original.map((run) => run.id));
    const offset = now - SEED_NOW;
    expect(Date.parse(shifted[10]!.started_at!) - Date.parse(original[10]!.started_at!)).toBe(offset);
    expect(Date.parse(shifted[10]!.logs[0]!.created_at) - Date.parse(original[10]!.logs[0]!.created_at)).toBe(offset);
    const newest = Math.max(...a.workflowsOf(DEMO_TOKENS.acme).flatMap((w) => a.runsOf(w.id).map((run) => Date.parse(run.started_at!))));
    expect(newest).toBeLessThan(now);
    expect(newest).toBeGreaterThan(now - 10 * 60_000);
  });

  it('of runs started at run time follow the simulator’s clock', async () => {
    const now = Date.UTC(2027, 5, 1, 12, 0, 0);
    const sim = await simulator({ now });
    const { body } = await post(sim, `/workflows/${idOf(sim, 'WAN failover alert')}/execute`);
    expect(Date.parse(body.started_at)).toBeGreaterThanOrEqual(now);
    expect(Date.parse(body.started_at)).toBeLessThanOrEqual(sim.now());
  });
});
