/**
 * Per request: read the caller's bearer token and build the upstream client and loaders from it.
 * The Authorization header is kept verbatim (the contract forwards it unchanged) inside the
 * client; nothing else in the context holds it.
 */
import type { YogaInitialContext } from 'graphql-yoga';
import type { Dispatcher } from 'undici';
import pLimit from 'p-limit';
import type { IPolicy } from 'cockatiel';
import type { Config } from './config.js';
import { AltostratClient } from './upstream/client.js';
import { deadlineIn, withRetries } from './upstream/resilience.js';
import { requestStats } from './logging.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { PageSizeHint } from './pagination/connection.js';

export interface GatewayContext extends YogaInitialContext {
  loaders: Loaders;
  pageSizeHint: PageSizeHint;
}

export interface ContextDependencies {
  config: Config;
  upstreamUrl: string;
  /** Shared by the process's requests, like the two below: connections, never tokens or data. */
  dispatcher: Dispatcher;
  /** The process-wide breaker and bulkhead. */
  guard: IPolicy;
  /** A page size learned from answers. */
  pageSizeHint: PageSizeHint;
}

/** RFC 6750 section 2.1: `Bearer` (any case), one space, a b64token. */
const BEARER = /^Bearer [A-Za-z0-9\-._~+/]+=*$/i;

export function bearerAuthorization(header: string | null): string | null {
  return header !== null && BEARER.test(header) ? header : null;
}

export function createContextFactory(deps: ContextDependencies) {
  const { config } = deps;
  return (initial: YogaInitialContext): GatewayContext => {
    const deadline = deadlineIn(config.requestTimeoutMs);
    const client = new AltostratClient({
      stats: requestStats(initial.request),
      baseUrl: deps.upstreamUrl,
      authorization: bearerAuthorization(initial.request.headers.get('authorization')),
      dispatcher: deps.dispatcher,
      timeoutMs: config.upstreamTimeoutMs,
      deadline,
      policy: withRetries(deps.guard, config.upstreamRetries, deadline),
      limit: pLimit(config.upstreamConcurrency),
    });
    return { ...initial, loaders: createLoaders(client, deps.pageSizeHint), pageSizeHint: deps.pageSizeHint };
  };
}
