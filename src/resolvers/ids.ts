/**
 * Ids inside inputs, checked against their kind's shape before anything is called (docs/upstream.md,
 * "Ids"). Ids that go into a path are checked by the upstream client; these go into a body, and a
 * wrong one is reported the way Altostrat's 422 would be, in `fieldErrors` under the input's name,
 * so that a form handles both alike. Id arguments of query fields are plain BAD_USER_INPUT.
 */
import { badInput, codedError, ErrorCode } from '../errors.js';
import { idShape, isIdOf, type IdKind } from '../upstream/ids.js';

export function checkInputId(kind: IdKind, id: string | null | undefined, field: string): void {
  if (id === null || id === undefined || isIdOf(kind, id)) return;
  const message = `\`${field}\` must be a ${kind} id such as \`${idShape(kind)}\`, got \`${id}\`.`;
  throw codedError(ErrorCode.BAD_USER_INPUT, message, { fieldErrors: { [field]: [message] } });
}

/** The id argument, if it has the shape of a `kind` id; BAD_USER_INPUT before any call otherwise. */
export function checkedId(kind: IdKind, id: string): string {
  if (!isIdOf(kind, id)) throw badInput(`\`${id}\` is not a ${kind} id: Altostrat's look like \`${idShape(kind)}\`.`);
  return id;
}
