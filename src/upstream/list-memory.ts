/**
 * What Altostrat last said of its run lists, learned from answers, for pagination to plan with
 * (pagination/paged-list.ts: a plan only; every answer's own meta places its runs):
 * - the page size (`meta.per_page`). Altostrat picks it and documents no parameter for it, so the
 *   gateway learns it and never assumes one: with it known, a connection can ask for all the
 *   pages it needs at once instead of page 1 first. Process-wide, as the upstream's setting.
 * - each list's total (`meta.total`), per tenant: with it, a connection read from the head asks
 *   for no page past the end of a short list. Keyed by the tenant name (a keyed hash of the token,
 *   never the token): one token's lists are not another's. At most TOTALS lists, least recently
 *   used out first.
 */
import { LRUCache } from 'lru-cache';

const TOTALS = 10_000;

export class ListMemory {
  #perPage: number | undefined;
  readonly #totals = new LRUCache<string, number>({ max: TOTALS });

  get perPage(): number | undefined {
    return this.#perPage;
  }

  /** The total `tenant` was last told for the list `listId`. */
  total(tenant: string, listId: string): number | undefined {
    return this.#totals.get(`${tenant} ${listId}`);
  }

  learn(tenant: string, listId: string, { perPage, total }: { perPage: number; total: number }): void {
    this.#perPage = perPage;
    this.#totals.set(`${tenant} ${listId}`, total);
  }
}
