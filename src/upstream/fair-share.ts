/**
 * Fair shares of the process's upstream call slots between tenants (one tenant = one bearer
 * token). A plain bulkhead lets one busy tenant take every slot and leaves the others refused;
 * here each tenant may hold at most `perTenant` slots, and a freed slot goes to the next waiting
 * tenant in turn (round robin), so a tenant with one call waiting is served after at most one
 * call of each other waiting tenant. Waiters are not refused: they wait until a slot is theirs,
 * their caller goes away (the signal), or their request's deadline passes (checked whenever a
 * slot frees, so no timer is armed per waiter). Nothing here is a fault of Altostrat's: the
 * breaker never counts a wait that ended.
 */

export interface FairShareOptions {
  /** Calls the whole process may have in flight. */
  capacity: number;
  /** Calls one tenant may have in flight. */
  perTenant: number;
}

interface Waiter {
  wake(): void;
  expire(): void;
  expired(): boolean;
}

interface Tenant {
  running: number;
  waiting: Waiter[];
}

/** The request's deadline passed while its call waited for a slot. */
export class WaitExpired extends Error {
  override name = 'WaitExpired';
}

export interface WaitLimits {
  signal?: AbortSignal;
  deadline?: { remainingMs(): number };
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

  /** Runs `call` in a slot of `tenant` once one is free; rejects if the signal aborts or the deadline passes first. */
  async run<T>(tenant: string, call: () => Promise<T>, limits: WaitLimits = {}): Promise<T> {
    await this.#acquire(tenant, limits);
    try {
      return await call();
    } finally {
      this.#release(tenant);
    }
  }

  #acquire(key: string, { signal, deadline }: WaitLimits): Promise<void> {
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
      const leave = () => {
        signal?.removeEventListener('abort', abort);
        const at = queued.waiting.indexOf(waiter);
        if (at >= 0) queued.waiting.splice(at, 1);
      };
      const waiter: Waiter = {
        wake: () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        },
        expire: () => {
          leave();
          reject(new WaitExpired('the request deadline passed while waiting for an upstream slot'));
        },
        expired: () => deadline !== undefined && deadline.remainingMs() <= 0,
      };
      const abort = () => {
        leave();
        this.#forget(key, queued);
        reject(signal!.reason instanceof Error ? signal!.reason : new DOMException('The operation was aborted.', 'AbortError'));
      };
      queued.waiting.push(waiter);
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
        // Waiters whose deadline passed leave now, without taking a slot.
        for (const waiter of tenant.waiting.filter((w) => w.expired())) waiter.expire();
        if (tenant.waiting.length === 0 || tenant.running >= this.#perTenant) {
          this.#forget(key, tenant);
          continue;
        }
        this.#start(tenant);
        tenant.waiting.shift()!.wake();
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
