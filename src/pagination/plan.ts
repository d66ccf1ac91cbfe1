/**
 * Page arithmetic for connections over a newest-first, page-numbered list. Pure: no I/O.
 *
 * Two coordinates are used. An *index* counts from the head of the list as the upstream pages it
 * (0 = newest), so it moves when runs arrive. A *rank* counts from the tail (0 = oldest) and does
 * not move. With `total` runs, index = total - 1 - rank. Windows and slices are taken in ranks;
 * pages are found through the index under a given total and page size.
 */
import { badInput } from '../errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}

/** How much of the window to return: the first `count` (newest) or the last `count` (oldest). */
export interface SliceSize {
  from: 'first' | 'last';
  count: number;
}

/** Reads `first`/`last`: one of them, 0 to 100; neither means the first 20. */
export function sliceSize({ first, last }: PageArgs): SliceSize {
  const given = (value: number | null | undefined): value is number => value !== null && value !== undefined;
  if (given(first) && given(last)) {
    throw badInput('Pass either `first` (to page forward) or `last` (to page backward), not both.');
  }
  for (const [name, value] of [['first', first], ['last', last]] as const) {
    if (given(value) && (value < 0 || value > MAX_PAGE_SIZE)) {
      throw badInput(`\`${name}\` must be between 0 and ${MAX_PAGE_SIZE}, got ${value}.`);
    }
  }
  if (given(last)) return { from: 'last', count: last };
  return { from: 'first', count: given(first) ? first : DEFAULT_PAGE_SIZE };
}

/** Inclusive rank range; empty when `high < low`. */
export interface RankRange {
  low: number;
  high: number;
}

export const rangeSize = (r: RankRange): number => Math.max(0, r.high - r.low + 1);

/** The ranks to return from a window: its newest `count` for `first`, its oldest for `last`. */
export function sliceRanks(window: RankRange, size: SliceSize): RankRange {
  const count = Math.min(size.count, rangeSize(window));
  return size.from === 'first'
    ? { low: window.high - count + 1, high: window.high }
    : { low: window.low, high: window.low + count - 1 };
}

export const indexOfRank = (rank: number, total: number): number => total - 1 - rank;

/** 1-based page that holds a 0-based index. */
export const pageOfIndex = (index: number, perPage: number): number => Math.floor(index / perPage) + 1;

/** The pages holding indexes `from` to `to` inclusive, ascending; none when the range is empty. */
export function pagesForIndexes(from: number, to: number, perPage: number): number[] {
  if (to < from) return [];
  const pages: number[] = [];
  for (let page = pageOfIndex(Math.max(0, from), perPage); page <= pageOfIndex(to, perPage); page++) pages.push(page);
  return pages;
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/**
 * An edge whose cursor is signed when first read, then kept: most queries never ask for
 * cursors, and an HMAC for every edge would be work thrown away.
 *
 * A class, never an object literal with a getter: V8 keeps the accessor pair of such a literal in
 * old space, so its closure, and the whole request the closure reaches, outlives every scavenge
 * until the next full GC. A getter on a prototype is made once.
 */
class LazyEdge<T> implements Edge<T> {
  #cursor: string | undefined;
  readonly #sign: () => string;

  constructor(
    readonly node: T,
    sign: () => string,
  ) {
    this.#sign = sign;
  }

  get cursor(): string {
    return (this.#cursor ??= this.#sign());
  }
}

export const edgeOf = <T>(node: T, sign: () => string): Edge<T> => new LazyEdge(node, sign);

export interface Connection<T> {
  edges: Array<Edge<T>>;
  pageInfo: PageInfo;
  totalCount: number;
}

/**
 * PageInfo for a slice of a window (the items between `after` and `before`), as the Cursor
 * Connections Specification defines it: with `first`, more follow when the window holds more than
 * the slice; with `last`, more come before when it does. The other direction says whether the
 * whole list goes on past the window's edge.
 */
export function pageInfo<T>(
  edges: ReadonlyArray<Edge<T>>,
  size: SliceSize,
  windowSize: number,
  beyond: { before: boolean; after: boolean },
): PageInfo {
  return new LazyPageInfo(
    edges,
    size.from === 'first' ? windowSize > size.count : beyond.after,
    size.from === 'last' ? windowSize > size.count : beyond.before,
  );
}

/** PageInfo whose cursors are read when asked for, like the edges' own (a class: see LazyEdge). */
class LazyPageInfo<T> implements PageInfo {
  readonly #edges: ReadonlyArray<Edge<T>>;

  constructor(
    edges: ReadonlyArray<Edge<T>>,
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
  ) {
    this.#edges = edges;
  }

  get startCursor(): string | null {
    return this.#edges[0]?.cursor ?? null;
  }

  get endCursor(): string | null {
    return this.#edges.at(-1)?.cursor ?? null;
  }
}
