/**
 * Upstream faults the gateway rides out: retries of transient faults within the request's
 * deadline, Retry-After, the circuit breaker and the bulkhead. Each stack is set up with the
 * settings its test needs, so that each protection is seen working, not just configured. Waits and
 * caps are read from the simulator's call log (when each call began and ended), never from how
 * long a request took.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault, RecordedCall } from '../../src/demo/simulator.js';
import { callsTo, DEMO_TOKENS, expectCode, maxInFlight, startStack, type Stack } from '../support/stack.js';
import { until } from '../support/wait.js';

/** Node may fire a timer up to a millisecond early by the clock the simulator records with. */
const TIMER_SLACK_MS = 2;

const stacks: Stack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});

async function stack(env: Record<string, string>, simulator = {}) {
  const started = await startStack(simulator, env);
  stacks.push(started);
  return started;
}

const workflowOf = (s: Stack) => s.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!;
const QUERY = `query($id: ID!) { workflow(id: $id) { name } }`;

/** Answers `fault` to the first `times` calls, then normally. */
function faultFirst(times: number, fault: Fault) {
  let seen = 0;
  return (_: RecordedCall) => (seen++ < times ? fault : undefined);
}

describe('retries', () => {
  for (const [name, fault] of [
    ['a 503', { status: 503 }],
    ['a 502', { status: 502 }],
    ['a connection reset mid-body', { kind: 'reset' }],
  ] as const) {
    it(`answers after ${name} by asking again`, async () => {
      const s = await stack({ UPSTREAM_RETRIES: '2' });
      s.simulator.configure({ fault: faultFirst(1, fault) });
      const response = await s.gql(QUERY, { id: workflowOf(s).id });
      expect(response.errors).toBeUndefined();
      expect(response.data.workflow.name).toBe(workflowOf(s).name);
      expect(callsTo(s.simulator, 'workflow')).toHaveLength(2);
    });
  }

  it('does not retry a 500, a malformed body or a 4xx', async () => {
    const s = await stack({ UPSTREAM_RETRIES: '2' });
    for (const fault of [{ status: 500 }, { kind: 'malformed' }, { status: 403 }] as const) {
      s.simulator.clearCalls();
      s.simulator.configure({ fault: () => fault });
      const response = await s.gql(QUERY, { id: workflowOf(s).id });
      expect(response.data.workflow).toBeNull();
      expect(s.simulator.calls).toHaveLength(1);
    }
  });

  it('gives up with UPSTREAM_ERROR when the fault lasts, after the configured retries', async () => {
    const s = await stack({ UPSTREAM_RETRIES: '2' });
    s.simulator.configure({ fault: () => ({ status: 503 }) });
    expectCode(await s.gql(QUERY, { id: workflowOf(s).id }), 'UPSTREAM_ERROR', ['workflow']);
    expect(s.simulator.calls).toHaveLength(3);
  });

  it('waits out a 429 when its Retry-After fits the deadline', async () => {
    const s = await stack({ UPSTREAM_RETRIES: '2', REQUEST_TIMEOUT_MS: '10000' });
    s.simulator.configure({ fault: faultFirst(1, { status: 429, headers: { 'retry-after': '1' } }) });
    const response = await s.gql(QUERY, { id: workflowOf(s).id });
    expect(response.errors).toBeUndefined();
    const [refused, retried] = s.simulator.calls as [RecordedCall, RecordedCall];
    expect(s.simulator.calls).toHaveLength(2);
    // The second attempt began at least Retry-After after the 429 was sent.
    expect(retried.startedAt - refused.endedAt!).toBeGreaterThanOrEqual(1000 - TIMER_SLACK_MS);
  });

  it('answers RATE_LIMITED at once when Retry-After does not fit the deadline, or is missing', async () => {
    const s = await stack({ UPSTREAM_RETRIES: '2', REQUEST_TIMEOUT_MS: '3000' });
    s.simulator.configure({ fault: () => ({ status: 429, headers: { 'retry-after': '30' } }) });
    const late = expectCode(await s.gql(QUERY, { id: workflowOf(s).id }), 'RATE_LIMITED');
    expect(late.extensions!.retryAfterSeconds).toBe(30);
    s.simulator.configure({ fault: () => ({ status: 429 }) });
    expectCode(await s.gql(QUERY, { id: workflowOf(s).id }), 'RATE_LIMITED');
    expect(s.simulator.calls).toHaveLength(2);
  });

  it('gives up a stalled call at the request deadline, before its own much longer one, and stays healthy', async () => {
    const s = await stack({ REQUEST_TIMEOUT_MS: '800', UPSTREAM_TIMEOUT_MS: '60000' });
    s.simulator.configure({ fault: () => ({ kind: 'stall' }) });
    const response = await s.gql(QUERY, { id: workflowOf(s).id });
    expect(expectCode(response, 'UPSTREAM_ERROR', ['workflow']).message).toContain('did not answer');
    // The gateway hung up on every attempt (at most the first and its two retries): with a 60 s
    // call deadline, only the request's deadline could have ended them.
    const stalled = [...s.simulator.calls];
    expect(stalled.length).toBeGreaterThanOrEqual(1);
    expect(stalled.length).toBeLessThanOrEqual(3);
    await until('the gateway hung up on every stalled call', () => stalled.every((c) => c.endedAt !== undefined));
    s.simulator.configure({ fault: undefined });
    expect((await s.gql(QUERY, { id: workflowOf(s).id })).data.workflow.name).toBe(workflowOf(s).name);
  });
});

describe('the circuit breaker', () => {
  it('opens after consecutive faults, answers without calling, and closes after a good probe', async () => {
    const s = await stack({ UPSTREAM_RETRIES: '0', UPSTREAM_BREAKER_THRESHOLD: '3', UPSTREAM_BREAKER_COOLDOWN_MS: '500' });
    const id = workflowOf(s).id;
    s.simulator.configure({ fault: () => ({ status: 503 }) });
    for (let i = 0; i < 3; i++) expectCode(await s.gql(QUERY, { id }), 'UPSTREAM_ERROR');
    expect(s.simulator.calls).toHaveLength(3);

    const open = expectCode(await s.gql(QUERY, { id }), 'UPSTREAM_ERROR');
    expect(open.message).toContain('not tried');
    expect(s.simulator.calls).toHaveLength(3);

    s.simulator.configure({ fault: undefined });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await s.gql(QUERY, { id })).data.workflow.name).toBe(workflowOf(s).name);
    expect((await s.gql(QUERY, { id })).data.workflow.name).toBe(workflowOf(s).name);
    expect(s.simulator.calls).toHaveLength(5);
  });

  it('is not opened by one tenant’s calls timing out on its own data while Altostrat answers the others', async () => {
    const globex = `Bearer ${DEMO_TOKENS.globex}`;
    const s = await stack({ UPSTREAM_RETRIES: '0', UPSTREAM_TIMEOUT_MS: '1000', UPSTREAM_BREAKER_THRESHOLD: '3', UPSTREAM_BREAKER_COOLDOWN_MS: '600000' });
    // Altostrat answers everyone at once, but Globex's log lists (its own data) never come.
    s.simulator.configure({ fault: (call) => (call.authorization === globex && /^\/workflows\/[^/]+\/logs$/.test(call.path) ? { kind: 'stall' } : undefined) });
    const globexWorkflow = s.simulator.workflowsOf(DEMO_TOKENS.globex)[0]!.id;
    const slow = Promise.all(
      [0, 1, 2, 3].map(() => s.gql(`{ workflow(id: "${globexWorkflow}") { logs(first: 1) { nodes { id } } } }`, {}, { authorization: globex })),
    );
    await until('the slow calls sent', () => s.simulator.calls.filter((call) => call.path.endsWith('/logs')).length === 4);
    // Acme is answered meanwhile: Altostrat is up.
    expect((await s.gql(QUERY, { id: workflowOf(s).id })).data.workflow.name).toBe(workflowOf(s).name);
    for (const answer of await slow) expectCode(answer, 'UPSTREAM_ERROR');
    const after = await s.gql(QUERY, { id: workflowOf(s).id });
    expect(after.errors).toBeUndefined();

    // Once nobody is answered, timeouts are an outage, and they open it.
    s.simulator.configure({ fault: () => ({ kind: 'stall' }) });
    for (let i = 0; i < 3; i++) expectCode(await s.gql(QUERY, { id: workflowOf(s).id }), 'UPSTREAM_ERROR');
    expect(expectCode(await s.gql(QUERY, { id: workflowOf(s).id }), 'UPSTREAM_ERROR').message).toContain('not tried');
  });

  it('is not opened by one caller’s 401s, 403s or 429s', async () => {
    const s = await stack({ UPSTREAM_RETRIES: '0', UPSTREAM_BREAKER_THRESHOLD: '2' });
    const id = workflowOf(s).id;
    for (let i = 0; i < 3; i++) {
      expectCode(await s.gql(QUERY, { id }, { authorization: 'Bearer not-a-real-token' }), 'UNAUTHENTICATED');
      expectCode(await s.gql(QUERY, { id }, { authorization: `Bearer ${DEMO_TOKENS.suspended}` }), 'FORBIDDEN');
    }
    s.simulator.configure({ fault: () => ({ status: 429 }) });
    for (let i = 0; i < 3; i++) expectCode(await s.gql(QUERY, { id }), 'RATE_LIMITED');
    s.simulator.configure({ fault: undefined });
    expect((await s.gql(QUERY, { id })).data.workflow.name).toBe(workflowOf(s).name);
  });
});

describe('the bulkhead', () => {
  it('caps the calls in flight across requests', async () => {
    // The latency keeps each call in flight long enough that uncapped calls would overlap.
    const s = await stack({ UPSTREAM_MAX_IN_FLIGHT: '1' }, { latencyMs: 50 });
    const workflows = s.simulator.workflowsOf(DEMO_TOKENS.acme);
    const answers = await Promise.all(workflows.map((w) => s.gql(QUERY, { id: w.id })));
    expect(answers.map((a) => a.data.workflow.name)).toEqual(workflows.map((w) => w.name));
    expect(s.simulator.calls).toHaveLength(workflows.length);
    expect(maxInFlight(s.simulator.calls)).toBe(1);
  });

  it('lets the same calls overlap under a high cap, so it is the cap that keeps them apart', async () => {
    const s = await stack({ UPSTREAM_MAX_IN_FLIGHT: '100' }, { latencyMs: 50 });
    const workflows = s.simulator.workflowsOf(DEMO_TOKENS.acme);
    await Promise.all(workflows.map((w) => s.gql(QUERY, { id: w.id })));
    expect(maxInFlight(s.simulator.calls)).toBeGreaterThan(1);
  });
});
