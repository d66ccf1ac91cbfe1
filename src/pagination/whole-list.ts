/**
 * A Relay connection sliced from a whole list held in memory: Query.workflows over
 * GET /workflows, which the upstream does not paginate. Pure and generic over its items. Cursors
 * name the item by id, so an item added or removed before it does not move a page; the index is
 * the fallback for an item that is gone, and then stands for the gap it left: `after` it comes
 * the item that moved into its place, `before` it the item that was before it. Where items before
 * it are gone too, the gap has moved by as many, and so many items may be missed or repeated: the
 * upstream documents no order of the list to place a cursor by (docs/guarantees.md, "Pagination").
 */
import type { CursorCodec, ItemCursor } from './cursor.js';
import { edgeOf, pageInfo, sliceSize, type Connection, type PageArgs, type SliceSize } from './plan.js';

export interface WholeListRequest {
  size: SliceSize;
  after: ItemCursor | undefined;
  before: ItemCursor | undefined;
}

/** Validates the arguments before any upstream call; bad ones are BAD_USER_INPUT. */
export function wholeListRequest(args: PageArgs, codec: CursorCodec): WholeListRequest {
  const cursor = (value: string | null | undefined, name: string) =>
    value === null || value === undefined ? undefined : codec.decodeItem(value, name);
  return { size: sliceSize(args), after: cursor(args.after, 'after'), before: cursor(args.before, 'before') };
}

export function sliceWholeList<T extends { id: string }>(
  all: readonly T[],
  { size, after, before }: WholeListRequest,
  codec: CursorCodec,
): Connection<T> {
  /** Where a cursor's item is, or, when it is gone, the index of the gap it left. */
  const locate = (cursor: ItemCursor) => {
    const found = all.findIndex((item) => item.id === cursor.itemId);
    return found >= 0 ? { index: found, present: true } : { index: Math.min(cursor.index, all.length), present: false };
  };
  // Window of indexes [start, end): after the `after` item, before the `before` item.
  const afterAt = after && locate(after);
  const start = afterAt === undefined ? 0 : afterAt.present ? afterAt.index + 1 : afterAt.index;
  const end = before ? locate(before).index : all.length;
  const windowSize = Math.max(0, end - start);
  const count = Math.min(size.count, windowSize);
  const from = size.from === 'first' ? start : end - count;
  const edges = all
    .slice(from, from + count)
    .map((node, i) => edgeOf(node, () => codec.encodeItem({ itemId: node.id, index: from + i })));
  return {
    edges,
    pageInfo: pageInfo(edges, size, windowSize, { before: start > 0, after: end < all.length }),
    totalCount: all.length,
  };
}
