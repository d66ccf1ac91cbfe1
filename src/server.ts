/**
 * createGateway(config): the schema, the per-request context and the plugins, assembled into a
 * Yoga app that is not yet listening. main.ts and the tests both start it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLSchemaModule } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { addResolversToSchema } from '@graphql-tools/schema';
import { defaultFieldResolver, getNamedType, GraphQLScalarType, isLeafType, parse, type GraphQLLeafType, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { containsTooDeep } from './upstream/json.js';
import { isInstant, LENIENT_FIELDS } from './upstream/records.js';
import { createYoga, type GraphiQLOptions, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { handleErrorFromRequestHandler, sendNodeResponse } from '@whatwg-node/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { redisCredentials, type Config } from './config.js';
import { createHmac, randomBytes } from 'node:crypto';
import { createLiveHub } from './live/index.js';
import { createContextFactory, tenantNamer, useCallsEndWithTheResult, type GatewayContext } from './context.js';
import { CursorCodec } from './pagination/cursor.js';
import { resolvers } from './resolvers/index.js';
import { createBreaker } from './upstream/resilience.js';
import { FairShare } from './upstream/fair-share.js';
import { ListMemory } from './upstream/list-memory.js';
import { FinishedRuns } from './upstream/finished-runs.js';
import { ReadAnswers } from './upstream/answers.js';
import { HeldBytes } from './upstream/held-bytes.js';
import { Connections } from './upstream/connections.js';
import { protectionPlugins } from './protection.js';
import { normaliseMediaTypes } from './protection/media-types.js';
import { loadTrustedDocuments, trustedOperationNames } from './protection/trusted-documents.js';
import { createLogger, createRequestLog, useUpstreamTrace, yogaLogger, type RequestLog } from './logging.js';
import { createMetrics, type Metrics } from './metrics.js';
import { useOperationSpans } from './tracing.js';
import { useExecutors, useLocatedErrors } from './compiled-execution.js';
import { useFreshContextPerEvent } from './subscription-events.js';
import { EventStreams, type EventWriting } from './sse.js';
import type { DestinationStream, Logger } from 'pino';
import { EXAMPLE_QUERY, EXAMPLE_START_RUN, EXAMPLE_WATCH_RUN } from './example-query.js';
import { codedError, ErrorCode, maskingBugs, useErrorCodes } from './errors.js';

/** schema/ sits beside src/ and dist/, so one path serves both. */
const SCHEMA_DIR = new URL('../schema/', import.meta.url);

function loadTypeDefs(): string {
  return readdirSync(SCHEMA_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(new URL(file, SCHEMA_DIR), 'utf8'))
    .join('\n');
}

/**
 * The executable schema: an Apollo Federation v2 subgraph (`_service`, `_entities`, the entities'
 * `__resolveReference`) from the SDL and resolvers. Apollo's builder ignores resolvers that the
 * SDL lacks, so graphql-tools checks them again: schema drift fails at start.
 */
export function createSchema(): GraphQLSchema {
  const subgraph = buildSubgraphSchema({ typeDefs: parse(loadTypeDefs()), resolvers: resolvers as GraphQLSchemaModule['resolvers'] });
  const schema = addResolversToSchema({
    schema: subgraph,
    resolvers,
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
  return failUnrelayableValuesAlone(withScalarsDescribedAsWritten(schema));
}

/**
 * Each custom scalar described as schema/ describes it: a scalar's resolver (graphql-scalars'
 * config, src/resolvers/scalars.ts) brings its own description, which would otherwise replace it
 * in introspection while `_service { sdl }` kept the SDL's.
 */
function withScalarsDescribedAsWritten(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.SCALAR_TYPE]: (type) => {
      const written = type.astNode?.description?.value;
      return written === undefined || written === type.description ? type : new GraphQLScalarType({ ...type.toConfig(), description: written });
    },
  });
}

/**
 * Values from Altostrat that cannot be relayed fail their field alone, with UPSTREAM_ERROR: every
 * field of type JSON whose value holds json.ts's marker (JSON cut for being nested too deep), and
 * each leaf records.ts reads leniently (`LENIENT_FIELDS`) whose value its type cannot serialise (a
 * schedule type Altostrat added). Done on the resolvers, where an error keeps its code
 * (graphql-jit re-wraps errors thrown while serialising a scalar, and drops their extensions);
 * every other field keeps its resolver untouched.
 */
function failUnrelayableValuesAlone(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const type = getNamedType(field.type);
      let refused: (value: unknown) => string | undefined;
      if (type.name === 'JSON') refused = (value) => (containsTooDeep(value) ? 'Altostrat sent this value nested too deep to relay.' : undefined);
      else if (LENIENT_FIELDS[typeName]?.includes(fieldName) && isLeafType(type)) refused = (value) => (fits(type, value) ? undefined : `Altostrat sent ${typeName}.${fieldName} in a shape this schema does not have.`);
      else return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      const checked = (value: unknown) => {
        const reason = value === null || value === undefined ? undefined : refused(value);
        if (reason !== undefined) throw codedError(ErrorCode.UPSTREAM_ERROR, reason);
        return value;
      };
      return {
        ...field,
        // Synchronous when the field's own resolver is: most of these fields read a record.
        resolve: (source, args, context, info) => {
          const value: unknown = resolve(source, args, context, info);
          return value instanceof Promise ? value.then(checked) : checked(value);
        },
      };
    },
  });
}

/**
 * Whether a lenient leaf's value is one of its type: text for a String, a finite number or a
 * decimal in a string (`"3.50"`) for a Float, one of its values for an enum. Stricter than GraphQL's
 * serialisers, which would show `42` as the text "42" and `true` as the number 1.
 */
function fits(type: GraphQLLeafType, value: unknown): boolean {
  if (type.name === 'String') return typeof value === 'string';
  if (type.name === 'Float') return typeof value === 'number' ? Number.isFinite(value) : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value);
  // DateTime relays a string as it is, and would read a number as seconds since the epoch.
  if (type.name === 'DateTime') return isInstant(value);
  try {
    type.serialize(value);
    return true;
  } catch {
    return false;
  }
}

export interface GatewayOptions {
  config: Config;
  /** The upstream base URL: the configured one, or the embedded demo's. */
  upstreamUrl: string;
  /** Pre-filled in GraphiQL's headers tab (demo mode only: never a real user's token). */
  graphiqlHeaders?: Record<string, string>;
  /** A workflow GraphiQL's "start a run" tab starts (demo mode). */
  graphiqlWorkflowId?: string;
  /** A run going on that GraphiQL's "watch a run" tab watches (demo mode). */
  graphiqlExecutionId?: string;
  /** Where logs go; stdout by default. */
  logDestination?: DestinationStream;
}

export interface Gateway {
  /** Yoga itself. Serve HTTP with `handle`: through Yoga's own listener, SSE subscriptions hold Yoga's heavier writer. */
  yoga: YogaServerInstance<EventWriting, GatewayContext>;
  /** The HTTP handler: Yoga's, but with the events of SSE subscriptions written by sse.ts. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  metrics: Metrics;
  logger: Logger;
  /** The request log, which WebSocket operations write their lines to as well. */
  requestLog: RequestLog;
  /** Names the tenant of a bearer Authorization header (a keyed hash, never the token). */
  tenantOf(authorization: string): string;
  /** True when CURSOR_SECRET is unset and this process signs cursors with a key of its own. */
  cursorKeyGenerated: boolean;
  /** Readiness: false while a configured Redis is unreachable (or not reached yet). */
  ready(): boolean;
  /** Completes every subscription stream and stops the pollers (the first step of shutdown). */
  closeStreams(): Promise<void>;
  /** Completes the streams, then closes the upstream connection pool. */
  close(): Promise<void>;
}

export function createGateway({ config, upstreamUrl, graphiqlHeaders, graphiqlWorkflowId, graphiqlExecutionId, logDestination }: GatewayOptions): Gateway {
  const logger = createLogger(config.logLevel, logDestination);
  const trusted = config.persistedDocuments ? loadTrustedDocuments(config.persistedDocuments) : undefined;
  const metrics = createMetrics({
    ...(trusted && { allowedOperations: trustedOperationNames(trusted) }),
    servedOnMainPort: config.metricsOnMainPort,
  });
  const requestLog = createRequestLog(logger);
  // Keys tenants (fair share, limits, metric quotas) by a hash of their token, never the token itself.
  const tenantOf = tenantNamer(randomBytes(32).toString('base64url'));
  // Shared by the process's requests: connections, policies, learned figures; never a token or data.
  const connections = new Connections(config.upstreamMaxInFlight);
  const cursorKey = config.cursorSecret ?? randomBytes(32).toString('base64url');
  // Subscriptions' shared pollers. Topics are keyed by an HMAC of the token under a key that every
  // replica derives alike, so they agree on topics in Redis: from CURSOR_SECRET, or else from the
  // Redis credentials (config.ts refuses REDIS_URL with neither), never from public data.
  const topicRoot = config.cursorSecret === undefined && config.redisUrl ? redisCredentials(config.redisUrl) : cursorKey;
  const hub = createLiveHub({
    intervalMs: config.livePollIntervalMs,
    maxPerToken: config.liveMaxSubscriptionsPerToken,
    maxTotal: config.liveMaxSubscriptions,
    secret: createHmac('sha256', topicRoot).update('live topics').digest('base64url'),
    ...(config.redisUrl && { redisUrl: config.redisUrl }),
    metrics: metrics.live,
    onError: (error) => logger.warn({ err: error }, 'live polling'),
  });
  metrics.observeLive(() => hub.stats());
  // Finished runs, remembered by this process under a hash of the token keyed like live topics.
  const finishedRuns =
    config.finishedRunsCacheBytes > 0
      ? new FinishedRuns({
          maxBytes: config.finishedRunsCacheBytes,
          secret: createHmac('sha256', cursorKey).update('finished runs').digest('base64url'),
          observer: metrics.finishedRuns,
        })
      : undefined;
  if (finishedRuns) metrics.observeFinishedRuns(() => finishedRuns.bytes);
  // GraphiQL's page bundles its assets (about 9 MB): loaded when first asked for, then kept, so a
  // gateway that never serves it never holds it, and one that does builds it once.
  let graphiqlPage: Promise<string> | undefined;
  const renderGraphiQLOnce = (options: GraphiQLOptions): Promise<string> =>
    (graphiqlPage ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options)));

  const heldBytes = new HeldBytes({ perRequest: config.upstreamMaxRequestBytes, total: config.upstreamMaxHeldBytes });
  metrics.observeHeldBytes(() => heldBytes.bytes);
  const lists = new ListMemory();
  const streams = new EventStreams(metrics.countErrors);
  const yoga = createYoga<EventWriting, GatewayContext>({
    schema: createSchema(),
    context: createContextFactory({
      config,
      upstreamUrl,
      connections,
      breaker: createBreaker(config),
      fairShare: new FairShare({ capacity: config.upstreamMaxInFlight, perTenant: config.upstreamMaxInFlightPerToken }),
      lists,
      cursors: new CursorCodec({ current: cursorKey, previous: config.cursorSecretsPrevious }),
      tenantOf,
      metrics,
      hub,
      finishedRuns,
      answers: new ReadAnswers(),
      heldBytes,
    }),
    graphqlEndpoint: '/graphql',
    // Cross-origin callers only from the configured origins, none by default (same-origin only).
    // Decided per request, so an origin off the list gets no CORS header at all (not `null`).
    // No credentials: callers authenticate with a bearer header, never a cookie.
    cors: (request) => {
      const origin = request.headers.get('origin');
      return origin !== null && config.corsOrigins.includes(origin) ? { origin } : false;
    },
    healthCheckEndpoint: '/health',
    // protection/body-limit.ts already refuses a POST without Content-Length or over the limit,
    // and Node reads no more than Content-Length: Yoga's own limit (a stream wrapped round every
    // body) would check it twice.
    maxRequestBodySize: false,
    landingPage: false,
    // Errors not made by errors.ts are bugs: their message and stack stay in the server's log.
    maskedErrors: { maskError: maskingBugs(logger) },
    // GraphiQL is served whole by the gateway (no CDN): it works with no internet.
    graphiql: config.graphiql && {
      title: 'Altostrat workflows GraphQL',
      defaultQuery: EXAMPLE_QUERY,
      // Tabs to read, start a run and watch it live; a browser that has used GraphiQL here keeps its own.
      defaultTabs: [
        { query: EXAMPLE_QUERY },
        { query: EXAMPLE_START_RUN, variables: JSON.stringify({ workflowId: graphiqlWorkflowId ?? 'fl_...' }, null, 2) },
        { query: EXAMPLE_WATCH_RUN, variables: JSON.stringify({ id: graphiqlExecutionId ?? 'fl_run_... (from the StartRun tab)' }, null, 2) },
      ],
      headers: JSON.stringify(graphiqlHeaders ?? { Authorization: 'Bearer <your Altostrat token>' }, null, 2),
      shouldPersistHeaders: false,
    },
    renderGraphiQL: renderGraphiQLOnce,
    logging: yogaLogger(logger),
    plugins: [
      // Observe: the request log line and X-Request-Id, `extensions.upstream`, spans.
      requestLog.plugin,
      useUpstreamTrace(),
      ...(config.otelTracing ? [useOperationSpans()] : []),
      // Every error leaves with a code; /metrics counts them after, so it sees the codes.
      useErrorCodes(),
      metrics.plugin,
      // Refuse what could hurt the gateway or Altostrat, before executing.
      ...protectionPlugins(config, lists, trusted),
      // Whether an answer carries CORS headers depends on the Origin asked from: a shared cache
      // must not hand one origin's answer to another.
      ...(config.corsOrigins.length > 0 ? [{ onResponse: ({ response }) => response.headers.append('vary', 'Origin') } satisfies Plugin] : []),
      // Execute queries compiled (but where graphql-jit parts from the specification: mutations
      // among them, on graphql-js); subscriptions with a fresh context per event.
      useExecutors(),
      useLocatedErrors(),
      useCallsEndWithTheResult(),
      useFreshContextPerEvent(streams),
      // Last: SSE answers to subscriptions, whose events sse.ts writes itself.
      streams.plugin,
    ],
  });

  // What Yoga's own Node listener does, except for the bodies `streams` writes.
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    normaliseMediaTypes(req);
    Promise.resolve()
      .then(() => yoga.handleNodeRequestAndResponse(req, res, { writesEvents: true }))
      .catch((error: unknown) => handleErrorFromRequestHandler(error, yoga.fetchAPI.Response))
      .then((response) => {
        const events = streams.take(response);
        return events ? streams.send(res, response, events) : sendNodeResponse(response, res, req, true);
      })
      .catch((error: unknown) => logger.error({ err: error }, 'sending a response'));
  };

  return {
    yoga,
    handle,
    metrics,
    logger,
    requestLog,
    tenantOf,
    cursorKeyGenerated: config.cursorSecret === undefined,
    ready: () => hub.ready(),
    closeStreams: () => hub.close(),
    close: async () => {
      await hub.close();
      connections.close();
    },
  };
}
