/**
 * Fair shares of the process's upstream call slots between tenants (one tenant = one bearer
 * token). A plain bulkhead lets one busy tenant take every slot and leaves the others refused;
 * here each tenant may hold at most `perTenant` slots, and a freed slot goes to the next waiting
 * tenant in turn (round robin), so a tenant with one call waiting is served after at most one
 * call of each other waiting tenant. Waiters are not refused: they wait until a slot is theirs,
 * their caller goes away (the signal), or their request's deadline passes. One timer for the whole
 * process ends the waits whose deadline comes first, at that deadline, even while every slot stays
 * busy; no timer is armed per waiter, and a waiter whose turn comes after its deadline is let go
 * without the slot. Nothing here is a fault of Altostrat's: the breaker never counts a wait that
 * ended.
 *
 * A tenant's calls come in two lanes. Requests hold up to `perTenant` slots. The polls of its live
 * subscriptions (forPolls()) hold up to `pollsPerTenant(perTenant)` slots of their own, and are
 * served first when the tenant's turn comes: a tenant flooding the gateway with queries does not
 * delay its own subscriptions' polls, and its polls, bounded, cannot take its requests' slots.
 *
 * A token is anything shaped like one until Altostrat has answered one of its calls (`vouch`):
 * until then its tenant is a guest, which holds at most `pollsPerTenant(perTenant)` slots in each
 * lane, and all guests together a quarter of the process's. So a caller who makes up tokens by the
 * thousand, each refused upstream, shares a quarter of the slots with the other newcomers, and
 * the tenants Altostrat knows keep the rest. A newcomer is a guest for its first answer's round
 * trip, then has its whole share.
 */
import { LRUCache } from 'lru-cache';

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
  /** When its deadline passes (Date.now()); Infinity without one. */
  at: number;
}

interface Lane {
  running: number;
  waiting: Waiter[];
}

type LaneName = 'requests' | 'polls';

interface Tenant {
  lanes: Record<LaneName, Lane>;
  /** Not vouched for yet when its calls came (see the module comment). */
  guest: boolean;
  /** The tenant's key as a guest: calls it made as one still count towards its share once vouched for. */
  asGuest: string;
  /** The tenant's key once vouched for: calls it makes as such count towards what it may still run as a guest. */
  asVouched: string;
}

/** What the lanes of one FairShare share: the process's slots and its tenants. */
interface Pool {
  capacity: number;
  limits: Record<LaneName, number>;
  running: number;
  /** Tenants with a call in flight or waiting; Map order is the round-robin order. */
  tenants: Map<string, Tenant>;
  /** Tenants Altostrat has answered: a keyed hash each, never a token. */
  vouched: LRUCache<string, true>;
  /** Slots one guest may hold per lane, and all guests together. */
  guestShare: number;
  guestCapacity: number;
  guestsRunning: number;
  /** Ends the waits whose deadline passes first, at `timerAt` (Date.now()); Infinity: none armed. */
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
}

/** Slots a tenant's polls may hold besides its requests': an eighth of its share, at least one. */
export const pollsPerTenant = (perTenant: number): number => Math.max(1, Math.ceil(perTenant / 8));

/** Tenants remembered as vouched for: beyond them, the least recent becomes a guest again until its next answer. */
const VOUCHED = 10_000;
/** A guest tenant's key: tenant names (keyed hashes) hold no `:`. */
const GUEST = 'guest:';

/** The request's deadline passed while its call waited for a slot. */
export class WaitExpired extends Error {
  override name = 'WaitExpired';
}

export interface WaitLimits {
  signal?: AbortSignal;
  deadline?: { remainingMs(): number };
}

export class FairShare {
  readonly #pool: Pool;
  readonly #lane: LaneName;

  constructor({ capacity, perTenant }: FairShareOptions, lane: LaneName = 'requests', pool?: Pool) {
    const share = Math.min(perTenant, capacity);
    this.#pool = pool ?? {
      capacity,
      limits: { requests: share, polls: pollsPerTenant(share) },
      running: 0,
      tenants: new Map(),
      vouched: new LRUCache({ max: VOUCHED }),
      guestShare: pollsPerTenant(share),
      guestCapacity: Math.max(1, Math.floor(capacity / 4)),
      guestsRunning: 0,
      timer: undefined,
      timerAt: Infinity,
    };
    this.#lane = lane;
  }

  /** Altostrat answered a call of `tenant`'s token: its calls from now on take its whole share. */
  vouch(tenant: string): void {
    if (!this.#pool.vouched.has(tenant)) this.#pool.vouched.set(tenant, true);
  }

  /** The same slots, taken in the lane of live subscriptions' polls. */
  forPolls(): FairShare {
    const { capacity, limits } = this.#pool;
    return new FairShare({ capacity, perTenant: limits.requests }, 'polls', this.#pool);
  }

  get running(): number {
    return this.#pool.running;
  }

  /** Runs `call` in a slot of `tenant` once one is free; rejects if the signal aborts or the deadline passes first. */
  async run<T>(tenant: string, call: () => Promise<T>, limits: WaitLimits = {}): Promise<T> {
    const key = this.#pool.vouched.get(tenant) ? tenant : GUEST + tenant;
    const wait = this.#acquire(key, limits);
    if (wait) await wait;
    try {
      return await call();
    } finally {
      this.#release(key);
    }
  }

  /** Takes a slot of `key`: at once (undefined), or once the returned wait ends. */
  #acquire(key: string, { signal, deadline }: WaitLimits): Promise<void> | undefined {
    signal?.throwIfAborted();
    const pool = this.#pool;
    let tenant = pool.tenants.get(key);
    if (!tenant) {
      const guest = key.startsWith(GUEST);
      const name = guest ? key.slice(GUEST.length) : key;
      tenant = { lanes: { requests: { running: 0, waiting: [] }, polls: { running: 0, waiting: [] } }, guest, asGuest: GUEST + name, asVouched: name };
      pool.tenants.set(key, tenant);
    }
    const lane = tenant.lanes[this.#lane];
    if (lane.waiting.length === 0 && pool.running < pool.capacity && hasRoom(pool, tenant, this.#lane)) {
      start(pool, tenant, lane);
      return undefined;
    }
    const queued = tenant;
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        unlisten?.();
        const at = lane.waiting.indexOf(waiter);
        if (at >= 0) lane.waiting.splice(at, 1);
      };
      const waiter: Waiter = {
        wake: () => {
          unlisten?.();
          resolve();
        },
        expire: () => {
          leave();
          reject(new WaitExpired('the request deadline passed while waiting for an upstream slot'));
        },
        expired: () => deadline !== undefined && deadline.remainingMs() <= 0,
        at: deadline === undefined ? Infinity : Date.now() + deadline.remainingMs(),
      };
      const abort = () => {
        leave();
        forget(pool, key, queued);
        reject(signal!.reason instanceof Error ? signal!.reason : new DOMException('The operation was aborted.', 'AbortError'));
      };
      lane.waiting.push(waiter);
      if (waiter.at < pool.timerAt) armAt(pool, waiter.at);
      const unlisten = signal && onAbort(signal, abort);
    });
  }

  #release(key: string): void {
    const pool = this.#pool;
    const tenant = pool.tenants.get(key)!;
    pool.running--;
    if (tenant.guest) pool.guestsRunning--;
    tenant.lanes[this.#lane].running--;
    forget(pool, key, tenant);
    dispatch(pool);
  }
}

/** What each signal's one 'abort' listener ends: the waits of its calls. */
const waitsOf = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Runs `end` when `signal` aborts, until the returned function is called. A signal gets one
 * listener however many of its request's calls wait (a fan-out of dozens), where a listener each
 * would make Node warn of a leak past ten.
 */
function onAbort(signal: AbortSignal, end: () => void): () => void {
  let waits = waitsOf.get(signal);
  if (!waits) {
    const ends = (waits = new Set());
    waitsOf.set(signal, ends);
    signal.addEventListener('abort', () => [...ends].forEach((each) => each()), { once: true });
  }
  waits.add(end);
  return () => waits.delete(end);
}

/** Whether the tenant may take one more slot in the lane, the process having one free. */
function hasRoom(pool: Pool, tenant: Tenant, lane: LaneName): boolean {
  const { running } = tenant.lanes[lane];
  if (tenant.guest) {
    // Calls that waited as a guest's while the tenant was vouched for share its share with those it runs since.
    const since = pool.tenants.get(tenant.asVouched)?.lanes[lane].running ?? 0;
    return running < Math.min(pool.limits[lane], pool.guestShare) && running + since < pool.limits[lane] && pool.guestsRunning < pool.guestCapacity;
  }
  // Calls still running from before it was vouched for are its own too (only while there are any).
  const before = pool.guestsRunning > 0 ? (pool.tenants.get(tenant.asGuest)?.lanes[lane].running ?? 0) : 0;
  return running + before < pool.limits[lane];
}

function start(pool: Pool, tenant: Tenant, lane: Lane): void {
  pool.running++;
  if (tenant.guest) pool.guestsRunning++;
  lane.running++;
}

/** Arms the pool's timer for `at`, the earliest deadline of a waiter. */
function armAt(pool: Pool, at: number): void {
  clearTimeout(pool.timer);
  pool.timerAt = at;
  pool.timer = setTimeout(() => expireDue(pool), Math.max(0, at - Date.now())).unref();
}

/** Ends every wait whose deadline has passed, then arms the timer for the earliest left. */
function expireDue(pool: Pool): void {
  pool.timer = undefined;
  pool.timerAt = Infinity;
  let next = Infinity;
  for (const [key, tenant] of pool.tenants) {
    for (const lane of Object.values(tenant.lanes)) {
      for (const waiter of lane.waiting.filter((w) => w.expired())) waiter.expire();
      for (const waiter of lane.waiting) next = Math.min(next, waiter.at);
    }
    forget(pool, key, tenant);
  }
  if (next < Infinity) armAt(pool, next);
}

/** Hands free slots to waiting tenants in turn (a tenant's polls before its requests), moving each served tenant to the back. */
function dispatch(pool: Pool): void {
  let progressed = true;
  while (progressed && pool.running < pool.capacity) {
    progressed = false;
    for (const [key, tenant] of pool.tenants) {
      if (pool.running >= pool.capacity) break;
      const name = laneToServe(pool, tenant);
      if (!name) {
        forget(pool, key, tenant);
        continue;
      }
      const lane = tenant.lanes[name];
      start(pool, tenant, lane);
      lane.waiting.shift()!.wake();
      pool.tenants.delete(key);
      pool.tenants.set(key, tenant);
      progressed = true;
      break;
    }
  }
}

const LANES_IN_TURN = ['polls', 'requests'] as const;

/** The tenant's first lane, in turn, with a waiter and a slot of its own free. */
function laneToServe(pool: Pool, tenant: Tenant): LaneName | undefined {
  for (const name of LANES_IN_TURN) {
    const lane = tenant.lanes[name];
    // A waiter whose turn has come but whose deadline passed leaves without the slot.
    while (lane.waiting.length > 0 && lane.waiting[0]!.expired()) lane.waiting[0]!.expire();
    if (lane.waiting.length > 0 && hasRoom(pool, tenant, name)) return name;
  }
  return undefined;
}

function forget(pool: Pool, key: string, { lanes: { requests, polls } }: Tenant): void {
  if (requests.running === 0 && requests.waiting.length === 0 && polls.running === 0 && polls.waiting.length === 0) pool.tenants.delete(key);
}
