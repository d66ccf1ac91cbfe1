/**
 * Estimates per document (Yoga's parse cache hands the same DocumentNode to every request of the
 * same text), per shape (operation and page size), and per the values of the variables the
 * estimate read: a busy client repeats a few shapes, and most of its variables (the ids it asks
 * about) change no estimate. An estimate is a function of the variables it reads, so a cached one
 * stands for any request whose values of those variables are the same: with them the estimate
 * would take the same path, and read the same variables. Bounded per document, and gone with it;
 * values longer than VALUES_MAX_LENGTH are not kept (a caller could pad what the estimate reads,
 * `_entities`' representations say, and have the cache hold it for every document).
 */
import type { DocumentNode } from 'graphql';

interface Entry {
  shape: string;
  /** The variables the estimate read, in the order it read them; undefined when it enumerated them all. */
  names: string[] | undefined;
  /** Those variables' values (and whether each was given), as JSON text. */
  values: string;
  calls: number;
}

type Variables = Record<string, unknown>;

/** The values of `names` in `variables` (or all of them), as comparable text: an absent variable differs from a null one. */
const valuesOf = (variables: Variables, names: string[] | undefined): string =>
  names ? JSON.stringify(names.map((name) => (Object.hasOwn(variables, name) ? [variables[name]] : []))) : JSON.stringify(Object.entries(variables));

/** `variables` behind a proxy that notes each name read, or that they were all enumerated. */
function watched(variables: Variables): { proxy: Variables; read: () => string[] | undefined } {
  const names = new Set<string>();
  let enumerated = false;
  const note = (key: string | symbol): void => void (typeof key === 'string' && names.add(key));
  const proxy = new Proxy(variables, {
    get: (target, key, receiver) => (note(key), Reflect.get(target, key, receiver) as unknown),
    has: (target, key) => (note(key), Reflect.has(target, key)),
    getOwnPropertyDescriptor: (target, key) => (note(key), Reflect.getOwnPropertyDescriptor(target, key)),
    ownKeys: (target) => ((enumerated = true), Reflect.ownKeys(target)),
  });
  return { proxy, read: () => (enumerated ? undefined : [...names]) };
}

export class EstimateCache {
  static readonly PER_DOCUMENT = 64;
  /** Longest text of values kept: ids, sizes and cursors fit many times over. */
  static readonly VALUES_MAX_LENGTH = 512;
  readonly #byDocument = new WeakMap<DocumentNode, Entry[]>();

  get(document: DocumentNode, shape: string, variables: Variables, estimate: (variables: Variables) => number): number {
    let entries = this.#byDocument.get(document);
    if (!entries) this.#byDocument.set(document, (entries = []));
    for (const entry of entries) {
      if (entry.shape === shape && entry.values === valuesOf(variables, entry.names)) return entry.calls;
    }
    const { proxy, read } = watched(variables);
    const calls = estimate(proxy);
    const names = read();
    const values = valuesOf(variables, names);
    if (values.length > EstimateCache.VALUES_MAX_LENGTH) return calls;
    if (entries.length >= EstimateCache.PER_DOCUMENT) entries.shift();
    entries.push({ shape, names, values, calls });
    return calls;
  }
}
