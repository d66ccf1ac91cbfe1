/**
 * The only reader of process.env. Each variable is read once, checked, and either becomes part of
 * a frozen Config or stops start-up with its name, its value and what is allowed.
 */
import { isIP } from 'node:net';
import { LOG_LEVELS, type LogLevel } from './logging.js';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** The upstream's REST base URL without a trailing slash; undefined starts the embedded demo. */
  readonly altostratApiUrl: string | undefined;
  /** On by default in demo mode only; GRAPHIQL=true turns it on with a real upstream. */
  readonly graphiql: boolean;
  /** Longest wait for one upstream attempt's headers, and between two chunks of its body. */
  readonly upstreamTimeoutMs: number;
  /** Upstream calls one GraphQL request may have in flight at once. */
  readonly upstreamConcurrency: number;
  /** Deadline of a whole GraphQL request: no upstream call or retry outlives it. */
  readonly requestTimeoutMs: number;
  /** Retries of an idempotent upstream call on a transient fault (0 turns them off). */
  readonly upstreamRetries: number;
  /** Consecutive upstream faults that open the circuit breaker. */
  readonly breakerThreshold: number;
  /** How long an open breaker answers without calling before it lets a probe through. */
  readonly breakerCooldownMs: number;
  /** Upstream calls the whole process may have in flight. */
  readonly upstreamMaxInFlight: number;
  /** Upstream calls one token may have in flight across its requests (its fair share). */
  readonly upstreamMaxInFlightPerToken: number;
  /** The largest upstream body read; a bigger one is UPSTREAM_ERROR. */
  readonly upstreamMaxBodyBytes: number;
  /** Bytes of upstream answers one request may hold (its reads'); more is BAD_USER_INPUT. */
  readonly upstreamMaxRequestBytes: number;
  /** Bytes of upstream answers requests in flight may hold in all (one token a quarter); more is RATE_LIMITED. */
  readonly upstreamMaxHeldBytes: number;
  /** Deeper nesting in upstream JSON is cut, and the field carrying it fails alone. */
  readonly upstreamMaxJsonDepth: number;
  /** Signs cursors (HMAC); undefined: a random key per process, which main.ts warns about. */
  readonly cursorSecret: string | undefined;
  /** Earlier cursor keys still accepted, for rotation. */
  readonly cursorSecretsPrevious: readonly string[];
  /** With INTROSPECTION=false, `_service { sdl }` answers only requests carrying this in `X-Router-Secret`. */
  readonly routerSecret: string | undefined;
  /** Origins allowed cross-origin (CORS); empty: same-origin only. */
  readonly corsOrigins: readonly string[];
  /** Serve /metrics on this port, off the public one (0: a free port, printed at start). */
  readonly metricsPort: number;
  /** Serve /metrics on the public port instead, for a deployment that cannot expose a second one. */
  readonly metricsOnMainPort: boolean;
  /** Open client connections the server accepts at once. */
  readonly maxConnections: number;
  /** WebSockets one token may hold open at once. */
  readonly wsMaxConnectionsPerToken: number;
  /** WebSockets one client address may hold open at once, from the upgrade on (before any token). */
  readonly wsMaxConnectionsPerAddress: number;
  /**
   * Proxies in front of the gateway that each append the address they were called from to
   * X-Forwarded-For: the client's address is read that many entries from the header's end. 0: the
   * socket's own address, and the header is ignored (a client can write anything in it).
   */
  readonly trustedProxyHops: number;
  /** A WebSocket with no operation running for this long is closed. */
  readonly wsIdleTimeoutMs: number;
  /** Longest time a client may take to send a whole request (Node's requestTimeout). */
  readonly httpRequestTimeoutMs: number;
  /** Longest time a client may take to send its request headers. */
  readonly httpHeadersTimeoutMs: number;
  /** A connection that has had bytes waiting and finished no write for this long is cut (stalled.ts). */
  readonly httpWriteStallTimeoutMs: number;
  /** Shared polling for subscriptions: one upstream call per interval per (token, resource). */
  readonly livePollIntervalMs: number;
  readonly liveMaxSubscriptionsPerToken: number;
  readonly liveMaxSubscriptions: number;
  /** Upstream calls one subscription's events may make in any minute (each event also has MAX_UPSTREAM_CALLS). */
  readonly liveMaxUpstreamCallsPerMinute: number;
  /** Replicas share pollers through this Redis; unset: everything stays in the process. */
  readonly redisUrl: string | undefined;
  /** Bytes of finished runs remembered per process (0 turns the memory off). */
  readonly finishedRunsCacheBytes: number;
  /** Refuse a query whose estimated upstream calls exceed this. */
  readonly maxUpstreamCalls: number;
  readonly maxBodyBytes: number;
  readonly maxTokens: number;
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  /** Schema introspection (GraphiQL's docs and completion need it). */
  readonly introspection: boolean;
  readonly logLevel: LogLevel;
  /** Each response carries `extensions.upstream`, the calls it caused (on by default in demo mode). */
  readonly upstreamTrace: boolean;
  /** A trusted-documents manifest: when set, only its documents run. */
  readonly persistedDocuments: string | undefined;
  /** OpenTelemetry spans for operations and upstream calls, exported over OTLP/HTTP. */
  readonly otelTracing: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/**
 * The variable's value, or undefined when it is unset or empty. One of white space alone is
 * refused: it reads as unset to some tools and as a value to others, and here it would quietly
 * turn a setting off (the demo upstream, trusted documents, Redis).
 */
function given(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.trim() === '') throw new ConfigError(`${name} is set to white space only: unset it, or give it a value`);
  return raw;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = given(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** An IP address or a host name (RFC 1123: dot-separated labels of letters, digits and inner hyphens). */
function host(env: Env): string {
  const value = given(env, 'HOST')?.trim() ?? '127.0.0.1';
  const label = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
  if (isIP(value) === 0 && (value.length > 253 || !value.split('.').every((part) => label.test(part)))) {
    throw new ConfigError(`HOST must be an IP address or a host name of this machine (e.g. 127.0.0.1, or 0.0.0.0 for all interfaces), got "${value}"`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = given(env, name);
  if (raw === undefined) return fallback;
  const normalized = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = given(env, name)?.trim().toLowerCase();
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${env[name]}"`);
  }
  return raw as T;
}

function list(env: Env, name: string): string[] {
  return (given(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * A secret, its surrounding white space left out (a secret made from a file often ends in a line
 * break), as each item of `secrets` is: a key rotated into CURSOR_SECRETS_PREVIOUS stays the key
 * it was.
 */
function secret(env: Env, name: string): string | undefined {
  const raw = given(env, name)?.trim();
  if (raw === undefined) return undefined;
  if (raw.length < 32) throw new ConfigError(`${name} must be at least 32 characters long (its value is not shown)`);
  return raw;
}

/** CURSOR_SECRET: a secret that may not hold a comma either, which CURSOR_SECRETS_PREVIOUS would split it at once it is rotated there. */
function cursorSecretOf(env: Env): string | undefined {
  const value = secret(env, 'CURSOR_SECRET');
  if (value?.includes(',')) throw new ConfigError('CURSOR_SECRET must not hold a comma, which CURSOR_SECRETS_PREVIOUS would split it at (its value is not shown)');
  return value;
}

/** A comma-separated list of secrets, each as `secret` checks one. */
function secrets(env: Env, name: string): string[] {
  const all = list(env, name);
  if (all.some((value) => value.length < 32)) throw new ConfigError(`${name} must list secrets of at least 32 characters each (values not shown)`);
  return all;
}

function origins(env: Env, name: string): string[] {
  return list(env, name).map((origin) => {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || url.origin !== origin) {
      throw new ConfigError(`${name} must be a comma-separated list of origins such as https://app.example.com, got "${origin}"`);
    }
    return origin;
  });
}

/**
 * A redis:// or rediss:// URL as `redisOptions` reads it: a host, a database number or none, a user
 * and password that decode, no query or fragment.
 */
function redisUrl(env: Env, name: string): string | undefined {
  const raw = given(env, name)?.trim();
  if (raw === undefined) return undefined;
  let readable = false;
  try {
    const url = new URL(raw);
    redisOptions(raw); // throws on a percent-escape that does not decode
    readable = (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && /^(\/\d*)?$/.test(url.pathname) && !url.search && !url.hash;
  } catch {
    readable = false;
  }
  if (!readable) {
    throw new ConfigError(`${name} must be a redis:// or rediss:// URL such as redis://:password@host:6379/0 (its value is not shown: it may hold a password)`);
  }
  return raw;
}

/**
 * What a REDIS_URL connects to, read by the URL standard (as config.ts checks it) and handed to
 * ioredis as options: ioredis's own reading of a URL (Node's legacy parser) differs on some
 * spellings, a backslash in a password among them, where it found no host at all.
 */
export function redisOptions(url: string): { host: string; port: number; username?: string; password?: string; db: number; tls?: object } {
  const { protocol, hostname, port, username, password, pathname } = new URL(url);
  return {
    host: hostname.replace(/^\[(.*)\]$/, '$1'),
    port: port === '' ? 6379 : Number(port),
    ...(username && { username: decodeURIComponent(username) }),
    ...(password && { password: decodeURIComponent(password) }),
    db: pathname.length > 1 ? Number(pathname.slice(1)) : 0,
    ...(protocol === 'rediss:' && { tls: {} }),
  };
}

/** The user name and password of a redis:// URL ('' when it has no password): what every replica of a deployment shares. */
export function redisCredentials(url: string): string {
  const { username, password } = new URL(url);
  // A user name alone (`redis://default@host`) is no secret: only a password keys the topics.
  return password ? `${decodeURIComponent(username)}:${decodeURIComponent(password)}` : '';
}

function baseUrl(env: Env, name: string): string | undefined {
  const raw = given(env, name)?.trim();
  if (raw === undefined) return undefined;
  // Messages show the value, but not one with an `@` in it, which may hold a credential in any of
  // the spellings a URL parser reads one from (`https:user:pw@host` among them).
  const shown = raw.includes('@') ? '(not shown: it holds an @)' : raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL such as https://v1.api.altostrat.io, got "${shown}"`);
  }
  if (url.username || url.password) {
    throw new ConfigError(`${name} must not carry credentials (the caller's bearer token is forwarded instead), got "${shown}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must use http or https, got "${shown}"`);
  }
  if (url.search || url.hash) {
    throw new ConfigError(`${name} must be a plain base URL without query or fragment, got "${shown}"`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Prefixes of this gateway's own variables that no other software is likely to set. */
const OWN_PREFIXES = ['ALTOSTRAT_', 'UPSTREAM_', 'CURSOR_', 'ROUTER_', 'REDIS_', 'LIVE_', 'WS_', 'FINISHED_RUNS_', 'PERSISTED_', 'METRICS_', 'GRAPHIQL', 'INTROSPECTION', 'TRUSTED_PROXY'];

/**
 * Variables set in `env` that look like this gateway's (one of its prefixes) but are none of the
 * variables it reads: a misspelt setting (`REDIS_URI`) is otherwise silently left out, and one of
 * them, Redis, is what replicas share through. main.ts warns of each at start.
 */
export function unknownVariables(env: Env): string[] {
  const read = new Set<string>();
  loadConfig(new Proxy({}, { get: (_, name) => (typeof name === 'string' && read.add(name), undefined) }));
  return Object.keys(env)
    .filter((name) => env[name] !== undefined && env[name] !== '' && !read.has(name) && OWN_PREFIXES.some((prefix) => name.startsWith(prefix)))
    .filter((name) => !KUBERNETES_SERVICE.test(name))
    .sort();
}

/** The variables Kubernetes sets for a Service (one named `redis`: REDIS_SERVICE_HOST, REDIS_PORT_6379_TCP_ADDR, ...). */
const KUBERNETES_SERVICE = /_SERVICE_(HOST|PORT)(_[A-Z0-9_]+)?$|_PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?$/;

export function loadConfig(env: Env = process.env): Config {
  const listenHost = host(env);
  const altostratApiUrl = baseUrl(env, 'ALTOSTRAT_API_URL');
  const demo = altostratApiUrl === undefined;
  const port = integer(env, 'PORT', 4000, 0, 65535);
  const metricsPort = integer(env, 'METRICS_PORT', 9464, 0, 65535);
  const metricsOnMainPort = boolean(env, 'METRICS_ON_MAIN_PORT', false);
  if (!metricsOnMainPort && metricsPort !== 0 && metricsPort === port) {
    throw new ConfigError(`METRICS_PORT must differ from PORT (${port}), got "${env.METRICS_PORT ?? metricsPort}"; set METRICS_ON_MAIN_PORT=true to serve /metrics on the public port`);
  }
  const httpRequestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000);
  const httpHeadersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 1_000, 600_000);
  if (httpHeadersTimeoutMs > httpRequestTimeoutMs) {
    throw new ConfigError(
      `HTTP_HEADERS_TIMEOUT_MS (${httpHeadersTimeoutMs}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${httpRequestTimeoutMs}): the headers are part of the request`,
    );
  }
  const cursorSecret = cursorSecretOf(env);
  const redis = redisUrl(env, 'REDIS_URL');
  if (redis !== undefined && cursorSecret === undefined && redisCredentials(redis) === '') {
    throw new ConfigError(
      'REDIS_URL is set without a password, and CURSOR_SECRET is not set: replicas name the live topics they share in ' +
        'Redis with a key derived from CURSOR_SECRET (or else from the Redis password), so each replica would poll ' +
        'every subscription alone. Set CURSOR_SECRET (32+ characters, the same on every replica).',
    );
  }
  return Object.freeze({
    port,
    host: listenHost,
    altostratApiUrl,
    graphiql: boolean(env, 'GRAPHIQL', demo),
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 1, 600_000),
    upstreamConcurrency: integer(env, 'UPSTREAM_CONCURRENCY', 32, 1, 1_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 1, 600_000),
    upstreamRetries: integer(env, 'UPSTREAM_RETRIES', 2, 0, 10),
    breakerThreshold: integer(env, 'UPSTREAM_BREAKER_THRESHOLD', 10, 1, 10_000),
    breakerCooldownMs: integer(env, 'UPSTREAM_BREAKER_COOLDOWN_MS', 5_000, 1, 600_000),
    upstreamMaxInFlight: integer(env, 'UPSTREAM_MAX_IN_FLIGHT', 256, 1, 100_000),
    upstreamMaxInFlightPerToken: integer(env, 'UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN', 128, 1, 100_000),
    upstreamMaxBodyBytes: integer(env, 'UPSTREAM_MAX_BODY_BYTES', 5_000_000, 1_000, 1_000_000_000),
    upstreamMaxRequestBytes: integer(env, 'UPSTREAM_MAX_REQUEST_BYTES', 32 * 1024 * 1024, 1_000, 1_000_000_000),
    upstreamMaxHeldBytes: integer(env, 'UPSTREAM_MAX_HELD_BYTES', 256 * 1024 * 1024, 4_000, 100_000_000_000),
    upstreamMaxJsonDepth: integer(env, 'UPSTREAM_MAX_JSON_DEPTH', 64, 8, 1_000),
    cursorSecret,
    cursorSecretsPrevious: secrets(env, 'CURSOR_SECRETS_PREVIOUS'),
    routerSecret: secret(env, 'ROUTER_SECRET'),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    metricsPort,
    metricsOnMainPort,
    maxConnections: integer(env, 'MAX_CONNECTIONS', 10_000, 1, 1_000_000),
    wsMaxConnectionsPerToken: integer(env, 'WS_MAX_CONNECTIONS_PER_TOKEN', 20, 1, 100_000),
    wsMaxConnectionsPerAddress: integer(env, 'WS_MAX_CONNECTIONS_PER_ADDRESS', 1_000, 1, 1_000_000),
    trustedProxyHops: integer(env, 'TRUSTED_PROXY_HOPS', 0, 0, 10),
    wsIdleTimeoutMs: integer(env, 'WS_IDLE_TIMEOUT_MS', 30_000, 100, 3_600_000),
    httpRequestTimeoutMs,
    httpHeadersTimeoutMs,
    httpWriteStallTimeoutMs: integer(env, 'HTTP_WRITE_STALL_TIMEOUT_MS', 60_000, 1_000, 600_000),
    livePollIntervalMs: integer(env, 'LIVE_POLL_INTERVAL_MS', 1_000, 10, 600_000),
    liveMaxSubscriptionsPerToken: integer(env, 'LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN', 20, 1, 100_000),
    liveMaxSubscriptions: integer(env, 'LIVE_MAX_SUBSCRIPTIONS', 10_000, 1, 10_000_000),
    liveMaxUpstreamCallsPerMinute: integer(env, 'LIVE_MAX_UPSTREAM_CALLS_PER_MINUTE', 600, 1, 100_000),
    redisUrl: redis,
    finishedRunsCacheBytes: integer(env, 'FINISHED_RUNS_CACHE_BYTES', 64 * 1024 * 1024, 0, 64 * 1024 * 1024 * 1024),
    maxUpstreamCalls: integer(env, 'MAX_UPSTREAM_CALLS', 500, 1, 1_000_000),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 100_000, 1_000, 100_000_000),
    maxTokens: integer(env, 'MAX_TOKENS', 5_000, 10, 1_000_000),
    maxDepth: integer(env, 'MAX_DEPTH', 12, 2, 1_000),
    maxAliases: integer(env, 'MAX_ALIASES', 64, 1, 10_000),
    maxDirectives: integer(env, 'MAX_DIRECTIVES', 50, 1, 10_000),
    introspection: boolean(env, 'INTROSPECTION', true),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    upstreamTrace: boolean(env, 'UPSTREAM_TRACE', demo),
    persistedDocuments: given(env, 'PERSISTED_DOCUMENTS')?.trim(),
    otelTracing: boolean(env, 'OTEL_TRACING', false),
  });
}
