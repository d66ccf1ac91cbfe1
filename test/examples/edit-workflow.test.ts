/** The typed client example's "edit and validate a workflow" flow runs against the gateway, so it can never rot. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editWorkflow } from '../../examples/web-client/src/edit-workflow.js';
import { DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('the editor example', () => {
  it('validates a draft, fixes it, then creates, renames and deletes the workflow', async () => {
    const before = stack.simulator.workflowsOf(DEMO_TOKENS.acme).length;
    stack.simulator.clearCalls();
    const session = await editWorkflow(stack.url, DEMO_TOKENS.acme);
    expect(session).toEqual({
      draftErrors: ['A workflow must have exactly one trigger node (type "trigger"), found 0.'],
      fixedValid: true,
      workflowId: expect.stringMatching(/^fl_/),
      renamedTo: 'Core health check (5 min)',
      deleted: true,
    });
    expect(stack.simulator.calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path.replace(session.workflowId, '{id}')}`)).toEqual([
      'POST /workflows/validate',
      'POST /workflows/validate',
      'POST /workflows',
      'PUT /workflows/{id}',
      'DELETE /workflows/{id}',
    ]);
    expect(stack.simulator.workflowsOf(DEMO_TOKENS.acme)).toHaveLength(before);
  });

  it('runs from the command line and prints each step', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/web-client/src/edit-workflow.ts', stack.url, DEMO_TOKENS.acme], {
      timeout: 30_000,
    });
    expect(stdout).toMatch(/^draft: invalid \(A workflow must have exactly one trigger node/m);
    expect(stdout).toMatch(/^fixed: valid$/m);
    expect(stdout).toMatch(/^created fl_\w+ "Core health check" with 2 nodes$/m);
    expect(stdout).toMatch(/^deleted fl_\w+$/m);
  });
});
