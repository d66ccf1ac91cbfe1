/**
 * A Relay connection over a page-numbered, newest-first list whose server picks the page size:
 * Workflow.executions over Altostrat's run list (GraphQL Cursor Connections Specification;
 * docs/guarantees.md, "Pagination"). Pure and generic over its items: it only needs their ids.
 *
 * Invariant: walking with `endCursor` from start to end yields every item exactly once, in list
 * order, also while new items are added at the head. How: windows are taken in ranks (position
 * from the oldest item, see plan.ts), which new items do not move. Each fetched page is read under
 * its own total, so pages answered before and after an insertion still agree on every item's rank.
 * A cursor carries its item's rank, the total and page size it was made under, and the item's id
 * (wherever that item is seen again, its rank is taken from there).
 *
 * Resolution runs in waves: plan the pages that hold the wanted ranks under the best estimate of
 * total and page size, fetch the missing ones concurrently, and plan again until every wanted rank
 * is held. Without drift that is one wave (two when the page size or, for `last`, the total must
 * first be learned). A page fetched before new items arrived can be asked again (`fresh`). An
 * answer that cannot be a page of the list as read so far (more items than its page size, items
 * past its own total, an item another page placed at another rank or another item at its rank, a
 * page read again that answers as before: Laravel counts and selects in two queries, and items
 * arriving or aging out between them give such pages) starts the read over, every page asked
 * afresh, planned from what the last wave said. The page
 * size is taken from the latest answer, then from what the server said before (`ListHints`),
 * and only then from the cursor, so a plan never rests on a figure the server did not give. The
 * total is taken from the answers, before the first from the cursors; a `first` slice from the
 * head takes the list's last known total, so that it asks for no page past the end of a list
 * that was short (a list grown since costs one more wave, for pages it would have asked anyway).
 * Figures from before only plan: every answer is placed under its own meta, and a plan they got
 * wrong is made again from the answers.
 */
import { codedError, ErrorCode } from '../errors.js';
import type { CursorCodec, RankCursor } from './cursor.js';
import {
  edgeOf,
  indexOfRank,
  pageInfo,
  pageOfIndex,
  pagesForIndexes,
  rangeSize,
  sliceRanks,
  sliceSize,
  type Connection,
  type Edge,
  type PageArgs,
  type RankRange,
  type SliceSize,
} from './plan.js';

/** One page as the server answered it. */
export interface ListPage<T> {
  items: T[];
  page: number;
  perPage: number;
  total: number;
}

/** One page; null when the list does not exist. `fresh` bypasses the caller's cache. */
export type FetchPage<T> = (page: number, fresh: boolean) => Promise<ListPage<T> | null>;

/** What the server said of the list before this read: its page size, and its total when last read. */
export interface ListHints {
  perPage?: number | undefined;
  total?: number | undefined;
}

/** What to read from one list: validated arguments, before any fetch. */
export interface PagedListRequest {
  listId: string;
  size: SliceSize;
  after: RankCursor | undefined;
  before: RankCursor | undefined;
}

/** Validates the arguments; bad ones are BAD_USER_INPUT. `countOnly`: only totalCount is wanted. */
export function pagedListRequest(listId: string, args: PageArgs, codec: CursorCodec, countOnly = false): PagedListRequest {
  const size = sliceSize(args);
  const cursor = (value: string | null | undefined, name: string) =>
    value === null || value === undefined ? undefined : codec.decodeRank(value, name, listId);
  return {
    listId,
    size: countOnly ? { from: 'first', count: 0 } : size,
    after: cursor(args.after, 'after'),
    before: cursor(args.before, 'before'),
  };
}

type Step<T> = { done: Connection<T> } | { fetch: number[] };

/** Pages fetched so far in one resolution, and what they say. */
class FetchedPages<T extends { id: string }> {
  readonly byNumber = new Map<number, ListPage<T>>();
  readonly itemByRank = new Map<number, T>();
  readonly rankById = new Map<string, number>();
  /** The total as page 1 first said it: fixes where the head was for a window that starts there. */
  headTotal: number | undefined;
  lastPerPage: number | undefined;
  maxTotal: number | undefined;

  /**
   * `restarted`: the read started over, so no page fetched before may be reused, and what the
   * last wave said (page size, total) plans the first wave of the new read.
   */
  constructor(readonly restarted?: { perPage: number; total: number }) {}

  /** Places the page's items by rank; says why, placing nothing, when it cannot be a page of the list as read so far. */
  add(page: number, answer: ListPage<T>): string | undefined {
    const { items, perPage, total } = answer;
    const start = (page - 1) * perPage;
    if (items.length > perPage || (items.length > 0 && start + items.length > total)) {
      return `page ${page} holds ${items.length} runs where its meta (per_page ${perPage}, total ${total}) allows ${Math.max(0, Math.min(perPage, total - start))}`;
    }
    // A page is read again only for runs it should hold and did not: under the same total, it still cannot.
    if (this.byNumber.get(page)?.total === total) return `page ${page}, read again, is as it was, without the runs it should hold`;
    const ranks = items.map((_, offset) => indexOfRank(start + offset, total));
    const moved = items.findIndex((item, i) => (this.rankById.get(item.id) ?? ranks[i]) !== ranks[i]);
    if (moved >= 0) return `run ${items[moved]!.id} is at another position on page ${page} than on another page`;
    const taken = items.findIndex((item, i) => (this.itemByRank.get(ranks[i]!)?.id ?? item.id) !== item.id);
    if (taken >= 0) return `run ${items[taken]!.id} is on page ${page} where another page put run ${this.itemByRank.get(ranks[taken]!)!.id}`;
    this.byNumber.set(page, answer);
    if (page === 1) this.headTotal ??= total;
    this.lastPerPage = perPage;
    this.maxTotal = Math.max(this.maxTotal ?? 0, total);
    items.forEach((item, i) => {
      this.itemByRank.set(ranks[i]!, item);
      this.rankById.set(item.id, ranks[i]!);
    });
    return undefined;
  }
}

const MAX_WAVES = 6;

export async function resolvePagedList<T extends { id: string }>(
  request: PagedListRequest,
  fetchPage: FetchPage<T>,
  hints: ListHints,
  codec: CursorCodec,
): Promise<Connection<T> | null> {
  let fetched = new FetchedPages<T>();
  let disagreement: string | undefined;
  for (let wave = 0; ; wave++) {
    const step = nextStep(request, fetched, hints, codec);
    if ('done' in step) return step.done;
    if (wave === MAX_WAVES) break;
    const answers = await Promise.all(step.fetch.map((page) => fetchPage(page, fetched.restarted !== undefined || fetched.byNumber.has(page))));
    if (answers.some((answer) => answer === null)) return null;
    for (const [i, page] of step.fetch.entries()) {
      const answer = answers[i]!;
      // Items are placed by the page they came from: an answer for another page would misplace them.
      if (answer.page !== page) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat answered page ${answer.page} of the list when asked for page ${page}.`);
      disagreement = fetched.add(page, answer);
      if (disagreement !== undefined) {
        fetched = new FetchedPages<T>({ perPage: answer.perPage, total: Math.max(...answers.map((a) => a!.total)) });
        break;
      }
    }
  }
  const why = disagreement === undefined ? '' : ` (last, ${disagreement})`;
  throw codedError(ErrorCode.UPSTREAM_ERROR, `The list kept changing faster than it could be read${why}; retry the request.`);
}

function nextStep<T extends { id: string }>(
  request: PagedListRequest,
  fetched: FetchedPages<T>,
  hints: ListHints,
  codec: CursorCodec,
): Step<T> {
  const { after, before, size } = request;
  const perPage = fetched.lastPerPage ?? fetched.restarted?.perPage ?? hints.perPage ?? after?.perPage ?? before?.perPage;
  if (perPage === undefined) return { fetch: [1] };
  const total = fetched.maxTotal ?? fetched.restarted?.total ?? maxDefined(after?.total, before?.total) ?? (size.from === 'first' ? hints.total : undefined);
  if (total === undefined) {
    // Nothing known yet and no cursor: a forward slice from the head needs no total.
    return { fetch: size.from === 'first' ? pagesForIndexes(0, Math.max(size.count, 1) - 1, perPage) : [1] };
  }

  const afterRank = after && (fetched.rankById.get(after.itemId) ?? after.rank);
  const beforeRank = before && (fetched.rankById.get(before.itemId) ?? before.rank);
  const window: RankRange = {
    low: beforeRank === undefined ? 0 : beforeRank + 1,
    high: Math.min(total, afterRank ?? fetched.headTotal ?? total) - 1,
  };
  const slice = sliceRanks(window, size);

  const wanted = new Set<number>();
  for (let rank = slice.low; rank <= slice.high; rank++) {
    if (!fetched.itemByRank.has(rank)) wanted.add(pageOfIndex(indexOfRank(rank, total), perPage));
  }
  if (wanted.size > 0) return { fetch: [...wanted].sort((a, b) => a - b) };
  if (fetched.byNumber.size === 0) {
    // Nothing to return, but totalCount and pageInfo need a current answer: read the page the
    // cursor points into.
    const anchor = afterRank ?? beforeRank;
    return { fetch: [anchor === undefined ? 1 : pageOfIndex(Math.max(0, indexOfRank(anchor, total)), perPage)] };
  }

  const edges: Array<Edge<T>> = [];
  for (let rank = slice.high; rank >= slice.low; rank--) {
    const node = fetched.itemByRank.get(rank)!;
    edges.push(edgeOf(node, () => codec.encodeRank({ listId: request.listId, rank, total, perPage, itemId: node.id })));
  }
  return {
    done: {
      edges,
      // Items past the window on the side a cursor was given (none without one, as the Relay spec
      // says: a run that started during this read does not make a first page have a previous one).
      pageInfo: pageInfo(edges, size, rangeSize(window), { before: after !== undefined && window.high < total - 1, after: before !== undefined && window.low > 0 }),
      totalCount: total,
    },
  };
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}
