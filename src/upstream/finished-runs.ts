/**
 * The memory of finished runs (docs/guarantees.md, "What the gateway remembers"). A run whose
 * status is `completed` or `failed` never changes again: resuming or re-running it starts a new
 * run (docs/upstream.md, "Where the docs are silent"). So a finished run read whole with its logs
 * is kept here, per process, and a later request may use it instead of `GET /workflows/runs/{id}`,
 * but only with proof: the loaders (loaders.ts) recall a run only when the same request has just
 * read, with the same token, a list page holding that run with that finished status.
 *
 * Entries are keyed by a keyed hash of the token's tenant name (itself a keyed hash of the token,
 * context.ts) and the run id, so one token never reaches another's entries, and the token itself
 * is never held. Values are the record's JSON text: its
 * size in bytes is exact, and every recall parses a copy of its own, so nothing one request does
 * to a record can reach another request. The whole memory is bounded in bytes, and an entry lives
 * at most `ttlMs`. It is shared fairly, so that a tenant reading runs by the thousand (or several
 * tokens of one caller) cannot push the other tenants' runs out, each of whom would then pay
 * Altostrat's calls, and its rate limit, again: one tenant holds at most a quarter of it (past
 * that, its own least recently used runs go), and room is made from the tenant holding the most
 * (the reader counted with the run it adds), its least recently used first. A tenant holding no
 * more than an equal share of the memory thus never loses a run to another tenant's.
 */
import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { RunRecord, RunStatus } from './records.js';

/** The statuses after which a run never changes. */
const FINISHED: ReadonlySet<RunStatus> = new Set(['completed', 'failed']);

export const isFinished = (status: RunStatus): boolean => FINISHED.has(status);

/** A day: a page refreshed every few seconds hits well within it, and it is far inside the upstream's 90-day retention. */
const FINISHED_RUN_TTL_MS = 24 * 60 * 60 * 1000;

/** The most of the memory one tenant holds: a quarter. */
const TENANT_SHARE = 0.25;

/** What one tenant holds: its entries' keys in order of use (least recent first), with their sizes. */
interface Held {
  bytes: number;
  sizes: Map<string, number>;
}

/** Who counts what the memory does (metrics.ts). */
export interface FinishedRunsObserver {
  hit(): void;
  miss(): void;
  evicted(): void;
}

export interface FinishedRunsOptions {
  /** Bytes of JSON held at most (keys included). */
  maxBytes: number;
  /** Keys the hash that names a token. */
  secret: string;
  ttlMs?: number;
  observer?: FinishedRunsObserver;
}

/** One token's view of the memory: all a request's loaders can do with it. */
export interface TokenFinishedRuns {
  /** The remembered run `runId`, when it is remembered with `status`; counted as a hit or a miss. */
  recall(runId: string, status: RunStatus): RunRecord | undefined;
  /** Keeps a run read whole, if it is finished and carries its logs; anything else is ignored. */
  remember(run: RunRecord): void;
}

export class FinishedRuns {
  readonly #cache: LRUCache<string, string>;
  readonly #secret: string;
  /** Each tenant's key prefix, hashed once: a client sends many requests with one token. */
  readonly #prefixes = new LRUCache<string, string>({ max: 1_000 });
  readonly #observer: FinishedRunsObserver | undefined;
  /** Each tenant's entries, by key prefix; a tenant holding none is not here. */
  readonly #held = new Map<string, Held>();
  /** The tenants by bytes held, most first (Holders). */
  readonly #holders = new Holders();
  readonly #maxBytes: number;
  readonly #tenantMaxBytes: number;

  constructor({ maxBytes, secret, ttlMs = FINISHED_RUN_TTL_MS, observer }: FinishedRunsOptions) {
    if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    this.#secret = secret;
    this.#observer = observer;
    this.#maxBytes = maxBytes;
    this.#tenantMaxBytes = Math.floor(maxBytes * TENANT_SHARE);
    this.#cache = new LRUCache<string, string>({
      maxSize: maxBytes,
      sizeCalculation: (json, key) => sizeOf(key, json),
      ttl: ttlMs,
      // Whatever takes an entry out (evicted, expired, deleted, replaced), its tenant's count follows.
      dispose: (_json, key, reason) => {
        this.#release(key);
        if (reason === 'evict') observer?.evicted();
      },
    });
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#cache.calculatedSize;
  }

  /** The memory as the holder of one token may use it, named by its tenant (context.ts: a keyed hash of the token, never the token). */
  forTenant(tenant: string): TokenFinishedRuns {
    // Hashed on first use: most requests never recall or remember a run.
    let prefix: string | undefined;
    const key = (runId: string) => (prefix ??= this.#prefixOf(tenant)) + runId;
    return {
      recall: (runId, status) => {
        const k = key(runId);
        const json = this.#cache.get(k);
        const run = json === undefined ? undefined : (JSON.parse(json) as RunRecord);
        if (run?.status !== status) {
          this.#observer?.miss();
          return undefined;
        }
        this.#observer?.hit();
        this.#used(k);
        return run;
      },
      remember: (run) => {
        if (isFinished(run.status) && run.logs !== undefined) this.#keep(key(run.id), JSON.stringify(run));
      },
    };
  }

  /**
   * Keeps `json` under `key`, first making room: in its tenant's share, from that tenant's least
   * recently used; then in the memory, from the least recently used of the tenant holding the most,
   * the run's own tenant counted with the run. So the tenant that loses a run holds more than the
   * memory's bound divided by the tenants holding runs; where that would be the run's own tenant
   * and it holds nothing else, the run is not kept.
   */
  #keep(key: string, json: string): void {
    const size = sizeOf(key, json);
    if (size > this.#tenantMaxBytes) return;
    this.#cache.delete(key);
    const prefix = prefixOfKey(key);
    const holding = () => this.#held.get(prefix)?.bytes ?? 0;
    while (holding() + size > this.#tenantMaxBytes) this.#evictOldestOf(prefix);
    while (this.#cache.calculatedSize + size > this.#maxBytes) {
      const most = this.#holders.most(this.#held);
      if (most === undefined) break; // nothing held: lru-cache's own bound is all there is
      if (holding() + size < this.#held.get(most)!.bytes) this.#evictOldestOf(most);
      else if (holding() > 0) this.#evictOldestOf(prefix);
      else return;
    }
    this.#cache.set(key, json);
    let held = this.#held.get(prefix);
    if (!held) this.#held.set(prefix, (held = { bytes: 0, sizes: new Map() }));
    held.sizes.set(key, size);
    held.bytes += size;
    this.#holders.note(prefix, held.bytes, this.#held);
  }

  /** Takes out the least recently used run of the tenant named by `prefix`, which holds one. */
  #evictOldestOf(prefix: string): void {
    const oldest = this.#held.get(prefix)!.sizes.keys().next().value!;
    // Its dispose releases it; one the cache no longer held is released here.
    if (!this.#cache.delete(oldest)) this.#release(oldest);
    this.#observer?.evicted();
  }

  /** Moves `key` to the most recently used end of its tenant's order. */
  #used(key: string): void {
    const held = this.#held.get(prefixOfKey(key));
    const size = held?.sizes.get(key);
    if (size === undefined) return;
    held!.sizes.delete(key);
    held!.sizes.set(key, size);
  }

  #release(key: string): void {
    const prefix = prefixOfKey(key);
    const held = this.#held.get(prefix);
    const size = held?.sizes.get(key);
    if (size === undefined) return;
    held!.sizes.delete(key);
    held!.bytes -= size;
    if (held!.sizes.size === 0) this.#held.delete(prefix);
    else this.#holders.note(prefix, held!.bytes, this.#held);
  }

  #prefixOf(tenant: string): string {
    let prefix = this.#prefixes.get(tenant);
    if (prefix === undefined) this.#prefixes.set(tenant, (prefix = `${createHmac('sha256', this.#secret).update(tenant).digest('base64url').slice(0, 22)}:`));
    return prefix;
  }
}

/**
 * The tenants by bytes held, most first: a binary heap of what each tenant held when it changed.
 * An entry counts only while it is what its tenant holds now; the others are dropped as they come
 * to the top, and the heap is built afresh from the tenants when it outgrows them.
 */
class Holders {
  #heap: Array<{ bytes: number; prefix: string }> = [];

  /** `prefix`'s tenant holds `bytes` now. */
  note(prefix: string, bytes: number, held: ReadonlyMap<string, Held>): void {
    if (this.#heap.length > 4 * held.size + 64) {
      this.#heap = [];
      for (const [tenant, { bytes: holding }] of held) this.#push({ bytes: holding, prefix: tenant });
    } else this.#push({ bytes, prefix });
  }

  /** The tenant holding the most, by its prefix. */
  most(held: ReadonlyMap<string, Held>): string | undefined {
    for (let top = this.#heap[0]; top; top = this.#heap[0]) {
      if (held.get(top.prefix)?.bytes === top.bytes) return top.prefix;
      this.#pop();
    }
    return undefined;
  }

  #push(entry: { bytes: number; prefix: string }): void {
    const heap = this.#heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.bytes >= entry.bytes) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const larger = left + 1 < heap.length && heap[left + 1]!.bytes > heap[left]!.bytes ? left + 1 : left;
      if (heap[larger]!.bytes <= last.bytes) break;
      heap[i] = heap[larger]!;
      i = larger;
    }
    heap[i] = last;
  }
}

const sizeOf = (key: string, json: string): number => key.length + Buffer.byteLength(json);

/** A key is its tenant's prefix (ending in `:`), then a run id (which holds none). */
const prefixOfKey = (key: string): string => key.slice(0, key.indexOf(':') + 1);
