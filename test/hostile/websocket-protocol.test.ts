/**
 * The GraphQL over WebSocket protocol as graphql-ws's PROTOCOL.md states it, with raw sockets and
 * the real graphql-ws client: an id the client completed is free to use again ("Once a client
 * completes an operation, it is free to re-use that ID"), however soon, and whether the operation
 * had started or not; an id of an operation still running closes the socket (4409), and nothing
 * of it outlives the socket; a message of a type only a server sends is not of the protocol (4400),
 * not an error of the server.
 */
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { EXECUTION_STARTED, EXECUTION_UPDATED } from '../support/live.js';
import { initSocket, openSocket } from '../support/websocket.js';
import { until } from '../support/wait.js';

const acme = bearer(DEMO_TOKENS.acme);
const lines: string[] = [];
let stack: Stack;
let workflowId: string;

beforeAll(async () => {
  const logs = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  stack = await startStack({ stepMs: 60_000 }, { LIVE_POLL_INTERVAL_MS: '100', LOG_LEVEL: 'info' }, logs);
  workflowId = stack.simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active)!.id;
});
afterAll(() => stack.close());

/** A new run of the workflow, PENDING for the whole file (steps take a minute). */
async function startRun(): Promise<string> {
  const response = await stack.gql(`mutation ($id: ID!) { executeWorkflow(input: { workflowId: $id }) { execution { id } } }`, { id: workflowId });
  return response.data.executeWorkflow.execution.id;
}

const liveSubscriptions = async () => Number(/^live_subscriptions (\d+)$/m.exec(await (await fetch(stack.metricsUrl)).text())![1]);
const noneLeft = () => until('no subscription is left', async () => (await liveSubscriptions()) === 0, { timeoutMs: 5_000, everyMs: 50 });
const errorLines = () => lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
/** The socket's close, or undefined if it is still open after `ms`. */
const closedWithin = <T>(closed: Promise<T>, ms: number) => Promise.race([closed, new Promise<undefined>((resolve) => setTimeout(resolve, ms))]);

describe('operation ids', () => {
  it('may be used again at once once the client completed the operation, in mid-stream', async () => {
    const id = await startRun();
    const { socket, acked, closed } = await initSocket(stack.url, { authorization: acme });
    expect(acked).toBe(true);
    const got: Array<{ type: string; id?: string }> = [];
    socket.on('message', (data: Buffer) => got.push(JSON.parse(data.toString()) as { type: string }));
    const subscribe = JSON.stringify({ id: 'watch', type: 'subscribe', payload: { query: EXECUTION_UPDATED, variables: { id } } });
    socket.send(subscribe);
    await until('the first event', () => got.some((m) => m.type === 'next'));
    // Both in one turn, as a component that re-renders sends them.
    socket.send(JSON.stringify({ id: 'watch', type: 'complete' }));
    socket.send(subscribe);
    await until('the second subscription’s first event', () => got.filter((m) => m.type === 'next').length === 2);
    expect(await closedWithin(closed, 300)).toBeUndefined();
    expect(got.filter((m) => m.type === 'complete')).toEqual([]);
    expect(await liveSubscriptions()).toBe(1);
    socket.close();
    await noneLeft();
  });

  it('may be used again once the client completed the operation before it started; the first never runs on', async () => {
    const { socket, acked, closed } = await initSocket(stack.url, { authorization: acme });
    expect(acked).toBe(true);
    const got: Array<{ type: string }> = [];
    socket.on('message', (data: Buffer) => got.push(JSON.parse(data.toString()) as { type: string }));
    // An id longer than a close frame's reason may be (123 bytes).
    const id = 'A'.repeat(200);
    const subscribe = JSON.stringify({ id, type: 'subscribe', payload: { query: EXECUTION_STARTED, variables: { workflowId } } });
    socket.send(subscribe);
    socket.send(JSON.stringify({ id, type: 'complete' }));
    socket.send(subscribe);
    await until('one subscription runs', async () => (await liveSubscriptions()) === 1, { timeoutMs: 5_000, everyMs: 50 });
    const run = await startRun();
    await until('the run reached the subscriber', () => got.some((m) => m.type === 'next'));
    expect(got.filter((m) => m.type === 'next').map((m) => JSON.stringify(m))).toEqual([expect.stringContaining(run)]);
    expect(await closedWithin(closed, 200)).toBeUndefined();
    expect(await liveSubscriptions()).toBe(1);
    socket.close();
    await noneLeft();
  });

  it('close the socket (4409) when reused while the operation runs; nothing of the socket outlives it', async () => {
    const { socket, acked, closed } = await initSocket(stack.url, { authorization: acme });
    expect(acked).toBe(true);
    const subscribe = JSON.stringify({ id: 'twice', type: 'subscribe', payload: { query: EXECUTION_STARTED, variables: { workflowId } } });
    socket.send(subscribe);
    socket.send(subscribe);
    expect((await closedWithin(closed, 3_000))?.code).toBe(4409);
    await noneLeft();
  });

  it('from the graphql-ws client’s own ids: watching a run again at once leaves the socket’s other operations alone', async () => {
    const [watched, other] = [await startRun(), await startRun()];
    const client = createClient({
      url: stack.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: acme },
      retryAttempts: 0,
      generateID: (payload) => `watch:${JSON.stringify(payload.variables)}`,
    });
    const heard: string[] = [];
    const sink = (tag: string) => ({
      next: () => void heard.push(`${tag}:next`),
      error: (error: unknown) => void heard.push(`${tag}:error:${String((error as { code?: number }).code)}`),
      complete: () => void heard.push(`${tag}:complete`),
    });
    try {
      client.subscribe({ query: EXECUTION_UPDATED, variables: { id: other } }, sink('other'));
      const unsubscribe = client.subscribe({ query: EXECUTION_UPDATED, variables: { id: watched } }, sink('first'));
      await until('both first events', () => heard.includes('first:next') && heard.includes('other:next'));
      unsubscribe();
      client.subscribe({ query: EXECUTION_UPDATED, variables: { id: watched } }, sink('second'));
      await until('the second subscription’s first event', () => heard.includes('second:next'));
      expect(heard.filter((event) => event.includes(':error'))).toEqual([]);
      expect(await liveSubscriptions()).toBe(2);
    } finally {
      await client.dispose();
    }
  });
});

/** A socket whose operation `x` has its upstream call in flight (a read is not cut: it unwinds when its call ends). */
async function slowOperation() {
  stack.simulator.configure({ latencyMs: 300 });
  const opened = await initSocket(stack.url, { authorization: acme });
  expect(opened.acked).toBe(true);
  stack.simulator.clearCalls();
  opened.socket.send(JSON.stringify({ id: 'x', type: 'subscribe', payload: { query: '{ workflows { nodes { id } } }' } }));
  await until('its call is in flight', () => stack.simulator.calls.length === 1);
  return opened;
}

/** A `subscribe` of a mutation document of `writes` runs started with `context: { n }`. */
const write = (id: string, n: number, writes = 1) =>
  JSON.stringify({
    id,
    type: 'subscribe',
    payload: { query: `mutation { ${Array.from({ length: writes }, (_, i) => `w${i}: executeWorkflow(input: { workflowId: "${workflowId}", context: { n: ${n} } }) { execution { id } }`).join(' ')} }` },
  });
const complete = (id: string) => JSON.stringify({ id, type: 'complete' });
const posts = () => stack.simulator.calls.filter((call) => call.method === 'POST');
/** Every upstream call ended, and a while more for any that would follow. */
const settled = async () => {
  await until('every call ended', () => stack.simulator.calls.every((call) => call.endedAt !== undefined), { timeoutMs: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 300));
};

describe('an id the client completed while its operation still unwinds', () => {
  afterEach(() => stack.simulator.configure({ latencyMs: 0 }));

  it('holds one subscribe of it at a time, the last, and runs it once the id is let go', async () => {
    const { socket, closed } = await slowOperation();
    try {
      socket.send(complete('x'));
      socket.send(write('x', 1));
      socket.send(complete('x'));
      socket.send(write('x', 2));
      await until('the last write was sent', () => posts().length > 0, { timeoutMs: 5_000 });
      await settled();
      expect(posts().map((call) => call.body)).toEqual([{ context: { n: 2 } }]);
      expect(await closedWithin(closed, 0)).toBeUndefined();
    } finally {
      socket.close();
    }
  });

  it('closes the socket (4409) for a second subscribe of it while one waits', async () => {
    const { socket, closed } = await slowOperation();
    socket.send(complete('x'));
    socket.send(write('x', 1));
    socket.send(write('x', 2));
    expect((await closedWithin(closed, 3_000))?.code).toBe(4409);
    await settled();
    expect(posts()).toEqual([]);
  });

  it('never starts the subscribe waiting for it when the socket closes', async () => {
    const { socket, closed } = await slowOperation();
    socket.send(complete('x'));
    socket.send(write('x', 1));
    socket.send(JSON.stringify({ id: 'y', type: 'subscribe', payload: { query: EXECUTION_STARTED, variables: { workflowId } } }));
    socket.close();
    await closed;
    await settled();
    expect(posts()).toEqual([]);
    await noneLeft();
  });
});

describe('a socket closing (its close frame sent or received, its connection not yet ended)', () => {
  // The client stops reading (socket.pause()): a busy or backgrounded client, a lossy link. The
  // socket stays CLOSING until ws gives up on it, and nothing of its work may go on meanwhile.
  afterEach(() => stack.simulator.configure({ latencyMs: 0 }));

  it('starts no subscribe held for a completed id once the client has begun to close', async () => {
    const { socket, closed } = await slowOperation();
    socket.send(complete('x'));
    socket.send(write('x', 1));
    socket.close();
    socket.pause();
    await settled();
    expect(posts()).toEqual([]);
    socket.terminate();
    await closed;
  });

  it('starts no held subscribe once the server has closed the socket for a duplicate (4409)', async () => {
    const { socket, closed } = await slowOperation();
    socket.send(complete('x'));
    socket.send(write('x', 1));
    socket.send(write('x', 2));
    socket.pause();
    await settled();
    expect(posts()).toEqual([]);
    socket.resume();
    expect((await closed).code).toBe(4409);
  });

  it('sends no further write of a running mutation document once the client has begun to close', async () => {
    stack.simulator.configure({ latencyMs: 300 });
    stack.simulator.clearCalls();
    const { socket, closed } = await initSocket(stack.url, { authorization: acme });
    socket.send(write('m', 1, 2));
    await until('the first write is in flight', () => posts().length === 1);
    socket.close();
    socket.pause();
    await settled();
    expect(posts()).toHaveLength(1);
    socket.terminate();
    await closed;
  });
});

describe('a message of a type only a server sends', () => {
  it.each([{ type: 'connection_ack' }, { type: 'next', id: '1', payload: { data: {} } }, { type: 'error', id: '1', payload: [{ message: 'x' }] }])(
    'closes the socket with 4400 after connection_init, and logs no error: %j',
    async (message) => {
      const before = errorLines().length;
      const { socket, acked, closed } = await initSocket(stack.url, { authorization: acme });
      expect(acked).toBe(true);
      socket.send(JSON.stringify(message));
      expect((await closedWithin(closed, 2_000))?.code).toBe(4400);
      expect(errorLines().slice(before)).toEqual([]);
    },
  );

  it('closes the socket with 4400 before connection_init too, and logs no error', async () => {
    const before = errorLines().length;
    const opened = await openSocket(stack.url);
    if (opened.kind !== 'open') throw new Error('upgrade refused');
    opened.socket.send(JSON.stringify({ type: 'next', id: '1', payload: {} }));
    expect((await closedWithin(opened.closed, 2_000))?.code).toBe(4400);
    expect(errorLines().slice(before)).toEqual([]);
  });
});
