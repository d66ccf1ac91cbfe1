/**
 * What the gateway shows and writes to hostile callers. `_service` behind
 * a router secret, empty operations answered with a code, logs scrubbed and bounded, metrics
 * labels that anonymous junk cannot fill, CORS from an allowlist, GraphiQL off with a real
 * upstream. Through real HTTP to a gateway in front of the simulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../src/config.js';
import { bearer, DEMO_TOKENS, expectCode, startStack, type GraphQLResponse, type Stack } from '../support/stack.js';

/** A JSON POST with any headers, as a hostile client would send it. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse & { headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
}

/** Every log line the gateway writes, as text. */
function logCapture(): DestinationStream & { lines: string[]; bytes(): number } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line), bytes: () => lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0) };
}

describe('`_service { sdl }` with INTROSPECTION=false', () => {
  const ROUTER_SECRET = 'the-router-secret-of-32-characters-or-more';
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({}, { INTROSPECTION: 'false', ROUTER_SECRET });
  });
  afterAll(() => stack.close());

  it('is FORBIDDEN without the router secret, however the document hides it', async () => {
    for (const query of [
      '{ _service { sdl } }',
      '{ s: _service { sdl } }',
      'query($v: Boolean = true) { _service @include(if: $v) { sdl } }',
      '{ ...S } fragment S on Query { _service { sdl } }',
      '{ ... on Query { _service { sdl } } }',
    ]) {
      const attempts: Array<Record<string, string>> = [{}, { 'x-router-secret': 'wrong' }, { 'x-router-secret': `${ROUTER_SECRET}x` }, { authorization: bearer(DEMO_TOKENS.acme) }];
      for (const headers of attempts) {
        const response = await post(stack.url, { query }, headers);
        expect(response.status).toBeLessThan(500);
        expectCode(response, 'FORBIDDEN');
        expect(JSON.stringify(response)).not.toContain('type Workflow');
      }
    }
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('answers a router without the secret 403 under application/graphql-response+json, as its code says', async () => {
    const response = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', 'x-router-secret': 'wrong' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('FORBIDDEN');
  });

  it('answers the SDL to a router sending the right `X-Router-Secret`', async () => {
    const response = await post(stack.url, { query: '{ _service { sdl } }' }, { 'x-router-secret': ROUTER_SECRET });
    expect(response.errors).toBeUndefined();
    expect(response.data._service.sdl).toMatch(/type Workflow implements Node/);
  });

  it('answers nobody when ROUTER_SECRET is unset', async () => {
    const closed = await startStack({}, { INTROSPECTION: 'false' });
    try {
      expectCode(await post(closed.url, { query: '{ _service { sdl } }' }, { 'x-router-secret': ROUTER_SECRET }), 'FORBIDDEN');
      expectCode(await post(closed.url, { query: '{ _service { sdl } }' }, { 'x-router-secret': '' }), 'FORBIDDEN');
    } finally {
      await closed.close();
    }
  });
});

describe('empty operations', () => {
  it.each(['mutation {}', 'subscription {}', 'mutation { }', 'query {}', '{}'])(
    'answers %j with a coded error, not HTTP 500, and logs no stack',
    async (query) => {
      const logs = logCapture();
      const stack = await startStack({}, { LOG_LEVEL: 'debug' }, logs);
      try {
        for (const accept of ['application/json', 'application/graphql-response+json']) {
          const response = await post(stack.url, { query }, { authorization: bearer(DEMO_TOKENS.acme), accept });
          expect(response.status).toBeLessThan(500);
          expect(response.errors?.[0]?.extensions?.code).toMatch(/^(GRAPHQL_PARSE_FAILED|GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT)$/);
        }
        expect(stack.simulator.calls).toHaveLength(0);
        expect(logs.lines.filter((line) => /"level":(50|60)/.test(line) || line.includes('"stack"'))).toEqual([]);
      } finally {
        await stack.close();
      }
    },
  );
});

describe('logs', () => {
  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { id name } } }`;
  const SECRET = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2VuLXNlbnQtYXMtYS10eXBlbmFtZQ.U0VDUkVUU0lHTkFUVVJF';
  let logs: ReturnType<typeof logCapture>;
  let stack: Stack;

  beforeAll(async () => {
    logs = logCapture();
    stack = await startStack({}, { LOG_LEVEL: 'debug' }, logs);
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    logs.lines.length = 0;
  });

  it('never write a `Bearer ...` sent as an `_entities` __typename, in any line, message or stack', async () => {
    for (const typename of [`Bearer ${SECRET}`, `bearer ${SECRET}`, `x Bearer ${SECRET} y`, `Bearer  ${SECRET}`]) {
      const response = await stack.gql(ENTITIES, { r: [{ __typename: typename, id: 'fl_a' }] });
      expect(response.status).toBeLessThan(500);
      expect(JSON.stringify(response)).not.toContain(SECRET);
    }
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const part of SECRET.split('.')) expect(logs.lines.filter((line) => line.includes(part))).toEqual([]);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('write a bounded amount for a 95 KB request with a bad __typename', async () => {
    for (const typename of ['x'.repeat(95_000), `Bearer ${'A'.repeat(95_000)}`, `Bearer ${SECRET} ${'y'.repeat(95_000)}`]) {
      logs.lines.length = 0;
      const response = await stack.gql(ENTITIES, { r: [{ __typename: typename, id: 'fl_a' }] });
      expect(response.status).toBeLessThan(500);
      // The probe saw 287 KB of log for one such request: three times the request at least.
      expect(logs.bytes()).toBeLessThan(20_000);
      expect(logs.lines.some((line) => line.includes(SECRET))).toBe(false);
    }
  });
});

describe('the request log line', () => {
  // The request log line cuts the operation name: a 90,000-letter name (valid GraphQL, under the
  // body and token limits) once wrote a 90 KB line per request.
  it('stays bounded for a request whose operation name is 90,000 characters long', async () => {
    const logs = logCapture();
    const stack = await startStack({}, { LOG_LEVEL: 'info' }, logs);
    try {
      const response = await stack.gql(`query ${'A'.repeat(90_000)} { __typename }`);
      expect(response.status).toBeLessThan(500);
      expect(logs.lines.length).toBeGreaterThan(0);
      expect(logs.bytes()).toBeLessThan(20_000);
    } finally {
      await stack.close();
    }
  });
});

describe('metrics', () => {
  let stack: Stack;
  const metrics = async () => (await fetch(stack.metricsUrl)).text();
  const labelled = (text: string, operation: string) => new RegExp(`^graphql_requests_total\\{operation="${operation}"\\} \\d+$`, 'm').test(text);

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('do not let 250 junk operation names without a valid token crowd out a real one sent with a token', async () => {
    const query = (name: string) => `query ${name} { workflows(first: 1) { nodes { id } } }`;
    for (let i = 0; i < 250; i++) {
      // Half without a token, half with a token Altostrat refuses.
      const authorization = i % 2 === 0 ? null : bearer(`junk${i}`);
      const response = await stack.gql(query(`Junk${i}`), {}, { authorization });
      expectCode(response, 'UNAUTHENTICATED');
    }
    const real = await stack.gql(query('RealDashboard'));
    expect(real.errors).toBeUndefined();

    const text = await metrics();
    expect(labelled(text, 'RealDashboard')).toBe(true);
    expect(text).not.toMatch(/operation="Junk\d+"/);
    expect(stack.simulator.calls.filter((c) => c.authorization === bearer(DEMO_TOKENS.acme))).toHaveLength(1);
  });

  it('count errors by the code the client sees, never UNKNOWN', async () => {
    const answers = [
      await stack.gql('{ workflow(id: "..") { name } }'), // BAD_USER_INPUT, from a resolver
      await stack.gql('query($n: Int) { workflows(first: $n) { nodes { id } } }', { n: 'x' }), // variables: graphql-js gives no code
      await stack.gql('{ workflows(first: 1) { nodes { id } } }', {}, { authorization: null }), // UNAUTHENTICATED
      await stack.gql('{ nope }'), // GRAPHQL_VALIDATION_FAILED
      await stack.gql('{'), // GRAPHQL_PARSE_FAILED
      await stack.gql('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: [{ __typename: 'Nope', id: 'fl_a' }] }),
    ];
    const codes = answers.flatMap((answer) => answer.errors!.map((error) => String(error.extensions?.code)));
    expect(codes).not.toContain('undefined');
    const text = await metrics();
    expect(text).not.toContain('code="UNKNOWN"');
    for (const code of new Set(codes)) expect(text).toMatch(new RegExp(`^graphql_errors_total\\{code="${code}"\\} [1-9]`, 'm'));
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  it('allows no other origin by default: no `access-control-allow-origin`, on a preflight or a POST', async () => {
    const stack = await startStack();
    try {
      const options = await preflight(stack.url, 'https://evil.example');
      expect(options.headers.get('access-control-allow-origin')).toBeNull();
      expect(options.headers.get('access-control-allow-credentials')).toBeNull();
      const answer = await post(stack.url, { query: '{ __typename }' }, { origin: 'https://evil.example', authorization: bearer(DEMO_TOKENS.acme) });
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await stack.close();
    }
  });

  it('allows the origins of CORS_ORIGINS, and only those', async () => {
    const stack = await startStack({}, { CORS_ORIGINS: 'https://app.example.com,https://admin.example.com' });
    try {
      const allowed = await preflight(stack.url, 'https://app.example.com');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const answer = await post(stack.url, { query: '{ __typename }' }, { origin: 'https://admin.example.com', authorization: bearer(DEMO_TOKENS.acme) });
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://admin.example.com');

      for (const evil of ['https://evil.example', 'https://app.example.com.evil.example', 'http://app.example.com']) {
        expect((await preflight(stack.url, evil)).headers.get('access-control-allow-origin')).not.toBe(evil);
        const refused = await post(stack.url, { query: '{ __typename }' }, { origin: evil, authorization: bearer(DEMO_TOKENS.acme) });
        expect(refused.headers.get('access-control-allow-origin')).not.toBe(evil);
        expect(refused.headers.get('access-control-allow-origin')).not.toBe('*');
        // An answer that depends on the Origin says so, for caches: refused or allowed.
        expect(refused.headers.get('vary')).toMatch(/\bOrigin\b/);
      }
      expect(answer.headers.get('vary')).toMatch(/\bOrigin\b/);
    } finally {
      await stack.close();
    }
  });

  // CORS is decided per request: an origin off the list gets no CORS header at all. A static list
  // made @whatwg-node/server answer `Access-Control-Allow-Origin: null`, which a sandboxed iframe
  // or a data: URL (whose origin is `null`) matches.
  it('does not allow the `null` origin, which is not in CORS_ORIGINS', async () => {
    const stack = await startStack({}, { CORS_ORIGINS: 'https://app.example.com,https://admin.example.com' });
    try {
      expect((await preflight(stack.url, 'null')).headers.get('access-control-allow-origin')).not.toBe('null');
      const answer = await post(stack.url, { query: '{ __typename }' }, { origin: 'null', authorization: bearer(DEMO_TOKENS.acme) });
      expect(answer.headers.get('access-control-allow-origin')).not.toBe('null');
    } finally {
      await stack.close();
    }
  });
});

describe('GraphiQL', () => {
  it('is off by default with a real upstream, on in demo mode, and on with a real upstream only if GRAPHIQL=true', () => {
    expect(loadConfig({ ALTOSTRAT_API_URL: 'https://v1.api.altostrat.io' }).graphiql).toBe(false);
    expect(loadConfig({}).graphiql).toBe(true);
    expect(loadConfig({ ALTOSTRAT_API_URL: 'https://v1.api.altostrat.io', GRAPHIQL: 'true' }).graphiql).toBe(true);
    expect(loadConfig({ GRAPHIQL: 'false' }).graphiql).toBe(false);
  });

  it('is not served over HTTP by a gateway configured with a real upstream', async () => {
    // startStack turns GRAPHIQL on; an empty value leaves the default, which the upstream URL decides.
    const stack = await startStack({}, { GRAPHIQL: '', ALTOSTRAT_API_URL: 'https://v1.api.altostrat.io' });
    try {
      const page = await fetch(stack.url, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/graphiql/i);
    } finally {
      await stack.close();
    }
  });

  it('leaves the other hardening defaults as documented: bounded request times and connections', () => {
    const config = loadConfig({ ALTOSTRAT_API_URL: 'https://v1.api.altostrat.io' });
    expect(config.corsOrigins).toEqual([]);
    expect(config.httpRequestTimeoutMs).toBeLessThan(300_000);
    expect(config.httpHeadersTimeoutMs).toBeLessThanOrEqual(config.httpRequestTimeoutMs);
    expect(config.maxConnections).toBeGreaterThan(0);
    expect(config.upstreamMaxBodyBytes).toBeLessThanOrEqual(10_000_000);
  });
});
