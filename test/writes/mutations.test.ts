/**
 * executeWorkflow and resumeExecution through real HTTP against the simulator: what goes upstream
 * (the body's `context`, the Idempotency-Key header), when a POST is retried (only with a key),
 * how refusals and lost answers read, that a payload's later fields see the new run, and that the
 * cost, armor and CSRF protections of queries hold for mutations.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { maxInFlight, type Fault, type RecordedCall } from '../../src/demo/simulator.js';
import { loadConfig } from '../../src/config.js';
import { createPublicServer } from '../../src/http-server.js';
import { createGateway } from '../../src/server.js';
import { freePort } from '../support/ports.js';
import { bearer, DEMO_TOKENS, expectCode, listen, post, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let workflowId: string;
let inactiveWorkflowId: string;
/** Faults for the current test, by call; reset before each test. */
let fault: ((call: RecordedCall) => Fault | undefined) | undefined;

beforeAll(async () => {
  // stepMs is long: runs started here stay PENDING for the test's few calls.
  stack = await startStack({ stepMs: 60_000, fault: (call) => fault?.(call) }, { UPSTREAM_TIMEOUT_MS: '500', MAX_UPSTREAM_CALLS: '300' });
  workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active)!.id;
  inactiveWorkflowId = stack.simulator.workflowsOf(DEMO_TOKENS.globex).find((w) => !w.is_active)!.id;
});
afterAll(() => stack.close());
beforeEach(() => {
  fault = undefined;
  stack.simulator.clearCalls();
});

const EXECUTE = /* GraphQL */ `
  mutation Execute($input: ExecuteWorkflowInput!) {
    executeWorkflow(input: $input) {
      execution {
        id
        status
      }
    }
  }
`;

const RESUME = /* GraphQL */ `
  mutation Resume($input: ResumeExecutionInput!) {
    resumeExecution(input: $input) {
      execution {
        id
        status
        logs {
          nodeId
        }
      }
      resumedFrom {
        id
        status
      }
    }
  }
`;

/** Runs `test` with the simulator leaving `logs` out of list items and of the runs writes answer with. */
async function withoutInlineLogs(test: () => Promise<void>): Promise<void> {
  stack.simulator.configure({ inlineLogs: false });
  try {
    await test();
  } finally {
    stack.simulator.configure({ inlineLogs: true });
  }
}

const posts = (): RecordedCall[] => stack.simulator.calls.filter((c) => c.method === 'POST');

describe('executeWorkflow', () => {
  it('returns the run as Altostrat answered it, PENDING, and sends `context` verbatim', async () => {
    const context = { customer: { id: 42, tags: ['a', 'b'] }, note: 'ünïcode', empty: null, nested: [[1], { x: true }] };
    const response = await stack.gql(EXECUTE, { input: { workflowId, context } });
    expect(response.errors).toBeUndefined();
    const run = response.data.executeWorkflow.execution;
    expect(run).toEqual({ id: expect.stringMatching(/^fl_run_/), status: 'PENDING' });
    expect(stack.simulator.runsOf(workflowId)[0]!.id).toBe(run.id);
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.path).toBe(`/workflows/${workflowId}/execute`);
    expect(posts()[0]!.body).toEqual({ context });
    expect(posts()[0]!.idempotencyKey).toBeUndefined();
    expect(posts()[0]!.authorization).toBe(bearer(DEMO_TOKENS.acme));
  });

  it('sends `context` as given, null included, and none when it is left out', async () => {
    for (const input of [{ workflowId, context: null }, { workflowId }]) {
      expect((await stack.gql(EXECUTE, { input })).errors).toBeUndefined();
    }
    expect(posts().map((c) => c.body)).toEqual([{ context: null }, {}]);
  });

  it('sends the values of variables written inside a `context` literal', async () => {
    const response = await stack.gql(
      `mutation Execute($id: ID!, $site: String!, $tags: JSON) {
        executeWorkflow(input: { workflowId: $id, context: { site: $site, tags: $tags, fixed: "x", list: [$site] } }) { execution { id } }
      }`,
      { id: workflowId, site: 'leeds', tags: ['a', 'b'] },
    );
    expect(response.errors).toBeUndefined();
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.body).toEqual({ context: { site: 'leeds', tags: ['a', 'b'], fixed: 'x', list: ['leeds'] } });
  });

  it('answers a new PENDING run’s logs as empty when Altostrat leaves them out: no second call, which could fail after the write', () =>
    withoutInlineLogs(async () => {
      fault = (call) => (call.method === 'GET' ? { status: 503 } : undefined);
      const response = await stack.gql(
        'mutation Execute($input: ExecuteWorkflowInput!) { executeWorkflow(input: $input) { execution { id status logs { id } } } }',
        { input: { workflowId } },
      );
      expect(response.errors).toBeUndefined();
      expect(response.data.executeWorkflow.execution).toEqual({ id: stack.simulator.runsOf(workflowId)[0]!.id, status: 'PENDING', logs: [] });
      expect(stack.simulator.calls.map((c) => c.method)).toEqual(['POST']);
    }));

  it('sends idempotencyKey as Idempotency-Key, and a repeat with the key returns the same run', async () => {
    const input = { workflowId, idempotencyKey: `key-${Date.now()}` };
    const first = await stack.gql(EXECUTE, { input });
    const again = await stack.gql(EXECUTE, { input });
    expect(first.errors).toBeUndefined();
    expect(again.data.executeWorkflow.execution.id).toBe(first.data.executeWorkflow.execution.id);
    expect(posts().map((c) => c.idempotencyKey)).toEqual([input.idempotencyKey, input.idempotencyKey]);
    expect(stack.simulator.runsOf(workflowId).filter((r) => r.id === first.data.executeWorkflow.execution.id)).toHaveLength(1);
  });

  it('reads a run afresh after a keyed write answered it, and the run a rerun or resume started from: a repeated key replays an old answer', async () => {
    // Altostrat answers a repeated key with its first answer: here, a finished run as it was when
    // it started. The rerun and the resume of that run in the same document show it as it is.
    for (const finished of ['completed', 'failed'] as const) {
      const run = stack.simulator.runsOf(workflowId).find((r) => r.status === finished && r.logs.some((l) => l.status === 'success'))!;
      const replayed = { ...run, status: 'pending', completed_at: null, duration_in_seconds: null, error_message: null, logs: [] };
      fault = (call) => (call.path === `/workflows/${workflowId}/execute` ? { status: 202, body: JSON.stringify(replayed) } : undefined);
      const from = run.logs.find((l) => l.status === 'success')!.node_id;
      const again =
        finished === 'completed'
          ? 'rerunExecution(input: { executionId: $run }) { rerunOf { id status } }'
          : `resumeExecution(input: { executionId: $run, fromNodeId: "${from}" }) { resumedFrom { id status } }`;
      const response = await stack.gql(
        `mutation($workflowId: ID!, $run: ID!) {
          replay: executeWorkflow(input: { workflowId: $workflowId, idempotencyKey: "replayed-${finished}" }) { execution { id status } }
          again: ${again}
        }`,
        { workflowId, run: run.id },
      );
      expect(response.errors).toBeUndefined();
      expect(response.data.replay.execution).toEqual({ id: run.id, status: 'PENDING' });
      expect(Object.values(response.data.again)).toEqual([{ id: run.id, status: finished.toUpperCase() }]);
    }
  });

  it('does not retry a 503 without a key: one POST, UPSTREAM_ERROR', async () => {
    fault = (call) => (call.method === 'POST' ? { status: 503 } : undefined);
    const runsBefore = stack.simulator.runsOf(workflowId).length;
    const response = await stack.gql(EXECUTE, { input: { workflowId } });
    expect(response.data).toBeNull();
    expectCode(response, 'UPSTREAM_ERROR', ['executeWorkflow']);
    expect(posts()).toHaveLength(1);
    expect(stack.simulator.runsOf(workflowId)).toHaveLength(runsBefore);
  });

  it('does not retry a reset connection without a key, and says the outcome is unknown', async () => {
    fault = (call) => (call.method === 'POST' ? { kind: 'reset' } : undefined);
    const response = await stack.gql(EXECUTE, { input: { workflowId } });
    const error = expectCode(response, 'UPSTREAM_ERROR', ['executeWorkflow']);
    expect(error.extensions!.outcomeUnknown).toBe(true);
    expect(posts()).toHaveLength(1);
  });

  it.each([
    ['is cut off', 403, 'FORBIDDEN'],
    ['is cut off', 422, 'BAD_USER_INPUT'],
    ['is cut off', 500, 'UPSTREAM_ERROR'],
    ['is over UPSTREAM_MAX_BODY_BYTES', 403, 'FORBIDDEN'],
    ['is over UPSTREAM_MAX_BODY_BYTES', 429, 'RATE_LIMITED'],
  ])('goes by the status alone when the body of a refusal %s: %i is %s, not an unknown outcome', async (how, status, code) => {
    const body = how === 'is cut off' ? undefined : JSON.stringify({ message: 'x'.repeat(5_100_000) });
    // Cut off: the body stops short of its Content-Length and nothing more comes, until the call's
    // timeout. (A body broken off with its connection: Altostrat's own 404, in the next test.)
    fault = (call) => (call.method !== 'POST' ? undefined : body ? { status, body } : { status, body: '{"message": "refused, and this body brea', headers: { 'content-length': '400' } });
    const response = await stack.gql(EXECUTE, { input: { workflowId } });
    const error = expectCode(response, code, ['executeWorkflow']);
    expect(error.extensions).not.toHaveProperty('outcomeUnknown');
    expect(posts()).toHaveLength(1);
  });

  it('answers NOT_FOUND when the body of Altostrat’s 404 breaks off', async () => {
    fault = (call) => (call.method === 'DELETE' ? { kind: 'reset' } : undefined);
    const response = await stack.gql(`mutation { deleteVaultItem(input: { id: "vlt_doesnotexist0" }) { deletedVaultItemId } }`);
    expect(expectCode(response, 'NOT_FOUND', ['deleteVaultItem']).extensions).not.toHaveProperty('outcomeUnknown');
  });

  it('does not retry a stalled POST without a key, and says the outcome is unknown', async () => {
    fault = (call) => (call.method === 'POST' ? { kind: 'stall' } : undefined);
    const response = await stack.gql(EXECUTE, { input: { workflowId } });
    const error = expectCode(response, 'UPSTREAM_ERROR', ['executeWorkflow']);
    expect(error.extensions!.outcomeUnknown).toBe(true);
    expect(posts()).toHaveLength(1);
  });

  it('retries a 503 when given a key, with the same key on every attempt, and starts one run', async () => {
    let failures = 2;
    fault = (call) => (call.method === 'POST' && failures-- > 0 ? { status: 503 } : undefined);
    const input = { workflowId, idempotencyKey: `retry-${Date.now()}` };
    const response = await stack.gql(EXECUTE, { input });
    expect(response.errors).toBeUndefined();
    expect(posts()).toHaveLength(3);
    expect(posts().map((c) => c.idempotencyKey)).toEqual([input.idempotencyKey, input.idempotencyKey, input.idempotencyKey]);
    expect(stack.simulator.runsOf(workflowId)[0]!.id).toBe(response.data.executeWorkflow.execution.id);
  });

  it('retries a reset connection when given a key, with the same key on every attempt', async () => {
    fault = (call) => (call.method === 'POST' ? { kind: 'reset' } : undefined);
    const idempotencyKey = `lost-${Date.now()}`;
    expectCode(await stack.gql(EXECUTE, { input: { workflowId, idempotencyKey } }), 'UPSTREAM_ERROR', ['executeWorkflow']);
    expect(posts().map((c) => c.idempotencyKey)).toEqual([idempotencyKey, idempotencyKey, idempotencyKey]);
  });

  // With a key, attempts that all went unanswered still say the outcome is unknown: the run may
  // have started just the same.
  it('says nothing of an unknown outcome when no connection could be made: a name that does not resolve, a closed port', async () => {
    for (const upstreamUrl of ['http://no-such-upstream.invalid', `http://127.0.0.1:${await freePort()}`]) {
      const config = loadConfig({ LOG_LEVEL: 'silent', UPSTREAM_TRACE: 'false', METRICS_PORT: '0' });
      const gateway = createGateway({ config, upstreamUrl });
      const { server, sockets } = createPublicServer(gateway, config);
      try {
        const response = await post(await listen(server), { query: `mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } } }` });
        const error = expectCode({ status: response.status, ...((await response.json()) as object) }, 'UPSTREAM_ERROR', ['executeWorkflow']);
        expect(error.extensions).not.toHaveProperty('outcomeUnknown');
      } finally {
        await sockets.close(Date.now() + 1_000);
        server.close();
        await gateway.close();
      }
    }
  });

  it('says the outcome is unknown when no attempt of a keyed write got an answer', async () => {
    fault = (call) => (call.method === 'POST' ? { kind: 'reset' } : undefined);
    const response = await stack.gql(EXECUTE, { input: { workflowId, idempotencyKey: `lost-${Date.now()}` } });
    expect(expectCode(response, 'UPSTREAM_ERROR', ['executeWorkflow']).extensions!.outcomeUnknown).toBe(true);
  });

  it('says the outcome is unknown when a keyed write went unanswered once, whatever its retries got, short of a refusal', async () => {
    // [what the retries get, outcome unknown, attempts]: a 409 or a 400 is not a refusal of the
    // write (only 401, 403, 404 and 422 say what the first attempt got too), and is not retried.
    for (const [later, unknown, attempts] of [
      [{ status: 503 }, true, 3],
      [{ status: 429, headers: { 'retry-after': '0' } }, true, 3],
      [{ status: 409 }, true, 2],
      [{ status: 400 }, true, 2],
      [{ status: 403 }, false, 2],
    ] as const) {
      // A call answered first, so that the faults of the tests before do not add up to open the breaker.
      fault = undefined;
      expect((await stack.gql('query ($id: ID!) { workflow(id: $id) { name } }', { id: workflowId })).errors).toBeUndefined();
      let attempt = 0;
      fault = (call) => (call.method !== 'POST' ? undefined : attempt++ === 0 ? { kind: 'reset' } : later);
      const response = await stack.gql(EXECUTE, { input: { workflowId, idempotencyKey: `lost-once-${later.status}-${Date.now()}` } });
      const error = expectCode(response, unknown ? 'UPSTREAM_ERROR' : 'FORBIDDEN', ['executeWorkflow']);
      expect([later.status, error.extensions!.outcomeUnknown]).toEqual([later.status, unknown || undefined]);
      expect(attempt).toBe(attempts);
    }
  });

  it.each([
    { what: 'a 202 whose body is an HTML page', answer: { status: 202, body: '<html>Accepted</html>' } },
    { what: 'a 202 naming a run by an id of no run’s shape', answer: { status: 202, body: '{"id":"run-123","status":"pending"}' } },
    { what: 'a proxy’s 504', answer: { status: 504 } },
  ])('says the outcome is unknown for $what, sent once', async ({ answer }) => {
    fault = (call) => (call.method === 'POST' ? answer : undefined);
    const error = expectCode(await stack.gql(EXECUTE, { input: { workflowId } }), 'UPSTREAM_ERROR', ['executeWorkflow']);
    expect(error.extensions!.outcomeUnknown).toBe(true);
    expect(posts()).toHaveLength(1);
  });

  it('maps a 422 to BAD_USER_INPUT with fieldErrors keyed by the schema’s names (an inactive workflow)', async () => {
    const response = await stack.gql(EXECUTE, { input: { workflowId: inactiveWorkflowId } }, { authorization: bearer(DEMO_TOKENS.globex) });
    const error = expectCode(response, 'BAD_USER_INPUT', ['executeWorkflow']);
    expect(error.extensions!.fieldErrors).toEqual({ workflowId: ['The workflow is not active.'] });
    expect(posts()).toHaveLength(1);
  });

  it('maps a 404 to NOT_FOUND (a workflow of another organisation reads as missing)', async () => {
    expectCode(await stack.gql(EXECUTE, { input: { workflowId: 'fl_doesnotexist0' } }), 'NOT_FOUND', ['executeWorkflow']);
    expectCode(await stack.gql(EXECUTE, { input: { workflowId: inactiveWorkflowId } }), 'NOT_FOUND', ['executeWorkflow']);
  });

  it('shows the new run at the head of its workflow’s executions in the same payload', async () => {
    // Read the list first, so a stale copy would be the one in the cache if any survived.
    const warm = await stack.gql(`{ workflow(id: "${workflowId}") { executions(first: 1) { nodes { id } } } }`);
    const before = warm.data.workflow.executions.nodes[0].id;
    const response = await stack.gql(
      /* GraphQL */ `
        mutation ($input: ExecuteWorkflowInput!) {
          executeWorkflow(input: $input) {
            execution {
              id
              workflow {
                executions(first: 1) {
                  nodes {
                    id
                    status
                  }
                }
              }
            }
          }
        }
      `,
      { input: { workflowId } },
    );
    expect(response.errors).toBeUndefined();
    const { id, workflow } = response.data.executeWorkflow.execution;
    expect(id).not.toBe(before);
    expect(workflow.executions.nodes).toEqual([{ id, status: 'PENDING' }]);
  });

  it('runs two writes of one document in order, the second’s payload seeing both runs', async () => {
    const response = await stack.gql(
      /* GraphQL */ `
        mutation ($input: ExecuteWorkflowInput!) {
          first: executeWorkflow(input: $input) {
            execution {
              id
            }
          }
          second: executeWorkflow(input: $input) {
            execution {
              id
              workflow {
                executions(first: 2) {
                  nodes {
                    id
                  }
                }
              }
            }
          }
        }
      `,
      { input: { workflowId } },
    );
    expect(response.errors).toBeUndefined();
    const { first, second } = response.data;
    expect(second.execution.workflow.executions.nodes.map((n: { id: string }) => n.id)).toEqual([second.execution.id, first.execution.id]);
    expect(maxInFlight(posts())).toBe(1);
  });

  it('runs writes in document order when some come through fragments', async () => {
    const response = await stack.gql(
      `mutation ($a: ExecuteWorkflowInput!, $b: ExecuteWorkflowInput!, $c: ExecuteWorkflowInput!) {
        ...A
        b: executeWorkflow(input: $b) { execution { id } }
        ... on Mutation { c: executeWorkflow(input: $c) { execution { id } } }
      }
      fragment A on Mutation { a: executeWorkflow(input: $a) { execution { id } } }`,
      { a: { workflowId, context: { n: 1 } }, b: { workflowId, context: { n: 2 } }, c: { workflowId, context: { n: 3 } } },
    );
    expect(response.errors).toBeUndefined();
    expect(posts().map((c) => (c.body as { context: { n: number } }).context.n)).toEqual([1, 2, 3]);
    expect(Object.keys(response.data)).toEqual(['a', 'b', 'c']);
  });

  it('sends no write after one that failed: the payloads are non-null, so data is null and the document stops', async () => {
    const response = await stack.gql(`mutation {
      first: executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } }
      gone: deleteVaultItem(input: { id: "vlt_doesnotexist0" }) { deletedVaultItemId }
      after: executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } }
    }`);
    expect(response.data).toBeNull();
    expectCode(response, 'NOT_FOUND', ['gone']);
    expect(stack.simulator.calls.map((c) => c.method)).toEqual(['POST', 'DELETE']);
  });

  it('is refused with a coded error by the cost limit, before any call', async () => {
    const response = await stack.gql(
      `mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { workflow { executions(first: 100) { nodes { logs { id } workflow { executions(first: 100) { nodes { logs { id } } } } } } } } } }`,
    );
    const error = expectCode(response, 'BAD_USER_INPUT');
    expect(error.extensions!.cost).toEqual({ estimate: expect.any(Number), limit: 300 });
    expect(error.extensions!.cost.estimate).toBeGreaterThan(300);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('is refused by the armor limits (depth, aliases), before any call', async () => {
    let nested = 'id';
    for (let i = 0; i < 5; i++) nested = `executions(first: 1) { nodes { workflow { ${nested} } } }`;
    const deep = await stack.gql(`mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { workflow { ${nested} } } } }`);
    expect(expectCode(deep, 'BAD_USER_INPUT').message).toContain('depth limit');
    const aliases = Array.from({ length: 70 }, (_, i) => `a${i}: executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } }`).join(' ');
    expect(expectCode(await stack.gql(`mutation { ${aliases} }`), 'BAD_USER_INPUT').message).toContain('Aliases limit');
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('is refused when a browser could send it cross-site without a preflight (CSRF)', async () => {
    const query = `mutation { executeWorkflow(input: { workflowId: "${workflowId}" }) { execution { id } } }`;
    // What a cross-site form or a simple fetch can send: no Authorization header, a safelisted type.
    const plain = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query }) });
    expect(plain.status).toBe(403);
    expect(((await plain.json())).errors[0].extensions.code).toBe('FORBIDDEN');
    const form = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query }).toString(),
    });
    expect(form.status).toBe(403);
    // A GET never runs a mutation, even with the preflight header and a token.
    const viaGet = await fetch(`${stack.url}?query=${encodeURIComponent(query)}`, {
      headers: { authorization: bearer(DEMO_TOKENS.acme), 'x-graphql-yoga-csrf': '1' },
    });
    expect(viaGet.status).toBeGreaterThanOrEqual(400);
    expect(stack.simulator.calls).toHaveLength(0);
  });
});

describe('resumeExecution', () => {
  const failedRun = () => {
    const run = stack.simulator.runsOf(workflowId).find((r) => r.status === 'failed' && r.logs.some((l) => l.status === 'success'))!;
    const succeeded = run.logs.find((l) => l.status === 'success')!.node_id;
    const failed = run.logs.find((l) => l.status !== 'success')!.node_id;
    return { run, succeeded, failed };
  };

  it('starts a new run from a failed one and names it in resumedFrom', async () => {
    const { run, succeeded } = failedRun();
    const response = await stack.gql(RESUME, { input: { executionId: run.id, fromNodeId: succeeded } });
    expect(response.errors).toBeUndefined();
    const payload = response.data.resumeExecution;
    expect(payload.execution.id).not.toBe(run.id);
    expect(payload.execution.status).toBe('PENDING');
    expect(payload.execution.logs[0]).toEqual({ nodeId: run.logs[0]!.node_id });
    expect(payload.resumedFrom).toEqual({ id: run.id, status: 'FAILED' });
    expect(posts().map((c) => c.path)).toEqual([`/workflows/runs/${run.id}/resume-from/${succeeded}`]);
  });

  it('reads a resumed run’s logs from Altostrat when its answer leaves them out: it starts with the steps it resumes after', () =>
    withoutInlineLogs(async () => {
      const { run, succeeded } = failedRun();
      const response = await stack.gql(RESUME, { input: { executionId: run.id, fromNodeId: succeeded } });
      expect(response.errors).toBeUndefined();
      const { execution } = response.data.resumeExecution;
      expect(execution.logs[0]).toEqual({ nodeId: run.logs[0]!.node_id });
      expect(stack.simulator.calls.map((c) => `${c.method} ${c.path}`)).toContain(`GET /workflows/runs/${execution.id}`);
    }));

  it('refuses to resume a run that did not fail, or from a node that did not succeed, with fieldErrors', async () => {
    const completed = stack.simulator.runsOf(workflowId).find((r) => r.status === 'completed')!;
    const notFailed = await stack.gql(RESUME, { input: { executionId: completed.id, fromNodeId: completed.logs[0]!.node_id } });
    expect(expectCode(notFailed, 'BAD_USER_INPUT').extensions!.fieldErrors).toEqual({ executionId: ['Only a failed run can be resumed.'] });
    const { run, failed } = failedRun();
    const badNode = await stack.gql(RESUME, { input: { executionId: run.id, fromNodeId: failed } });
    expect(expectCode(badNode, 'BAD_USER_INPUT').extensions!.fieldErrors).toEqual({
      fromNodeId: ['A run can only resume from a node that succeeded in it.'],
    });
  });

  it('maps a missing run to NOT_FOUND', async () => {
    expectCode(await stack.gql(RESUME, { input: { executionId: 'fl_run_nosuchrun0', fromNodeId: 'n1' } }), 'NOT_FOUND', ['resumeExecution']);
  });

  it('sends any node id a graph may have, percent-encoded in its path segment, and refuses only one that would name another path', async () => {
    const { run } = failedRun();
    for (const [nodeId, segment] of [['fetch.data', 'fetch.data'], ['fetch data/ノード', 'fetch%20data%2F%E3%83%8E%E3%83%BC%E3%83%89'], ['🔑'.repeat(1_000), '%F0%9F%94%91'.repeat(1_000)]]) {
      stack.simulator.clearCalls();
      const response = await stack.gql(RESUME, { input: { executionId: run.id, fromNodeId: nodeId } });
      // No such step in this run: Altostrat says so, about that node.
      expect(expectCode(response, 'BAD_USER_INPUT').extensions!.fieldErrors).toEqual({ fromNodeId: ['A run can only resume from a node that succeeded in it.'] });
      expect(posts().map((c) => c.path)).toEqual([`/workflows/runs/${run.id}/resume-from/${segment}`]);
    }
    for (const nodeId of ['', '.', '..', 'n'.repeat(1_001), 'lone\ud800surrogate']) {
      stack.simulator.clearCalls();
      const refused = expectCode(await stack.gql(RESUME, { input: { executionId: run.id, fromNodeId: nodeId } }), 'BAD_USER_INPUT');
      expect(Object.keys(refused.extensions!.fieldErrors as object)).toEqual(['fromNodeId']);
      expect(posts()).toEqual([]);
    }
  });

  it('does not retry a reset without a key (outcome unknown) and retries with one, same key each time', async () => {
    const { run, succeeded } = failedRun();
    fault = (call) => (call.method === 'POST' ? { kind: 'reset' } : undefined);
    const lost = await stack.gql(RESUME, { input: { executionId: run.id, fromNodeId: succeeded } });
    expect(expectCode(lost, 'UPSTREAM_ERROR').extensions!.outcomeUnknown).toBe(true);
    expect(posts()).toHaveLength(1);

    stack.simulator.clearCalls();
    let failures = 1;
    fault = (call) => (call.method === 'POST' && failures-- > 0 ? { status: 503 } : undefined);
    const idempotencyKey = `resume-${Date.now()}`;
    const kept = await stack.gql(RESUME, { input: { executionId: run.id, fromNodeId: succeeded, idempotencyKey } });
    expect(kept.errors).toBeUndefined();
    expect(posts().map((c) => c.idempotencyKey)).toEqual([idempotencyKey, idempotencyKey]);
  });
});
