/**
 * Per request: read the caller's bearer token and build the upstream client and loaders from it.
 * The Authorization header is kept verbatim (the contract forwards it unchanged) inside the
 * client; nothing else in the context holds it. Each upstream call is also reported here, once, to
 * the request's stats (log line, `extensions.upstream`), the metrics and the trace.
 */
import type { YogaInitialContext } from 'graphql-yoga';
import type { Dispatcher } from 'undici';
import pLimit from 'p-limit';
import type { IPolicy } from 'cockatiel';
import type { Config } from './config.js';
import { AltostratClient } from './upstream/client.js';
import { deadlineIn, withRetries } from './upstream/resilience.js';
import { requestStats } from './logging.js';
import { createLoaders, type LoaderName, type Loaders } from './loaders.js';
import type { Metrics } from './metrics.js';
import { recordUpstreamSpan } from './tracing.js';
import type { PageSizeHint } from './pagination/connection.js';

export interface GatewayContext extends YogaInitialContext {
  loaders: Loaders;
  pageSizeHint: PageSizeHint;
}

export interface ContextDependencies {
  config: Config;
  upstreamUrl: string;
  /** The rest is shared by the process's requests: connections, policies, a hint, counters; never a token or data. */
  dispatcher: Dispatcher;
  /** The process-wide breaker and bulkhead. */
  guard: IPolicy;
  /** A page size learned from answers. */
  pageSizeHint: PageSizeHint;
  metrics: Metrics;
}

/** The trace's names for the loaders' calls, as `extensions.upstream` shows them. */
const LOADER_ROUTES: Record<LoaderName, string> = {
  workflow: '/workflows/{id}',
  run: '/workflows/runs/{id}',
  executionsPage: '/workflows/{id}/executions',
};

/** RFC 6750 section 2.1: `Bearer` (any case), one space, a b64token. */
const BEARER = /^Bearer [A-Za-z0-9\-._~+/]+=*$/i;

export function bearerAuthorization(header: string | null): string | null {
  return header !== null && BEARER.test(header) ? header : null;
}

export function createContextFactory(deps: ContextDependencies) {
  const { config } = deps;
  return (initial: YogaInitialContext): GatewayContext => {
    const deadline = deadlineIn(config.requestTimeoutMs);
    const stats = requestStats(initial.request);
    if (config.upstreamTrace) stats.trace ??= [];
    const client = new AltostratClient({
      requestId: stats.requestId,
      onCall: (route, status, ms) => {
        stats.upstreamCalls++;
        stats.upstreamMs += ms;
        stats.trace?.push({ method: 'GET', path: route.slice('GET '.length), status, ms: Math.round(ms), cached: false });
        deps.metrics.upstreamCall(route, status, ms);
        if (stats.span) recordUpstreamSpan(stats.span, route, status, ms);
      },
      baseUrl: deps.upstreamUrl,
      authorization: bearerAuthorization(initial.request.headers.get('authorization')),
      dispatcher: deps.dispatcher,
      timeoutMs: config.upstreamTimeoutMs,
      deadline,
      policy: withRetries(deps.guard, config.upstreamRetries, deadline),
      limit: pLimit(config.upstreamConcurrency),
    });
    const loaders = createLoaders(client, deps.pageSizeHint, {
      batch: deps.metrics.batch,
      cacheHit: (loader) => stats.trace?.push({ method: 'GET', path: LOADER_ROUTES[loader], cached: true }),
    });
    return { ...initial, loaders, pageSizeHint: deps.pageSizeHint };
  };
}
