/**
 * Altostrat's id shapes (docs/upstream.md, "Ids"): a type prefix, then 1 to 64 ASCII letters or
 * digits in either case. Every id is checked here, with one message, before it is put in a URL
 * path (the client), answered without a call (a lookup of `id` alone) or sent in a body, so that
 * no caller-chosen text ("", ".", "..", "%2e", "a/b") can make the gateway call a path other than
 * the one it means (`GET /workflows/` for `workflow(id: "")`, `GET /` for `".."`).
 */
import { badInput, codedError, ErrorCode } from '../errors.js';

export type IdKind = 'workflow' | 'run' | 'log' | 'vault' | 'authorization';

// Longest prefix first: `fl_run_...` must not be read as a workflow id. A workflow id's body has
// no `_`, so `fl_` + body never matches a run or log id anyway; the order keeps that obvious.
const SHAPES: ReadonlyArray<readonly [IdKind, RegExp]> = [
  ['run', /^fl_run_[A-Za-z0-9]{1,64}$/],
  ['log', /^fl_log_[A-Za-z0-9]{1,64}$/],
  ['workflow', /^fl_[A-Za-z0-9]{1,64}$/],
  ['vault', /^vlt_[A-Za-z0-9]{1,64}$/],
  ['authorization', /^auth_[A-Za-z0-9]{1,64}$/],
];

const PREFIXES: Record<IdKind, string> = {
  workflow: 'fl_',
  run: 'fl_run_',
  log: 'fl_log_',
  vault: 'vlt_',
  authorization: 'auth_',
};

/** The kind of object an id names, or undefined when it has none of Altostrat's shapes. */
export function typeOfId(id: unknown): IdKind | undefined {
  if (typeof id !== 'string') return undefined;
  return SHAPES.find(([, shape]) => shape.test(id))?.[0];
}

export const isIdOf = (kind: IdKind, id: unknown): boolean => typeOfId(id) === kind;

/** How an id of this kind looks, for error messages: `fl_...`. */
export const idShape = (kind: IdKind): string => `${PREFIXES[kind]}...`;

/**
 * The one message for an id of the wrong shape. It does not quote the id: what a caller passes
 * where an id goes may be anything, a token pasted in the wrong place among them (the error's path,
 * or its `fieldErrors` key, says which id it is).
 */
export const notAnId = (kind: IdKind): string => `This is not an Altostrat ${kind} id (\`${idShape(kind)}\`).`;

/** The id, if it has the shape of a `kind` id; BAD_USER_INPUT, before any call, otherwise. */
export function checkedId(kind: IdKind, id: string): string {
  if (!isIdOf(kind, id)) throw badInput(notAnId(kind));
  return id;
}

/** A UTF-16 surrogate with no partner (read by code points, a pair is one character and matches not). */
export const LONE_SURROGATE = /\p{Surrogate}/u;

/** The longest graph node id a path takes: far past any a graph is drawn with, short of a URL's limits. */
const MAX_NODE_ID_LENGTH = 1_000;

/**
 * A graph node's id, as a path segment (resuming a run from the node `fromNodeId` names). A graph
 * takes any string as a node's id (createWorkflow sends it as given), so any goes, percent-encoded;
 * only an empty one, `.` or `..` (which would name another path), or one past MAX_NODE_ID_LENGTH is
 * refused, under `fromNodeId`.
 */
export function checkedNodeId(id: string): string {
  // A lone surrogate is no character: no JSON Altostrat reads holds one, nor can a URL.
  if (id === '' || id === '.' || id === '..' || LONE_SURROGATE.test(id) || (id.length > MAX_NODE_ID_LENGTH && [...id].length > MAX_NODE_ID_LENGTH)) {
    const message = `This is not a graph node id (1 to ${MAX_NODE_ID_LENGTH} characters, not \`.\` or \`..\`).`;
    throw codedError(ErrorCode.BAD_USER_INPUT, message, { fieldErrors: { fromNodeId: [message] } });
  }
  return encodeURIComponent(id);
}

/**
 * An id inside an input, which goes into a body: a wrong one is reported the way Altostrat's 422
 * would be, in `fieldErrors` under the input's name, so that a form handles both alike.
 */
export function checkInputId(kind: IdKind, id: string | null | undefined, field: string): void {
  if (id === null || id === undefined || isIdOf(kind, id)) return;
  const message = notAnId(kind);
  throw codedError(ErrorCode.BAD_USER_INPUT, message, { fieldErrors: { [field]: [message] } });
}
