/**
 * The last answer each token got at each path, and the records it was read into: when Altostrat
 * answers a read with the very text it gave that token there last time (a page polled again, a run
 * that has not changed), the client takes those records instead of parsing the text again
 * (docs/design.md, "Reading the same answer twice"). Every request still makes its own call, and
 * the answer it gets decides: the records depend on that text and that path (a listed run's
 * workflow comes from the path) and on nothing else, so what a request gets is what its own
 * answer reads to. Kept per token, under its keyed hash (the tenant name), as every memory of the
 * gateway is; frozen, so that nothing one request does to them can reach another.
 *
 * What it costs is kept small where it cannot pay: an answer's records are kept only once the same
 * text came twice in a row (an answer read once, as most runs are, costs a note of its text), and
 * answers under 8 KB are parsed every time (they parse in about what noting them costs). Bounded by
 * the texts' length, least recently used out first; an answer over an eighth of the bound is not
 * kept, so that one cannot crowd out the rest.
 */
import { LRUCache } from 'lru-cache';

/** Characters of answer text kept at most, all tokens and paths together. */
const MAX_CHARS = 2 * 1024 * 1024;
/** Answers shorter than this are parsed every time. */
const MIN_CHARS = 8 * 1024;
/** Nor is one longer than this kept. */
const MAX_ENTRY_CHARS = MAX_CHARS / 8;

interface Answer {
  text: string;
  /** Once the same text came twice in a row. */
  records?: unknown;
}

export class ReadAnswers {
  /** By tenant and path (with its query). */
  readonly #last = new LRUCache<string, Answer>({ maxSize: MAX_CHARS, maxEntrySize: MAX_ENTRY_CHARS, sizeCalculation: ({ text }, key) => text.length + key.length });

  /** The records `text` reads to as the tenant's answer at `path`: those kept, or `read()`'s. */
  read<T>(tenant: string, path: string, text: string, read: () => T): T {
    if (text.length < MIN_CHARS) return read();
    const key = `${tenant} ${path}`;
    const last = this.#last.get(key);
    if (last?.text !== text) {
      this.#last.set(key, { text });
      return read();
    }
    if (last.records === undefined) last.records = deepFreeze(read());
    return last.records as T;
  }
}

/** Freezes a JSON-like value and everything in it (records hold plain objects and arrays only; json.ts bounds their depth). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
