/**
 * Caller-chosen ids never reach a URL unless they have one of
 * Altostrat's id shapes, so no id can make the gateway call `GET /workflows/`, `GET /` or a
 * sibling path with the caller's token, and no tenant can open the circuit breaker for the others
 * with requests that fail on their own data.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Fault, RecordedCall } from '../../src/demo/simulator.js';
import { bearer, callsTo, DEMO_TOKENS, expectCode, stackWorld, startStack, type Stack } from '../support/stack.js';

const BAD_IDS = [
  ...['.', '', '..', '%2e%2e', 'fl_a/b', 'fl_run_..', '%2e', 'fl_..', 'fl_run_a/../b', 'fl_a?page=2', 'fl_a#x', ' fl_a'],
  // A trailing newline, a Cyrillic letter, a NUL, another case, one character too many.
  ...['fl_a\n', 'fl_\u0430', 'fl_a\u0000', 'FL_a', `fl_${'a'.repeat(65)}`],
];

describe('ids of no Altostrat shape', () => {
  const world = stackWorld();
  beforeEach(() => world.stack.simulator.clearCalls());

  it.each(BAD_IDS)('refuses %j as a workflow, execution or node id with BAD_USER_INPUT and zero calls', async (id) => {
    const asLiteral = JSON.stringify(id);
    for (const [root, selection] of [
      ['workflow', '{ name executions(first: 1) { nodes { id } } }'],
      ['execution', '{ status logs { id } }'],
      ['node', '{ ... on Workflow { name } ... on WorkflowExecution { status } }'],
    ] as const) {
      expectCode(await world.stack.gql(`{ ${root}(id: ${asLiteral}) ${selection} }`), 'BAD_USER_INPUT', [root]);
      expectCode(await world.stack.gql(`query($id: ID!) { ${root}(id: $id) ${selection} }`, { id }), 'BAD_USER_INPUT', [root]);
    }
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('refuses an execution id as a workflow id and a workflow id as an execution id, with zero calls', async () => {
    const runId = world.stack.simulator.runsOf(world.workflowId)[0]!.id;
    expectCode(await world.stack.gql(`{ workflow(id: "${runId}") { name } }`), 'BAD_USER_INPUT', ['workflow']);
    expectCode(await world.stack.gql(`{ execution(id: "${world.workflowId}") { status } }`), 'BAD_USER_INPUT', ['execution']);
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('resolves `_entities` representations with bad, missing, null or object ids to null with zero calls', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Workflow { id name executions(first: 1) { nodes { id } } }
      ... on WorkflowExecution { id status logs { id } }
    } }`;
    const weird: unknown[] = [undefined, null, { id: 'fl_a' }, ['fl_a'], 42, true];
    const representations = [
      ...BAD_IDS.flatMap((id) => [
        { __typename: 'Workflow', id },
        { __typename: 'WorkflowExecution', id },
      ]),
      ...weird.flatMap((id) => [
        { __typename: 'Workflow', ...(id !== undefined && { id }) },
        { __typename: 'WorkflowExecution', ...(id !== undefined && { id }) },
      ]),
      // A valid id of the other kind is no better.
      { __typename: 'Workflow', id: 'fl_run_01k8x246q8q8e4mzfw3045a8ch' },
      { __typename: 'WorkflowExecution', id: world.workflowId },
    ];
    const response = await world.stack.gql(query, { r: representations });
    expect(response.status).toBe(200);
    expect(response.data._entities).toHaveLength(representations.length);
    expect(response.data._entities.every((entity: unknown) => entity === null)).toBe(true);
    expect(response.errors).toBeUndefined();
    expect(world.stack.simulator.calls).toHaveLength(0);
  });

  it('still calls the one path it means, with the caller’s token, for a well-shaped id', async () => {
    const response = await world.stack.gql(`{ workflow(id: "${world.workflowId}") { name executions(first: 1) { nodes { id } } } }`);
    expect(response.errors).toBeUndefined();
    expect(world.stack.simulator.calls.map((c) => c.path).sort()).toEqual([`/workflows/${world.workflowId}`, `/workflows/${world.workflowId}/executions`]);
    expect(world.stack.simulator.calls.every((c) => c.authorization === bearer(DEMO_TOKENS.acme))).toBe(true);
  });
});

describe('one tenant cannot open the circuit breaker for the others', () => {
  const THRESHOLD = 3;
  const env = { UPSTREAM_BREAKER_THRESHOLD: String(THRESHOLD), UPSTREAM_BREAKER_COOLDOWN_MS: '600000', UPSTREAM_RETRIES: '0' };
  const probe = `{ a: workflow(id: ".") { name } b: workflow(id: "") { name } c: execution(id: "..") { status } }`;
  const honest = `{ workflows(first: 1) { nodes { name } } }`;
  const isAcme = (call: RecordedCall) => call.authorization === bearer(DEMO_TOKENS.acme);
  /** Another tenant's query after the faults: answered, with the one call it needs. */
  const expectOthersServed = async (stack: Stack) => {
    const other = await stack.gql(honest, {}, { authorization: bearer(DEMO_TOKENS.globex) });
    expect(other.errors).toBeUndefined();
    expect(callsTo(stack.simulator, 'workflows').map((c) => c.authorization)).toEqual([bearer(DEMO_TOKENS.globex)]);
  };

  it('is not opened by four concurrent requests with the ids ".", "" and ".."', async () => {
    const stack = await startStack({}, env);
    try {
      const answers = await Promise.all(Array.from({ length: 4 }, () => stack.gql(probe)));
      for (const answer of answers) for (const alias of ['a', 'b', 'c']) expectCode(answer, 'BAD_USER_INPUT', [alias]);
      expect(stack.simulator.calls).toHaveLength(0);

      const other = await stack.gql(honest, {}, { authorization: bearer(DEMO_TOKENS.globex) });
      expect(other.errors).toBeUndefined();
      expect(other.data.workflows.nodes).toHaveLength(1);
      expect(stack.simulator.calls.map((c) => [c.path, c.authorization])).toEqual([['/workflows', bearer(DEMO_TOKENS.globex)]]);
    } finally {
      await stack.close();
    }
  });

  it('is not opened by answers of an unexpected shape or size to one tenant’s calls', async () => {
    // Whatever one tenant's data makes Altostrat answer, it says nothing of Altostrat's health.
    const faults: Fault[] = [{ kind: 'wrongShape' }, { kind: 'malformed' }, { kind: 'huge', bytes: 50_000, contentLength: false }];
    let next = 0;
    const stack = await startStack({ fault: (call) => (isAcme(call) ? faults[next++ % faults.length] : undefined) }, { ...env, UPSTREAM_MAX_BODY_BYTES: '10000' });
    try {
      const workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
      const answers = await Promise.all(Array.from({ length: 4 * THRESHOLD }, () => stack.gql(`{ workflow(id: "${workflowId}") { name } }`)));
      for (const answer of answers) expectCode(answer, 'UPSTREAM_ERROR', ['workflow']);
      expect(stack.simulator.calls.filter(isAcme)).toHaveLength(4 * THRESHOLD);

      await expectOthersServed(stack);
    } finally {
      await stack.close();
    }
  });

  it('is not opened by one tenant’s refused token (401) or rate limit (429)', async () => {
    const stack = await startStack({ fault: (call) => (isAcme(call) ? { status: 429, headers: { 'retry-after': '600' } } : undefined) }, env);
    try {
      const answers = await Promise.all([
        ...Array.from({ length: 2 * THRESHOLD }, () => stack.gql(honest)),
        ...Array.from({ length: 2 * THRESHOLD }, (_, i) => stack.gql(honest, {}, { authorization: bearer(`forged${i}`) })),
      ]);
      for (const answer of answers.slice(0, 2 * THRESHOLD)) expectCode(answer, 'RATE_LIMITED');
      for (const answer of answers.slice(2 * THRESHOLD)) expectCode(answer, 'UNAUTHENTICATED');
      const other = await stack.gql(honest, {}, { authorization: bearer(DEMO_TOKENS.globex) });
      expect(other.errors).toBeUndefined();
      expect(stack.simulator.calls).toHaveLength(4 * THRESHOLD + 1);
    } finally {
      await stack.close();
    }
  });

  it('is not opened by one tenant’s failing sync runs or slow node tests', async () => {
    // A sync run whose workflow fails answers 500 (docs/upstream.md); a node test waits on its node.
    const fault = (call: RecordedCall): Fault | undefined => {
      if (!isAcme(call)) return undefined;
      if (call.path.startsWith('/workflows/sync/')) return { status: 500, body: '{"message":"Step n2 failed: the customer lookup timed out."}' };
      return call.path === '/workflows/test-node' ? { kind: 'stall' } : undefined;
    };
    const stack = await startStack({ fault }, { ...env, UPSTREAM_TIMEOUT_MS: '200' });
    try {
      const workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
      const sync = `mutation($id: ID!) { runWorkflowSync(input: { workflowId: $id, payload: {} }) { output } }`;
      const test = `mutation { testWorkflowNode(input: { node: { id: "n2", type: "action", componentId: "http_request" } }) { status } }`;
      const answers = await Promise.all([
        ...Array.from({ length: 2 * THRESHOLD }, () => stack.gql(sync, { id: workflowId })),
        ...Array.from({ length: 2 * THRESHOLD }, () => stack.gql(test)),
      ]);
      for (const answer of answers.slice(0, 2 * THRESHOLD)) expectCode(answer, 'UPSTREAM_ERROR', ['runWorkflowSync']);
      for (const answer of answers.slice(2 * THRESHOLD)) expectCode(answer, 'UPSTREAM_ERROR', ['testWorkflowNode']);
      expect(stack.simulator.calls.filter(isAcme)).toHaveLength(4 * THRESHOLD);

      await expectOthersServed(stack);
    } finally {
      await stack.close();
    }
  });

  it('is not opened by one tenant’s clients going away in the middle of their calls', async () => {
    const stack = await startStack({ latencyMs: 300 }, env);
    try {
      const workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
      const runIds = stack.simulator.runsOf(workflowId).map((r) => r.id);
      for (let i = 0; i < 3 * THRESHOLD; i++) {
        const controller = new AbortController();
        const answer = fetch(stack.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: bearer(DEMO_TOKENS.acme) },
          body: JSON.stringify({ query: `{ execution(id: "${runIds[i]}") { status } }` }),
          signal: controller.signal,
        }).catch((error: unknown) => error);
        for (let j = 0; j < 100 && stack.simulator.calls.length <= i; j++) await sleep(5);
        controller.abort();
        await answer;
      }
      expect(stack.simulator.calls).toHaveLength(3 * THRESHOLD);
      stack.simulator.configure({ latencyMs: 0 });
      const other = await stack.gql(honest, {}, { authorization: bearer(DEMO_TOKENS.globex) });
      expect(other.errors).toBeUndefined();
    } finally {
      await stack.close();
    }
  });

  it('is opened by upstream 5xx answers, so the tests above can fail', async () => {
    const stack = await startStack({ fault: (call) => (isAcme(call) ? { status: 500 } : undefined) }, env);
    try {
      for (let i = 0; i < THRESHOLD; i++) expectCode(await stack.gql(honest), 'UPSTREAM_ERROR');
      const other = await stack.gql(honest, {}, { authorization: bearer(DEMO_TOKENS.globex) });
      expectCode(other, 'UPSTREAM_ERROR');
      expect(stack.simulator.calls.filter((c) => !isAcme(c))).toHaveLength(0);
    } finally {
      await stack.close();
    }
  });
});
