/**
 * Opaque, versioned cursors (GraphQL Cursor Connections Specification, "Cursor"). A cursor is
 * base64url of a version tag and a small JSON array; clients must treat it as a string.
 *
 * An execution cursor names a run by its *rank*: its position counted from the oldest run
 * (0 = oldest). Altostrat lists runs newest first and new runs only arrive at the head, so a
 * run's rank never changes while its index from the head shifts by one for each new run. The
 * cursor also keeps the list total and page size it was made under (so the next request can
 * plan its pages before any answer) and the run id (so the position can be confirmed).
 *
 * A cursor that does not decode, has another version, or names another workflow is
 * BAD_USER_INPUT, never silently replaced by a default.
 */
import { badInput } from '../errors.js';

export interface ExecutionCursor {
  workflowId: string;
  /** Position from the oldest run: 0 is the oldest. Stable while runs arrive at the head. */
  rank: number;
  /** meta.total when the cursor was made. */
  total: number;
  /** meta.per_page when the cursor was made. */
  perPage: number;
  runId: string;
}

export interface WorkflowCursor {
  workflowId: string;
  /** Index in the workflow list when the cursor was made; used only if the id is gone. */
  index: number;
}

const EXECUTION_TAG = 'x1';
const WORKFLOW_TAG = 'w1';

const encode = (tag: string, payload: unknown[]): string =>
  Buffer.from(`${tag}:${JSON.stringify(payload)}`).toString('base64url');

function decode(tag: string, cursor: string, argument: string): unknown[] {
  const invalid = badInput(
    `\`${argument}\` is not a cursor of this list; pass an \`endCursor\`, \`startCursor\` or edge \`cursor\` ` +
      'from an earlier answer for the same list, or leave it out to start at the beginning.',
  );
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw invalid;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${tag}:`)) throw invalid;
  let payload: unknown;
  try {
    payload = JSON.parse(text.slice(tag.length + 1));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(payload)) throw invalid;
  return payload;
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

export function encodeExecutionCursor(c: ExecutionCursor): string {
  return encode(EXECUTION_TAG, [c.workflowId, c.rank, c.total, c.perPage, c.runId]);
}

export function decodeExecutionCursor(cursor: string, argument: string, workflowId: string): ExecutionCursor {
  const [cursorWorkflowId, rank, total, perPage, runId, ...rest] = decode(EXECUTION_TAG, cursor, argument);
  if (
    rest.length > 0 ||
    !isId(cursorWorkflowId) ||
    !isCount(rank) ||
    !isCount(total) ||
    rank >= total ||
    !isCount(perPage) ||
    perPage === 0 ||
    !isId(runId)
  ) {
    throw badInput(`\`${argument}\` is not a valid executions cursor; pass a cursor from an earlier answer.`);
  }
  if (cursorWorkflowId !== workflowId) {
    throw badInput(
      `\`${argument}\` is a cursor of workflow ${cursorWorkflowId}'s executions, not of ${workflowId}'s; ` +
        'use cursors only with the list they came from.',
    );
  }
  return { workflowId, rank, total, perPage, runId };
}

export function encodeWorkflowCursor(c: WorkflowCursor): string {
  return encode(WORKFLOW_TAG, [c.workflowId, c.index]);
}

export function decodeWorkflowCursor(cursor: string, argument: string): WorkflowCursor {
  const [workflowId, index, ...rest] = decode(WORKFLOW_TAG, cursor, argument);
  if (rest.length > 0 || !isId(workflowId) || !isCount(index)) {
    throw badInput(`\`${argument}\` is not a valid workflows cursor; pass a cursor from an earlier answer.`);
  }
  return { workflowId, index };
}
