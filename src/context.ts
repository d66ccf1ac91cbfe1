/**
 * Per request: read the caller's bearer token and build the upstream client and loaders from it.
 * The Authorization header is kept verbatim (it is forwarded unchanged) inside the client; nothing
 * else in the context holds it. Each upstream call is reported here, once, to the request's stats
 * (log line, `extensions.upstream`), the metrics and the trace.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { YogaInitialContext } from 'graphql-yoga';
import type { Dispatcher } from 'undici';
import type { IPolicy } from 'cockatiel';
import type { Config } from './config.js';
import { AltostratClient, type CallReport } from './upstream/client.js';
import type { FairShare } from './upstream/fair-share.js';
import type { PageSizeMemory } from './upstream/page-size.js';
import { deadlineIn, type Deadline } from './upstream/resilience.js';
import type { RunRecord } from './upstream/records.js';
import { codedError, ErrorCode } from './errors.js';
import type { LiveHub, Source } from './live/index.js';
import { MAX_PAGES_PER_POLL, type PollClient } from './watch.js';
import { requestStats } from './logging.js';
import { createLoaders, type LoaderName, type Loaders } from './loaders.js';
import type { Metrics } from './metrics.js';
import { recordUpstreamSpan } from './tracing.js';
import type { CursorCodec } from './pagination/cursor.js';
import { ROUTES } from './upstream/client.js';

export interface GatewayContext extends YogaInitialContext {
  loaders: Loaders;
  cursors: CursorCodec;
  /** The request's upstream client, for the few resolvers that call it directly (writes). */
  upstream: AltostratClient;
  /** Subscriptions: the caller's streams from the live hub, keyed by its token (which stays in here). */
  live: LiveAccess;
  /**
   * A subscription resolves each event as a request of its own: a fresh deadline, call budget and
   * loader cache, so an event never reads another event's cached data or an expired deadline.
   */
  renew(): void;
}

export interface LiveAccess {
  /** The caller's stream of `resource` (e.g. `run:fl_run_...`), from a source the hub polls for every subscriber with this token. */
  subscribe(
    resource: string,
    source: (clientFor: PollClient) => Source<RunRecord>,
    replayLast: boolean,
    /** What makes two events the same change, so that a second copy is dropped. */
    identify: (run: RunRecord) => string,
  ): AsyncIterableIterator<RunRecord>;
}

/** What the process's requests share: connections, policies, learned figures, counters; never a token or data. */
export interface ContextDependencies {
  config: Config;
  upstreamUrl: string;
  dispatcher: Dispatcher;
  breaker: IPolicy;
  fairShare: FairShare;
  pageSize: PageSizeMemory;
  cursors: CursorCodec;
  /** Keys tenants (fair share) by a hash of their token, never the token itself. */
  tenantKey: string;
  metrics: Metrics;
  hub: LiveHub;
}

/** Calls one poll of a subscription may make (a burst of new runs reads up to MAX_PAGES_PER_POLL pages). */
const MAX_CALLS_PER_POLL = MAX_PAGES_PER_POLL + 4;

/** The trace's names for the loaders' calls, as `extensions.upstream` shows them. */
const LOADER_ROUTES: Record<LoaderName, string> = {
  workflow: ROUTES.getWorkflow,
  run: ROUTES.getRun,
  runPage: ROUTES.listExecutions,
};

/** RFC 6750 section 2.1: `Bearer` (any case), one space, a b64token. */
const BEARER = /^Bearer [A-Za-z0-9\-._~+/]+=*$/i;

export function bearerAuthorization(header: string | null): string | null {
  return header !== null && BEARER.test(header) ? header : null;
}

/**
 * The token of a bearer Authorization header. The header goes upstream verbatim, but shares and
 * limits are counted per token: `Bearer x` and `bearer x` are one caller to Altostrat, and must
 * not get two fair shares or two sets of subscriptions.
 */
const tokenOf = (authorization: string): string => authorization.slice('Bearer '.length);

/** A keyed hash that names a tenant (its token) without holding the token. */
export function tenantOf(authorization: string | null, key: string): string {
  return authorization === null ? 'anonymous' : createHmac('sha256', key).update(tokenOf(authorization)).digest('base64url').slice(0, 22);
}

/** `GET /workflows/{id}` -> method and path pattern. */
const splitRoute = (route: string) => {
  const space = route.indexOf(' ');
  return { method: route.slice(0, space), path: route.slice(space + 1) };
};

interface ClientSettings {
  /** Polls take their slots in a lane of their own (fair-share.ts). */
  fairShare?: FairShare;
  signal: AbortSignal;
  deadline: Deadline;
  maxCalls: number;
  requestId: string;
  onCall: (call: CallReport) => void;
}

export function createContextFactory(deps: ContextDependencies) {
  const { config } = deps;
  const clientFor = (authorization: string | null, settings: ClientSettings) =>
    new AltostratClient({
      baseUrl: deps.upstreamUrl,
      authorization,
      tenant: tenantOf(authorization, deps.tenantKey),
      dispatcher: deps.dispatcher,
      timeoutMs: config.upstreamTimeoutMs,
      breaker: deps.breaker,
      retries: config.upstreamRetries,
      fairShare: deps.fairShare,
      concurrency: config.upstreamConcurrency,
      maxBodyBytes: config.upstreamMaxBodyBytes,
      maxJsonDepth: config.upstreamMaxJsonDepth,
      pageSize: deps.pageSize,
      ...settings,
    });
  const pollShare = deps.fairShare.forPolls();
  /** A poll's calls count in metrics, never in a request's log line: no request is waiting for them. */
  const pollCall = ({ route, status, ms }: CallReport) => deps.metrics.upstreamCall(route, status, ms);

  return (initial: YogaInitialContext): GatewayContext => {
    const stats = requestStats(initial.request);
    if (config.upstreamTrace) stats.trace ??= [];
    const authorization = bearerAuthorization(initial.request.headers.get('authorization'));
    const onCall = ({ route, status, ms }: CallReport) => {
      stats.upstreamCalls++;
      stats.upstreamMs += ms;
      if (typeof status === 'number' && status < 400) stats.upstreamAccepted = true;
      stats.trace?.push({ ...splitRoute(route), status, ms: Math.round(ms), cached: false });
      deps.metrics.upstreamCall(route, status, ms);
      if (stats.span) recordUpstreamSpan(stats.span, route, status, ms);
    };
    const build = () => {
      const client = clientFor(authorization, {
        signal: initial.request.signal,
        deadline: deadlineIn(config.requestTimeoutMs),
        maxCalls: config.maxUpstreamCalls,
        requestId: stats.requestId,
        onCall,
      });
      const loaders = createLoaders({
        client,
        codec: deps.cursors,
        pageSize: deps.pageSize,
        observer: {
          batch: deps.metrics.batch,
          cacheHit: (loader) => stats.trace?.push({ ...splitRoute(LOADER_ROUTES[loader]), cached: true }),
        },
      });
      return { client, loaders };
    };
    const live: LiveAccess = {
      subscribe(resource, source, replayLast, identify) {
        if (authorization === null) {
          throw codedError(ErrorCode.UNAUTHENTICATED, 'Send an `Authorization: Bearer <token>` header with your Altostrat token.');
        }
        const pollClient: PollClient = (signal) =>
          clientFor(authorization, {
            fairShare: pollShare,
            signal,
            deadline: deadlineIn(config.upstreamTimeoutMs),
            maxCalls: MAX_CALLS_PER_POLL,
            requestId: randomUUID(),
            onCall: pollCall,
          });
        return deps.hub.subscribe({
          token: tokenOf(authorization),
          resource,
          makeSource: () => source(pollClient),
          replayLast,
          identify,
          signal: initial.request.signal,
        });
      },
    };
    const { client, loaders } = build();
    const context: GatewayContext = {
      ...initial,
      loaders,
      upstream: client,
      cursors: deps.cursors,
      live,
      renew: () => {
        const fresh = build();
        context.upstream = fresh.client;
        context.loaders = fresh.loaders;
      },
    };
    return context;
  };
}
