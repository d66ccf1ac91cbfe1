/**
 * A subscription field takes its arguments as the document gives them, over both transports: a
 * literal id, or a variable of any name (graphql-jit once read the field's arguments from the
 * operation's variables, so only a variable named like the argument worked).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { endOf, TRANSPORTS, watch, type RunEvent, type StartedEvent } from '../support/live.js';
import { until } from '../support/wait.js';

const acme = bearer(DEMO_TOKENS.acme);
let stack: Stack;
let runId: string;
let workflowId: string;
beforeAll(async () => {
  stack = await startStack({ stepMs: 60_000 }, { LIVE_POLL_INTERVAL_MS: '30' });
  const workflow = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => stack.simulator.runsOf(w.id).some((r) => r.status === 'completed'))!;
  workflowId = workflow.id;
  runId = stack.simulator.runsOf(workflowId).find((r) => r.status === 'completed')!.id;
});
afterAll(() => stack.close());

describe.each(TRANSPORTS)('over %s', (transport) => {
  it.each([
    ['a literal id', () => `subscription { executionUpdated(id: "${runId}") { id status } }`, () => ({})],
    ['a variable named otherwise', () => `subscription Watch($run: ID!) { executionUpdated(id: $run) { id status } }`, () => ({ run: runId })],
    ['a literal id beside a variable of the selection', () => `subscription Watch($on: Boolean!) { executionUpdated(id: "${runId}") { id status @include(if: $on) } }`, () => ({ on: true })],
  ])('executionUpdated takes %s', async (_, query, variables) => {
    const w = watch<RunEvent>(transport, stack.url, query(), { authorization: acme, variables: variables() });
    expect(await endOf(w)).toEqual({ kind: 'complete' });
    expect(w.codes).toEqual([]);
    expect(w.events.map((e) => [e.executionUpdated.id, e.executionUpdated.status])).toEqual([[runId, 'COMPLETED']]);
  });

  it('executionStarted takes a literal workflow id, and a variable named otherwise', async () => {
    const literal = watch<StartedEvent>(transport, stack.url, `subscription { executionStarted(workflowId: "${workflowId}") { id } }`, { authorization: acme });
    const named = watch<StartedEvent>(transport, stack.url, `subscription ($wf: ID!) { executionStarted(workflowId: $wf) { id } }`, { authorization: acme, variables: { wf: workflowId } });
    const path = `/workflows/${workflowId}/executions`;
    const since = performance.now();
    await until('the baseline poll', () => stack.simulator.calls.some((c) => c.path === path && c.startedAt > since && c.endedAt !== undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [started] = stack.simulator.insertRuns(workflowId, 1).map((r) => r.id);
    await until('the new run on both', () => literal.events.length > 0 && named.events.length > 0);
    expect(literal.events.map((e) => e.executionStarted.id)).toEqual([started]);
    expect(named.events.map((e) => e.executionStarted.id)).toEqual([started]);
    expect([...literal.codes, ...named.codes]).toEqual([]);
    await Promise.all([literal.close(), named.close()]);
  });
});
