/**
 * Each event of a subscription is resolved as a request of its own, over both transports: its
 * fields call Altostrat afresh (new loaders), within a call budget of their own (MAX_UPSTREAM_CALLS
 * per event, not per subscription) and a deadline of their own (REQUEST_TIMEOUT_MS from the event,
 * not from subscribing). Across events, a subscription's calls are bounded per minute
 * (LIVE_MAX_UPSTREAM_CALLS_PER_MINUTE): past it, the fields that needed a call fail with
 * RATE_LIMITED and no call is made.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { endOf, TRANSPORTS, watch } from '../support/live.js';

const REQUEST_TIMEOUT_MS = 300;
const acme = bearer(DEMO_TOKENS.acme);
/** Two calls per event: the run's workflow, and its stats. */
const WATCH = `subscription Watch($id: ID!) { executionUpdated(id: $id) { status workflow { name stats { totalRuns } } } }`;

interface Event {
  executionUpdated: { status: string; workflow: { name: string; stats: { totalRuns: number } | null } | null };
}

let fresh: Stack;
let bounded: Stack;
let workflowId: string;
beforeAll(async () => {
  [fresh, bounded] = await Promise.all([
    // Each event may make exactly the two calls it needs; the run outlives the deadline many times.
    startStack({ stepMs: 150 }, { LIVE_POLL_INTERVAL_MS: '40', MAX_UPSTREAM_CALLS: '2', REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }),
    startStack({ stepMs: 40 }, { LIVE_POLL_INTERVAL_MS: '20', LIVE_MAX_UPSTREAM_CALLS_PER_MINUTE: '4' }),
  ]);
  workflowId = fresh.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
});
afterAll(() => Promise.all([fresh.close(), bounded.close()]));

async function execute(stack: Stack): Promise<string> {
  const response = await stack.gql(`mutation ($id: ID!) { executeWorkflow(input: { workflowId: $id }) { execution { id } } }`, { id: workflowId });
  expect(response.errors).toBeUndefined();
  return response.data.executeWorkflow.execution.id;
}

const eventCalls = (stack: Stack) =>
  stack.simulator.calls.filter((c) => c.method === 'GET' && (c.path === `/workflows/${workflowId}` || c.path === `/workflows/${workflowId}/logs/stats`));

describe.each(TRANSPORTS)('over %s', (transport) => {
  it('resolves every event with new loaders, a call budget and a deadline of its own', async () => {
    const id = await execute(fresh);
    fresh.simulator.clearCalls();
    const w = watch<Event>(transport, fresh.url, WATCH, { authorization: acme, variables: { id } });
    expect(await endOf(w)).toEqual({ kind: 'complete' });
    expect(w.codes).toEqual([]);
    expect(w.events.length).toBeGreaterThanOrEqual(3);
    const name = fresh.simulator.workflowsOf(DEMO_TOKENS.acme).find((x) => x.id === workflowId)!.name;
    for (const event of w.events) expect(event.executionUpdated.workflow).toMatchObject({ name, stats: { totalRuns: expect.any(Number) } });
    // Two calls per event, none answered from an earlier event's cache.
    const calls = eventCalls(fresh);
    expect(calls).toHaveLength(2 * w.events.length);
    // What the deadline stands for: the last event's calls came long after the first event's deadline.
    expect(calls.at(-1)!.startedAt - calls[0]!.startedAt).toBeGreaterThan(REQUEST_TIMEOUT_MS);
  });

  it('bounds a subscription’s calls per minute: past the bound, fields fail with RATE_LIMITED and call nothing', async () => {
    const id = await execute(bounded);
    bounded.simulator.clearCalls();
    const w = watch<Event>(transport, bounded.url, WATCH, { authorization: acme, variables: { id } });
    expect(await endOf(w)).toEqual({ kind: 'complete' });
    expect(w.events.length).toBeGreaterThanOrEqual(3);
    // Two events' worth of calls, then none.
    expect(eventCalls(bounded)).toHaveLength(4);
    expect(w.events.slice(0, 2).every((e) => e.executionUpdated.workflow?.stats !== null)).toBe(true);
    expect(w.events.slice(2).every((e) => e.executionUpdated.workflow === null)).toBe(true);
    expect(w.codes.length).toBeGreaterThan(0);
    expect(new Set(w.codes)).toEqual(new Set(['RATE_LIMITED']));
    // Another subscription has a minute of its own.
    const other = watch<Event>(transport, bounded.url, WATCH, { authorization: acme, variables: { id } });
    expect(await endOf(other)).toEqual({ kind: 'complete' });
    expect(other.events[0]!.executionUpdated.workflow).not.toBeNull();
  });
});
