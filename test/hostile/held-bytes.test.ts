/**
 * What Altostrat's answers may hold of the gateway's memory while requests are in flight: a
 * request its UPSTREAM_MAX_REQUEST_BYTES, a token a quarter of UPSTREAM_MAX_HELD_BYTES across its
 * requests. Large answers come from the simulator (a run whose log output is long); the gateway's
 * own gauge says what is held.
 */
import { describe, expect, it } from 'vitest';
import type { RecordedCall } from '../../src/demo/simulator.js';
import { bearer, busiestWorkflow, DEMO_TOKENS, expectCode, startStack, type Stack } from '../support/stack.js';
import { until } from '../support/wait.js';

const runIdOf = (call: RecordedCall) => (call.path.startsWith('/workflows/runs/') ? call.path.slice('/workflows/runs/'.length) : undefined);

async function heldBytes(stack: Stack): Promise<number> {
  const text = await (await fetch(stack.metricsUrl)).text();
  return Number(/^upstream_answer_bytes_held (\d+)/m.exec(text)![1]);
}

describe('answers a request holds', () => {
  it('past UPSTREAM_MAX_REQUEST_BYTES, its further reads fail with BAD_USER_INPUT, and the next request has a bound of its own', async () => {
    const stack = await startStack(
      { inlineLogs: false, fault: (call) => (runIdOf(call) ? { kind: 'huge', bytes: 120_000, contentLength: false } : undefined) },
      { UPSTREAM_MAX_REQUEST_BYTES: '300000' },
    );
    try {
      const runs = stack.simulator.runsOf(busiestWorkflow(stack.simulator)).map((run) => run.id);
      const readRuns = (ids: string[]) => stack.gql(`{ ${ids.map((id, i) => `r${i}: execution(id: "${id}") { logs { output } }`).join(' ')} }`);
      const response = await readRuns(runs.slice(0, 5));
      const read = Object.values(response.data as Record<string, { logs: Array<{ output: string }> } | null>).filter((run) => run !== null);
      // Five answers of 120 KB do not fit in 300 KB: at most two of them are read whole.
      expect(read.length).toBeLessThanOrEqual(2);
      for (const run of read) expect(run.logs[0]!.output.length).toBeGreaterThan(100_000);
      expect(response.errors).toHaveLength(5 - read.length);
      for (const error of response.errors!) {
        expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', answerBytes: { limit: 300_000 } });
        expect(error.message).toContain('more than 300000 bytes');
      }
      expect(await heldBytes(stack)).toBe(0);

      // What it held was given back, and the next request has a bound of its own: two such answers fit.
      const next = await readRuns(runs.slice(5, 7));
      expect(next.errors).toBeUndefined();
      expect(Object.keys(next.data)).toHaveLength(2);
    } finally {
      await stack.close();
    }
  });
});

describe('answers dropped', () => {
  it('are given back at once: a large error page retried does not count against the answer that follows', async () => {
    let attempts = 0;
    const stack = await startStack(
      {
        fault: (call) => {
          if (runIdOf(call) === undefined) return undefined;
          return ++attempts === 1 ? { status: 503, body: JSON.stringify({ message: 'x'.repeat(200_000) }) } : { kind: 'huge', bytes: 200_000, contentLength: true };
        },
      },
      { UPSTREAM_MAX_REQUEST_BYTES: '300000' },
    );
    try {
      const [run] = stack.simulator.runsOf(busiestWorkflow(stack.simulator));
      const response = await stack.gql(`{ execution(id: "${run!.id}") { logs { output } } }`);
      expect(response.errors).toBeUndefined();
      expect(response.data.execution.logs[0].output.length).toBeGreaterThan(150_000);
      expect(attempts).toBe(2);
      expect(await heldBytes(stack)).toBe(0);
    } finally {
      await stack.close();
    }
  });
});

describe("answers a token's requests hold together", () => {
  it('past a quarter of UPSTREAM_MAX_HELD_BYTES, a read of the same token is RATE_LIMITED while another token reads; both read again once it is given back', async () => {
    let stalled: string | undefined;
    const stack = await startStack(
      {
        inlineLogs: false,
        fault: (call) => {
          const runId = runIdOf(call);
          if (runId === undefined) return undefined;
          return runId === stalled ? { kind: 'stall' } : { kind: 'huge', bytes: 150_000, contentLength: true };
        },
      },
      // A token may hold 200 KB: one answer, not two.
      { UPSTREAM_MAX_HELD_BYTES: '800000', UPSTREAM_TIMEOUT_MS: '3000', UPSTREAM_RETRIES: '0' },
    );
    try {
      const [first, second, third] = stack.simulator.runsOf(busiestWorkflow(stack.simulator));
      stalled = second!.id;
      const globexWorkflow = stack.simulator.workflowsOf(DEMO_TOKENS.globex).find((workflow) => stack.simulator.runsOf(workflow.id).length > 0)!;
      const globexRun = stack.simulator.runsOf(globexWorkflow.id)[0]!.id;
      const readRun = (runId: string, token: string = DEMO_TOKENS.acme) =>
        stack.gql(`{ execution(id: "${runId}") { logs { output } } }`, {}, { authorization: bearer(token) });

      // One request holds a large answer while another of its reads gets none.
      const holding = stack.gql(`{ a: execution(id: "${first!.id}") { logs { output } } b: execution(id: "${second!.id}") { status } }`);
      await until('the first answer is held', async () => (await heldBytes(stack)) >= 150_000);

      const refused = await readRun(third!.id);
      expect(expectCode(refused, 'RATE_LIMITED', ['execution']).message).toContain('200000 bytes');
      const otherToken = await readRun(globexRun, DEMO_TOKENS.globex);
      expect(otherToken.errors).toBeUndefined();
      expect(otherToken.data.execution.logs[0].output.length).toBeGreaterThan(140_000);

      const held = await holding;
      expect(held.data!.a.logs[0].output.length).toBeGreaterThan(140_000);
      expectCode(held, 'UPSTREAM_ERROR', ['b']);
      expect(await heldBytes(stack)).toBe(0);
      const again = await readRun(third!.id);
      expect(again.errors).toBeUndefined();
    } finally {
      await stack.close();
    }
  });
});
