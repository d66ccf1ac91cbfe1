/**
 * What the subscriptions poll (docs/guarantees.md, "Live updates"): the sources the live hub runs,
 * one poll at a time, for one (token, run) or (token, workflow). Each poll gets a client of its
 * own, made for that poll with the subscriber's token, so nothing here depends on the request that
 * subscribed first. Events and state are plain JSON: with Redis they travel between replicas.
 *
 * A refusal of the token (401, 403) or a 404 ends every stream of the topic with its code; any
 * other fault is transient and the hub retries it with backoff.
 */
import { GraphQLError } from 'graphql';
import { ErrorCode } from './errors.js';
import { LiveEnd, type Json, type StreamEvents, type Source } from './live/index.js';
import type { AltostratClient } from './upstream/client.js';
import { isFinished } from './upstream/finished-runs.js';
import type { RunRecord } from './upstream/records.js';

/** A client for one poll, ended by its signal; `sent` is told of each call as it goes out. */
export type PollClient = (signal: AbortSignal, sent: () => void) => AltostratClient;

/**
 * What counts as a change of a run: its status, how many log entries it has and the last one's id
 * (so that logs that start over, as the demo's endless run's do, are a change too), when it ended.
 */
const runChange = (run: RunRecord): string => `${run.status}|${run.logs?.length ?? -1}|${run.logs?.at(-1)?.id ?? ''}|${textOf(run.completedAt ?? '')}`;

/** A time as sent, or any other JSON Altostrat sent in its place (records.ts keeps it for its field to fail). */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * executionUpdated's events are the run as it now is: a late subscriber starts with the last one,
 * and a run that comes back to an earlier state (running again after awaiting a UI interaction,
 * with the same logs) is sent again.
 */
export const RUN_STATES: StreamEvents<RunRecord> = { replayLast: true, identify: runChange, events: 'states' };

/** executionStarted's events: each run once, whatever its status by then. */
export const RUNS_STARTED: StreamEvents<RunRecord> = { replayLast: false, identify: (run) => run.id, events: 'occurrences' };

/** Ends the topic for faults that retrying cannot mend; passes the others on as transient. */
function ending(error: unknown): never {
  const code = error instanceof GraphQLError ? error.extensions.code : undefined;
  if (code === ErrorCode.UNAUTHENTICATED || code === ErrorCode.FORBIDDEN) throw new LiveEnd(code, (error as Error).message);
  throw error;
}

/** executionUpdated: the run now (the first poll), then the run again whenever it changes; done at a terminal status. */
export function runSource(runId: string, clientFor: PollClient): Source<RunRecord> {
  return {
    async poll(state, signal, sent) {
      const run = await clientFor(signal, sent).getRun(runId).catch(ending);
      if (run === null) throw new LiveEnd(ErrorCode.NOT_FOUND, `Altostrat has no execution ${runId} for this token.`);
      const now = runChange(run);
      const changed = state !== now;
      return { events: changed ? [run] : [], state: now, done: changed && isFinished(run.status) };
    },
  };
}

/** What the new-runs source remembers between polls: the list's total and the ids at its head. */
interface HeadState {
  total: number;
  head: string[];
}

const isHeadState = (state: Json | undefined): state is HeadState & Json =>
  typeof state === 'object' && state !== null && !Array.isArray(state) && typeof state.total === 'number' && Array.isArray(state.head);

/**
 * Pages read at most per poll: on Altostrat's 15-run pages, 300 runs of one workflow started
 * within one interval. A longer burst is cut to its newest runs (docs/guarantees.md, "Live
 * updates"); past that, a poller would make a call per page of the burst every interval.
 */
export const MAX_PAGES_PER_POLL = 20;

/**
 * executionStarted: runs that appear at the head of the workflow's list after the first poll, in
 * the order they started. Page 1 is read every poll; when the total grew by more than page 1
 * shows, the next pages are read too, so no run of a burst is missed. The first poll only takes
 * the baseline: runs that existed before are never sent.
 */
export function newRunsSource(workflowId: string, clientFor: PollClient): Source<RunRecord> {
  return {
    async poll(state, signal, sent) {
      const client = clientFor(signal, sent);
      const first = await client.listExecutions(workflowId, 1).catch(ending);
      if (first === null) throw new LiveEnd(ErrorCode.NOT_FOUND, `Altostrat has no workflow ${workflowId} for this token.`);
      const next: HeadState = { total: first.total, head: first.items.map((run) => run.id) };
      if (!isHeadState(state)) return { events: [], state: next as unknown as Json };
      const before = new Set(state.head);
      const seen = new Set<string>();
      const fresh: RunRecord[] = [];
      const arrived = first.total - state.total;
      let page = first;
      for (let n = 1; ; ) {
        // A run that arrives between two page reads shifts the list, so a run can show up twice.
        for (const run of page.items) {
          if (before.has(run.id) || seen.has(run.id)) continue;
          seen.add(run.id);
          fresh.push(run);
        }
        const reachedOldHead = page.items.some((run) => before.has(run.id));
        if (reachedOldHead || fresh.length >= arrived || page.items.length === 0 || n >= MAX_PAGES_PER_POLL) break;
        n++;
        const answer = await client.listExecutions(workflowId, n).catch(ending);
        if (answer === null) break;
        page = answer;
      }
      return { events: fresh.reverse(), state: next as unknown as Json };
    },
  };
}
