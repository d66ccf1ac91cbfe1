/** The typed client's live example (examples/web-client/src/watch-run.ts) runs against the gateway. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun, watchRun, type RunUpdate } from '../../examples/web-client/src/watch-run.js';
import { DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
let workflowId: string;
beforeAll(async () => {
  stack = await startStack({ stepMs: 40 }, { LIVE_POLL_INTERVAL_MS: '50' });
  workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active && w.nodes.length >= 5)!.id;
});
afterAll(() => stack.close());

describe('the typed client’s live example', () => {
  it('starts a run with an idempotency key and watches it over SSE to its last status', async () => {
    const id = await startRun(stack.url, DEMO_TOKENS.acme, workflowId);
    expect(stack.simulator.calls.find((c) => c.method === 'POST')?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    const updates: RunUpdate[] = [];
    for await (const run of watchRun(stack.url, DEMO_TOKENS.acme, id)) updates.push(run);
    expect(updates.every((run) => run.id === id)).toBe(true);
    expect(new Set(updates.map((run) => run.status)).size).toBeGreaterThanOrEqual(2);
    const truth = stack.simulator.runsOf(workflowId).find((run) => run.id === id)!;
    expect(updates.at(-1)).toMatchObject({ status: truth.status.toUpperCase(), logs: truth.logs.map((l) => ({ nodeId: l.node_id })) });
  });

  it('throws the stream’s error code', async () => {
    const watching = (async () => {
      for await (const _ of watchRun(stack.url, DEMO_TOKENS.acme, 'fl_run_nosuchrun0'));
    })();
    await expect(watching).rejects.toThrow(/^NOT_FOUND: /);
  });

  it('runs from the command line and prints each status to the end', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'examples/web-client/src/watch-run.ts', stack.url, DEMO_TOKENS.acme, workflowId],
      { timeout: 30_000 },
    );
    const id = /^started (fl_run_\S+)$/m.exec(stdout)![1]!;
    const truth = stack.simulator.runsOf(workflowId).find((run) => run.id === id)!;
    expect(stdout).toMatch(/^(PENDING|RUNNING) /m);
    expect(stdout).toContain(`${id} ended ${truth.status.toUpperCase()}`);
  });
});
