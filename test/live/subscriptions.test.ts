/**
 * executionUpdated and executionStarted as a frontend sees them, over GraphQL over SSE and over
 * graphql-ws, against the simulator's living runs: the run now, then its changes, then the end;
 * only runs started after subscribing, a burst larger than a page included; the codes that end a
 * stream; and a stream that outlives a transient upstream fault.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Fault, RecordedCall } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { endOf, EXECUTION_STARTED, EXECUTION_UPDATED, statusesOf, TRANSPORTS, watch, type RunEvent, type StartedEvent } from '../support/live.js';
import { until } from '../support/wait.js';

const INTERVAL_MS = 50;
let stack: Stack;
let workflowId: string;
let fault: ((call: RecordedCall) => Fault | undefined) | undefined;

beforeAll(async () => {
  stack = await startStack({ stepMs: 40, pageSize: 3, fault: (call) => fault?.(call) }, { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS) });
  workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
});
afterAll(() => stack.close());
beforeEach(() => {
  fault = undefined;
  stack.simulator.configure({ stepMs: 40 });
});

const acme = bearer(DEMO_TOKENS.acme);

async function execute(): Promise<string> {
  const response = await stack.gql(`mutation ($id: ID!) { executeWorkflow(input: { workflowId: $id }) { execution { id } } }`, { id: workflowId });
  expect(response.errors).toBeUndefined();
  return response.data.executeWorkflow.execution.id;
}

const TERMINAL = ['COMPLETED', 'FAILED'];

describe.each(TRANSPORTS)('over %s', (transport) => {
  describe('executionUpdated', () => {
    it('sends the run now, then its changes through at least two statuses, and completes after the terminal one', async () => {
      stack.simulator.configure({ stepMs: 60 });
      const id = await execute();
      const w = watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } });
      expect(await endOf(w)).toEqual({ kind: 'complete' });
      expect(w.codes).toEqual([]);
      expect(w.events.every((e) => e.executionUpdated.id === id)).toBe(true);
      const statuses = statusesOf(w.events);
      expect(statuses.length).toBeGreaterThanOrEqual(2);
      expect(TERMINAL).toContain(statuses.at(-1));
      expect(statuses.slice(0, -1).every((s) => !TERMINAL.includes(s))).toBe(true);
      // The last event is the run as it ended: every step it took has its log.
      const truth = stack.simulator.runsOf(workflowId).find((r) => r.id === id)!;
      expect(w.events.at(-1)!.executionUpdated.logs.map((l) => l.nodeId)).toEqual(truth.logs.map((l) => l.node_id));
      // Each event is a change: no two in a row are the same.
      const fingerprints = w.events.map((e) => `${e.executionUpdated.status}|${e.executionUpdated.logs.length}`);
      expect(new Set(fingerprints).size).toBe(fingerprints.length);
    });

    it('sends a run that already ended once, and completes', async () => {
      const done = stack.simulator.runsOf(workflowId).find((r) => r.status === 'completed')!;
      const w = watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id: done.id } });
      expect(await endOf(w)).toEqual({ kind: 'complete' });
      expect(w.events.map((e) => e.executionUpdated.status)).toEqual(['COMPLETED']);
    });

    it('keeps the stream open through a transient fault, then carries on to the end', async () => {
      stack.simulator.configure({ stepMs: 150 });
      const id = await execute();
      const path = `/workflows/runs/${id}`;
      const w = watch<RunEvent>(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id } });
      await until('the first event', () => w.events.length > 0);
      let faulted = 0;
      fault = (call) => (call.path === path && faulted < 8 ? (faulted++, { status: 503 }) : undefined);
      await until('eight polls answered 503', () => faulted >= 8);
      expect(w.isOpen()).toBe(true);
      expect(w.codes).toEqual([]);
      expect(await endOf(w)).toEqual({ kind: 'complete' });
      expect(w.codes).toEqual([]);
      expect(TERMINAL).toContain(statusesOf(w.events).at(-1));
    });
  });

  describe('executionStarted', () => {
    it('sends only runs started after subscribing: a burst larger than a page, each once, and a run started by executeWorkflow', async () => {
      const existing = new Set(stack.simulator.runsOf(workflowId).map((r) => r.id));
      const subscribedAt = performance.now();
      const w = watch<StartedEvent>(transport, stack.url, EXECUTION_STARTED, { authorization: acme, variables: { workflowId } });
      // The first poll takes the baseline; runs that arrive after it are new.
      const listPath = `/workflows/${workflowId}/executions`;
      await until('the first poll', () => stack.simulator.calls.some((c) => c.path === listPath && c.startedAt > subscribedAt && c.endedAt !== undefined));
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 2));
      const burst = stack.simulator.insertRuns(workflowId, 8).map((r) => r.id);
      await until('eight new runs', () => w.events.length >= 8);
      const started = await execute();
      await until('the executed run', () => w.events.some((e) => e.executionStarted.id === started));
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 3));
      await w.close();

      const ids = w.events.map((e) => e.executionStarted.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => existing.has(id))).toEqual([]);
      // Oldest first, as they started; the executed run last.
      expect(ids).toEqual([...[...burst].reverse(), started]);
      expect(w.codes).toEqual([]);
    });
  });

  describe('auth and missing objects end the stream with a code', () => {
    const cases: Array<[string, string | null, () => Record<string, unknown>, string, string]> = [
      ['no token', null, () => ({ id: stack.simulator.runsOf(workflowId)[0]!.id }), EXECUTION_UPDATED, 'UNAUTHENTICATED'],
      ['a token Altostrat refuses', bearer('not-a-real-token'), () => ({ id: stack.simulator.runsOf(workflowId)[0]!.id }), EXECUTION_UPDATED, 'UNAUTHENTICATED'],
      ['the suspended token', bearer(DEMO_TOKENS.suspended), () => ({ id: stack.simulator.runsOf(workflowId)[0]!.id }), EXECUTION_UPDATED, 'FORBIDDEN'],
      ['an unknown run', acme, () => ({ id: 'fl_run_nosuchrun0' }), EXECUTION_UPDATED, 'NOT_FOUND'],
      ['a run of another organisation', bearer(DEMO_TOKENS.globex), () => ({ id: stack.simulator.runsOf(workflowId)[0]!.id }), EXECUTION_UPDATED, 'NOT_FOUND'],
      ['an unknown workflow', acme, () => ({ workflowId: 'fl_nosuchworkflow0' }), EXECUTION_STARTED, 'NOT_FOUND'],
      ['no token on executionStarted', null, () => ({ workflowId }), EXECUTION_STARTED, 'UNAUTHENTICATED'],
      ['the suspended token on executionStarted', bearer(DEMO_TOKENS.suspended), () => ({ workflowId }), EXECUTION_STARTED, 'FORBIDDEN'],
    ];
    it.each(cases)('%s', async (_, authorization, variables, query, refusal) => {
      // Over WebSocket, a socket without a token is closed at connection_init, before any operation.
      const code = transport === 'ws' && authorization === null ? 'close 4401' : refusal;
      const w = watch(transport, stack.url, query, { authorization, variables: variables() });
      await endOf(w);
      expect(w.events).toEqual([]);
      expect(w.codes).toContain(code);
      expect(w.codes.every((c) => c === code)).toBe(true);
    });

    it('refuses a malformed id with BAD_USER_INPUT before any call', async () => {
      stack.simulator.clearCalls();
      const w = watch(transport, stack.url, EXECUTION_UPDATED, { authorization: acme, variables: { id: 'run-1' } });
      await endOf(w);
      expect(w.codes).toEqual(['BAD_USER_INPUT']);
      expect(stack.simulator.calls).toHaveLength(0);
    });
  });
});
