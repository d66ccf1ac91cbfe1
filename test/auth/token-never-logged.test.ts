/**
 * A token reaches Altostrat and nothing else: a run of varied requests with known tokens, every log
 * line the gateway wrote (at debug level) and every response body are searched for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, post, startStack, type Stack } from '../support/stack.js';

const token = DEMO_TOKENS.globex;
const unknownToken = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ';
const lines: string[] = [];
const bodies: string[] = [];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({}, { LOG_LEVEL: 'debug', UPSTREAM_RETRIES: '1' }, { write: (line: string) => void lines.push(line) });
});
afterAll(() => stack.close());

/** Sends a query and keeps the response body for the search. */
async function send(query: string, authorization: string, variables?: Record<string, unknown>) {
  const response = await post(stack.url, { query, variables }, { authorization, 'x-request-id': 'req-secrets-1' });
  bodies.push(await response.text());
  return response;
}

describe('tokens', () => {
  it('appear only in the headers the upstream received', async () => {
    const [workflow] = stack.simulator.workflowsOf(token);
    await send(`{ workflows { nodes { name executions(first: 3) { nodes { logs { status } } } } } }`, bearer(token));
    await send(`{ workflows { totalCount } }`, bearer(unknownToken)); // upstream 401
    await send(`{ workflows { totalCount } }`, `Token ${token}`); // malformed header
    await send(`query($t: String) { workflow(id: "${workflow!.id}") { executions(after: $t) { totalCount } } }`, bearer(token), {
      t: token, // a token pasted where a cursor belongs
    });
    // ... and where an id belongs: as an argument, a node id, an input's id.
    await send(`query($t: ID!) { workflow(id: $t) { name } execution(id: $t) { status } node(id: $t) { id } }`, bearer(token), { t: token });
    await send(`mutation($t: ID!) { executeWorkflow(input: { workflowId: $t }) { execution { id } } }`, bearer(token), { t: token });
    await send(`mutation($t: ID!) { resumeExecution(input: { executionId: "fl_run_a1", fromNodeId: $t }) { execution { id } } }`, bearer(token), { t: token });
    // ... and where an enum's value belongs.
    await send(`mutation($t: WorkflowScheduleType!) { updateWorkflow(input: { id: "${workflow!.id}", scheduleType: $t }) { workflow { id } } }`, bearer(token), { t: token });
    expect(JSON.parse(bodies.at(-1)!).errors[0].message).toMatch(/^Variable "\$t" got an invalid value: The value sent does not exist in "WorkflowScheduleType" enum/);
    // ... and where a date-time belongs.
    await send(`query($f: WorkflowLogFilter) { workflow(id: "${workflow!.id}") { logs(filter: $f) { nodes { id } } } }`, bearer(token), { f: { since: token } });
    // Altostrat's 422 quoting the Authorization header it got: its field message is relayed, the token masked.
    stack.simulator.configure({
      fault: (call) => (call.method === 'POST' ? { status: 422, body: JSON.stringify({ message: 'invalid', errors: { context: [`Not for ${call.authorization}.`] } }) } : undefined),
    });
    await send(`mutation($id: ID!) { executeWorkflow(input: { workflowId: $id, context: { a: 1 } }) { execution { id } } }`, bearer(token), { id: workflow!.id });
    expect(JSON.parse(bodies.at(-1)!).errors[0].extensions.fieldErrors).toEqual({ context: ['Not for Bearer [redacted].'] });
    // ... or naming the field it refused by the bare token: the name is masked too, in the message that lists it.
    stack.simulator.configure({
      fault: (call) => (call.method === 'POST' ? { status: 422, body: JSON.stringify({ type: 'invalid_request_error', code: 'bad', message: 'refused', param: `header.${call.authorization!.slice(7)}` }) } : undefined),
    });
    await send(`mutation($id: ID!) { executeWorkflow(input: { workflowId: $id }) { execution { id } } }`, bearer(token), { id: workflow!.id });
    const [refused] = JSON.parse(bodies.at(-1)!).errors;
    expect(refused.extensions.fieldErrors).toEqual({ 'header.[redacted]': ['refused'] });
    expect(refused.message).toContain('header.[redacted]');
    stack.simulator.configure({ fault: () => ({ status: 503 }) });
    await send(`{ workflow(id: "${workflow!.id}") { name } }`, bearer(token));
    stack.simulator.configure({ fault: () => ({ kind: 'malformed' }) });
    await send(`{ workflow(id: "${workflow!.id}") { name } }`, bearer(token));
    stack.simulator.configure({ fault: undefined });

    // The positive control: the upstream did get the token, so the search below can find it.
    expect(stack.simulator.calls.some((c) => c.authorization === bearer(token))).toBe(true);
    expect(lines.length).toBeGreaterThan(5);
    for (const secret of [token, unknownToken]) {
      expect(lines.filter((l) => l.includes(secret))).toEqual([]);
      expect(bodies.filter((b) => b.includes(secret))).toEqual([]);
    }
  });

  it('never appear in a logged upstream error, even when Altostrat echoes the Authorization header', async () => {
    lines.length = 0;
    const [workflow] = stack.simulator.workflowsOf(token);
    const [run] = stack.simulator.runsOf(workflow!.id);
    // A poller's transient fault is the upstream error the gateway logs (at warn), with its error
    // object: here its body quotes the header it got.
    stack.simulator.configure({ fault: (call) => ({ status: 503, body: JSON.stringify({ message: `no: ${call.authorization}` }) }) });
    const stream = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: bearer(token) },
      body: JSON.stringify({ query: `subscription($id: ID!) { executionUpdated(id: $id) { status } }`, variables: { id: run!.id } }),
    });
    const reader = stream.body!.getReader();
    for (let tries = 0; tries < 200 && !lines.some((l) => l.includes('live polling')); tries++) await new Promise((r) => setTimeout(r, 20));
    await reader.cancel();
    stack.simulator.configure({ fault: undefined });
    const logged = lines.filter((l) => l.includes('live polling'));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).toContain('"err"');
    expect(lines.filter((l) => l.includes(token))).toEqual([]);
  });

  it('leave a log line per request with its id, operation, duration and upstream cost, and no token', async () => {
    lines.length = 0;
    const response = await send(`query Latest { workflows(first: 2) { nodes { name } } }`, bearer(token));
    expect(response.headers.get('x-request-id')).toBe('req-secrets-1');
    const entry = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request');
    expect(entry).toMatchObject({ requestId: 'req-secrets-1', operationName: 'Latest', status: 200, upstreamCalls: 1 });
    expect(typeof entry.durationMs).toBe('number');
    expect(lines.filter((l) => l.includes(token))).toEqual([]);
    // The request id travels upstream too.
    expect(stack.simulator.calls.at(-1)!.requestId).toBe('req-secrets-1');
  });
});
