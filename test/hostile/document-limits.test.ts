/**
 * Hostile and careless documents and requests: graphql-armor's document limits, body size, CSRF,
 * batching, introspection switched off, and fuzzed pagination arguments. Each is refused with a
 * coded error before any upstream call.
 */
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, expectCode, post, stackWorld, startStack } from '../support/stack.js';
import { openSocket, run, wsClient } from '../support/websocket.js';

const world = stackWorld({}, { MAX_UPSTREAM_CALLS: '300' });
beforeEach(() => world.stack.simulator.clearCalls());

describe('document limits', () => {
  it('refuses a query nested deeper than the limit', async () => {
    let nested = 'id';
    for (let i = 0; i < 4; i++) nested = `executions(first: 1) { nodes { workflow { ${nested} } } }`;
    expect(expectCode(await world.stack.gql(`{ workflow(id: "${world.workflowId}") { ${nested} } }`), 'BAD_USER_INPUT').message).toContain(
      'depth limit of 12',
    );
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('counts the depth of fields, through fragments but not for them: deep fields hidden in fragments are refused, fragments chained around shallow ones are not', async () => {
    // The same 13 levels of fields, written through a fragment at each level.
    const levels = Array.from({ length: 4 }, (_, i) => `fragment L${i} on Workflow { executions(first: 1) { nodes { workflow { ${i === 3 ? 'id' : `...L${i + 1}`} } } } }`);
    expect(expectCode(await world.stack.gql(`{ workflow(id: "${world.workflowId}") { ...L0 } } ${levels.join(' ')}`), 'BAD_USER_INPUT').message).toContain('depth limit of 12');
    // Eight fragments chained around two levels of fields, as a client made of components writes them.
    const chain = Array.from({ length: 8 }, (_, i) => `fragment C${i} on Workflow { ${i === 7 ? 'id name' : `... on Workflow { ...C${i + 1} }`} }`);
    const response = await world.stack.gql(`{ workflow(id: "${world.workflowId}") { ...C0 } } ${chain.join(' ')}`);
    expect(response.errors).toBeUndefined();
    expect(response.data.workflow.id).toBe(world.workflowId);
  });

  it('says what to do when a document takes more checking than graphql-js allows', async () => {
    const fields = Array.from({ length: 1_200 }, () => '__typename').join(' ');
    const refused = expectCode(await world.stack.gql(`{ ${fields} }`), 'GRAPHQL_VALIDATION_FAILED');
    expect(refused.message).toContain('more work to validate than graphql-js allows');
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('refuses too many aliases, tokens or directives', async () => {
    const aliases = Array.from({ length: 70 }, (_, i) => `a${i}: workflow(id: "fl_${i}") { id }`).join(' ');
    expect(expectCode(await world.stack.gql(`{ ${aliases} }`), 'BAD_USER_INPUT').message).toContain('Aliases limit of 64');
    // `__typename` too: aliased over a fragment spread as often, it would answer megabytes without a call.
    const typenames = Array.from({ length: 70 }, (_, i) => `t${i}: __typename`).join(' ');
    expect(expectCode(await world.stack.gql(`{ ${typenames} }`), 'BAD_USER_INPUT').message).toContain('Aliases limit of 64');
    const tokens = Array.from({ length: 6000 }, () => 'id').join(' ');
    expect(expectCode(await world.stack.gql(`{ workflow(id: "x") { ${tokens} } }`), 'GRAPHQL_PARSE_FAILED').message).toContain('Token limit');
    const directives = Array.from({ length: 60 }, () => '@include(if: true)').join(' ');
    expect(expectCode(await world.stack.gql(`{ __typename ${directives} }`), 'BAD_USER_INPUT').message).toContain('Directives limit');
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('refuses an answer that could hold more values than the limit, though its calls are few: aliases of a list under repeated references', async () => {
    const logs = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: logs(first: 100) { nodes { id output } }`).join(' ');
    // 250 references to one workflow (within the calls' estimate), 63 aliases of its log list: one
    // call, 15,750 lists to answer.
    const representations = Array.from({ length: 250 }, () => ({ __typename: 'Workflow', id: world.workflowId }));
    const entities = await world.stack.gql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { ${logs(63)} } } }`, { r: representations });
    const refused = expectCode(entities, 'BAD_USER_INPUT');
    expect(refused.message).toContain('the limit is 250000');
    expect(refused.extensions!.resultSize).toEqual({ estimate: expect.any(Number), limit: 250_000 });
    // The same without federation: a page of workflows, each asked for its log list under 30 aliases.
    expectCode(await world.stack.gql(`{ workflows(first: 100) { nodes { ${logs(30)} } } }`), 'BAD_USER_INPUT');
    expect(world.stack.simulator.calls).toHaveLength(0);
    // A large answer of the schema's own shape still runs: a page of 100 workflows with their whole graphs.
    const graphs = await world.stack.gql('{ workflows(first: 100) { nodes { id graph { nodes { id type componentId position { x y } data } edges { id source target sourceHandle } } } } }');
    expect(graphs.errors).toBeUndefined();
  });

  it('answers a coded error instead of an answer over 32 Mi characters, which large values under a few aliases can make', async () => {
    const { stack } = world;
    const workflows = (await (await fetch(`${stack.simulator.url}/workflows`, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } })).json()) as Array<Record<string, unknown>>;
    // About 4.5 MB of descriptions, within what the gateway reads of one answer; 8 aliases of the list make 36 MB.
    const long = workflows.map((w) => ({ ...w, description: 'x'.repeat(Math.floor(4_500_000 / workflows.length)) }));
    stack.simulator.configure({ fault: (call) => (call.path === '/workflows' ? { status: 200, body: JSON.stringify(long) } : undefined) });
    try {
      const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: workflows(first: 100) { nodes { description } }`).join(' ');
      const response = await stack.gql(`{ ${aliases(8)} }`);
      expect(response.data).toBeNull();
      expect(expectCode(response, 'BAD_USER_INPUT').message).toContain('more than 33554432 characters');
      const overSse = await fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: bearer(DEMO_TOKENS.acme) },
        body: JSON.stringify({ query: `{ ${aliases(8)} }` }),
      });
      const events = await overSse.text();
      expect(events.length).toBeLessThan(10_000);
      expect(events).toContain('more than 33554432 characters');
      const client = wsClient(stack.url, { authorization: bearer(DEMO_TOKENS.acme) });
      try {
        const { results } = await run(client, { query: `{ ${aliases(8)} }` });
        expect(results.map((r) => [r.data, r.errors?.map((e) => e.extensions?.code)])).toEqual([[null, ['BAD_USER_INPUT']]]);
      } finally {
        await client.dispose();
      }
      // One alias of it answers in full.
      expect((await stack.gql(`{ ${aliases(1)} }`)).data.a0.nodes).toHaveLength(workflows.length);
    } finally {
      stack.simulator.configure({ fault: undefined });
    }
  });

  it('refuses a literal nested deeper than the parser can go, whatever the token limit allows', async () => {
    const deep = await startStack({}, { MAX_TOKENS: '100000', MAX_BODY_BYTES: '1000000' });
    try {
      const levels = 20_000;
      for (const literal of ['['.repeat(levels) + ']'.repeat(levels), '{ a: '.repeat(levels) + '1' + ' }'.repeat(levels)]) {
        const response = await deep.gql(`{ workflow(id: ${literal}) { id } }`);
        expect(expectCode(response, 'GRAPHQL_PARSE_FAILED').message).toContain('nested too deeply');
      }
      expect(deep.simulator.calls).toHaveLength(0);
    } finally {
      await deep.close();
    }
  });
});

describe('HTTP', () => {
  it.each([
    ['a body that is not JSON', 'POST', { 'content-type': 'text/plain' }, 415],
    ['an Accept it cannot meet', 'GET', { accept: 'text/plain' }, 406],
    ['another method', 'PUT', { 'content-type': 'application/json' }, 405],
  ])('refuses %s with a coded error in a JSON body', async (_, method, headers, status) => {
    const response = await fetch(`${world.stack.url}${method === 'GET' ? `?query=${encodeURIComponent('{ __typename }')}` : ''}`, {
      method,
      headers: { authorization: 'Bearer x', ...headers },
      ...(method !== 'GET' && { body: JSON.stringify({ query: '{ __typename }' }) }),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> }).errors[0]).toEqual({
      message: expect.any(String),
      extensions: { code: 'BAD_REQUEST' },
    });
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await post(world.stack.url, { query: `{ __typename }`, padding: 'x'.repeat(200_000) });
    expect(response.status).toBe(413);
    expect(((await response.json())).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('holds a GET’s query string to the same limit (414), a query’s or a subscription’s over SSE', async () => {
    const small = await startStack({}, { MAX_BODY_BYTES: '1000' });
    try {
      const query = `{ workflows(first: 1) { totalCount ${Array.from({ length: 60 }, (_, i) => `a${i}: __typename`).join(' ').slice(0, 1200)} } }`;
      const url = `${small.url}?query=${encodeURIComponent(query)}`;
      for (const accept of ['application/json', 'text/event-stream']) {
        const response = await fetch(url, { headers: { accept, authorization: 'Bearer x' } });
        expect(response.status).toBe(414);
        expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
      }
      const fits = await fetch(`${small.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { authorization: 'Bearer x' } });
      expect(fits.status).toBe(200);
      expect(small.simulator.calls).toHaveLength(0);
    } finally {
      await small.close();
    }
  });

  it('serves a GET whose query string is far over Node’s own 16 KiB of headers but within the limit, and refuses one over it with 414', async () => {
    // `{ __typename }` padded with a comment: no upstream call, a query string of `bytes` and a few more.
    const get = (bytes: number, accept: string) =>
      fetch(`${world.stack.url}?query=${encodeURIComponent(`{ __typename } #${'x'.repeat(bytes)}`)}`, { headers: { accept, authorization: 'Bearer x' } });
    for (const accept of ['application/json', 'text/event-stream']) {
      const fits = await get(90_000, accept);
      expect(fits.status, accept).toBe(200);
      expect(await fits.text()).toContain('"__typename":"Query"');
    }
    const over = await get(100_500, 'application/json');
    expect(over.status).toBe(414);
    expect(((await over.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    // Past what Node's parser is let read (the limit and the headers' 16 KiB), its refusal is coded too.
    const farOver = await get(200_000, 'application/json');
    expect(farOver.status).toBe(431);
    expect(((await farOver.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('refuses a request that carries two Authorization headers, whichever Node would keep, before any call', async () => {
    const port = Number(new URL(world.stack.url).port);
    const body = JSON.stringify({ query: '{ workflows(first: 1) { totalCount } }' });
    const socket = connect(port, '127.0.0.1');
    socket.end(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
        `Authorization: Bearer ${DEMO_TOKENS.acme}\r\nauthorization: Bearer ${DEMO_TOKENS.globex}\r\nConnection: close\r\n\r\n${body}`,
    );
    let answer = '';
    for await (const chunk of socket) answer += String(chunk);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1)).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('holds the headers to 16 KiB, whatever room the request line has: a 60 KB Authorization header goes nowhere', async () => {
    const authorization = `Bearer ${'x'.repeat(60_000)}`;
    const response = await post(world.stack.url, { query: '{ workflows(first: 1) { totalCount } }' }, { authorization });
    expect(response.status).toBe(431);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
    // However many headers carry them.
    const many = Object.fromEntries(Array.from({ length: 2_500 }, (_, i) => [`x-pad-${i}`, 'y']));
    expect((await post(world.stack.url, { query: '{ __typename }' }, many)).status).toBe(431);
    const upgrade = await openSocket(world.stack.url, { authorization });
    expect(upgrade).toMatchObject({ kind: 'refused', status: 431 });
    expect(JSON.parse((upgrade as { body: string }).body).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('refuses a chunked body, which declares no length, with 411', async () => {
    const { hostname, port, pathname } = new URL(world.stack.url);
    const request = httpRequest({ hostname, port, path: pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
    request.end(JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(200_000) }));
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    const text = await new Response(Readable.toWeb(response) as ReadableStream).text();
    expect(response.statusCode).toBe(411);
    expect(JSON.parse(text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('reads no more of a body than its Content-Length says', async () => {
    const { hostname, port, pathname } = new URL(world.stack.url);
    const declared = JSON.stringify({ query: `{ __typename }` });
    const socket = connect(Number(port), hostname);
    socket.setTimeout(5_000, () => socket.destroy());
    socket.end(
      `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(declared)}\r\n\r\n${declared}` +
        `GET /health HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`,
    );
    let received = '';
    for await (const chunk of socket) received += String(chunk);
    // The declared bytes are the body; what follows them is read as the next request, not as body.
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toContain('{"data":{"__typename":"Query"}}');
    expect(received.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
  });

  it('answers a request Node’s parser cannot read with a coded 400, then closes', async () => {
    const { hostname, port } = new URL(world.stack.url);
    const socket = connect(Number(port), hostname);
    socket.setTimeout(5_000, () => socket.destroy());
    socket.write('NOT AN HTTP REQUEST\r\n\r\n');
    let received = '';
    for await (const chunk of socket) received += String(chunk);
    expect(received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a request a browser could send cross-site without a preflight (CSRF)', async () => {
    const simple = await post(world.stack.url, { query: '{ __typename }' }, { 'content-type': 'text/plain', authorization: null });
    expect(simple.status).toBe(403);
    expect(((await simple.json())).errors[0].extensions.code).toBe('FORBIDDEN');
    const get = await fetch(`${world.stack.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(get.status).toBe(403);
    expect(((await get.json())).errors[0].extensions.code).toBe('FORBIDDEN');
    const withHeader = await fetch(`${world.stack.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'x-graphql-yoga-csrf': '1' },
    });
    expect(((await withHeader.json())).data).toEqual({ __typename: 'Query' });
  });

  it('refuses a GET whose variables or extensions are not JSON with 400 BAD_REQUEST', async () => {
    for (const parameter of ['variables=notjson', 'extensions=%7B']) {
      const response = await fetch(`${world.stack.url}?query=%7B__typename%7D&${parameter}`, { headers: { authorization: 'Bearer x' } });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(body.errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
    }
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('does not take batched requests', async () => {
    const response = await post(world.stack.url, [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
    expect(world.stack.simulator.calls).toHaveLength(0);
  });
});

describe('introspection switched off', () => {
  it('refuses JSON input nested deeper than 56 levels, in a variable or a literal, before any call', async () => {
    const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
    const EXECUTE = 'mutation ($id: ID!, $c: JSON) { executeWorkflow(input: { workflowId: $id, context: $c }) { execution { id } } }';
    const refused = expectCode(await world.stack.gql(EXECUTE, { id: world.workflowId, c: nested(1_000) }), 'BAD_USER_INPUT');
    expect(refused.message).toContain('at most 56 levels');
    const literal = `mutation { executeWorkflow(input: { workflowId: "${world.workflowId}", context: ${'{ a: '.repeat(70)}1${' }'.repeat(70)} }) { execution { id } } }`;
    // A literal is checked at validation, as any literal of the wrong type is.
    expect(expectCode(await world.stack.gql(literal), 'GRAPHQL_VALIDATION_FAILED').message).toContain('at most 56 levels');
    expect(world.stack.simulator.calls).toHaveLength(0);
    const { errors } = await world.stack.gql(EXECUTE, { id: world.workflowId, c: nested(55) });
    expect(errors).toBeUndefined();
  });

  it('reads the schema once per operation, however many aliases ask for it', async () => {
    const once = await world.stack.gql('{ __schema { queryType { name } } a: __type(name: "Workflow") { name } }');
    expect(once.errors).toBeUndefined();
    const aliases = Array.from({ length: 2 }, (_, i) => `s${i}: __schema { types { name } }`).join(' ');
    expect(expectCode(await world.stack.gql(`{ ${aliases} }`), 'BAD_USER_INPUT').message).toContain('`__schema` once');
    const viaFragment = '{ ...A ...B } fragment A on Query { a: _service { sdl } } fragment B on Query { b: _service { sdl } }';
    expect(expectCode(await world.stack.gql(viaFragment), 'BAD_USER_INPUT').message).toContain('`_service` once');
  });

  it('refuses introspection and field suggestions', async () => {
    const closed = await startStack({}, { INTROSPECTION: 'false' });
    try {
      expectCode(await closed.gql('{ __schema { types { name } } }'), 'GRAPHQL_VALIDATION_FAILED');
      const typo = expectCode(await closed.gql('{ workflowz { totalCount } }'), 'GRAPHQL_VALIDATION_FAILED');
      expect(typo.message).toContain('workflowz');
      expect(typo.message).not.toContain('Did you mean');
    } finally {
      await closed.close();
    }
  });
});

describe('fuzzed pagination arguments', () => {
  it('never crash and never reach the upstream unless valid', async () => {
    const cursorish = fc.oneof(fc.string(), fc.base64String(), fc.constant('eDE6WyJmbF9hIiwxLDUsMTUsImZsX3J1bl94Il0'));
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            first: fc.oneof(fc.integer({ min: -5, max: 150 }), fc.constant(null)),
            last: fc.oneof(fc.integer({ min: -5, max: 150 }), fc.constant(null)),
            after: fc.oneof(cursorish, fc.constant(null)),
            before: fc.oneof(cursorish, fc.constant(null)),
          },
          { requiredKeys: [] },
        ),
        async (args) => {
          world.stack.simulator.clearCalls();
          const response = await world.stack.gql(
            `query($id: ID!, $first: Int, $last: Int, $after: String, $before: String) {
              workflow(id: $id) { executions(first: $first, last: $last, after: $after, before: $before) { totalCount } }
            }`,
            { id: world.workflowId, ...args },
          );
          const codes = (response.errors ?? []).map((e) => e.extensions?.code);
          expect(codes.every((c) => c === 'BAD_USER_INPUT')).toBe(true);
          if (codes.length > 0) expect(world.stack.simulator.calls).toHaveLength(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuse a nested connection’s bad size before the call of the list or object it is under', async () => {
    for (const query of [
      '{ workflows(first: 3) { nodes { id executions(first: 500) { totalCount } } } }',
      `{ workflow(id: "${world.workflowId}") { name executions(first: 5, last: 5) { totalCount } } }`,
      `{ workflow(id: "${world.workflowId}") { name logs(last: -1) { nodes { id } } } }`,
    ]) {
      world.stack.simulator.clearCalls();
      expect(expectCode(await world.stack.gql(query), 'BAD_USER_INPUT').message).toMatch(/between 0 and 100|not both/);
      expect(world.stack.simulator.calls).toHaveLength(0);
    }
  });
});
