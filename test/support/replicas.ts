/**
 * Gateway replicas as processes in front of one simulator, and the truth their subscribers are
 * held to. A run of the simulator goes PENDING, RUNNING, then one log entry per step, then
 * COMPLETED or FAILED, one step every `stepMs`; with polls more often than that, a subscriber
 * hears every state from the one it joined at, in order, once, then the stream completes.
 */
import { expect } from 'vitest';
import { maxInFlight, type RecordedCall, type Simulator } from '../../src/demo/simulator.js';
import { endOf, type RunEvent, type Watch } from './live.js';
import { spawnGateway, type GatewayProcess } from './process.js';

export const INTERVAL_MS = 250;
/** Long enough that each state of a run lasts over two poll intervals. */
export const STEP_MS = 600;

/** Starts `count` gateway processes with `env`; `cleanup` gets the steps that kill them. */
export async function startReplicas<N extends 1 | 2>(
  count: N,
  env: Record<string, string>,
  cleanup: Array<() => unknown>,
): Promise<N extends 1 ? [GatewayProcess] : [GatewayProcess, GatewayProcess]> {
  const replicas = await Promise.all(Array.from({ length: count }, () => spawnGateway({ LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS), ...env })));
  for (const replica of replicas) cleanup.push(() => replica.kill());
  return replicas as N extends 1 ? [GatewayProcess] : [GatewayProcess, GatewayProcess];
}

/** Starts a run of `workflowId` through the gateway at `url`; returns its id. */
export async function startRun(url: string, authorization: string, workflowId: string): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query: `mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } } }` }),
  });
  const body = (await response.json()) as { data?: { executeWorkflow: { execution: { id: string } } } };
  if (!body.data) throw new Error(`executeWorkflow failed: ${JSON.stringify(body)}`);
  return body.data.executeWorkflow.execution.id;
}

/** The simulator's reads of one run: what the pollers cost. */
export const runReads = (simulator: Simulator, id: string): RecordedCall[] =>
  simulator.calls.filter((c) => c.method === 'GET' && c.path === `/workflows/runs/${id}`);

export interface State {
  /** `STATUS|logs`, as statesHeard() reads an event. */
  name: string;
  /** When it began (ms since the epoch, the simulator's clock: this process's). */
  at: number;
}

/** Every state the run went through: PENDING|0, RUNNING|0, RUNNING|1, ... then its end. */
export function courseOf(simulator: Simulator, workflowId: string, id: string): State[] {
  const run = simulator.runsOf(workflowId).find((r) => r.id === id)!;
  expect(['completed', 'failed']).toContain(run.status);
  const started = Date.parse(run.started_at!);
  return [
    { name: 'PENDING|0', at: started },
    { name: 'RUNNING|0', at: started + STEP_MS },
    ...run.logs.map((log, n) => ({ name: `RUNNING|${n + 1}`, at: Date.parse(log.created_at) })),
    { name: `${run.status.toUpperCase()}|${run.logs.length}`, at: Date.parse(run.completed_at!) },
  ];
}

export const statesHeard = (w: Watch<RunEvent>): string[] => w.events.map((e) => `${e.executionUpdated.status}|${e.executionUpdated.logs.length}`);

/**
 * The subscriber completed without an error, having heard the run in order, each state once, up
 * to its end, and every state after the one it joined at that began after `since` (the end of a
 * fault and of the takeover it causes: a state that came and went within it may be missed).
 */
export async function expectCourse(w: Watch<RunEvent>, course: () => State[], what: string, since = -Infinity): Promise<void> {
  expect(await endOf(w, 30_000), `${what} ended`).toEqual({ kind: 'complete' });
  expect(w.codes, what).toEqual([]);
  const heard = statesHeard(w);
  const truth = course();
  const names = truth.map((state) => state.name);
  const story = `${what} heard ${heard.join(', ')} of ${names.join(', ')}`;
  const at = heard.map((name) => names.indexOf(name));
  expect(at.every((index, i) => index >= 0 && (i === 0 || index > at[i - 1]!)), `${story}: in order, once each`).toBe(true);
  expect(heard.at(-1), story).toBe(names.at(-1));
  const owed = truth.slice(at[0]! + 1).filter((state) => state.at >= since).map((state) => state.name);
  expect(owed.filter((name) => !heard.includes(name)), `${story}: none missing`).toEqual([]);
}

/** Reads of the run came one at a time, and about one per interval: one poller's worth. */
export function expectOnePoller(reads: RecordedCall[]): void {
  expect(reads.length).toBeGreaterThan(0);
  expect(maxInFlight(reads)).toBe(1);
  const window = reads.at(-1)!.startedAt - reads[0]!.startedAt;
  expect(reads.length).toBeLessThanOrEqual(window / INTERVAL_MS + 2);
}

/** GET `path` on the replica (e.g. /ready, /metrics). */
export async function get(replica: GatewayProcess, path: string): Promise<Response> {
  return fetch(replica.url.replace(/\/graphql$/, path));
}

/** Checks `check` every 50 ms until it holds, failing after `tries` checks with `what`. */
export async function untilAsync(check: () => Promise<boolean>, what: string, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
