/**
 * Estimates per document (Yoga's parse cache hands the same DocumentNode to every request of the
 * same text) and per operation, variables and page size: a busy client repeats a few shapes.
 * Bounded per document, and gone with the document.
 */
import type { DocumentNode } from 'graphql';

export class EstimateCache {
  static readonly PER_DOCUMENT = 64;
  readonly #byDocument = new WeakMap<DocumentNode, Map<string, number>>();

  get(document: DocumentNode, key: string, estimate: () => number): number {
    let known = this.#byDocument.get(document);
    if (!known) this.#byDocument.set(document, (known = new Map<string, number>()));
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    const value = estimate();
    if (known.size >= EstimateCache.PER_DOCUMENT) known.delete(known.keys().next().value!);
    known.set(key, value);
    return value;
  }
}

