/**
 * Altostrat's id shapes (docs/upstream.md, "Ids"): a type prefix, then 1 to 64 ASCII letters or
 * digits in either case. Every id is checked here before it is put in a URL path, so that no
 * caller-chosen text ("", ".", "..", "%2e", "a/b") can make the gateway call a path other than
 * the one it means (`GET /workflows/` for `workflow(id: "")`, `GET /` for `".."`).
 */

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
