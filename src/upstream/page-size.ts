/**
 * The run list's page size as Altostrat last said it (`meta.per_page`). Altostrat picks it and
 * documents no parameter for it, so the gateway learns it from answers and never assumes one:
 * with it known, a connection can ask for all the pages it needs at once instead of page 1 first.
 * Process-wide because it is the upstream's setting, not a tenant's; every answer re-checks it,
 * and pagination re-plans from each answer's own figures whenever it differs.
 */
export class PageSizeMemory {
  #perPage: number | undefined;

  get perPage(): number | undefined {
    return this.#perPage;
  }

  learn(perPage: number): void {
    this.#perPage = perPage;
  }
}
