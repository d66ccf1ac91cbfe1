// An in-process stand-in for Altostrat's Workflows REST API on real HTTP: the whole API (see
// routes.ts), Laravel's paginator envelope and error bodies, bearer-token auth per organisation,
// runs that progress over time (live.ts). `npm start` serves it as the demo upstream and the
// integration tests drive it (call log, faults, latency, runs arriving at the head of a list).
// It is the other side of the wire, so it imports nothing from the gateway and speaks only the
// upstream's snake_case JSON. This module assembles the parts and owns the options.

import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildRun, ulid, createRng, createSeed, shiftTimestamps, SEED_NOW } from './seed.js';
import type { RunJson, WorkflowJson } from './seed.js';
import { message } from './laravel.js';
import { injectFault, send } from './faults.js';
import type { Fault } from './faults.js';
import { createRecorder, isWrite } from './recorder.js';
import type { RecordedCall } from './recorder.js';
import { createRoutes, dispatch } from './routes.js';
import { Store } from './store.js';
import { createEngine } from './live.js';
import { createTimers } from './timers.js';

export { DEMO_TOKENS } from './seed.js';
export { maxInFlight } from './recorder.js';
export type { Fault, RecordedCall };

export interface SimulatorOptions {
  /** per_page of executions pages, default 15. */
  pageSize?: number;
  /**
   * List items, and the runs execute, rerun and resume answer with, carry `logs`, default true;
   * when false they have no `logs` key at all.
   */
  inlineLogs?: boolean;
  /** GET /workflows items include nodes and edges, default false (the reference allows leaving them out). */
  listWorkflowGraph?: boolean;
  /** Delay before every answer, default 0. */
  latencyMs?: number;
  /** Consulted for every request after it is recorded (and its body read). */
  fault?: (call: RecordedCall) => Fault | undefined;
  /** Time between two steps of a living run (pending -> running -> each log -> the end), default 800. */
  stepMs?: number;
  /**
   * Default false. When true, active scheduled workflows start runs of their own, each every 0.5x
   * to 1.5x `schedulerMs`, and the seed's pending and running runs carry on to their end.
   */
  scheduler?: boolean;
  /** The scheduler's mean period per workflow, default 20000. */
  schedulerMs?: number;
  /**
   * The simulator's clock at start, ms since the epoch; default Date.now(). The seed's newest
   * activity is just before it: every seeded timestamp is shifted by `now - SEED_NOW`.
   */
  now?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

export type RuntimeOptions = Omit<SimulatorOptions, 'host' | 'port' | 'now'>;

/** What `npm start` runs: a demo that lives, at a pace a person can follow. */
export const DEMO_SIMULATOR_OPTIONS: SimulatorOptions = Object.freeze({ scheduler: true, stepMs: 800, schedulerMs: 20_000 });

export interface Simulator {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:54321. */
  readonly url: string;
  /** Every request received, in order. */
  readonly calls: RecordedCall[];
  clearCalls(): void;
  /** Changes options at run time; a key given as undefined goes back to its default. */
  configure(options: Partial<RuntimeOptions>): void;
  /** Adds completed runs at the head, each later than every run so far; returns them newest first. */
  insertRuns(workflowId: string, count: number): RunJson[];
  /** Starts a run of the workflow that never ends (live.ts: `endless`); GraphiQL's watch tab opens on it in the demo. */
  startEndlessRun(workflowId: string): RunJson;
  /** Adds `copies` workflows like this one (same organisation, graph and number of runs, new ids); for load. */
  cloneWorkflow(workflowId: string, copies: number): WorkflowJson[];
  /** Ground truth, newest first (a copy). */
  runsOf(workflowId: string): RunJson[];
  /** Ground truth for the token's organisation (copies, with nodes and edges); [] for other tokens. */
  workflowsOf(token: string): WorkflowJson[];
  /** The secret stored for a vault item (which no endpoint returns), undefined when there is none. */
  secretOf(vaultId: string): string | undefined;
  /** The simulator's clock now, ms since the epoch (`now` at start plus the time since). */
  now(): number;
  /** Closes the server, stops every living run and the scheduler, and destroys open sockets, stalled ones too. */
  close(): Promise<void>;
}

interface Settings {
  pageSize: number;
  inlineLogs: boolean;
  listWorkflowGraph: boolean;
  latencyMs: number;
  fault: ((call: RecordedCall) => Fault | undefined) | undefined;
  stepMs: number;
  scheduler: boolean;
  schedulerMs: number;
}

function settle(options: RuntimeOptions): Settings {
  const settings = {
    pageSize: options.pageSize ?? 15,
    inlineLogs: options.inlineLogs ?? true,
    listWorkflowGraph: options.listWorkflowGraph ?? false,
    latencyMs: options.latencyMs ?? 0,
    fault: options.fault,
    stepMs: options.stepMs ?? 800,
    scheduler: options.scheduler ?? false,
    schedulerMs: options.schedulerMs ?? 20_000,
  };
  if (!Number.isInteger(settings.pageSize) || settings.pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${settings.pageSize}`);
  for (const key of ['latencyMs', 'stepMs'] as const) {
    if (!(settings[key] >= 0)) throw new RangeError(`${key} must be 0 or more, got ${settings[key]}`);
  }
  if (!(settings.schedulerMs > 0)) throw new RangeError(`schedulerMs must be more than 0, got ${settings.schedulerMs}`);
  return settings;
}

/** A write body larger than this is refused with 413; no endpoint takes anything near it. */
const MAX_BODY_BYTES = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<{ body: unknown; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { body: undefined, tooLarge: true };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { body: text === '' ? '' : (JSON.parse(text) as unknown), tooLarge: false };
  } catch {
    return { body: text, tooLarge: false };
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { host = '127.0.0.1', port = 0, now: startedAt = Date.now(), ...runtime } = options;
  let settings = settle(runtime);
  const t0 = performance.now();
  const now = () => Math.floor(startedAt + (performance.now() - t0));

  // createSeed() builds fresh objects on every call, so each simulator mutates only its own copy.
  const store = new Store(shiftTimestamps(createSeed(), startedAt - SEED_NOW));
  // Run-time data comes from its own seeded stream, so it is the same from one test run to the next.
  const rng = createRng(0x1a7e);
  // Inserted runs start after the clock and after each other, so they are newer than every run so far.
  let clock = startedAt;

  const recorder = createRecorder();
  const timers = createTimers();
  const engine = createEngine({ store, timers, rng, now, stepMs: () => settings.stepMs, schedulerMs: () => settings.schedulerMs });
  let closed = false;
  let url = '';

  const routes = createRoutes({
    store,
    engine,
    rng,
    now,
    baseUrl: () => url,
    pageSize: () => settings.pageSize,
    inlineLogs: () => settings.inlineLogs,
    listWorkflowGraph: () => settings.listWorkflowGraph,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const target = new URL(req.url ?? '/', url);
    const call = recorder.record(req, res, target);
    let body: unknown;
    if (isWrite(method)) {
      const read = await readBody(req);
      if (read.tooLarge) return send(res, message(413, 'Content Too Large'));
      body = call.body = read.body;
    }
    const fault = settings.fault?.(call);
    if (settings.latencyMs > 0) await timers.sleep(settings.latencyMs);
    if (closed || (fault && 'kind' in fault && fault.kind === 'stall')) return;

    const found = dispatch(routes, store, method, target.pathname, call.authorization);
    const answer = async () => {
      if (!('route' in found)) return found;
      const { route, params, orgId } = found;
      return route.handler({ orgId, params, query: target.searchParams, body, idempotencyKey: call.idempotencyKey, method, path: target.pathname });
    };
    if (fault) await injectFault(res, fault, answer);
    else send(res, await answer());
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug here should reach the test that triggered it, not hang it.
      if (!res.headersSent) send(res, message(500, `Simulator error: ${String(error)}`));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  // With the scheduler on, the seed's runs still in flight carry on; otherwise they stay as
  // seeded, so tests comparing against runsOf() see a truth that does not move under them.
  if (settings.scheduler) {
    for (const entry of store.allWorkflows()) {
      for (const run of entry.runs) if (run.status === 'pending' || run.status === 'running') engine.resume(entry, run);
    }
  }
  engine.schedule(settings.scheduler);

  let closing: Promise<void> | undefined;

  return {
    url,
    calls: recorder.calls,
    clearCalls: recorder.clear,
    configure(changes) {
      settings = settle({ ...settings, ...changes });
      engine.schedule(settings.scheduler);
    },
    insertRuns(workflowId, count) {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
      const entry = store.entryOf(workflowId);
      const fresh: RunJson[] = [];
      clock = Math.max(clock, now());
      for (let i = 0; i < count; i++) {
        const run = buildRun(entry.workflow, clock + 1000, 'completed', rng);
        clock = Date.parse(run.completed_at ?? run.started_at ?? '');
        fresh.unshift(run);
      }
      store.addRuns(entry, fresh);
      return structuredClone(fresh);
    },
    startEndlessRun(workflowId) {
      return structuredClone(engine.start(store.entryOf(workflowId), { endless: true }));
    },
    cloneWorkflow(workflowId, copies) {
      const source = store.entryOf(workflowId);
      const added: WorkflowJson[] = [];
      for (let i = 1; i <= copies; i++) {
        const workflow = { ...structuredClone(source.workflow), id: `fl_${ulid(clock, rng)}`, name: `${source.workflow.name} (${i + 1})` };
        const runs = source.runs.map((run) => buildRun(workflow, Date.parse(run.started_at ?? '') || clock, run.status, rng));
        store.addRuns(store.addWorkflow(source.orgId, workflow, source.authorizationId), runs);
        added.push(structuredClone(workflow));
      }
      return added;
    },
    runsOf(workflowId) {
      return structuredClone(store.entryOf(workflowId).runs);
    },
    workflowsOf(token) {
      const orgId = store.orgOf(token);
      return orgId === undefined ? [] : store.workflows(orgId).map((entry) => structuredClone(entry.workflow));
    },
    secretOf: (vaultId) => store.secretOf(vaultId),
    now,
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        timers.clearAll();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
