/**
 * Workflow.executions as a Relay connection over Altostrat's page-numbered, newest-first run list
 * (GraphQL Cursor Connections Specification; ../shared/CONTRACT.md, "Pagination").
 *
 * Invariant: walking with `endCursor` from start to end yields every run exactly once, in upstream
 * order, also while new runs are added at the head. How: windows are taken in ranks (position from
 * the oldest run, see plan.ts), which new runs do not move. Each fetched page is read under its own
 * meta.total, so pages answered before and after an insertion still agree on every run's rank.
 * A cursor carries its run's rank, the total and page size it was made under (to plan the next
 * pages before any answer: with no new runs the first wave is exactly the pages needed) and the
 * run's id (wherever that run is seen again, its rank is taken from there).
 *
 * Resolution runs in waves: plan the pages that hold the wanted ranks under the best estimate of
 * total and page size, fetch the missing ones concurrently, and plan again until every wanted rank
 * is held. Without drift that is one wave (two when the page size or, for `last`, the total must
 * first be learned). A page fetched before new runs arrived can be asked again (`fresh`).
 */
import { codedError, ErrorCode } from '../errors.js';
import type { RunPageRecord, RunRecord } from '../upstream/records.js';
import { decodeExecutionCursor, encodeExecutionCursor, type ExecutionCursor } from './cursor.js';
import {
  indexOfRank,
  pageOfIndex,
  pagesForIndexes,
  rangeSize,
  sliceRanks,
  sliceSize,
  type PageArgs,
  type RankRange,
  type SliceSize,
} from './plan.js';

export interface ExecutionsRequest {
  workflowId: string;
  size: SliceSize;
  after: ExecutionCursor | undefined;
  before: ExecutionCursor | undefined;
}

/** Validates the arguments before any upstream call; bad ones are BAD_USER_INPUT. */
export function executionsRequest(workflowId: string, args: PageArgs): ExecutionsRequest {
  const size = sliceSize(args);
  const cursor = (value: string | null | undefined, name: string) =>
    value === null || value === undefined ? undefined : decodeExecutionCursor(value, name, workflowId);
  return { workflowId, size, after: cursor(args.after, 'after'), before: cursor(args.before, 'before') };
}

/** The page size learned from earlier answers of this process: a planning hint, always re-checked. */
export interface PageSizeHint {
  perPage: number | undefined;
}

export interface ExecutionEdge {
  cursor: string;
  node: RunRecord;
}

export interface ExecutionsPage {
  edges: ExecutionEdge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/** One upstream page; null when the workflow does not exist. `fresh` bypasses this request's cache. */
export type FetchPage = (page: number, fresh: boolean) => Promise<RunPageRecord | null>;

interface PageFetch {
  page: number;
  fresh: boolean;
}

type Step = { done: ExecutionsPage } | { fetch: PageFetch[] };

/** Pages fetched so far in one resolution, and what they say. */
class FetchedPages {
  readonly byNumber = new Map<number, RunPageRecord>();
  readonly runByRank = new Map<number, RunRecord>();
  readonly rankById = new Map<string, number>();
  /** meta.total as page 1 first said it: fixes where the head was for a window that starts there. */
  headTotal: number | undefined;
  lastPerPage: number | undefined;
  maxTotal: number | undefined;

  add(page: number, record: RunPageRecord): void {
    this.byNumber.set(page, record);
    if (page === 1) this.headTotal ??= record.total;
    this.lastPerPage = record.perPage;
    this.maxTotal = Math.max(this.maxTotal ?? 0, record.total);
    record.runs.forEach((run, offset) => {
      const rank = indexOfRank((page - 1) * record.perPage + offset, record.total);
      this.runByRank.set(rank, run);
      this.rankById.set(run.id, rank);
    });
  }
}

const MAX_WAVES = 6;

/** The first pages `resolveExecutions` will ask for, so a caller can start them early. */
export function firstWave(request: ExecutionsRequest, hint: PageSizeHint): number[] {
  const step = nextStep(request, new FetchedPages(), hint);
  return 'fetch' in step ? step.fetch.map((f) => f.page) : [];
}

export async function resolveExecutions(
  request: ExecutionsRequest,
  fetchPage: FetchPage,
  hint: PageSizeHint,
): Promise<ExecutionsPage | null> {
  const fetched = new FetchedPages();
  for (let wave = 0; wave < MAX_WAVES; wave++) {
    const step = nextStep(request, fetched, hint);
    if ('done' in step) return step.done;
    const records = await Promise.all(step.fetch.map(({ page, fresh }) => fetchPage(page, fresh)));
    if (records.some((record) => record === null)) return null;
    step.fetch.forEach(({ page }, i) => fetched.add(page, records[i]!));
  }
  throw codedError(
    ErrorCode.UPSTREAM_ERROR,
    "The workflow's executions kept changing faster than they could be read; retry the request.",
  );
}

function nextStep(request: ExecutionsRequest, fetched: FetchedPages, hint: PageSizeHint): Step {
  const { after, before, size } = request;
  const perPage = fetched.lastPerPage ?? after?.perPage ?? before?.perPage ?? hint.perPage;
  if (perPage === undefined) return fetchAll([1]);
  const total = fetched.maxTotal ?? maxDefined(after?.total, before?.total);
  if (total === undefined) {
    // Nothing known yet and no cursor: a forward slice from the head needs no total.
    return fetchAll(size.from === 'first' ? pagesForIndexes(0, Math.max(size.count, 1) - 1, perPage) : [1]);
  }

  const afterRank = after && (fetched.rankById.get(after.runId) ?? after.rank);
  const beforeRank = before && (fetched.rankById.get(before.runId) ?? before.rank);
  const window: RankRange = {
    low: beforeRank === undefined ? 0 : beforeRank + 1,
    high: Math.min(total, afterRank ?? fetched.headTotal ?? total) - 1,
  };
  const slice = sliceRanks(window, size);

  const wanted = new Set<number>();
  for (let rank = slice.low; rank <= slice.high; rank++) {
    if (!fetched.runByRank.has(rank)) wanted.add(pageOfIndex(indexOfRank(rank, total), perPage));
  }
  if (wanted.size > 0) {
    return { fetch: [...wanted].sort((a, b) => a - b).map((page) => ({ page, fresh: fetched.byNumber.has(page) })) };
  }
  if (fetched.byNumber.size === 0) {
    // Nothing to return, but totalCount and pageInfo need a current answer: read the page the
    // cursor points into.
    const anchor = afterRank ?? beforeRank;
    return fetchAll([anchor === undefined ? 1 : pageOfIndex(Math.max(0, indexOfRank(anchor, total)), perPage)]);
  }

  const edges: ExecutionEdge[] = [];
  for (let rank = slice.high; rank >= slice.low; rank--) {
    const node = fetched.runByRank.get(rank)!;
    edges.push({
      cursor: encodeExecutionCursor({ workflowId: request.workflowId, rank, total, perPage, runId: node.id }),
      node,
    });
  }
  return {
    done: {
      edges,
      pageInfo: {
        hasPreviousPage: size.from === 'last' ? rangeSize(window) > size.count : window.high < total - 1,
        hasNextPage: size.from === 'first' ? rangeSize(window) > size.count : window.low > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      totalCount: total,
    },
  };
}

const fetchAll = (pages: number[]): Step => ({ fetch: pages.map((page) => ({ page, fresh: false })) });

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}
