/**
 * One request must not make more upstream calls than its budget,
 * whatever it hides behind variables, directives, fragments, `_entities` or a cursor, and must stop
 * calling when its client goes away. Each hostile request goes through real HTTP to a gateway in
 * front of the simulator, and the simulator's call log says what reached the upstream.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, callsTo, DEMO_TOKENS, expectCode, post, stackWorld, startStack, type GraphQLResponse, type Stack } from '../support/stack.js';

const FAN_OUT = 'nodes { executions(first: 100) { nodes { logs { id } } } }';

describe('the limit', () => {
  const world = stackWorld({}, { MAX_UPSTREAM_CALLS: '300' });
  beforeEach(() => world.stack.simulator.clearCalls());

  it('refuses fan-out that could cost thousands of calls, naming the estimate and the limit', async () => {
    const response = await world.stack.gql(`{ workflows(first: 100) { nodes { executions(first: 100) { nodes { logs { id } } } } } }`);
    const error = expectCode(response, 'BAD_USER_INPUT');
    expect(error.message).toContain('up to 10801 calls to Altostrat; the limit is 300');
    expect(error.extensions!.cost).toEqual({ estimate: 10801, limit: 300 });
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('reads sizes from variables', async () => {
    const query = `query($n: Int) { workflow(id: "${world.workflowId}") { executions(first: $n) { nodes { logs { id } } } } }`;
    expect((await world.stack.gql(query, { n: 10 })).errors).toBeUndefined();
    world.stack.simulator.clearCalls();
    // ...and a workflows page of them multiplies: 1 + 30 x (pages + 10 runs) > 300.
    const fanOut = `query($n: Int) { workflows(first: 30) { nodes { executions(first: $n) { nodes { logs { id } } } } } }`;
    expectCode(await world.stack.gql(fanOut, { n: 10 }), 'BAD_USER_INPUT');
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('lets the README’s example through', async () => {
    const { EXAMPLE_QUERY } = await import('../../src/example-query.js');
    const response = await world.stack.gql(EXAMPLE_QUERY);
    expect(response.errors).toBeUndefined();
    expect(response.data.workflows.nodes.length).toBeGreaterThan(0);
  });
});

describe('the upstream-call budget sees the operation as it will run', () => {
  let stack: Stack;
  let workflowIds: string[];

  beforeAll(async () => {
    stack = await startStack();
    workflowIds = stack.simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => w.id);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.simulator.clearCalls());

  it('refuses fan-out hidden behind `@include(if: $v)` with a default, or with the variable sent', async () => {
    const query = `query($v: Boolean = true) { workflows(first: 100) @include(if: $v) { ${FAN_OUT} } }`;
    for (const variables of [{}, { v: true }]) {
      const error = expectCode(await stack.gql(query, variables), 'BAD_USER_INPUT');
      expect(error.extensions!.cost).toEqual({ estimate: 10801, limit: 500 });
    }
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('refuses fan-out hidden behind `@skip(if: $s)` and an included fragment', async () => {
    const query = `query($s: Boolean = false, $i: Boolean = true) {
      ...Heavy @include(if: $i)
      workflows(first: 100) @skip(if: $s) { ${FAN_OUT} }
    }
    fragment Heavy on Query { w: workflows(first: 100) { ${FAN_OUT} } }`;
    const error = expectCode(await stack.gql(query), 'BAD_USER_INPUT');
    expect((error.extensions!.cost as { estimate: number }).estimate).toBeGreaterThanOrEqual(2 * 10801);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('runs nothing of a copy of a field that `@include` excludes, though another copy of it is included', async () => {
    // The excluded copy reaches its fields through a fragment: none of them may come back or call Altostrat.
    const query = `query($no: Boolean!) {
      a: workflows(first: 100) { totalCount }
      a: workflows(first: 100) @include(if: $no) { ...Heavy }
    }
    fragment Heavy on WorkflowConnection { ${FAN_OUT} }`;
    const response = await stack.gql(query, { no: false });
    expect(response.errors).toBeUndefined();
    expect(Object.keys(response.data.a)).toEqual(['totalCount']);
    expect(stack.simulator.calls).toHaveLength(1);
  });

  it('makes no call for `_entities` whose only costly copy `@include` excludes', async () => {
    const runIds = stack.simulator.runsOf(workflowIds[0]!).map((run) => run.id).slice(0, 50);
    const query = `query($no: Boolean!, $r: [_Any!]!) {
      e: _entities(representations: $r) { __typename }
      e: _entities(representations: $r) @include(if: $no) { ... on WorkflowExecution { status logs { id } } }
    }`;
    const response = await stack.gql(query, { no: false, r: runIds.map((id) => ({ __typename: 'WorkflowExecution', id })) });
    expect(response.errors).toBeUndefined();
    expect(response.data.e).toEqual(runIds.map(() => ({ __typename: 'WorkflowExecution' })));
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('runs the operation its request names, also when the same text came before naming another', async () => {
    const named = async (operationName: string) => {
      const query = `query Workflows { workflows(first: 1) { totalCount } } query Logs { recentLogs(first: 1) { nodes { id } } }`;
      return (await (await post(stack.url, { query, operationName })).json()) as GraphQLResponse;
    };
    expect(Object.keys((await named('Logs')).data)).toEqual(['recentLogs']);
    stack.simulator.clearCalls();
    expect(await named('Workflows')).toEqual({ data: { workflows: { totalCount: workflowIds.length } } });
    expect(stack.simulator.calls.map((call) => call.path)).toEqual(['/workflows']);
  });

  it('refuses sizes taken from variable defaults, estimating them as if written inline', async () => {
    const query = `query($n: Int = 100) { workflows(first: $n) { nodes { executions(first: $n) { nodes { logs { id } } } } } }`;
    const error = expectCode(await stack.gql(query), 'BAD_USER_INPUT');
    expect(error.extensions!.cost).toEqual({ estimate: 10801, limit: 500 });
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('counts `_entities` representations sent as a variable by the objects they name, before any call', async () => {
    const query = `query($r: [_Any!]!, $n: Int = 100) {
      _entities(representations: $r) { ... on Workflow { name executions(first: $n) { nodes { logs { id } } } } }
    }`;
    const representations = Array.from({ length: 1000 }, (_, i) => ({ __typename: 'Workflow', id: workflowIds[i % workflowIds.length] }));
    // Each workflow's hundred runs and their logs, for each of a thousand references: too much to answer.
    expectCode(await stack.gql(query, { r: representations }), 'BAD_USER_INPUT');
    expect(stack.simulator.calls).toHaveLength(0);
    // A thousand references to a few workflows (a router's batch, duplicates and all) read each once.
    const cheap = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { name } } }`;
    const answered = await stack.gql(cheap, { r: representations });
    expect(answered.errors).toBeUndefined();
    expect(answered.data._entities).toHaveLength(1000);
    expect(stack.simulator.calls.map((call) => call.path).sort()).toEqual(workflowIds.map((id) => `/workflows/${id}`).sort());
    // A thousand distinct ones are over a budget of 500, however cheap each.
    const distinct = Array.from({ length: 1000 }, (_, i) => ({ __typename: 'Workflow', id: `fl_made${i}` }));
    stack.simulator.clearCalls();
    expectCode(await stack.gql(cheap, { r: distinct }), 'BAD_USER_INPUT');
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('refuses variables that do not fit their types with BAD_USER_INPUT, before any call', async () => {
    const query = `query($n: Int = 1) { workflows(first: $n) { nodes { id } } }`;
    expectCode(await stack.gql(query, { n: 'all' }), 'BAD_USER_INPUT');
    expectCode(await stack.gql(`query($v: Boolean!) { workflows(first: 1) @include(if: $v) { nodes { id } } }`), 'BAD_USER_INPUT');
    expect(stack.simulator.calls).toHaveLength(0);
  });
});

describe('the budget is enforced at run time too', () => {
  // An upstream that pages one run at a time makes `executions(first: 100)` need 100 pages, far
  // over an estimate of 8, which counts 15 runs a page: the size last heard, or the guess before one is.
  it.each([
    ['smaller than the page size it last said', true],
    ['smaller than the estimate guessed, before any page size was heard', false],
  ])('stops a request at MAX_UPSTREAM_CALLS when the upstream pages %s', async (_, heardFirst) => {
    const stack = await startStack({ pageSize: heardFirst ? 15 : 1 }, { MAX_UPSTREAM_CALLS: '20', UPSTREAM_CONCURRENCY: '4' });
    try {
      const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
      if (heardFirst) {
        expect((await stack.gql(`{ workflow(id: "${workflow!.id}") { executions(first: 1) { totalCount } } }`)).errors).toBeUndefined();
        stack.simulator.configure({ pageSize: 1 });
        stack.simulator.clearCalls();
      }
      const error = expectCode(await stack.gql(`{ workflow(id: "${workflow!.id}") { executions(first: 100) { nodes { id } } } }`), 'BAD_USER_INPUT');
      expect(error.extensions!.cost).toEqual({ limit: 20 });
      expect(stack.simulator.calls.length).toBeGreaterThan(0);
      expect(stack.simulator.calls.length).toBeLessThanOrEqual(20);
    } finally {
      await stack.close();
    }
  });

  it('does not refuse a fan-out that costs a few calls on a process that has read no list yet', async () => {
    // Its estimate guesses 15 runs a page; pages of one run would count 621 calls for the 8 it makes.
    const stack = await startStack();
    try {
      const response = await stack.gql(`{ workflows(first: 20) { edges { node { id name executions(first: 30) { nodes { id status } } } } } }`);
      expect(response.errors).toBeUndefined();
      expect(stack.simulator.calls.length).toBeLessThan(20);
    } finally {
      await stack.close();
    }
  });
});

describe('a client that goes away', () => {
  it('stops the upstream calls of its request: none start beyond those already in flight', async () => {
    const concurrency = 4;
    const stack = await startStack({ latencyMs: 150 }, { UPSTREAM_CONCURRENCY: String(concurrency) });
    try {
      const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
      const runIds = stack.simulator.runsOf(workflow!.id).slice(0, 100).map((r) => r.id);
      // 100 run fetches, 4 at a time, 150 ms each: about 25 rounds if nobody stops them.
      const controller = new AbortController();
      const answer = fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: bearer(DEMO_TOKENS.acme) },
        body: JSON.stringify({
          query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkflowExecution { status } } }`,
          variables: { r: runIds.map((id) => ({ __typename: 'WorkflowExecution', id })) },
        }),
        signal: controller.signal,
      }).catch((error: unknown) => error);
      for (let i = 0; i < 200 && stack.simulator.calls.length < concurrency; i++) await sleep(10);
      expect(stack.simulator.calls).toHaveLength(concurrency);
      controller.abort();
      await answer;
      // Give a request that kept going time for several more rounds, and every call time to end.
      await sleep(150 * 6);
      for (let i = 0; i < 200 && stack.simulator.calls.some((c) => c.endedAt === undefined); i++) await sleep(10);
      // A call the gateway had sent just before it saw the abort may still arrive: at most one round.
      expect(stack.simulator.calls.length).toBeLessThanOrEqual(2 * concurrency);
      expect(stack.simulator.calls.every((c) => c.endedAt !== undefined)).toBe(true);
    } finally {
      await stack.close();
    }
  });
});

describe('a client that goes away while its calls wait for its fair share', () => {
  it('leaves nothing queued: no more calls, and the tenant’s next request is served', async () => {
    const stack = await startStack({ latencyMs: 150 }, { UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN: '1', UPSTREAM_CONCURRENCY: '8' });
    try {
      const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
      const runIds = stack.simulator.runsOf(workflow!.id).map((r) => r.id);
      const entities = (ids: string[]) => ({
        query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkflowExecution { status } } }`,
        variables: { r: ids.map((id) => ({ __typename: 'WorkflowExecution', id })) },
      });
      const controller = new AbortController();
      // Twenty fetches, one at a time (the token's share): seven queue behind the one in flight.
      const answer = fetch(stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: bearer(DEMO_TOKENS.acme) },
        body: JSON.stringify(entities(runIds.slice(0, 20))),
        signal: controller.signal,
      }).catch((error: unknown) => error);
      for (let i = 0; i < 200 && stack.simulator.calls.length < 1; i++) await sleep(10);
      controller.abort();
      await answer;
      await sleep(150 * 4);
      expect(stack.simulator.calls.length).toBeLessThanOrEqual(2);

      stack.simulator.clearCalls();
      const next = await stack.gql(entities(runIds.slice(20, 23)).query, entities(runIds.slice(20, 23)).variables);
      expect(next.errors).toBeUndefined();
      expect(next.data._entities.map((e: { status: string }) => typeof e.status)).toEqual(['string', 'string', 'string']);
      expect(stack.simulator.calls).toHaveLength(3);
    } finally {
      await stack.close();
    }
  });
});

// A cursor is `<base64url payload>.<base64url mac>`; the payload is `r1:[listId, rank, total, perPage, itemId]`.
const payloadOf = (cursor: string) => Buffer.from(cursor.split('.')[0]!, 'base64url').toString('utf8');
const encodePayload = (text: string) => Buffer.from(text).toString('base64url');
const macWith = (key: string, payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, 16).toString('base64url');

describe('cursors are tamper-evident', () => {
  const CURSOR_SECRET = 'a-cursor-secret-of-at-least-32-characters';
  let stack: Stack;
  let workflowId: string;
  let cursor: string;
  const query = (after: string) => `{ workflow(id: "${workflowId}") { executions(first: 100, after: "${after}") { nodes { id } } } }`;

  beforeAll(async () => {
    stack = await startStack({}, { CURSOR_SECRET });
    workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
    const first = await stack.gql(`{ workflow(id: "${workflowId}") { executions(first: 2) { pageInfo { endCursor } } } }`);
    cursor = first.data.workflow.executions.pageInfo.endCursor;
    expect(payloadOf(cursor)).toMatch(/^r1:\[/);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.simulator.clearCalls());

  /** The cursor's fields with page size 1 and a total of 100001, as the probe forged them. */
  const forgedPayload = () => {
    const [listId, rank, , , itemId] = JSON.parse(payloadOf(cursor).slice(3)) as [string, number, number, number, string];
    return encodePayload(`r1:${JSON.stringify([listId, rank, 100001, 1, itemId])}`);
  };

  it('accepts the cursor it made (the forgeries below differ from it only where they say)', async () => {
    const response = await stack.gql(query(cursor));
    expect(response.errors).toBeUndefined();
    expect(response.data.workflow.executions.nodes).toHaveLength(100);
  });

  it('refuses a cursor whose page size and total were changed, with zero calls', async () => {
    const forged = `${forgedPayload()}.${cursor.split('.')[1]}`;
    expectCode(await stack.gql(query(forged)), 'BAD_USER_INPUT', ['workflow', 'executions']);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('refuses a cursor signed with another key, with zero calls, also from 60 aliases and a variable', async () => {
    const payload = forgedPayload();
    const forged = `${payload}.${macWith('not-the-gateway-key-but-32-characters-long', payload)}`;
    expectCode(await stack.gql(query(forged)), 'BAD_USER_INPUT', ['workflow', 'executions']);
    const aliases = Array.from({ length: 60 }, (_, i) => `e${i}: executions(first: 100, after: $after) { nodes { id } }`).join(' ');
    const response = await stack.gql(`query($after: String) { workflow(id: "${workflowId}") { ${aliases} } }`, { after: forged });
    expectCode(response, 'BAD_USER_INPUT');
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('refuses a cursor that is not one at all, with zero calls', async () => {
    for (const junk of ['', 'x', `${cursor}x`, `${encodePayload('r1:[1,2,3]')}.${'A'.repeat(22)}`, `${'A'.repeat(600)}.${'A'.repeat(22)}`]) {
      expectCode(await stack.gql(query(junk)), 'BAD_USER_INPUT');
    }
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('keeps even a validly signed cursor with absurd figures within the call budget', async () => {
    // Holding the key is the only way to make such a cursor; the run-time budget still bounds it.
    const payload = forgedPayload();
    const signed = `${payload}.${macWith(CURSOR_SECRET, payload)}`;
    const response = await stack.gql(query(signed));
    expect(response.status).toBeLessThan(500);
    expect(stack.simulator.calls.length).toBeLessThanOrEqual(500);
    expect(stack.simulator.calls.every((c) => c.authorization === bearer(DEMO_TOKENS.acme))).toBe(true);
    expect(callsTo(stack.simulator, 'executions')).toHaveLength(stack.simulator.calls.length);
  });
});

describe('the `last` estimate', () => {
  const CURSOR_SECRET = 'the-same-cursor-key-on-both-gateways-here';

  // Two gateways on simulators of the same seed: one runs each query, the other (allowed 2 calls)
  // refuses it and says its estimate, made before any cursor is read. Both have learned the page
  // size first, as a running gateway has.
  it.each([15, 7, 3])('counts at least the calls `executions(last: 100)` makes, with and without cursors (%i runs a page)', async (pageSize) => {
    const real = await startStack({ pageSize }, { CURSOR_SECRET });
    const estimating = await startStack({ pageSize }, { CURSOR_SECRET, MAX_UPSTREAM_CALLS: '2' });
    try {
      const workflowId = real.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id; // 237 runs
      const learn = `{ workflow(id: "${workflowId}") { executions(first: 1) { pageInfo { endCursor } } } }`;
      expect((await estimating.gql(learn)).errors).toBeUndefined();
      const middle = (await real.gql(`{ workflow(id: "${workflowId}") { executions(first: 37) { pageInfo { endCursor } } } }`)).data.workflow
        .executions.pageInfo.endCursor;
      for (const args of ['last: 100', `last: 100, before: "${middle}"`, `last: 30, after: "${middle}"`, `first: 100, after: "${middle}"`]) {
        const query = `{ workflow(id: "${workflowId}") { executions(${args}) { nodes { id } } } }`;
        real.simulator.clearCalls();
        const answer = await real.gql(query);
        expect(answer.errors).toBeUndefined();
        const made = real.simulator.calls.length;
        const estimate = (expectCode(await estimating.gql(query), 'BAD_USER_INPUT').extensions!.cost as { estimate: number }).estimate;
        expect(estimate, `${args}: ${made} calls`).toBeGreaterThanOrEqual(made);
      }
    } finally {
      await real.close();
      await estimating.close();
    }
  });
});

describe('with trusted documents enforced', () => {
  // The same tricks, from inside documents the manifest allows: only variables are the caller's.
  const DOCUMENTS = {
    'sha256:heavy': `query Heavy($v: Boolean = true, $n: Int = 100) {
      workflows(first: $n) @include(if: $v) { nodes { executions(first: $n) { nodes { logs { id } } } } }
    }`,
    'sha256:page': `query Page($id: ID!, $after: String) { workflow(id: $id) { executions(first: 100, after: $after) { nodes { id } } } }`,
  };
  let directory: string;
  let stack: Stack;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'hostile-'));
    const manifest = join(directory, 'persisted-documents.json');
    writeFileSync(manifest, JSON.stringify(DOCUMENTS));
    stack = await startStack({}, { PERSISTED_DOCUMENTS: manifest });
  });
  afterAll(async () => {
    await stack.close();
    rmSync(directory, { recursive: true, force: true });
  });
  beforeEach(() => stack.simulator.clearCalls());

  const send = async (documentId: string, variables: Record<string, unknown>) => {
    const response = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(DEMO_TOKENS.acme) },
      body: JSON.stringify({ documentId, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) };
  };

  it('refuses a trusted document whose defaults fan out, with zero calls', async () => {
    expect(expectCode(await send('sha256:heavy', {}), 'BAD_USER_INPUT').extensions!.cost).toEqual({ estimate: 10801, limit: 500 });
    expectCode(await send('sha256:heavy', { v: true, n: 100 }), 'BAD_USER_INPUT');
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('refuses a crafted `$after` with zero calls', async () => {
    const workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
    const payload = encodePayload(`r1:${JSON.stringify([workflowId, 200, 100001, 1, 'fl_run_x'])}`);
    const forged = `${payload}.${macWith('a-guess-at-the-key-of-32-characters-or-more', payload)}`;
    expectCode(await send('sha256:page', { id: workflowId, after: forged }), 'BAD_USER_INPUT', ['workflow', 'executions']);
    expect(stack.simulator.calls).toHaveLength(0);
  });
});
