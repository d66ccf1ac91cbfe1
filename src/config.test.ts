/** loadConfig(env): defaults, every variable, and start-up errors that name the variable and what it allows but never show a secret. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redisOptions, unknownVariables, type Config } from './config.js';

/**
 * Every field of Config with the variable that sets it, a value that is not its default (in demo
 * mode), and what that value parses to. The type lists every key of Config: a field added to Config
 * without a row here does not compile, and the tests below compare whole Configs, so a variable
 * that is parsed but not checked cannot slip through either.
 */
const EVERY_VARIABLE: { readonly [K in keyof Config]-?: readonly [name: string, raw: string, parsed: Config[K]] } = {
  port: ['PORT', '8080', 8080],
  host: ['HOST', ' 0.0.0.0 ', '0.0.0.0'],
  altostratApiUrl: ['ALTOSTRAT_API_URL', 'https://v1.api.altostrat.io/', 'https://v1.api.altostrat.io'],
  graphiql: ['GRAPHIQL', 'false', false],
  upstreamTimeoutMs: ['UPSTREAM_TIMEOUT_MS', '2500', 2500],
  upstreamConcurrency: ['UPSTREAM_CONCURRENCY', '8', 8],
  requestTimeoutMs: ['REQUEST_TIMEOUT_MS', '12000', 12_000],
  upstreamRetries: ['UPSTREAM_RETRIES', '0', 0],
  breakerThreshold: ['UPSTREAM_BREAKER_THRESHOLD', '4', 4],
  breakerCooldownMs: ['UPSTREAM_BREAKER_COOLDOWN_MS', '1500', 1500],
  upstreamMaxInFlight: ['UPSTREAM_MAX_IN_FLIGHT', '64', 64],
  upstreamMaxInFlightPerToken: ['UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN', '6', 6],
  upstreamMaxBodyBytes: ['UPSTREAM_MAX_BODY_BYTES', '2000000', 2_000_000],
  upstreamMaxRequestBytes: ['UPSTREAM_MAX_REQUEST_BYTES', '8000000', 8_000_000],
  upstreamMaxHeldBytes: ['UPSTREAM_MAX_HELD_BYTES', '64000000', 64_000_000],
  upstreamMaxJsonDepth: ['UPSTREAM_MAX_JSON_DEPTH', '20', 20],
  cursorSecret: ['CURSOR_SECRET', 'cursor-secret-of-at-least-32-chars!', 'cursor-secret-of-at-least-32-chars!'],
  cursorSecretsPrevious: [
    'CURSOR_SECRETS_PREVIOUS',
    ' previous-cursor-secret-number-one , previous-cursor-secret-number-two,',
    ['previous-cursor-secret-number-one', 'previous-cursor-secret-number-two'],
  ],
  routerSecret: ['ROUTER_SECRET', 'router-secret-of-at-least-32-chars!', 'router-secret-of-at-least-32-chars!'],
  corsOrigins: ['CORS_ORIGINS', 'https://app.example.com, http://localhost:5173', ['https://app.example.com', 'http://localhost:5173']],
  metricsPort: ['METRICS_PORT', '9100', 9100],
  metricsOnMainPort: ['METRICS_ON_MAIN_PORT', 'true', true],
  maxConnections: ['MAX_CONNECTIONS', '500', 500],
  wsMaxConnectionsPerToken: ['WS_MAX_CONNECTIONS_PER_TOKEN', '4', 4],
  wsMaxConnectionsPerAddress: ['WS_MAX_CONNECTIONS_PER_ADDRESS', '50', 50],
  trustedProxyHops: ['TRUSTED_PROXY_HOPS', '2', 2],
  wsIdleTimeoutMs: ['WS_IDLE_TIMEOUT_MS', '5000', 5000],
  httpRequestTimeoutMs: ['HTTP_REQUEST_TIMEOUT_MS', '20000', 20_000],
  httpHeadersTimeoutMs: ['HTTP_HEADERS_TIMEOUT_MS', '5000', 5000],
  httpWriteStallTimeoutMs: ['HTTP_WRITE_STALL_TIMEOUT_MS', '15000', 15_000],
  livePollIntervalMs: ['LIVE_POLL_INTERVAL_MS', '250', 250],
  liveMaxSubscriptionsPerToken: ['LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN', '5', 5],
  liveMaxSubscriptions: ['LIVE_MAX_SUBSCRIPTIONS', '100', 100],
  liveMaxUpstreamCallsPerMinute: ['LIVE_MAX_UPSTREAM_CALLS_PER_MINUTE', '120', 120],
  redisUrl: ['REDIS_URL', ' rediss://:pa55word@cache.internal:6380/2 ', 'rediss://:pa55word@cache.internal:6380/2'],
  finishedRunsCacheBytes: ['FINISHED_RUNS_CACHE_BYTES', '0', 0],
  maxUpstreamCalls: ['MAX_UPSTREAM_CALLS', '300', 300],
  maxBodyBytes: ['MAX_BODY_BYTES', '50000', 50_000],
  maxTokens: ['MAX_TOKENS', '2000', 2000],
  maxDepth: ['MAX_DEPTH', '8', 8],
  maxAliases: ['MAX_ALIASES', '10', 10],
  maxDirectives: ['MAX_DIRECTIVES', '20', 20],
  introspection: ['INTROSPECTION', 'false', false],
  logLevel: ['LOG_LEVEL', 'WARN', 'warn'],
  upstreamTrace: ['UPSTREAM_TRACE', 'false', false],
  persistedDocuments: ['PERSISTED_DOCUMENTS', ' documents/manifest.json ', 'documents/manifest.json'],
  otelTracing: ['OTEL_TRACING', 'true', true],
};

const ROWS = Object.entries(EVERY_VARIABLE) as Array<[keyof Config, readonly [string, string, unknown]]>;

/** The ConfigError loadConfig throws for `env`. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig', () => {
  it('defaults to 127.0.0.1:4000 with GraphiQL on and the embedded demo upstream', () => {
    expect(loadConfig({})).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      altostratApiUrl: undefined,
      graphiql: true,
      upstreamTimeoutMs: 10_000,
      upstreamConcurrency: 32,
      finishedRunsCacheBytes: 64 * 1024 * 1024,
    });
  });

  it('treats every variable set empty as unset, and refuses one set to white space alone', () => {
    const empty = Object.fromEntries(ROWS.map(([, [name]]) => [name, '']));
    expect(loadConfig(empty)).toEqual(loadConfig({}));
    // White space would quietly turn a setting off: the demo upstream for ALTOSTRAT_API_URL, say.
    for (const [, [name]] of ROWS) expect(configError({ [name]: ' \n' }).message).toMatch(new RegExp(`^${name} is set to white space only`));
  });

  it('parses every variable', () => {
    const config = loadConfig(Object.fromEntries(ROWS.map(([, [name, raw]]) => [name, raw])));
    // Exactly these keys and values: a key Config gains later fails here until it has its row.
    expect(config).toEqual(Object.fromEntries(ROWS.map(([key, [, , parsed]]) => [key, parsed])));
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each(ROWS)('reads %s from its own variable alone, away from its default', (key, [name, raw, parsed]) => {
    const config = loadConfig({ [name]: raw });
    expect(config[key]).toEqual(parsed);
    expect(loadConfig({})[key]).not.toEqual(parsed);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['YES', true],
    ['off', false],
    ['0', false],
  ])('reads GRAPHIQL=%s as %s', (value, expected) => {
    expect(loadConfig({ GRAPHIQL: value }).graphiql).toBe(expected);
  });

  it.each(['0.0.0.0', '::', '::1', 'localhost', 'gateway-1.internal'])('accepts HOST %s', (value) => {
    expect(loadConfig({ HOST: value }).host).toBe(value);
  });

  it('accepts port 0 (any free port)', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
  });

  it('serves /metrics off the public port by default, on it only when asked', () => {
    expect(loadConfig({})).toMatchObject({ metricsPort: 9464, metricsOnMainPort: false });
    expect(loadConfig({ PORT: '9464', METRICS_ON_MAIN_PORT: 'true' })).toMatchObject({ port: 9464, metricsOnMainPort: true });
  });

  it.each([
    ['a trailing slash', 'https://v1.api.altostrat.io/', 'https://v1.api.altostrat.io'],
    ['a path and trailing slashes', 'http://127.0.0.1:9000/api//', 'http://127.0.0.1:9000/api'],
  ])('removes %s from ALTOSTRAT_API_URL', (_, value, expected) => {
    expect(loadConfig({ ALTOSTRAT_API_URL: value }).altostratApiUrl).toBe(expected);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', 'from 0 to 65535'],
    [{ PORT: '70000' }, 'PORT', 'from 0 to 65535'],
    [{ PORT: '-1' }, 'PORT', 'from 0 to 65535'],
    [{ PORT: '80.5' }, 'PORT', 'whole number'],
    [{ GRAPHIQL: 'maybe' }, 'GRAPHIQL', 'true or false'],
    [{ ALTOSTRAT_API_URL: 'ftp://x' }, 'ALTOSTRAT_API_URL', 'http or https'],
    [{ ALTOSTRAT_API_URL: 'not a url' }, 'ALTOSTRAT_API_URL', 'http(s) URL'],
    [{ ALTOSTRAT_API_URL: 'https://v1.api.altostrat.io/?page=2' }, 'ALTOSTRAT_API_URL', 'without query or fragment'],
    [{ UPSTREAM_TIMEOUT_MS: '0' }, 'UPSTREAM_TIMEOUT_MS', 'from 1 to 600000'],
    [{ UPSTREAM_CONCURRENCY: '0' }, 'UPSTREAM_CONCURRENCY', 'from 1 to 1000'],
    [{ METRICS_PORT: '65536' }, 'METRICS_PORT', 'from 0 to 65535'],
    [{ PORT: '9000', METRICS_PORT: '9000' }, 'METRICS_PORT', 'METRICS_ON_MAIN_PORT=true'],
    [{ WS_IDLE_TIMEOUT_MS: '99' }, 'WS_IDLE_TIMEOUT_MS', 'from 100 to 3600000'],
    [{ WS_MAX_CONNECTIONS_PER_TOKEN: '0' }, 'WS_MAX_CONNECTIONS_PER_TOKEN', 'from 1 to 100000'],
    [{ LIVE_MAX_UPSTREAM_CALLS_PER_MINUTE: '0' }, 'LIVE_MAX_UPSTREAM_CALLS_PER_MINUTE', 'from 1 to 100000'],
    [{ UPSTREAM_MAX_JSON_DEPTH: '7' }, 'UPSTREAM_MAX_JSON_DEPTH', 'from 8 to 1000'],
    [{ HTTP_HEADERS_TIMEOUT_MS: '999' }, 'HTTP_HEADERS_TIMEOUT_MS', 'from 1000 to 600000'],
    [{ HTTP_REQUEST_TIMEOUT_MS: '5000' }, 'HTTP_HEADERS_TIMEOUT_MS (10000) must not exceed HTTP_REQUEST_TIMEOUT_MS (5000)', 'part of the request'],
    [{ LIVE_POLL_INTERVAL_MS: '9' }, 'LIVE_POLL_INTERVAL_MS', 'from 10 to 600000'],
    [{ FINISHED_RUNS_CACHE_BYTES: '64MB' }, 'FINISHED_RUNS_CACHE_BYTES', 'whole number'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', 'one of fatal, error, warn, info, debug, trace, silent'],
    [{ HOST: 'a b' }, 'HOST', 'an IP address or a host name'],
    [{ HOST: '-gateway' }, 'HOST', 'an IP address or a host name'],
    [{ HOST: 'http://127.0.0.1' }, 'HOST', 'an IP address or a host name'],
  ])('rejects %j, naming the variable and what it allows', (env, name, allowed) => {
    const error = configError(env);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(name);
    expect(error.message).toContain(allowed);
  });

  it('rejects a URL with credentials without echoing them', () => {
    const error = configError({ ALTOSTRAT_API_URL: 'https://deploy:s3cr3t-pa55@v1.api.altostrat.io' });
    expect(error.message).toContain('ALTOSTRAT_API_URL');
    expect(error.message).toContain('must not carry credentials');
    expect(error.message).not.toContain('s3cr3t-pa55');
    expect(error.message).not.toContain('deploy');
  });

  // Every refusal of ALTOSTRAT_API_URL hides a user:password part, whichever check fails first.
  it.each([
    ['a non-http URL', 'ftp://deploy:s3cr3t-pa55@v1.api.altostrat.io'],
    ['a URL with a query', 'https://deploy:s3cr3t-pa55@v1.api.altostrat.io/?page=2'],
    ['something that is not a URL', 'https://deploy:s3cr3t-pa55@ not a host'],
    ['credentials without the slashes', 'https:deploy:s3cr3t-pa55@v1.api.altostrat.io'],
    ['credentials after backslashes', 'https:\\\\deploy:s3cr3t-pa55@v1.api.altostrat.io'],
    ['a slash inside the password', 'https://deploy:pa/s3cr3t-pa55@v1.api.altostrat.io'],
  ])('rejects %s with credentials without echoing them', (_, value) => {
    const error = configError({ ALTOSTRAT_API_URL: value });
    expect(error.message).toContain('ALTOSTRAT_API_URL');
    expect(error.message).not.toContain('s3cr3t-pa55');
    expect(error.message).not.toContain('deploy');
  });

  it.each([
    ['CURSOR_SECRET', 'only-31-characters-long-secret!'],
    ['ROUTER_SECRET', 'short'],
    ['CURSOR_SECRETS_PREVIOUS', `${'p'.repeat(32)},retired-but-short`],
  ])('rejects %s shorter than 32 characters without echoing it', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).toContain(name);
    expect(error.message).toContain('at least 32 characters');
    for (const part of value.split(',')) expect(error.message).not.toContain(part);
  });

  it('names variables that look like its own but are none of them, and no other', () => {
    const env = {
      ...{ REDIS_URI: 'redis://cache:6379', CURSOR_SECRETS: 'x', UPSTREAM_TIMEOUT: '5', REDIS_URL: '', PORT: '1', HTTP_PROXY: 'http://proxy', OTEL_SERVICE_NAME: 'gw', PATH: '/bin' },
      // What Kubernetes sets for a Service named `redis`.
      ...{ REDIS_SERVICE_HOST: '10.0.0.1', REDIS_SERVICE_PORT: '6379', REDIS_PORT: 'tcp://10.0.0.1:6379', REDIS_PORT_6379_TCP_ADDR: '10.0.0.1' },
    };
    expect(unknownVariables(env)).toEqual(['CURSOR_SECRETS', 'REDIS_URI', 'UPSTREAM_TIMEOUT']);
    expect(unknownVariables(Object.fromEntries(ROWS.map(([, [name, raw]]) => [name, raw])))).toEqual([]);
  });

  it('accepts a secret of exactly 32 characters', () => {
    expect(loadConfig({ CURSOR_SECRET: 'x'.repeat(32) }).cursorSecret).toBe('x'.repeat(32));
  });

  it('reads a cursor secret as it reads it again once rotated into CURSOR_SECRETS_PREVIOUS, and refuses one with a comma', () => {
    const fromAFile = `${'k'.repeat(40)}\n`;
    const before = loadConfig({ CURSOR_SECRET: fromAFile }).cursorSecret;
    expect(loadConfig({ CURSOR_SECRET: 'n'.repeat(40), CURSOR_SECRETS_PREVIOUS: fromAFile }).cursorSecretsPrevious).toEqual([before]);
    const error = configError({ CURSOR_SECRET: `${'a'.repeat(20)},${'b'.repeat(20)}` });
    expect(error.message).toContain('CURSOR_SECRET must not hold a comma');
    expect(error.message).not.toContain('aaaa');
    // A router secret is never listed: a comma in it is its own business.
    expect(loadConfig({ ROUTER_SECRET: `${'a'.repeat(20)},${'b'.repeat(20)}` }).routerSecret).toBe(`${'a'.repeat(20)},${'b'.repeat(20)}`);
  });

  it('hands ioredis the REDIS_URL as the URL standard reads it, and refuses one with a query', () => {
    // ioredis's own reading (Node's legacy parser) finds no host in this one, and would connect to 127.0.0.1.
    expect(redisOptions(loadConfig({ REDIS_URL: 'redis://:pa\\ss@cache.internal:6380/2' }).redisUrl!)).toEqual({ host: 'cache.internal', port: 6380, password: 'pa\\ss', db: 2 });
    expect(redisOptions('rediss://user:p%40ss@[::1]')).toEqual({ host: '::1', port: 6379, username: 'user', password: 'p@ss', db: 0, tls: {} });
    expect(configError({ REDIS_URL: 'redis://:hunter2-redis@cache.internal:6379?db=3' }).message).toContain('REDIS_URL must be a redis://');
  });

  it.each([
    ['a path', 'https://app.example.com/app'],
    ['a trailing slash', 'https://app.example.com/'],
    ['no scheme', 'app.example.com'],
    ['a wildcard', '*'],
  ])('rejects a CORS origin with %s, naming it and the form allowed', (_, origin) => {
    const error = configError({ CORS_ORIGINS: `https://ok.example.com,${origin}` });
    expect(error.message).toContain('CORS_ORIGINS');
    expect(error.message).toContain('origins such as https://app.example.com');
    expect(error.message).toContain(`got "${origin}"`);
  });

  it.each([
    ['an http URL', 'http://:hunter2-redis@cache.internal:6379'],
    ['a URL missing its scheme', 'hunter2-redis@cache.internal:6379'],
    ['a malformed redis URL', 'redis//:hunter2-redis@cache.internal'],
    ['a password whose escape does not decode', 'redis://:hunter2%zz-redis@cache.internal:6379'],
    ['a database that is no number', 'redis://:hunter2-redis@cache.internal:6379/abc'],
    ['no host', 'redis://:hunter2-redis@/0'],
  ])('rejects REDIS_URL as %s without echoing it', (_, value) => {
    const error = configError({ REDIS_URL: value });
    expect(error.message).toContain('REDIS_URL');
    expect(error.message).toContain('redis:// or rediss://');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('cache.internal');
  });

  it('refuses REDIS_URL without a password unless CURSOR_SECRET is set, naming CURSOR_SECRET and why', () => {
    const error = configError({ REDIS_URL: 'redis://cache.internal:6379' });
    expect(error.message).toContain('CURSOR_SECRET');
    expect(error.message).toContain('poll every subscription alone');
    expect(error.message).not.toContain('cache.internal');
    // A user name is no secret: it does not key the topics either.
    expect(configError({ REDIS_URL: 'redis://default@cache.internal:6379' }).message).toContain('CURSOR_SECRET');
    expect(loadConfig({ REDIS_URL: 'redis://:pa55word@cache.internal:6379' }).redisUrl).toBe('redis://:pa55word@cache.internal:6379');
    expect(loadConfig({ REDIS_URL: 'redis://cache.internal:6379', CURSOR_SECRET: 'cursor-secret-of-at-least-32-chars!' }).redisUrl).toBe(
      'redis://cache.internal:6379',
    );
  });
});
