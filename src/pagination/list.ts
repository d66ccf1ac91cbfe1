/**
 * A Relay connection sliced from a whole list in memory: Query.workflows over GET /workflows,
 * which the upstream does not paginate. Cursors name the item by id, so an item added or removed
 * before it does not move a page; the index is a fallback for an item that is gone.
 */
import { decodeWorkflowCursor, encodeWorkflowCursor, type WorkflowCursor } from './cursor.js';
import { sliceSize, type PageArgs, type SliceSize } from './plan.js';
import type { WorkflowRecord } from '../upstream/records.js';

export interface WorkflowEdgeRecord {
  cursor: string;
  node: WorkflowRecord;
}

export interface WorkflowsPage {
  edges: WorkflowEdgeRecord[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export interface WorkflowsRequest {
  size: SliceSize;
  after: WorkflowCursor | undefined;
  before: WorkflowCursor | undefined;
}

/** Validates the arguments before any upstream call; bad ones are BAD_USER_INPUT. */
export function workflowsRequest(args: PageArgs): WorkflowsRequest {
  const cursor = (value: string | null | undefined, name: string) =>
    value === null || value === undefined ? undefined : decodeWorkflowCursor(value, name);
  return { size: sliceSize(args), after: cursor(args.after, 'after'), before: cursor(args.before, 'before') };
}

export function workflowsPage(all: readonly WorkflowRecord[], { size, after, before }: WorkflowsRequest): WorkflowsPage {
  const position = (cursor: WorkflowCursor) => {
    const found = all.findIndex((w) => w.id === cursor.workflowId);
    return found >= 0 ? found : Math.min(cursor.index, all.length);
  };
  // Window of indexes [start, end): after the `after` item, before the `before` item.
  const start = after ? position(after) + 1 : 0;
  const end = before ? position(before) : all.length;
  const windowSize = Math.max(0, end - start);
  const count = Math.min(size.count, windowSize);
  const from = size.from === 'first' ? start : end - count;
  const edges = all
    .slice(from, from + count)
    .map((node, i) => ({ cursor: encodeWorkflowCursor({ workflowId: node.id, index: from + i }), node }));
  return {
    edges,
    pageInfo: {
      hasPreviousPage: size.from === 'last' ? windowSize > size.count : start > 0,
      hasNextPage: size.from === 'first' ? windowSize > size.count : end < all.length,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: all.length,
  };
}
