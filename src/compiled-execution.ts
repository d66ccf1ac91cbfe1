/**
 * Which documents run compiled (graphql-jit, for speed: about half of a simple query's CPU) and
 * which on Yoga's own executor: those in which graphql-jit 0.8.7 (through @envelop/graphql-jit)
 * is known to part from the GraphQL specification, each found by running the same documents on
 * both executors.
 * - `@skip` and `@include`: where one response key is selected more than once, graphql-jit runs
 *   the fields an excluded copy reaches through a fragment. They come back in the answer, and the
 *   upstream calls they need are made, though the call budget's estimate (which, like the
 *   specification, drops that copy) never counted them.
 * - A non-null variable with a default value: left out, it is refused instead of taking its
 *   default.
 * - More than one operation: the compiled document is kept per document, not per operation, so a
 *   later request naming another operation of the same text ran the first one compiled (and the
 *   budget estimated the one it named).
 * - `_entities` (federation): when several of its items fail, its list came back with an extra
 *   `null` at the end, which shifts the items a router pairs with its representations.
 * Decided once per parsed document (Yoga keeps them), so a document sent over and over pays one
 * walk of its tree.
 */
import { BREAK, Kind, visit, type DocumentNode } from 'graphql';

const decided = new WeakMap<DocumentNode, boolean>();

/** Whether graphql-jit runs `document` as the specification says. */
export function compilesAsSpecified(document: DocumentNode): boolean {
  let verdict = decided.get(document);
  if (verdict === undefined) {
    verdict = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length <= 1;
    if (verdict) {
      visit(document, {
        Directive(node) {
          if (node.name.value !== 'skip' && node.name.value !== 'include') return undefined;
          verdict = false;
          return BREAK;
        },
        VariableDefinition(node) {
          if (node.defaultValue === undefined || node.type.kind !== Kind.NON_NULL_TYPE) return undefined;
          verdict = false;
          return BREAK;
        },
        Field(node) {
          if (node.name.value !== '_entities') return undefined;
          verdict = false;
          return BREAK;
        },
      });
    }
    decided.set(document, verdict);
  }
  return verdict;
}
