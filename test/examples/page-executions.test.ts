/** The typed client example (examples/web-client) runs against the gateway, so it can never rot. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionsOf, firstWorkflowId } from '../../examples/web-client/src/page-executions.js';
import { DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ pageSize: 15 });
});
afterAll(() => stack.close());

describe('the typed client example', () => {
  it('pages through every execution of a workflow with endCursor', async () => {
    const workflowId = await firstWorkflowId(stack.url, DEMO_TOKENS.acme);
    const ids: string[] = [];
    for await (const run of executionsOf(stack.url, DEMO_TOKENS.acme, workflowId)) ids.push(run.id);
    expect(ids).toEqual(stack.simulator.runsOf(workflowId).map((r) => r.id));
  });

  it('runs from the command line and prints every execution', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'examples/web-client/src/page-executions.ts', stack.url, DEMO_TOKENS.acme],
      { timeout: 30_000 },
    );
    const workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
    const runs = stack.simulator.runsOf(workflowId);
    expect(stdout).toContain(`${runs.length} executions`);
    // One line per execution, in the upstream's order.
    const printed = stdout.split('\n').map((line) => line.split(' ')[0]).filter((id) => id!.startsWith('fl_run_'));
    expect(printed).toEqual(runs.map((r) => r.id));
  });
});
