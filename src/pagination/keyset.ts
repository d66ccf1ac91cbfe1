/**
 * Keyset pages over a plain list of timestamped entries (Workflow.logs, Query.recentLogs; see
 * docs/guarantees.md, "Pagination"). Pure: the caller fetches the whole list, this module orders,
 * filters and slices it.
 *
 * The invariant: walking with `endCursor` from the start yields every entry that was there when
 * the walk began exactly once, whatever entries arrive meanwhile. It holds because entries are
 * ordered newest first by the key (createdAt, id), a total order that a new entry does not change
 * for the old ones, and a cursor names a key rather than a position: the next page is the entries
 * whose key sorts strictly after the cursor's. A new entry is newer than the cursor (it lands
 * before the walk, never inside it), and an entry that disappears only shortens a later page.
 * The cursor stays valid even when its own entry is gone (logs age out after 90 days).
 *
 * Timestamps are compared as instants, to the nanosecond: the upstream writes them with and
 * without a fraction of a second (`...00.000000Z`, `...56Z`), so neither string order nor a JS
 * Date (milliseconds) would do.
 */
import { badInput } from '../errors.js';
import type { CursorCodec, KeysetCursor } from './cursor.js';
import { edgeOf, pageInfo, sliceSize, type Connection, type PageArgs, type SliceSize } from './plan.js';

export interface KeysetItem {
  id: string;
  createdAt: string;
}

export interface KeysetRequest {
  listId: string;
  size: SliceSize;
  after: KeysetCursor | undefined;
  before: KeysetCursor | undefined;
}

/** Validates the arguments before any upstream call: `first` or `last` 0 to 100 (default: first 20), cursors of this list. */
export function keysetRequest(listId: string, args: PageArgs, codec: CursorCodec): KeysetRequest {
  const cursor = (value: string | null | undefined, name: string) =>
    value === null || value === undefined ? undefined : codec.decodeKeyset(value, name, listId);
  return { listId, size: sliceSize(args), after: cursor(args.after, 'after'), before: cursor(args.before, 'before') };
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A string that sorts like the instant: whole seconds since the epoch (offset so that it is never
 * negative, fixed width), then the fraction to nine digits. Throws on a timestamp of another shape.
 */
export function instantKey(timestamp: string): string {
  const match = RFC3339.exec(timestamp);
  const seconds = match ? Date.parse(`${match[1]}${match[3]!.toUpperCase()}`) / 1000 : Number.NaN;
  if (!Number.isFinite(seconds)) throw new RangeError(`not an RFC 3339 timestamp: ${timestamp}`);
  return `${String(seconds + 1e11).padStart(13, '0')}.${(match![2] ?? '').padEnd(9, '0')}`;
}

/** An entry's sort key, its instant parsed once. */
interface Keyed {
  key: string;
  id: string;
}

const keyed = (item: KeysetItem): Keyed => ({ key: instantKey(item.createdAt), id: item.id });

/** Newest first: by instant, then by id, both descending. Negative when `a` comes first. */
function compareKeys(a: Keyed, b: Keyed): number {
  if (a.key !== b.key) return a.key > b.key ? -1 : 1;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}

export const compareNewestFirst = (a: KeysetItem, b: KeysetItem): number => compareKeys(keyed(a), keyed(b));

/**
 * Orders `items` newest first and returns the page of the window between the cursors (strictly
 * after `after`, strictly before `before`): its first `n` entries for `first`, its last for `last`.
 */
export function sliceKeyset<T extends KeysetItem>(items: readonly T[], { listId, size, after, before }: KeysetRequest, codec: CursorCodec): Connection<T> {
  // Each timestamp is parsed once, not at every comparison of the sort.
  const sorted = items.map((item) => ({ item, by: keyed(item) })).sort((a, b) => compareKeys(a.by, b.by));
  const ordered = sorted.map(({ item }) => item);
  /** The index of the first entry that sorts after the cursor's key (or at it, with `orAt`); the length if none. */
  const boundary = (cursor: KeysetCursor, orAt: boolean) => {
    const at = keyed(cursor);
    const index = sorted.findIndex(({ by }) => compareKeys(by, at) > (orAt ? -1 : 0));
    return index < 0 ? ordered.length : index;
  };
  const start = after === undefined ? 0 : boundary(after, false);
  const stop = before === undefined ? ordered.length : boundary(before, true);
  // An `after` at or past `before` leaves the window empty; what lies beyond each cursor stays as it is.
  const end = Math.max(start, stop);
  const window = end - start;
  const count = Math.min(size.count, window);
  const from = size.from === 'first' ? start : end - count;
  const edges = ordered.slice(from, from + count).map((node) => edgeOf(node, () => codec.encodeKeyset({ listId, createdAt: node.createdAt, id: node.id })));
  return { edges, pageInfo: pageInfo(edges, size, window, { before: start > 0, after: stop < ordered.length }), totalCount: ordered.length };
}

export interface InstantRange {
  /** Inclusive. */
  since?: string | null | undefined;
  /** Exclusive. */
  until?: string | null | undefined;
}

/** A filter's bounds checked once, before any call: each must be an RFC 3339 timestamp. */
export function instantRange({ since, until }: InstantRange): { since?: string; until?: string } {
  const key = (value: string | null | undefined, name: string) => {
    if (value === null || value === undefined) return undefined;
    try {
      return instantKey(value);
    } catch {
      throw badInput(`\`${name}\` must be an RFC 3339 timestamp such as 2025-10-31T12:00:00Z, got ${value}.`);
    }
  };
  const range = { since: key(since, 'filter.since'), until: key(until, 'filter.until') };
  return Object.fromEntries(Object.entries(range).filter(([, v]) => v !== undefined));
}

/** Whether an entry's timestamp lies in a range made by `instantRange`. */
export function inRange(createdAt: string, range: { since?: string; until?: string }): boolean {
  const key = instantKey(createdAt);
  return (range.since === undefined || key >= range.since) && (range.until === undefined || key < range.until);
}
