/**
 * How subscriptions share the upstream: every subscriber with one token on one run shares one
 * poller (at most one call in flight, about one call per interval, whatever the transport), two
 * tokens never share one, and a poller stops soon after its last subscriber leaves. Then the
 * limits (per token, per process) and the live metrics. Counts come from the simulator's call log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxInFlight } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { endOf, EXECUTION_UPDATED, statusesOf, watch, type RunEvent, type Transport, type Watch } from '../support/live.js';
import { until } from '../support/wait.js';
import { wsClient } from '../support/websocket.js';

const INTERVAL_MS = 100;
const acme = bearer(DEMO_TOKENS.acme);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function execute(stack: Stack, token = acme): Promise<{ id: string; workflowId: string }> {
  const workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
  const response = await stack.gql(`mutation ($id: ID!) { executeWorkflow(input: { workflowId: $id }) { execution { id } } }`, { id: workflowId }, { authorization: token });
  expect(response.errors).toBeUndefined();
  return { id: response.data.executeWorkflow.execution.id, workflowId };
}

const runCalls = (stack: Stack, id: string) => stack.simulator.calls.filter((c) => c.method === 'GET' && c.path === `/workflows/runs/${id}`);

describe('one poller per (token, run)', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Each answer takes a while, so calls that overlapped would show in the log.
    stack = await startStack({ stepMs: 150, latencyMs: 30 }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS) });
  });
  afterAll(() => stack.close());

  it('serves five subscribers (SSE and WebSocket) with one call in flight and about one call per interval', async () => {
    const { id } = await execute(stack);
    const transports: Transport[] = ['sse', 'ws', 'sse', 'ws', 'sse'];
    const watches = transports.map((t) => watch<RunEvent>(t, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
    for (const w of watches) expect(await endOf(w)).toEqual({ kind: 'complete' });

    const calls = runCalls(stack, id);
    expect(maxInFlight(calls)).toBe(1);
    const window = calls.at(-1)!.startedAt - calls[0]!.startedAt;
    expect(calls.length).toBeLessThanOrEqual(window / INTERVAL_MS + 2);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    // Every subscriber saw the run through to its end.
    const ends = watches.map((w) => statusesOf(w.events).at(-1));
    expect(new Set(ends).size).toBe(1);
    expect(['COMPLETED', 'FAILED']).toContain(ends[0]);
    for (const w of watches) expect(statusesOf(w.events).length).toBeGreaterThanOrEqual(2);
  });

  it('gives two tokens separate pollers: each its own calls and its own events', async () => {
    const { id } = await execute(stack);
    const mine = watch<RunEvent>('sse', stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } });
    await until('the first event', () => mine.events.length > 0);
    // Another organisation's token on the same run: its own poller, answered 404 by Altostrat.
    const theirs = watch<RunEvent>('ws', stack.url, EXECUTION_UPDATED, { authorization: bearer(DEMO_TOKENS.globex), variables: { id } });
    const suspended = watch<RunEvent>('sse', stack.url, EXECUTION_UPDATED, { authorization: bearer(DEMO_TOKENS.suspended), variables: { id } });
    await endOf(theirs);
    await endOf(suspended);
    expect(theirs.codes).toEqual(['NOT_FOUND']);
    expect(suspended.codes).toEqual(['FORBIDDEN']);
    expect(theirs.events).toEqual([]);
    expect(mine.isOpen()).toBe(true);
    expect(await endOf(mine)).toEqual({ kind: 'complete' });
    expect(mine.codes).toEqual([]);
    const byToken = new Set(runCalls(stack, id).map((c) => c.authorization));
    expect(byToken).toEqual(new Set([acme, bearer(DEMO_TOKENS.globex), bearer(DEMO_TOKENS.suspended)]));
  });

  it('stops polling within about an interval of the last subscriber leaving', async () => {
    stack.simulator.configure({ stepMs: 60_000 }); // the run stays PENDING: only leaving ends the polling
    try {
      const { id } = await execute(stack);
      const watches = [
        watch<RunEvent>('sse', stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }),
        watch<RunEvent>('ws', stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }),
      ];
      await until('three polls', () => runCalls(stack, id).length >= 3);
      await watches[0]!.close();
      const afterFirst = runCalls(stack, id).length;
      await sleep(INTERVAL_MS * 3);
      expect(runCalls(stack, id).length).toBeGreaterThan(afterFirst); // one subscriber left: still polled
      await watches[1]!.close();
      const leftAt = performance.now();
      await sleep(INTERVAL_MS * 6);
      const late = runCalls(stack, id).filter((c) => c.startedAt > leftAt + INTERVAL_MS * 2);
      expect(late).toEqual([]);
    } finally {
      stack.simulator.configure({ stepMs: 150 });
    }
  });
});

describe('a subscriber who leaves and comes back over and over', () => {
  it('does not make the run polled more than about once per interval', async () => {
    const stack = await startStack({ stepMs: 60_000 }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS) });
    try {
      const { id } = await execute(stack);
      const startedAt = performance.now();
      for (let i = 0; i < 10; i++) {
        const w = watch<RunEvent>(i % 2 === 0 ? 'sse' : 'ws', stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } });
        await sleep(INTERVAL_MS / 3);
        await w.close();
      }
      const window = performance.now() - startedAt;
      const calls = runCalls(stack, id);
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.length).toBeLessThanOrEqual(window / INTERVAL_MS + 1);
    } finally {
      await stack.close();
    }
  });
});

describe('polls that waited for a slot', () => {
  it('keep a run’s calls an interval apart once they stop waiting', async () => {
    // A share of 8 leaves the token's polls one slot: each run's poll waits while the other's is
    // in flight, until the other run's subscriber leaves.
    const interval = 400;
    const stack = await startStack({ latencyMs: 150 }, { LIVE_POLL_INTERVAL_MS: String(interval), UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN: '8' });
    try {
      const workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
      const [a, b] = [stack.simulator.startEndlessRun(workflowId).id, stack.simulator.startEndlessRun(workflowId).id];
      const first = watch<RunEvent>('sse', stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id: a } });
      await sleep(60);
      const second = watch<RunEvent>('sse', stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id: b } });
      await sleep(interval * 5);
      await first.close();
      await sleep(interval * 4);
      await second.close();
      const calls = runCalls(stack, b).map((c) => c.startedAt);
      const gaps = calls.slice(1).map((at, i) => at - calls[i]!);
      expect(gaps.length).toBeGreaterThanOrEqual(6);
      // Counted from when a waiting poll's call went out, not from when its wait began (which
      // left the first poll after the wait ended about the wait's length early).
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(interval * 0.9);
    } finally {
      await stack.close();
    }
  });
});

describe('one WebSocket, several operations', () => {
  // graphql-ws answers a client's `complete` with return() on the operation's iterator, while the
  // socket stays open (as Apollo Client and urql keep it). An async generator parked awaiting the
  // next event would queue that return() until an event came (on a run that does not change,
  // never), keeping the subscription counted and its poller calling Altostrat.
  it('stops the poller of an operation the client completes while its socket stays open', async () => {
    const stack = await startStack({ stepMs: 60_000 }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS) });
    const client = wsClient(stack.url, { authorization: acme });
    try {
      const [kept, dropped] = [(await execute(stack)).id, (await execute(stack)).id];
      const heard = { [kept]: 0, [dropped]: 0 };
      const sink = (id: string) => ({ next: () => void heard[id]!++, error: () => undefined, complete: () => undefined });
      client.subscribe({ query: EXECUTION_UPDATED, variables: { id: kept } }, sink(kept));
      const unsubscribe = client.subscribe({ query: EXECUTION_UPDATED, variables: { id: dropped } }, sink(dropped));
      await until('both first events', () => heard[kept]! > 0 && heard[dropped]! > 0);
      unsubscribe();
      const leftAt = performance.now();
      await sleep(INTERVAL_MS * 6);
      const metrics = await (await fetch(stack.metricsUrl)).text();
      expect(/^live_subscriptions (\S+)$/m.exec(metrics)?.[1]).toBe('1');
      expect(runCalls(stack, dropped).filter((c) => c.startedAt > leftAt + INTERVAL_MS * 2)).toEqual([]);
      expect(runCalls(stack, kept).filter((c) => c.startedAt > leftAt + INTERVAL_MS * 2).length).toBeGreaterThan(0);
    } finally {
      await client.dispose();
      await stack.close();
    }
  });
});

describe('the same token, spelled differently', () => {
  // The scheme is case-insensitive: `Bearer X` and `bearer X` are one token to Altostrat, so one
  // poller and one allowance here.
  it('shares one poller across the spellings of the scheme', async () => {
    const stack = await startStack({ stepMs: 60_000 }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS) });
    const open: Array<Watch<RunEvent>> = [];
    try {
      const { id } = await execute(stack);
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        open.push(watch<RunEvent>('sse', stack.url, EXECUTION_UPDATED, { authorization: `${scheme} ${DEMO_TOKENS.acme}`, variables: { id } }));
      }
      await until('three streams open', () => open.every((w) => w.events.length > 0));
      stack.simulator.clearCalls();
      await sleep(INTERVAL_MS * 10);
      expect(runCalls(stack, id).length).toBeLessThanOrEqual(10 + 2);
    } finally {
      for (const w of open) await w.close();
      await stack.close();
    }
  });

  it('counts every spelling against the one token’s limit', async () => {
    const stack = await startStack({ stepMs: 60_000 }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS), LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN: '2' });
    const open: Array<Watch<RunEvent>> = [];
    try {
      const { id } = await execute(stack);
      for (const scheme of ['Bearer', 'Bearer', 'bearer']) {
        open.push(watch<RunEvent>('ws', stack.url, EXECUTION_UPDATED, { authorization: `${scheme} ${DEMO_TOKENS.acme}`, variables: { id } }));
      }
      await until('three answers', () => open.every((w) => w.events.length > 0 || !w.isOpen()));
      expect(open.map((w) => w.codes)).toEqual([[], [], ['RATE_LIMITED']]);
    } finally {
      for (const w of open) await w.close();
      await stack.close();
    }
  });
});

describe('limits', () => {
  it('answers RATE_LIMITED to the subscription past LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN, on either transport, and not to another token', async () => {
    const stack = await startStack({ stepMs: 60_000 }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS), LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN: '3' });
    const open: Array<Watch<RunEvent>> = [];
    try {
      const { id } = await execute(stack);
      for (const t of ['sse', 'ws', 'sse'] as const) open.push(watch<RunEvent>(t, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
      await until('three streams open', () => open.every((w) => w.events.length > 0));
      for (const t of ['sse', 'ws'] as const) {
        const extra = watch<RunEvent>(t, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } });
        await endOf(extra);
        expect(extra.codes).toEqual(['RATE_LIMITED']);
      }
      // Another token has its own allowance (its stream ends on Altostrat's 404, not the limit).
      const other = watch<RunEvent>('sse', stack.url, EXECUTION_UPDATED, { authorization: bearer(DEMO_TOKENS.globex), variables: { id } });
      await endOf(other);
      expect(other.codes).toEqual(['NOT_FOUND']);
      // Closing one makes room again.
      await open.shift()!.close();
      await sleep(INTERVAL_MS);
      const again = watch<RunEvent>('ws', stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } });
      open.push(again);
      await until('a stream in the freed place', () => again.events.length > 0 || !again.isOpen());
      expect(again.codes).toEqual([]);
      for (const w of open) expect(w.isOpen()).toBe(true);
    } finally {
      for (const w of open) await w.close();
      await stack.close();
    }
  });

  it('gives the allowance back when streams end on their own: completed, refused or not found', async () => {
    const stack = await startStack({ stepMs: 20 }, { LIVE_POLL_INTERVAL_MS: '30', LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN: '2' });
    try {
      for (const transport of ['sse', 'ws', 'sse', 'ws'] as const) {
        const { id } = await execute(stack);
        const pair = [id, 'fl_run_nosuchrun0'].map((runId) => watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id: runId } }));
        await Promise.all(pair.map((w) => endOf(w)));
        expect(pair.map((w) => w.codes)).toEqual([[], ['NOT_FOUND']]);
      }
      const metrics = await (await fetch(stack.metricsUrl)).text();
      expect(/^live_subscriptions (\S+)$/m.exec(metrics)?.[1]).toBe('0');
    } finally {
      await stack.close();
    }
  });

  it('answers RATE_LIMITED past LIVE_MAX_SUBSCRIPTIONS, whatever the token', async () => {
    const stack = await startStack({ stepMs: 60_000 }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS), LIVE_MAX_SUBSCRIPTIONS: '2' });
    const open: Array<Watch<RunEvent>> = [];
    try {
      const { id } = await execute(stack);
      for (const t of ['sse', 'ws'] as const) open.push(watch<RunEvent>(t, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
      await until('two streams open', () => open.every((w) => w.events.length > 0));
      const extra = watch<RunEvent>('ws', stack.url, EXECUTION_UPDATED, { authorization: bearer(DEMO_TOKENS.globex), variables: { id } });
      await endOf(extra);
      expect(extra.codes).toEqual(['RATE_LIMITED']);
    } finally {
      for (const w of open) await w.close();
      await stack.close();
    }
  });
});

describe('live metrics', () => {
  it('count open subscriptions, pollers and polls by outcome', async () => {
    const stack = await startStack({ stepMs: 60_000 }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS) });
    const open: Array<Watch<RunEvent>> = [];
    const metrics = async () => (await fetch(stack.metricsUrl)).text();
    const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    try {
      const { id } = await execute(stack);
      for (const t of ['sse', 'ws', 'sse'] as const) open.push(watch<RunEvent>(t, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } }));
      await until('three streams open', () => open.every((w) => w.events.length > 0));
      await until('three polls', () => runCalls(stack, id).length >= 3);
      const during = await metrics();
      expect(value(during, 'live_subscriptions')).toBe(3);
      expect(value(during, 'live_pollers')).toBe(1);
      expect(Number(/^live_polls_total\{outcome="ok"\} (\S+)$/m.exec(during)?.[1])).toBeGreaterThanOrEqual(3);
      expect(during).toMatch(/^live_event_latency_seconds_count \d+$/m);
      for (const w of open.splice(0)) await w.close();
      await sleep(INTERVAL_MS * 3);
      const after = await metrics();
      expect(value(after, 'live_subscriptions')).toBe(0);
      expect(value(after, 'live_pollers')).toBe(0);
    } finally {
      for (const w of open) await w.close();
      await stack.close();
    }
  });
});
