/**
 * The only reader of process.env. Each variable is read once, checked, and either becomes part of
 * a frozen Config or stops start-up with its name, its value and what is allowed.
 */
import { LOG_LEVELS, type LogLevel } from './logging.js';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** The upstream's REST base URL without a trailing slash; undefined starts the embedded demo. */
  readonly altostratApiUrl: string | undefined;
  readonly graphiql: boolean;
  /** Deadline of one upstream call, from sending it to the last byte of its body. */
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
  /** Upstream calls the whole process may have in flight (the bulkhead). */
  readonly upstreamMaxInFlight: number;
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

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const normalized = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${env[name]}"`);
  }
  return raw as T;
}

function baseUrl(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  // Messages show the value with any user:password@ part hidden: it would be a credential.
  const shown = raw.replace(/\/\/[^/]*@/, '//***@');
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

export function loadConfig(env: Env = process.env): Config {
  const host = env.HOST?.trim() || '127.0.0.1';
  return Object.freeze({
    port: integer(env, 'PORT', 4000, 0, 65535),
    host,
    altostratApiUrl: baseUrl(env, 'ALTOSTRAT_API_URL'),
    graphiql: boolean(env, 'GRAPHIQL', true),
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 1, 600_000),
    upstreamConcurrency: integer(env, 'UPSTREAM_CONCURRENCY', 32, 1, 1_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 1, 600_000),
    upstreamRetries: integer(env, 'UPSTREAM_RETRIES', 2, 0, 10),
    breakerThreshold: integer(env, 'UPSTREAM_BREAKER_THRESHOLD', 10, 1, 10_000),
    breakerCooldownMs: integer(env, 'UPSTREAM_BREAKER_COOLDOWN_MS', 5_000, 1, 600_000),
    upstreamMaxInFlight: integer(env, 'UPSTREAM_MAX_IN_FLIGHT', 256, 1, 100_000),
    maxUpstreamCalls: integer(env, 'MAX_UPSTREAM_CALLS', 500, 1, 1_000_000),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 100_000, 1_000, 100_000_000),
    maxTokens: integer(env, 'MAX_TOKENS', 5_000, 10, 1_000_000),
    maxDepth: integer(env, 'MAX_DEPTH', 12, 2, 1_000),
    maxAliases: integer(env, 'MAX_ALIASES', 64, 1, 10_000),
    maxDirectives: integer(env, 'MAX_DIRECTIVES', 50, 1, 10_000),
    introspection: boolean(env, 'INTROSPECTION', true),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    upstreamTrace: boolean(env, 'UPSTREAM_TRACE', !env.ALTOSTRAT_API_URL?.trim()),
    persistedDocuments: env.PERSISTED_DOCUMENTS?.trim() || undefined,
    otelTracing: boolean(env, 'OTEL_TRACING', false),
  });
}
