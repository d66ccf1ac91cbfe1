/**
 * Fields of an object that arrives whole (a fetched record), in part (a list item) or as a bare
 * reference (an id): each takes the value the object carries, and otherwise the value of the
 * whole record, fetched once per request through the loaders (field-needs.ts says which call).
 */
import type { GatewayContext } from '../context.js';

export function carriedFrom<R extends object>(fetch: (id: string, context: GatewayContext) => Promise<R>) {
  return <K extends keyof R>(field: K) =>
    async (object: { id: string }, _args: unknown, context: GatewayContext): Promise<R[K]> => {
      const value = (object as { id: string } & Partial<R>)[field] as R[K] | undefined;
      return value !== undefined ? value : (await fetch(object.id, context))[field];
    };
}
