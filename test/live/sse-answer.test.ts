/**
 * The head of an SSE subscription's answer, which the gateway writes itself (src/sse.ts) from the
 * Response Yoga's plugins made: their headers reach the client (CORS for an allowed origin, the
 * request id it sent), then the stream's events; and each answer's headers are its own.
 */
import { request, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, stackWorld } from '../support/stack.js';
import { until } from '../support/wait.js';

const ORIGIN = 'https://app.example';
const world = stackWorld({}, { CORS_ORIGINS: ORIGIN, LIVE_POLL_INTERVAL_MS: '100' });

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
  it('is answered 406 and holds nothing: no subscription, no poller', async () => {
    const runId = world.stack.simulator.runsOf(world.workflowId)[0]!.id;
    const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(world.stack.metricsUrl)).text())?.[1]);
    for (const accept of ['application/json', 'application/graphql-response+json', 'text/event-stream; charset=latin1']) {
      const response = await fetch(world.stack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept, authorization: bearer(DEMO_TOKENS.acme) },
        body: JSON.stringify({ query: 'subscription($id: ID!) { executionUpdated(id: $id) { id } }', variables: { id: runId } }),
      });
      expect(response.status).toBe(406);
      await response.arrayBuffer();
    }
    await until('the subscriptions ended', async () => (await metric('live_subscriptions')) === 0 && (await metric('live_pollers')) === 0, { everyMs: 50 });
  });
});
