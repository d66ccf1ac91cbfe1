/**
 * The corners of the live contract: a subscriber who joins a shared poller late (the run now, at
 * once; for new runs, only what starts after it joined), endings that arrive mid-stream (the
 * token refused, the run gone), each event resolved with a budget of its own, the protections of
 * queries on subscriptions, and mutation refusals that map like queries' (401, 403, 429).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Fault, RecordedCall } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS, expectCode, startStack, type Stack } from '../support/stack.js';
import { endOf, EXECUTION_STARTED, EXECUTION_UPDATED, TRANSPORTS, watch, type RunEvent, type StartedEvent, type Watch } from '../support/live.js';
import { until } from '../support/wait.js';
import { wsClient } from '../support/websocket.js';

const INTERVAL_MS = 50;
const acme = bearer(DEMO_TOKENS.acme);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let stack: Stack;
let workflowId: string;
let fault: ((call: RecordedCall) => Fault | undefined) | undefined;
const open: Array<Watch<unknown>> = [];

beforeAll(async () => {
  stack = await startStack({ stepMs: 60_000, pageSize: 3, fault: (call) => fault?.(call) }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS), MAX_UPSTREAM_CALLS: '300' });
  workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
});
afterAll(async () => {
  for (const w of open.splice(0)) await w.close();
  await stack.close();
});
beforeEach(async () => {
  for (const w of open.splice(0)) await w.close();
  fault = undefined;
  stack.simulator.configure({ stepMs: 60_000 });
});

function track<T>(w: Watch<T>): Watch<T> {
  open.push(w);
  return w;
}

async function execute(): Promise<string> {
  const response = await stack.gql(`mutation ($id: ID!) { executeWorkflow(input: { workflowId: $id }) { execution { id } } }`, { id: workflowId });
  expect(response.errors).toBeUndefined();
  return response.data.executeWorkflow.execution.id;
}

/** Waits until the poller of `path` has answered at least once after `since`. */
/** The gateway's count of open subscriptions, from /metrics. */
const subscriptions = async () => /^live_subscriptions (\S+)$/m.exec(await (await fetch(stack.metricsUrl)).text())?.[1];

const polledSince = (path: string, since: number) =>
  until(`a poll of ${path}`, () => stack.simulator.calls.some((c) => c.path === path && c.startedAt > since && c.endedAt !== undefined));

describe.each(TRANSPORTS)('over %s', (transport) => {
  it('gives a subscriber who joins a shared poller late the run now, without waiting for a change', async () => {
    const id = await execute(); // stays PENDING: no change will come
    const first = track(watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
    await until('the first subscriber’s event', () => first.events.length > 0);
    await sleep(INTERVAL_MS * 3);
    const late = track(watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
    await until('the late subscriber’s event', () => late.events.length > 0);
    expect(late.events.map((e) => e.executionUpdated.status)).toEqual(['PENDING']);
    expect(first.events).toHaveLength(1);
  });

  it('sends the changes of a run whose logs start over (the demo’s endless run) in every pass, not the first only', async () => {
    stack.simulator.configure({ stepMs: 150 });
    const { id } = stack.simulator.startEndlessRun(workflowId);
    const w = track(watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
    // Each pass logs its first step anew (new log ids): heard twice, the second pass is heard.
    await until('the second pass’s first step', () => w.events.filter((e) => e.executionUpdated.logs.length === 1).length >= 2);
  });

  it('sends a status that comes back with the same logs (running again after awaiting a UI interaction)', async () => {
    const id = await execute();
    const path = `/workflows/runs/${id}`;
    const asStored = (await (await fetch(`${stack.simulator.url}${path}`, { headers: { authorization: acme } })).json()) as Record<string, unknown>;
    let run: Record<string, unknown> = { ...asStored, status: 'pending' };
    fault = (call) => (call.path === path ? { status: 200, body: JSON.stringify(run) } : undefined);
    const w = track(watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
    await until('the run now', () => w.events.length > 0);
    for (const [status, heard] of [['running', 2], ['awaiting_ui_interaction', 3], ['running', 4]] as const) {
      run = { ...asStored, status };
      await until(`the run ${status} again (event ${heard})`, () => w.events.length >= heard, { timeoutMs: INTERVAL_MS * 40 });
    }
    run = { ...asStored, status: 'completed', completed_at: new Date().toISOString(), duration_in_seconds: 1 };
    expect(await endOf(w)).toEqual({ kind: 'complete' });
    expect(w.events.map((e) => e.executionUpdated.status)).toEqual(['PENDING', 'RUNNING', 'AWAITING_UI_INTERACTION', 'RUNNING', 'COMPLETED']);
  });

  it('sends a run whose end time Altostrat sent in another shape, that field alone failed, and ends the stream', async () => {
    const id = await execute();
    const path = `/workflows/runs/${id}`;
    const asStored = (await (await fetch(`${stack.simulator.url}${path}`, { headers: { authorization: acme } })).json()) as Record<string, unknown>;
    // Any JSON at all: an object whose `toString` is no function cannot even be put in a string.
    const run = { ...asStored, status: 'completed', completed_at: { toString: 1 }, duration_in_seconds: 1 };
    fault = (call) => (call.path === path ? { status: 200, body: JSON.stringify(run) } : undefined);
    const w = track(watch<RunEvent>(transport, stack.url, 'subscription($id: ID!) { executionUpdated(id: $id) { id status completedAt } }', { authorization: acme, variables: { id } }));
    expect(await endOf(w)).toEqual({ kind: 'complete' });
    expect(w.events.map((e) => e.executionUpdated)).toEqual([{ id, status: 'COMPLETED', completedAt: null }]);
  });

  it('sends a late subscriber of executionStarted only the runs started after it joined', async () => {
    const path = `/workflows/${workflowId}/executions`;
    const since = performance.now();
    const first = track(watch<StartedEvent>(transport, stack.url, EXECUTION_STARTED, { authorization: acme, variables: { workflowId } }));
    await polledSince(path, since);
    await sleep(INTERVAL_MS * 2);
    const early = stack.simulator.insertRuns(workflowId, 2).map((r) => r.id);
    await until('two runs', () => first.events.length >= 2);
    const joined = performance.now();
    const late = track(watch<StartedEvent>(transport, stack.url, EXECUTION_STARTED, { authorization: acme, variables: { workflowId } }));
    await polledSince(path, joined);
    await sleep(INTERVAL_MS * 2);
    const [later] = stack.simulator.insertRuns(workflowId, 1).map((r) => r.id);
    await until('the later run on both', () => late.events.length >= 1 && first.events.length >= 3);
    await sleep(INTERVAL_MS * 2);
    expect(first.events.map((e) => e.executionStarted.id)).toEqual([...early.reverse(), later]);
    expect(late.events.map((e) => e.executionStarted.id)).toEqual([later]);
  });

  it('sends a subscriber who comes back, again and again while a poll is in flight, no run that started rounds before', async () => {
    const path = `/workflows/${workflowId}/executions`;
    const polls = () => stack.simulator.calls.filter((c) => c.path === path);
    stack.simulator.configure({ latencyMs: 30 }); // each poll is in flight for a while
    try {
      const variables = { workflowId };
      let current = track(watch<StartedEvent>(transport, stack.url, EXECUTION_STARTED, { authorization: acme, variables }));
      await polledSince(path, performance.now());
      await sleep(INTERVAL_MS * 2);
      const inserted = performance.now();
      stack.simulator.insertRuns(workflowId, 1);
      // Each subscriber leaves while a poll that could see the run is in flight (the poll is cut
      // off), and the next comes at once, within the topic's rest.
      let cut = inserted;
      for (let round = 0; round < 5; round++) {
        await until('a poll in flight', () => polls().some((c) => c.startedAt > cut && c.endedAt === undefined), { everyMs: 1 });
        cut = performance.now();
        const leaving = current.close();
        await until('the subscriber to leave', async () => (await subscriptions()) === '0', { everyMs: 1 });
        current = track(watch<StartedEvent>(transport, stack.url, EXECUTION_STARTED, { authorization: acme, variables }));
        await leaving;
      }
      await polledSince(path, performance.now());
      const [fresh] = stack.simulator.insertRuns(workflowId, 1).map((r) => r.id);
      await until('the run started after it came', () => current.events.some((e) => e.executionStarted.id === fresh));
      expect(current.events.map((e) => e.executionStarted.id)).toEqual([fresh]);
    } finally {
      stack.simulator.configure({ latencyMs: 0 });
    }
  });

  it('sends a subscriber who comes back to executionStarted the run it starts right after', async () => {
    const path = `/workflows/${workflowId}/executions`;
    const since = performance.now();
    const first = track(watch<StartedEvent>(transport, stack.url, EXECUTION_STARTED, { authorization: acme, variables: { workflowId } }));
    await polledSince(path, since);
    await first.close();
    await until('the first subscription to leave', async () => (await subscriptions()) === '0');
    const again = track(watch<StartedEvent>(transport, stack.url, EXECUTION_STARTED, { authorization: acme, variables: { workflowId } }));
    await until('the subscription to be open', async () => (await subscriptions()) === '1', { everyMs: 1 });
    // Before the topic's pace lets it poll again: its baseline is where the last poll left it.
    const id = await execute();
    await until('the run it started', () => again.events.some((e) => e.executionStarted.id === id));
  });

  it('ends the stream with UNAUTHENTICATED when Altostrat starts refusing the token mid-stream', async () => {
    const id = await execute();
    const w = track(watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
    await until('the first event', () => w.events.length > 0);
    fault = (call) => (call.path === `/workflows/runs/${id}` ? { status: 401 } : undefined);
    await endOf(w);
    expect(w.codes).toEqual(['UNAUTHENTICATED']);
  });

  it('ends the stream with NOT_FOUND when the run disappears mid-stream', async () => {
    const id = await execute();
    const w = track(watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
    await until('the first event', () => w.events.length > 0);
    fault = (call) => (call.path === `/workflows/runs/${id}` ? { status: 404 } : undefined);
    await endOf(w);
    expect(w.codes).toEqual(['NOT_FOUND']);
  });

  it('resolves each event’s nested fields with calls of its own (the run’s workflow)', async () => {
    stack.simulator.configure({ stepMs: 40 });
    const id = await execute();
    const w = track(
      watch<{ executionUpdated: { status: string; workflow: { id: string; name: string } } }>(
        transport,
        stack.url,
        `subscription ($id: ID!) { executionUpdated(id: $id) { status workflow { id name } } }`,
        { authorization: acme, variables: { id } },
      ),
    );
    expect(await endOf(w)).toEqual({ kind: 'complete' });
    expect(w.codes).toEqual([]);
    const name = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((x) => x.id === workflowId)!.name;
    expect(w.events.length).toBeGreaterThanOrEqual(2);
    for (const e of w.events) expect(e.executionUpdated.workflow).toEqual({ id: workflowId, name });
  });

  it('refuses a subscription over the cost limit before any call', async () => {
    stack.simulator.clearCalls();
    const costly = track(
      watch(
        transport,
        stack.url,
        `subscription { executionStarted(workflowId: "${workflowId}") { workflow { executions(first: 100) { nodes { logs { id } workflow { executions(first: 100) { nodes { logs { id } } } } } } } } }`,
        { authorization: acme },
      ),
    );
    await endOf(costly);
    expect(costly.codes).toEqual(['BAD_USER_INPUT']);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('refuses a subscription whose one field is skipped, with BAD_USER_INPUT', async () => {
    for (const skipped of ['@skip(if: true)', '@include(if: false)']) {
      const w = track(watch(transport, stack.url, `subscription { executionUpdated(id: "fl_run_abc") ${skipped} { id } }`, { authorization: acme }));
      await endOf(w);
      expect(w.codes).toEqual(['BAD_USER_INPUT']);
    }
  });

  // Over WebSocket, a document refused at parse or validation time fails its operation alone, with
  // the code HTTP gives it, instead of closing the socket (graphql-ws's 4500 "internal error").
  it('refuses a document over the depth limit, or that does not parse, with its code', async () => {
    stack.simulator.clearCalls();
    let nested = 'id';
    for (let i = 0; i < 5; i++) nested = `executions(first: 1) { nodes { workflow { ${nested} } } }`;
    const deep = track(watch(transport, stack.url, `subscription { executionStarted(workflowId: "${workflowId}") { workflow { ${nested} } } }`, { authorization: acme }));
    await endOf(deep);
    expect(deep.codes).toEqual(['BAD_USER_INPUT']);
    const broken = track(watch(transport, stack.url, `subscription { executionStarted(workflowId: "${workflowId}" { id } }`, { authorization: acme }));
    await endOf(broken);
    expect(broken.codes).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(stack.simulator.calls).toHaveLength(0);
  });
});

describe('one WebSocket, several operations', () => {
  // The same, seen from a client that multiplexes: one bad document must not end the others.
  it('keeps the socket’s other operations open when one document does not parse', async () => {
    const client = wsClient(stack.url, { authorization: acme });
    try {
      const id = await execute();
      const events: unknown[] = [];
      let goodEnded: unknown;
      client.subscribe({ query: EXECUTION_UPDATED, variables: { id } }, { next: (r) => events.push(r), error: (e) => (goodEnded = e), complete: () => (goodEnded = 'complete') });
      await until('the first event', () => events.length > 0);
      const refused = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: 'subscription { executionUpdated(id: "x" { id } }' }, { next: resolve, error: resolve, complete: () => resolve('complete') });
      });
      expect(JSON.stringify(refused)).toContain('GRAPHQL_PARSE_FAILED');
      await sleep(INTERVAL_MS * 2);
      expect(goodEnded).toBeUndefined();
    } finally {
      await client.dispose();
    }
  });
});

describe('executionStarted and a burst of runs', () => {
  // A burst spanning several pages (20 runs on 3-run pages: 7 pages) arrives whole, within the
  // pages one poll may read (MAX_PAGES_PER_POLL in src/watch.ts; docs/guarantees.md).
  it('sends every run of a burst many pages long, each once', async () => {
    const path = `/workflows/${workflowId}/executions`;
    const since = performance.now();
    const w = track(watch<StartedEvent>('sse', stack.url, EXECUTION_STARTED, { authorization: acme, variables: { workflowId } }));
    await polledSince(path, since);
    await sleep(INTERVAL_MS * 2);
    const burst = stack.simulator.insertRuns(workflowId, 20).map((r) => r.id); // seven pages of 3
    await until('twenty runs', () => w.events.length >= 20, { timeoutMs: 2_000 }).catch(() => undefined); // short: 15 arrive today
    await sleep(INTERVAL_MS * 3);
    expect(w.events.map((e) => e.executionStarted.id)).toEqual([...burst].reverse());
  });
});

describe('mutation refusals', () => {
  beforeEach(() => stack.simulator.clearCalls());
  const EXECUTE = `mutation ($input: ExecuteWorkflowInput!) { executeWorkflow(input: $input) { execution { id } } }`;

  it('map 401, 403 and 429 as for queries, RATE_LIMITED with retryAfterSeconds', async () => {
    expectCode(await stack.gql(EXECUTE, { input: { workflowId } }, { authorization: bearer('not-a-real-token') }), 'UNAUTHENTICATED');
    expectCode(await stack.gql(EXECUTE, { input: { workflowId } }, { authorization: bearer(DEMO_TOKENS.suspended) }), 'FORBIDDEN');
    expectCode(await stack.gql(EXECUTE, { input: { workflowId } }, { authorization: null }), 'UNAUTHENTICATED');
    fault = (call) => (call.method === 'POST' ? { status: 429, headers: { 'retry-after': '7' } } : undefined);
    const limited = expectCode(await stack.gql(EXECUTE, { input: { workflowId } }), 'RATE_LIMITED');
    expect(limited.extensions!.retryAfterSeconds).toBe(7);
  });

  it('refuse an idempotencyKey that cannot be a header before any call, under its field as Altostrat’s own refusal of one', async () => {
    for (const idempotencyKey of ['has space', '', 'x'.repeat(256), 'naïve']) {
      const refused = expectCode(await stack.gql(EXECUTE, { input: { workflowId, idempotencyKey } }), 'BAD_USER_INPUT');
      expect(Object.keys(refused.extensions!.fieldErrors as object)).toEqual(['idempotencyKey']);
    }
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('key a refused context and a reused key by the schema’s names', async () => {
    const reused = `reuse-${Date.now()}`;
    expect((await stack.gql(EXECUTE, { input: { workflowId, idempotencyKey: reused } })).errors).toBeUndefined();
    const run = stack.simulator.runsOf(workflowId).find((r) => r.status === 'failed' && r.logs.some((l) => l.status === 'success'))!;
    const resumed = await stack.gql(
      `mutation ($input: ResumeExecutionInput!) { resumeExecution(input: $input) { execution { id } } }`,
      { input: { executionId: run.id, fromNodeId: run.logs[0]!.node_id, idempotencyKey: reused } },
    );
    expect(Object.keys(expectCode(resumed, 'BAD_USER_INPUT').extensions!.fieldErrors)).toEqual(['idempotencyKey']);
    const badContext = await stack.gql(EXECUTE, { input: { workflowId, context: 'not an object' } });
    expect(Object.keys(expectCode(badContext, 'BAD_USER_INPUT').extensions!.fieldErrors)).toEqual(['context']);
  });
});
