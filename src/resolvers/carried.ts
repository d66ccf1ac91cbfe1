/**
 * Fields of an object that arrives whole (a fetched record), in part (a list item) or as a bare
 * reference (an id): each takes the value the object carries, and otherwise the value of the
 * whole record, fetched once per request through the loaders (catalogue/fields.ts says which
 * endpoint). Every entity's fields are resolved this one way.
 */
import type { GatewayContext } from '../context.js';
import { codedError, ErrorCode } from '../errors.js';

/** A record that was seen (listed or referenced) and is now 404: a race, UPSTREAM_ERROR. */
export function seen<R>(record: R | null, what: string): R {
  if (record === null) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat no longer has ${what}.`);
  return record;
}

export function carriedFrom<R extends object>(fetch: (id: string, context: GatewayContext) => Promise<R>) {
  return <K extends keyof R>(field: K) =>
    async (object: { id: string }, _args: unknown, context: GatewayContext): Promise<R[K]> => {
      const value = (object as { id: string } & Partial<R>)[field] as R[K] | undefined;
      return value !== undefined ? value : (await fetch(object.id, context))[field];
    };
}
