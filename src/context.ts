/**
 * Per request: read the caller's bearer token and build the upstream client and loaders from it.
 * `createUpstream` is the one place clients and loaders are built: per request and per event of a
 * subscription (`forRequest`), per poll of a live topic (`forPoll`).
 * The Authorization header is kept verbatim (it is forwarded unchanged) inside the client; nothing
 * else in the context holds it. Each upstream call is reported here, once, to the request's stats
 * (log line, `extensions.upstream`), the metrics and the trace.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { isAsyncIterable, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import type { Config } from './config.js';
import { AltostratClient, splitBase, tokenOf, type CallReport } from './upstream/client.js';
import type { FairShare } from './upstream/fair-share.js';
import type { ListMemory } from './upstream/list-memory.js';
import { deadlineIn, type Breaker, type Deadline } from './upstream/resilience.js';
import type { RunRecord } from './upstream/records.js';
import type { FinishedRuns } from './upstream/finished-runs.js';
import type { ReadAnswers } from './upstream/answers.js';
import type { HeldBytes, RequestBytes } from './upstream/held-bytes.js';
import type { Connections } from './upstream/connections.js';
import { codedError, ErrorCode, noToken } from './errors.js';
import type { StreamEvents, LiveHub, Source } from './live/index.js';
import { MAX_PAGES_PER_POLL, type PollClient } from './watch.js';
import { requestStats, type RequestStats } from './logging.js';
import { CallWindow } from './call-window.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { Metrics } from './metrics.js';
import { recordUpstreamSpan } from './tracing.js';
import type { CursorCodec } from './pagination/cursor.js';

/**
 * What resolvers get. A query's context also holds Yoga's own fields (the request, its params);
 * the context of a subscription's event holds only these, so an open subscription keeps nothing
 * of the request that opened it.
 */
export interface GatewayContext {
  loaders: Loaders;
  cursors: CursorCodec;
  /** The request's upstream client, for the few resolvers that call it directly (writes). */
  upstream: AltostratClient;
  /** Subscriptions: the caller's streams from the live hub, keyed by its token (which stays in here). */
  live: LiveAccess;
  /**
   * The context one event of a subscription is resolved in, as a request of its own: the same
   * caller and request id, with a fresh deadline, call budget and loader cache, so an event never
   * reads another event's cached data or an expired deadline. The subscription's events share a
   * bound on their calls per minute (LIVE_MAX_UPSTREAM_CALLS_PER_MINUTE).
   */
  forEvent(): GatewayContext;
}

export interface LiveAccess {
  /** The caller's stream of `resource` (e.g. `run:fl_run_...`), from a source the hub polls for every subscriber with this token. */
  subscribe(
    resource: string,
    source: (clientFor: PollClient) => Source<RunRecord>,
    events: StreamEvents<RunRecord>,
  ): AsyncIterableIterator<RunRecord>;
}

/** What the process's requests share: connections, policies, learned figures, counters; never a token or data. */
export interface ContextDependencies {
  config: Config;
  upstreamUrl: string;
  connections: Connections;
  breaker: Breaker;
  fairShare: FairShare;
  lists: ListMemory;
  cursors: CursorCodec;
  /** Names tenants (fair share) by a hash of their token, never the token itself: `tenantNamer`'s. */
  tenantOf(authorization: string | null): string;
  metrics: Metrics;
  hub: LiveHub;
  /** The memory of finished runs; undefined when FINISHED_RUNS_CACHE_BYTES is 0. */
  finishedRuns?: FinishedRuns | undefined;
  /** The last answer each token got at each path, and its records; keyed by the tenant name, never the token. */
  answers?: ReadAnswers | undefined;
  /** What requests in flight hold of Altostrat's answers, per request, tenant and process. */
  heldBytes: HeldBytes;
}

/** Calls one poll of a subscription may make (a burst of new runs reads up to MAX_PAGES_PER_POLL pages). */
const MAX_CALLS_PER_POLL = MAX_PAGES_PER_POLL + 4;

/** RFC 6750 section 2.1: `Bearer` (any case), one space, a b64token. */
const BEARER = /^Bearer [A-Za-z0-9\-._~+/]+=*$/i;

export function bearerAuthorization(header: string | null): string | null {
  return header !== null && BEARER.test(header) ? header : null;
}

/**
 * A keyed hash under `key` that names a tenant (its token) without holding the token: made afresh
 * for each request (a few microseconds), so that no token outlives the request that sent it.
 */
export function tenantNamer(key: string): (authorization: string | null) => string {
  return (authorization) =>
    authorization === null ? 'anonymous' : createHmac('sha256', key).update(tokenOf(authorization)).digest('base64url').slice(0, 22);
}

/** `GET /workflows/{id}` -> method and path pattern. */
const splitRoute = (route: string) => {
  const space = route.indexOf(' ');
  return { method: route.slice(0, space), path: route.slice(space + 1) };
};

/** Who calls Altostrat: the verbatim header (forwarded unchanged) and its keyed hash. */
interface Caller {
  authorization: string | null;
  tenant: string;
}

interface ClientSettings {
  /** Polls take their slots in a lane of their own (fair-share.ts). */
  fairShare?: FairShare;
  signal: AbortSignal;
  cutsInFlight: boolean;
  deadline: Deadline;
  maxCalls: number;
  requestId: string;
  onCall: (call: CallReport) => void;
  admitCall?: () => void;
  held?: RequestBytes;
}

/** What one request (or one event of a subscription) calls Altostrat through. */
export interface RequestUpstream {
  upstream: AltostratClient;
  loaders: Loaders;
}

export interface RequestUpstreamOptions {
  caller: Caller;
  /** Ends the calls when the caller goes away. */
  signal: AbortSignal;
  deadline: Deadline;
  /** The request's stats: its id goes upstream, and every call is reported to them. */
  stats: RequestStats;
  /** Refuses a call before it is made, with a coded error (a subscription's calls per minute). */
  admitCall?: () => void;
}

/** Builds every upstream client of the process, from what its requests share. */
function createUpstream(deps: ContextDependencies) {
  const { config } = deps;
  const base = splitBase(deps.upstreamUrl);
  const clientFor = ({ authorization, tenant }: Caller, settings: ClientSettings) =>
    new AltostratClient({
      base,
      authorization,
      tenant,
      connections: deps.connections,
      timeoutMs: config.upstreamTimeoutMs,
      breaker: deps.breaker,
      retries: config.upstreamRetries,
      fairShare: deps.fairShare,
      concurrency: config.upstreamConcurrency,
      maxBodyBytes: config.upstreamMaxBodyBytes,
      maxJsonDepth: config.upstreamMaxJsonDepth,
      lists: deps.lists,
      answers: deps.answers,
      ...settings,
    });
  const pollShare = deps.fairShare.forPolls();
  /** A poll's calls count in metrics, never in a request's log line: no request is waiting for them. */
  const pollCall = ({ route, status, ms }: CallReport) => deps.metrics.upstreamCall(route, status, ms);
  /** Each call is reported once: to the request's stats (log line, `extensions.upstream`), the metrics and the trace. */
  const reportTo =
    (stats: RequestStats) =>
    ({ route, status, ms }: CallReport) => {
      stats.upstreamCalls++;
      stats.upstreamMs += ms;
      if (typeof status === 'number' && status < 400) stats.upstreamAccepted = true;
      stats.trace?.push({ ...splitRoute(route), status, ms: Math.round(ms), cached: false });
      deps.metrics.upstreamCall(route, status, ms);
      if (stats.span) recordUpstreamSpan(stats.span, route, status, ms);
    };

  return {
    forRequest({ caller, signal, deadline, stats, admitCall }: RequestUpstreamOptions): RequestUpstream {
      const upstream = clientFor(caller, {
        signal,
        cutsInFlight: false,
        deadline,
        maxCalls: config.maxUpstreamCalls,
        requestId: stats.requestId,
        onCall: reportTo(stats),
        held: deps.heldBytes.forRequest(caller.tenant),
        ...(admitCall && { admitCall }),
      });
      const finishedRuns = caller.authorization === null ? undefined : deps.finishedRuns?.forTenant(caller.tenant);
      const loaders = createLoaders({
        client: upstream,
        codec: deps.cursors,
        lists: deps.lists,
        tenant: caller.tenant,
        finishedRuns,
        observer: {
          batch: deps.metrics.batch,
          cacheHit: (route) => stats.trace?.push({ ...splitRoute(route), cached: true }),
          remembered: (runId) => stats.remembered?.push(runId),
        },
      });
      return { upstream, loaders };
    },
    /** A client for one poll of a live topic, made with a subscriber's token; `signal` ends the poll, `sent` hears each call go out. */
    forPoll: (caller: Caller, signal: AbortSignal, sent: () => void): AltostratClient =>
      clientFor(caller, {
        fairShare: pollShare,
        admitCall: sent,
        signal,
        cutsInFlight: true,
        deadline: deadlineIn(config.upstreamTimeoutMs),
        maxCalls: MAX_CALLS_PER_POLL,
        requestId: randomUUID(),
        onCall: pollCall,
      }),
  };
}

/**
 * A query's or mutation's calls end with its execution (AltostratClient.end): none is sent once
 * its result is known. A subscription's events end theirs each (subscription-events.ts).
 */
export function useCallsEndWithTheResult(): Plugin {
  // One hook for every execution: nothing is made per request.
  const hooks = {
    onExecuteDone({ args, result }: { args: { contextValue: unknown }; result: unknown }) {
      if (!isAsyncIterable(result)) (args.contextValue as GatewayContext).upstream.end();
    },
  };
  return { onExecute: () => hooks };
}

/** Refuses, with RATE_LIMITED, a subscription's calls past `limit` in a minute. */
function perMinute(limit: number): () => void {
  const window = new CallWindow(limit);
  return () => {
    if (window.take()) return;
    throw codedError(
      ErrorCode.RATE_LIMITED,
      `This subscription has made the ${limit} calls to Altostrat its events may make in a minute; ` +
        'the fields that needed more failed. Ask each event for fewer fields that call Altostrat.',
      { cost: { perMinute: limit } },
    );
  };
}

export function createContextFactory(deps: ContextDependencies) {
  const { config } = deps;
  const upstream = createUpstream(deps);

  return (initial: YogaInitialContext): GatewayContext => {
    const stats = requestStats(initial.request);
    if (config.upstreamTrace) {
      stats.trace ??= [];
      stats.remembered ??= [];
    }
    const authorization = bearerAuthorization(initial.request.headers.get('authorization'));
    const caller: Caller = { authorization, tenant: deps.tenantOf(authorization) };
    stats.tenant = caller.tenant;
    const { signal } = initial.request;
    const live: LiveAccess = {
      subscribe(resource, source, events) {
        if (authorization === null) {
          throw noToken();
        }
        return deps.hub.subscribe({
          token: tokenOf(authorization),
          resource,
          makeSource: () => source((pollSignal, sent) => upstream.forPoll(caller, pollSignal, sent)),
          ...events,
          signal,
        });
      },
    };
    const fresh = (admitCall?: () => void) =>
      upstream.forRequest({ caller, signal, deadline: deadlineIn(config.requestTimeoutMs), stats, ...(admitCall && { admitCall }) });
    // Made at the first event: a query never needs one.
    let admitEventCall: (() => void) | undefined;
    const forEvent = (): GatewayContext => ({
      ...fresh((admitEventCall ??= perMinute(config.liveMaxUpstreamCallsPerMinute))),
      cursors: deps.cursors,
      live,
      forEvent,
    });
    return { ...initial, ...fresh(), cursors: deps.cursors, live, forEvent };
  };
}
