/**
 * The head of an SSE subscription's answer, which the gateway writes itself (src/sse.ts) from the
 * Response Yoga's plugins made: their headers reach the client (CORS for an allowed origin, the
 * request id it sent), then the stream's events; and each answer's headers are its own. An
 * answer that cannot be a stream (an Accept that takes none, a request pipelined behind another)
 * is refused with a coded error and holds nothing.
 */
import { request, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, stackWorld } from '../support/stack.js';
import { until } from '../support/wait.js';

const ORIGIN = 'https://app.example';
const world = stackWorld({}, { CORS_ORIGINS: ORIGIN, LIVE_POLL_INTERVAL_MS: '100' });
const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(world.stack.metricsUrl)).text())?.[1]);

/** Opens an SSE subscription to the run with raw node:http; resolves with the answer once its first event arrived. */
async function open(runId: string, origin: string, requestId: string): Promise<{ res: IncomingMessage; text: string; close(): void }> {
  const body = JSON.stringify({ query: 'subscription($id: ID!) { executionUpdated(id: $id) { id } }', variables: { id: runId } });
  const req = request(world.stack.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      accept: 'text/event-stream',
      authorization: bearer(DEMO_TOKENS.acme),
      origin,
      'x-request-id': requestId,
    },
  });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  res.setEncoding('utf8');
  let text = '';
  while (!text.includes('event: next')) text += String((await once(res, 'data'))[0]);
  return { res, text, close: () => req.destroy() };
}

describe('an SSE subscription’s answer', () => {
  it('carries the headers Yoga’s plugins set, then the events', async () => {
    const runId = world.stack.simulator.runsOf(world.workflowId)[0]!.id;
    const allowed = await open(runId, ORIGIN, 'sse-head-1');
    allowed.close();
    expect(allowed.res.statusCode).toBe(200);
    expect(allowed.res.headers['content-type']).toBe('text/event-stream');
    expect(allowed.res.headers['x-request-id']).toBe('sse-head-1');
    expect(allowed.res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(allowed.text.startsWith(':\n\n')).toBe(true);
    expect(allowed.text).toContain(`"executionUpdated":{"id":"${runId}"}`);

    // Each answer's own: nothing of the one before (its origin, its request id).
    const elsewhere = await open(runId, 'https://elsewhere.example', 'sse-head-2');
    elsewhere.close();
    expect(elsewhere.res.headers['access-control-allow-origin']).toBeUndefined();
    expect(elsewhere.res.headers['x-request-id']).toBe('sse-head-2');
  });
});

describe('a subscription asked with an Accept that takes no stream', () => {
  it('is answered 406 with a coded error saying what to accept, and holds nothing: no subscription, no poller', async () => {
    const runId = world.stack.simulator.runsOf(world.workflowId)[0]!.id;
    for (const accept of ['application/json', 'application/graphql-response+json', 'text/event-stream; charset=latin1', 'multipart/mixed']) {
      const response = await fetch(world.stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, authorization: bearer(DEMO_TOKENS.acme) },
        body: JSON.stringify({ query: 'subscription($id: ID!) { executionUpdated(id: $id) { id } }', variables: { id: runId } }),
      });
      expect(response.status).toBe(406);
      const { errors } = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
      expect(errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
      expect(errors[0]!.message).toContain('text/event-stream');
    }
    await until('the subscriptions ended', async () => (await metric('live_subscriptions')) === 0 && (await metric('live_pollers')) === 0, { everyMs: 50 });
  });
});

describe('subscriptions pipelined on one connection (HTTP/1.1)', () => {
  it('refuse a stream behind another answer at once, and leave nothing once the connection closes', async () => {
    const body = JSON.stringify({ query: 'subscription($id: ID!) { executionStarted(workflowId: $id) { id } }', variables: { id: world.workflowId } });
    const request =
      `POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\naccept: text/event-stream\r\n` +
      `authorization: ${bearer(DEMO_TOKENS.acme)}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const socket = connect(Number(new URL(world.stack.url).port), '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.write(request.repeat(3));
    // The first streams; the two behind it hold nothing while it does.
    await until('the first stream is open', () => received.includes('text/event-stream'));
    await until('one subscription is left', async () => (await metric('live_subscriptions')) === 1, { everyMs: 50 });
    socket.destroy();
    await until('nothing is left', async () => (await metric('live_subscriptions')) === 0 && (await metric('live_pollers')) === 0, { everyMs: 50 });
  });

  it('answer the refusal, once the answer ahead is done, as JSON with its code', async () => {
    const post = (body: string, accept: string) =>
      `POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\naccept: ${accept}\r\nx-request-id: piped\r\n` +
      `authorization: ${bearer(DEMO_TOKENS.acme)}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const subscription = JSON.stringify({ query: 'subscription($id: ID!) { executionStarted(workflowId: $id) { id } }', variables: { id: world.workflowId } });
    const socket = connect(Number(new URL(world.stack.url).port), '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    // The answer ahead waits on Altostrat, so the stream comes while that one is still pending.
    world.stack.simulator.configure({ latencyMs: 300 });
    try {
      socket.write(post(JSON.stringify({ query: '{ workflows(first: 1) { totalCount } }' }), 'application/json') + post(subscription, 'text/event-stream'));
      await until('both answers', () => received.includes('BAD_REQUEST'));
    } finally {
      world.stack.simulator.configure({ latencyMs: 0 });
      socket.destroy();
    }
    expect(received).toMatch(/^HTTP\/1\.1 200 [\s\S]*"totalCount"/);
    const refusal = received.slice(received.lastIndexOf('HTTP/1.1 '));
    expect(refusal).toMatch(/^HTTP\/1\.1 400 /);
    expect(refusal.toLowerCase()).toContain('content-type: application/json');
    expect(refusal.toLowerCase()).toContain('x-request-id: piped');
    expect(refusal.toLowerCase()).not.toContain('text/event-stream');
    expect(refusal.toLowerCase()).not.toContain('content-encoding');
    await until('nothing is left', async () => (await metric('live_subscriptions')) === 0, { everyMs: 50 });
  });
});
