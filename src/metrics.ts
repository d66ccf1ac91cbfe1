/**
 * Prometheus metrics (prom-client), one registry per gateway, served at /metrics on a port of
 * their own (METRICS_PORT; main.ts), or on the public port only with METRICS_ON_MAIN_PORT=true.
 * Labels are low-cardinality by construction: an operation name is a label only when it is allowed
 * (named in the trusted-documents manifest when there is one, else sent by a caller whose token
 * Altostrat accepted) and only up to a fixed number of distinct names, of which one token may
 * claim only its quota, so neither anonymous junk nor one tenant can crowd out the others; upstream calls
 * are labelled by route pattern, never by id; no token, user or organisation is ever a label.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import { requestStats, type RequestStats } from './logging.js';
import type { LiveMetrics, LiveStats } from './live/index.js';
import type { FinishedRunsObserver } from './upstream/finished-runs.js';

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_OPERATION_NAMES = 200;
/** Names one tenant may make labels of (without a manifest): a tenth of them, so ten tenants at least get theirs. */
export const OPERATION_NAMES_PER_TENANT = 20;

export interface Metrics {
  registry: Registry;
  /** One upstream call: its route pattern, HTTP status (or `error` when none came) and duration. */
  upstreamCall(route: string, status: number | 'error', ms: number): void;
  /** One DataLoader batch: which loader and how many keys. */
  batch(loader: string, size: number): void;
  /** The live hub's polls by outcome, and time from a poll that found a change to its delivery. */
  live: LiveMetrics;
  /** Reads the live hub's subscriptions, topics, pollers, channels and newest event's age at each scrape. */
  observeLive(stats: () => LiveStats): void;
  /** Counts a result's errors by code (the plugin does it for HTTP; WebSocket results come here). */
  countErrors(result: ExecutionResult): void;
  /** The memory of finished runs: recalls that hit or missed, and entries evicted for room. */
  finishedRuns: FinishedRunsObserver;
  /** Reads the bytes the memory of finished runs holds at each scrape. */
  observeFinishedRuns(bytes: () => number): void;
  /** Reads the bytes of Altostrat's answers that requests in flight hold at each scrape. */
  observeHeldBytes(bytes: () => number): void;
  /** One client connection cut for not reading its answers (stalled.ts). */
  stalledConnectionCut(): void;
  plugin: Plugin;
}

/** An error's `extensions.code`, as a label. */
const codeOf = (error: { readonly extensions?: Readonly<Record<string, unknown>> }): string => {
  const code = error.extensions?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
};

export interface MetricsOptions {
  /** Operation names that may be labels whoever sends them (the trusted documents' names). */
  allowedOperations?: ReadonlySet<string>;
  /** Serve /metrics on the GraphQL port (METRICS_ON_MAIN_PORT); else only main.ts serves it, on METRICS_PORT. */
  servedOnMainPort: boolean;
}

export function createMetrics({ allowedOperations, servedOnMainPort }: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'graphql_requests_total',
    help: 'GraphQL operations executed, by operation name',
    labelNames: ['operation'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'graphql_request_duration_seconds',
    help: 'Time to execute a GraphQL operation, by operation name',
    labelNames: ['operation'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'graphql_errors_total',
    help: 'Errors in GraphQL responses, by extensions.code',
    labelNames: ['code'],
    registers: [registry],
  });
  const upstream = new Histogram({
    name: 'upstream_request_duration_seconds',
    help: 'Calls to the Altostrat API, by route pattern and HTTP status',
    labelNames: ['route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const batches = new Histogram({
    name: 'dataloader_batch_size',
    help: 'Keys per DataLoader batch, by loader',
    labelNames: ['loader'],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [registry],
  });

  const polls = new Counter({
    name: 'live_polls_total',
    help: 'Polls of Altostrat for subscriptions, by outcome (ok, transient fault, end of the stream)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const eventLatency = new Histogram({
    name: 'live_event_latency_seconds',
    help: 'From the start of a poll that found a change (its upstream call included) to the event reaching the subscribers of this process',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const liveEvents = new Counter({
    name: 'live_coordination_events_total',
    help:
      'Live coordination across replicas, by event: leader_change (this replica took a lease), lease_lost, redis_error, ' +
      'redis_reconnect, local_fallback (Redis unreachable: a topic polls for this replica alone), gap_detected, gap_repaired',
    labelNames: ['event'],
    registers: [registry],
  });
  let liveStats: (() => LiveStats) | undefined;
  for (const [name, help, read] of [
    ['live_subscriptions', 'Open subscriptions in this process', (s: LiveStats) => s.subscriptions],
    ['live_pollers', 'Pollers running in this process (one per token and resource; with Redis, for the whole deployment)', (s: LiveStats) => s.pollers],
    ['live_topics', 'Topics (token and resource) this process has subscribers of', (s: LiveStats) => s.topics],
    ['live_channels_subscribed', 'Redis channels this process listens to: as many as live_topics when all is well', (s: LiveStats) => s.channels],
    ['live_newest_event_age_seconds', 'The longest time since a topic of this process heard a message (the age of its newest event)', (s: LiveStats) => s.newestEventAgeMs / 1000],
    [
      'live_stalest_poll_age_seconds',
      'The longest time since a poller of this process last polled successfully: under an interval when topics are merely quiet, growing when a poll is stuck or failing',
      (s: LiveStats) => s.stalestPollAgeMs / 1000,
    ],
  ] as const) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = liveStats?.();
        this.set(stats ? read(stats) : 0);
      },
    });
  }

  const finishedRunCounter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  const hits = finishedRunCounter('finished_runs_memory_hits_total', 'Finished runs served from memory, each proven by a list page of the same request and token');
  const misses = finishedRunCounter('finished_runs_memory_misses_total', 'Finished runs proven by a list page but not in memory, read from Altostrat');
  const evictions = finishedRunCounter('finished_runs_memory_evictions_total', 'Finished runs dropped from memory to stay within FINISHED_RUNS_CACHE_BYTES, or within the quarter of it one token may hold');
  let finishedRunBytes: (() => number) | undefined;
  new Gauge({
    name: 'finished_runs_memory_bytes',
    help: 'Bytes of finished runs held in memory by this process',
    registers: [registry],
    collect() {
      this.set(finishedRunBytes?.() ?? 0);
    },
  });

  let heldBytes: (() => number) | undefined;
  new Gauge({
    name: 'upstream_answer_bytes_held',
    help: "Bytes of Altostrat's answers held by requests in flight (at most UPSTREAM_MAX_HELD_BYTES, twice it for tokens under an equal share)",
    registers: [registry],
    collect() {
      this.set(heldBytes?.() ?? 0);
    },
  });

  const stalledCuts = new Counter({
    name: 'http_stalled_connections_cut_total',
    help: 'Client connections cut because their answers waited HTTP_WRITE_STALL_TIMEOUT_MS with no write finishing (a client that stopped reading)',
    registers: [registry],
  });

  const known = new Set<string>();
  /** Names each tenant made labels of; only tenants that made one are here (at most MAX_OPERATION_NAMES). */
  const claimed = new Map<string, number>();
  const operationLabel = (name: string | undefined, stats: RequestStats | undefined): string => {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (allowedOperations ? !allowedOperations.has(name) : !stats?.upstreamAccepted) return 'other';
    if (!known.has(name)) {
      if (known.size >= MAX_OPERATION_NAMES) return 'other';
      // The manifest's names are the deployment's own; any other name counts against its sender's quota.
      if (!allowedOperations) {
        const tenant = stats?.tenant ?? 'anonymous';
        const mine = claimed.get(tenant) ?? 0;
        if (mine >= OPERATION_NAMES_PER_TENANT) return 'other';
        claimed.set(tenant, mine + 1);
      }
      known.add(name);
    }
    return name;
  };
  const countErrors = (result: ExecutionResult) => {
    for (const error of result.errors ?? []) errors.inc({ code: codeOf(error) });
  };

  return {
    registry,
    upstreamCall: (route, status, ms) => upstream.observe({ route, status: String(status) }, ms / 1000),
    batch: (loader, size) => batches.observe({ loader }, size),
    live: {
      poll: (outcome) => polls.inc({ outcome }),
      eventLatency: (ms) => eventLatency.observe(ms / 1000),
      event: (event) => liveEvents.inc({ event }),
    },
    observeLive: (stats) => {
      liveStats = stats;
    },
    countErrors,
    finishedRuns: { hit: () => hits.inc(), miss: () => misses.inc(), evicted: () => evictions.inc() },
    observeFinishedRuns: (bytes) => {
      finishedRunBytes = bytes;
    },
    observeHeldBytes: (bytes) => {
      heldBytes = bytes;
    },
    stalledConnectionCut: () => stalledCuts.inc(),
    plugin: {
      onRequest({ request, url, endResponse, fetchAPI }) {
        if (!servedOnMainPort || url.pathname !== '/metrics' || request.method !== 'GET') return;
        return registry.metrics().then((text) =>
          endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } })),
        );
      },
      onExecute({ args }) {
        const started = performance.now();
        const name = getOperationAST(args.document as DocumentNode, args.operationName as string | null | undefined)?.name?.value;
        const request = (args.contextValue as { request?: Request }).request;
        return {
          onExecuteDone: () => {
            // Known only now: whether Altostrat accepted the caller's token.
            const operation = operationLabel(name, request && requestStats(request));
            requests.inc({ operation });
            duration.observe({ operation }, (performance.now() - started) / 1000);
          },
        };
      },
      onResultProcess({ result }) {
        if (Array.isArray(result)) result.forEach(countErrors);
        else if (!isAsyncIterable(result)) countErrors(result);
      },
    },
  };
}

/** /metrics on a port of its own (METRICS_PORT), for a scraper the public cannot reach; 0 takes a free port. */
export async function serveMetrics(registry: Registry, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
  });
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}
