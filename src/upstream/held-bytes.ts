/**
 * The bytes of Altostrat's answers that requests in flight hold (docs/guarantees.md, "Limits
 * against hostile callers"). A request keeps what its reads answered until its execution ends (its
 * loaders' records), so a query reading hundreds of large answers, each under
 * UPSTREAM_MAX_BODY_BYTES (500 workflows of a megabyte each, within the call budget), would hold
 * hundreds of megabytes and seconds of CPU, and a few such queries at once would take the
 * process down for every tenant. So a read's answer is counted as its bytes arrive, and cut when
 * they would take more than:
 * - `perRequest` for its request (`BAD_USER_INPUT`: the query asks for too much);
 * - a quarter of `total` for its tenant, across its requests in flight (`RATE_LIMITED`: retry once
 *   some have finished);
 * - `total` for the process, unless its tenant holds less than an equal share of it (`total`
 *   divided among the tenants holding any): so a tenant reading little is not refused for the
 *   others' reading; and never more than twice `total`.
 * A read is not sent when its request or tenant already holds all it may. An answer dropped (a
 * fault, an error status, an attempt retried) is given back at once; the rest when the request's
 * execution ends (AltostratClient.end), after which an answer still arriving is cut, as nobody
 * reads it. Writes' answers are not counted: a write whose answer was cut would have an unknown
 * outcome.
 */
import type { GraphQLError } from 'graphql';
import { codedError, ErrorCode } from '../errors.js';
import { UpstreamFault } from './resilience.js';

/** The most of `total` one tenant holds: a quarter. */
const TENANT_SHARE = 0.25;

export interface HeldBytesLimits {
  perRequest: number;
  total: number;
}

export class HeldBytes {
  readonly #limits: HeldBytesLimits;
  readonly #tenantMax: number;
  /** What each tenant's requests hold; a tenant holding nothing is not here. */
  readonly #byTenant = new Map<string, number>();
  #total = 0;

  constructor(limits: HeldBytesLimits) {
    this.#limits = limits;
    this.#tenantMax = Math.floor(limits.total * TENANT_SHARE);
  }

  /** Bytes held now, all requests together. */
  get bytes(): number {
    return this.#total;
  }

  /** The count one request of `tenant` takes from and gives back to. */
  forRequest(tenant: string): RequestBytes {
    return new RequestBytes(this, tenant);
  }

  /** Counts `bytes` more for `tenant`'s request holding `taken`, or says why not. */
  take(tenant: string, taken: number, bytes: number): GraphQLError | undefined {
    const refused = this.refusal(tenant, taken, bytes);
    if (refused) return refused;
    this.#byTenant.set(tenant, (this.#byTenant.get(tenant) ?? 0) + bytes);
    this.#total += bytes;
    return undefined;
  }

  /** Why `bytes` more may not be held for `tenant`'s request holding `taken`; undefined when they may. */
  refusal(tenant: string, taken: number, bytes: number): GraphQLError | undefined {
    const { perRequest, total } = this.#limits;
    if (taken + bytes > perRequest) {
      return codedError(
        ErrorCode.BAD_USER_INPUT,
        `This request's answers from Altostrat came to more than ${perRequest} bytes, the most one request may hold; ask for fewer items or fields and page through the rest.`,
        { answerBytes: { limit: perRequest } },
      );
    }
    const holding = this.#byTenant.get(tenant) ?? 0;
    if (holding + bytes > this.#tenantMax) {
      return codedError(
        ErrorCode.RATE_LIMITED,
        `This token's requests in flight hold ${this.#tenantMax} bytes of Altostrat's answers, the most one token may; retry once some of them have finished.`,
      );
    }
    const tenants = this.#byTenant.size + (holding === 0 ? 1 : 0);
    if (this.#total + bytes > total && (holding + bytes > total / tenants || this.#total + bytes > 2 * total)) {
      return codedError(
        ErrorCode.RATE_LIMITED,
        "The gateway holds as much of Altostrat's answers as it may, and this token's requests more than their share of it; retry in a few seconds.",
      );
    }
    return undefined;
  }

  /** Gives back `bytes` that `tenant`'s request took. */
  give(tenant: string, bytes: number): void {
    const left = (this.#byTenant.get(tenant) ?? 0) - bytes;
    if (left > 0) this.#byTenant.set(tenant, left);
    else this.#byTenant.delete(tenant);
    this.#total -= bytes;
  }
}

/** One request's count: what its reads' answers took, given back as they are dropped or when it ends. */
export class RequestBytes {
  readonly #all: HeldBytes;
  readonly #tenant: string;
  #taken = 0;
  #ended = false;
  /** Once one of its answers was cut, the request sends no more reads: its answer is partial already. */
  #refused: GraphQLError | undefined;

  constructor(all: HeldBytes, tenant: string) {
    this.#all = all;
    this.#tenant = tenant;
  }

  /** Why a read may not be sent: the request or its tenant holds all it may (an answer takes a byte at least), or an answer of it was cut. */
  admit(): GraphQLError | undefined {
    if (this.#ended) return undefined; // the policy refuses what comes after the result
    return (this.#refused ??= this.#all.refusal(this.#tenant, this.#taken, 1));
  }

  /** Counts `bytes` more of an answer being read; the error to cut it with when they may not be held. */
  take(bytes: number): GraphQLError | UpstreamFault | undefined {
    if (this.#ended) return new UpstreamFault('cancelled', 'the operation this answer was for has its result');
    this.#refused ??= this.#all.take(this.#tenant, this.#taken, bytes);
    if (this.#refused === undefined) this.#taken += bytes;
    return this.#refused;
  }

  /** Gives back `bytes` of an answer that was dropped (a fault, an error status, an attempt retried). */
  give(bytes: number): void {
    if (this.#ended) return; // all given back already
    this.#taken -= bytes;
    this.#all.give(this.#tenant, bytes);
  }

  /** The request's execution has ended: what it took is given back, and nothing more is taken. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#taken > 0) this.#all.give(this.#tenant, this.#taken);
    this.#taken = 0;
  }
}
