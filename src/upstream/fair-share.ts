/**
 * Fair shares of the process's upstream call slots between tenants (one tenant = one bearer
 * token). A plain bulkhead lets one busy tenant take every slot and leaves the others refused;
 * here each tenant may hold at most `perTenant` slots, and a freed slot goes to the next waiting
 * tenant in turn (round robin), so a tenant with one call waiting is served after at most one
 * call of each other waiting tenant. Waiters are not refused: they wait until their request's
 * signal aborts (the client went away, or its deadline passed).
 */

export interface FairShareOptions {
  /** Calls the whole process may have in flight. */
  capacity: number;
  /** Calls one tenant may have in flight. */
  perTenant: number;
}

interface Tenant {
  running: number;
  waiting: Array<() => void>;
}

export class FairShare {
  readonly #capacity: number;
  readonly #perTenant: number;
  #running = 0;
  /** Tenants with a call in flight or waiting; Map order is the round-robin order. */
  readonly #tenants = new Map<string, Tenant>();

  constructor({ capacity, perTenant }: FairShareOptions) {
    this.#capacity = capacity;
    this.#perTenant = Math.min(perTenant, capacity);
  }

  get running(): number {
    return this.#running;
  }

  /** Runs `call` in a slot of `tenant` once one is free; rejects with the signal's reason if it aborts first. */
  async run<T>(tenant: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(tenant, signal);
    try {
      return await call();
    } finally {
      this.#release(tenant);
    }
  }

  #acquire(key: string, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    let tenant = this.#tenants.get(key);
    if (!tenant) {
      tenant = { running: 0, waiting: [] };
      this.#tenants.set(key, tenant);
    }
    if (tenant.waiting.length === 0 && this.#mayStart(tenant)) {
      this.#start(tenant);
      return Promise.resolve();
    }
    const queued = tenant;
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        const at = queued.waiting.indexOf(wake);
        if (at >= 0) queued.waiting.splice(at, 1);
        this.#forget(key, queued);
        reject(signal!.reason instanceof Error ? signal!.reason : new DOMException('The operation was aborted.', 'AbortError'));
      };
      queued.waiting.push(wake);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  #mayStart(tenant: Tenant): boolean {
    return this.#running < this.#capacity && tenant.running < this.#perTenant;
  }

  #start(tenant: Tenant): void {
    this.#running++;
    tenant.running++;
  }

  #release(key: string): void {
    const tenant = this.#tenants.get(key)!;
    this.#running--;
    tenant.running--;
    this.#forget(key, tenant);
    this.#dispatch();
  }

  /** Hands free slots to waiting tenants in turn, moving each served tenant to the back. */
  #dispatch(): void {
    let progressed = true;
    while (progressed && this.#running < this.#capacity) {
      progressed = false;
      for (const [key, tenant] of this.#tenants) {
        if (this.#running >= this.#capacity) break;
        if (tenant.waiting.length === 0 || tenant.running >= this.#perTenant) continue;
        this.#start(tenant);
        tenant.waiting.shift()!();
        this.#tenants.delete(key);
        this.#tenants.set(key, tenant);
        progressed = true;
        break;
      }
    }
  }

  #forget(key: string, tenant: Tenant): void {
    if (tenant.running === 0 && tenant.waiting.length === 0) this.#tenants.delete(key);
  }
}
