/** A mutation's target that Altostrat answered 404 for is NOT_FOUND (a query field is null instead). */
import { codedError, ErrorCode } from '../errors.js';

export function orNotFound<T>(value: T | null, what: string): T {
  if (value === null) throw codedError(ErrorCode.NOT_FOUND, `Altostrat has no ${what} for your token; check the id.`);
  return value;
}
