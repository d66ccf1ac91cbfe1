// Runs that happen: a run started at run time (execute, rerun, resume, sync, webhook, scheduler)
// goes PENDING -> RUNNING -> one log entry per node on its route, in graph order, one step every
// `stepMs` -> COMPLETED or FAILED. Its whole course is drawn up front with the seed's `buildRun`
// (so its logs look like seeded ones) and then revealed step by step with the current time.
//
// Whether a run fails is deterministic: it fails when its context says `"fail": true`, or when
// its workflow has a node whose data says `"fail": true` (it then fails at that node when the
// route reaches it), or else, unless its context says `"fail": false`, when the simulator's seeded
// stream draws a failure (FAIL_RATE).

import { buildRun, timestamp } from './seed.js';
import type { LogJson, Rng, RunJson } from './seed.js';
import type { Store, WorkflowEntry } from './store.js';
import type { Timers } from './timers.js';

const FAIL_RATE = 0.1;

export interface EngineDeps {
  store: Store;
  timers: Timers;
  rng: Rng;
  /** The simulator's clock, ms since the epoch. */
  now: () => number;
  stepMs: () => number;
  schedulerMs: () => number;
}

export interface StartOptions {
  context?: Record<string, unknown>;
  /** Resume: these logs (already copied) open the run, and the course continues after them. */
  prefix?: LogJson[];
  /** Resume never draws a failure of its own: it retries what broke. */
  mayDrawFailure?: boolean;
  /**
   * The run never ends: after its last step it walks its route again, the new pass's logs
   * replacing the last's, so a watcher always has a run going on (GraphiQL's watch tab in the demo).
   */
  endless?: boolean;
}

export interface Engine {
  /** Creates a pending run at the head of the workflow's list and sets it going. */
  start(entry: WorkflowEntry, options?: StartOptions): RunJson;
  /** Sets a seeded run that is still pending or running going from where it is. */
  resume(entry: WorkflowEntry, run: RunJson): void;
  /** Resolves with the run once it is completed or failed. */
  finished(runId: string): Promise<RunJson>;
  /** Starts or stops the scheduler's runs of scheduled, active workflows. */
  schedule(on: boolean): void;
}

export function createEngine({ store, timers, rng, now, stepMs, schedulerMs }: EngineDeps): Engine {
  const waiting = new Map<string, Array<(run: RunJson) => void>>();

  function plan(entry: WorkflowEntry, startedAt: number, context: Record<string, unknown>, mayDrawFailure: boolean): RunJson {
    const designed = entry.workflow.nodes.find((node) => node.data.fail === true);
    const fails = context.fail === true || designed !== undefined || (context.fail !== false && mayDrawFailure && rng() < FAIL_RATE);
    return buildRun(entry.workflow, startedAt, fails ? 'failed' : 'completed', rng, 0.5, designed?.id);
  }

  function finish(run: RunJson, queue: LogJson[]): void {
    const failed = queue.find((log) => log.status === 'error');
    const completedAt = now();
    run.status = failed ? 'failed' : 'completed';
    const reason = (failed?.output as { error?: unknown } | null | undefined)?.error;
    run.error_message = failed ? (typeof reason === 'string' ? reason : `Step ${failed.node_id} failed`) : null;
    run.completed_at = timestamp(completedAt);
    run.duration_in_seconds = Math.round((completedAt - Date.parse(run.started_at ?? timestamp(completedAt))) / 1000);
    for (const resolve of waiting.get(run.id) ?? []) resolve(run);
    waiting.delete(run.id);
  }

  /**
   * One step every stepMs: running, then each log of `queue`, then the end (or, for an endless
   * run, a fresh pass from `again` with no logs yet); stops if the run was deleted.
   */
  function drive(run: RunJson, queue: LogJson[], again?: () => LogJson[]): void {
    let next = 0;
    const step = () => {
      if (!store.holds(run.id)) return;
      if (run.status === 'pending') run.status = 'running';
      else if (next < queue.length) run.logs.push({ ...(queue[next++] as LogJson), created_at: timestamp(now()) });
      else if (again) [queue, next, run.logs] = [again(), 0, []];
      else return finish(run, queue);
      timers.after(stepMs(), step);
    };
    timers.after(stepMs(), step);
  }

  const engine: Engine = {
    start(entry, { context = {}, prefix = [], mayDrawFailure = true, endless = false } = {}) {
      const startedAt = now();
      const course = plan(entry, startedAt, context, mayDrawFailure && !endless);
      const done = new Set(prefix.map((log) => log.node_id));
      const run: RunJson = { ...course, status: 'pending', error_message: null, completed_at: null, duration_in_seconds: null, logs: [...prefix] };
      store.addRuns(entry, [run], context);
      const again = endless ? () => plan(entry, now(), context, false).logs : undefined;
      drive(run, course.logs.filter((log) => !done.has(log.node_id)), again);
      return run;
    },
    resume(entry, run) {
      const course = plan(entry, Date.parse(run.started_at ?? '') || now(), {}, true);
      drive(run, course.logs.slice(run.logs.length));
    },
    finished(runId) {
      return new Promise((resolve) => waiting.set(runId, [...(waiting.get(runId) ?? []), resolve]));
    },
    schedule(on) {
      scheduling = on;
      if (on && !ticking) tick();
    },
  };

  // One ticker looks at every scheduled, active workflow, so created, edited and deleted
  // workflows need no timers of their own. Each fires every 0.5x to 1.5x `schedulerMs`.
  let scheduling = false;
  let ticking = false;
  const due = new Map<string, number>();
  function tick(): void {
    ticking = scheduling;
    if (!scheduling) return;
    const at = now();
    for (const entry of store.allWorkflows()) {
      const { id, is_active: active, schedule_type: type } = entry.workflow;
      if (!active || type === null || type === 'manual') continue;
      const when = due.get(id);
      if (when !== undefined && when <= at) engine.start(entry);
      if (when === undefined || when <= at) due.set(id, at + schedulerMs() * (0.5 + rng()));
    }
    timers.after(Math.max(10, schedulerMs() / 10), tick);
  }

  return engine;
}
