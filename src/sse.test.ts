/**
 * EventStreams.send over a real socket: what a client reads for results, errors and the end, and
 * that a client going away ends the stream's source. (The whole path, Yoga included, is tested in
 * test/live with graphql-sse's client.)
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStreams } from './sse.js';
import { cutStalledConnections } from './stalled.js';
import { codedError, ErrorCode } from './errors.js';

/** An iterator the test feeds: each step is a result, an error to throw, or the end. */
class Feed implements AsyncIterator<ExecutionResult> {
  returned = false;
  private waiting: ((step: () => IteratorResult<ExecutionResult>) => void) | undefined;
  private queued: Array<() => IteratorResult<ExecutionResult>> = [];
  next(): Promise<IteratorResult<ExecutionResult>> {
    const step = this.queued.shift();
    if (step) return Promise.resolve().then(step);
    return new Promise<() => IteratorResult<ExecutionResult>>((resolve) => (this.waiting = resolve)).then((s) => s());
  }
  return(): Promise<IteratorResult<ExecutionResult>> {
    this.returned = true;
    this.push(() => ({ done: true, value: undefined }));
    return Promise.resolve({ done: true, value: undefined });
  }
  push(step: () => IteratorResult<ExecutionResult>): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(step);
    else this.queued.push(step);
  }
  result(value: ExecutionResult): void {
    this.push(() => ({ done: false, value }));
  }
  fail(error: unknown): void {
    this.push(() => {
      throw error;
    });
  }
  end(): void {
    this.push(() => ({ done: true, value: undefined }));
  }
}

let server: Server | undefined;
let stopCutting: (() => void) | undefined;
afterEach(() => {
  stopCutting?.();
  server?.close();
});

/** A server whose one answer is `feed`'s events; resolves with its URL and what countErrors saw. */
async function serve(feed: AsyncIterator<ExecutionResult>, { stalledMs, pingMs }: { stalledMs?: number; pingMs?: number } = {}) {
  const counted: ExecutionResult[] = [];
  const streams = new EventStreams((result) => counted.push(result), pingMs);
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => void streams.send(res, new Response(null, { headers: { 'content-type': 'text/event-stream', 'x-request-id': 'r-1' } }), feed));
  });
  if (stalledMs !== undefined) stopCutting = cutStalledConnections(server, stalledMs);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, counted };
}

/** Reads the whole answer as text. */
function read(url: string): Promise<{ headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    request(url, { method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ headers: res.headers, text }));
    })
      .on('error', reject)
      .end();
  });
}

const events = (text: string) =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => (block.startsWith('event: next\ndata: ') ? JSON.parse(block.slice('event: next\ndata: '.length)) : block));

describe('EventStreams.send', () => {
  it('writes the head it was given, a comment, each result, and `complete` at the end', async () => {
    const feed = new Feed();
    const { url } = await serve(feed);
    const answer = read(url);
    feed.result({ data: { n: 1 } });
    feed.result({ data: { n: 2 } });
    feed.end();
    const { headers, text } = await answer;
    expect(headers['content-type']).toBe('text/event-stream');
    expect(headers['x-request-id']).toBe('r-1');
    expect(events(text)).toEqual([':', { data: { n: 1 } }, { data: { n: 2 } }, 'event: complete\ndata:']);
  });

  it('codes every error, masks bugs, counts what it sends, and ends with the error that ended the stream', async () => {
    const feed = new Feed();
    const { url, counted } = await serve(feed);
    const answer = read(url);
    feed.result({ data: null, errors: [new GraphQLError('field failed', { path: ['n'], originalError: new Error('a secret of the server') })] });
    feed.result({ data: null, errors: [codedError(ErrorCode.UPSTREAM_ERROR, 'Altostrat failed.')] });
    feed.fail(codedError(ErrorCode.NOT_FOUND, 'No such run.'));
    const { text } = await answer;
    expect(text).not.toContain('secret');
    expect(events(text)).toEqual([
      ':',
      { data: null, errors: [{ message: 'Unexpected error.', path: ['n'], extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] },
      { data: null, errors: [{ message: 'Altostrat failed.', extensions: { code: ErrorCode.UPSTREAM_ERROR } }] },
      { errors: [{ message: 'No such run.', extensions: { code: ErrorCode.NOT_FOUND } }] },
      'event: complete\ndata:',
    ]);
    expect(counted.flatMap((r) => r.errors!.map((e) => e.extensions?.code))).toEqual([ErrorCode.INTERNAL_SERVER_ERROR, ErrorCode.UPSTREAM_ERROR, ErrorCode.NOT_FOUND]);
  });

  it('masks a thrown value that is not a GraphQL error', async () => {
    const feed = new Feed();
    const { url } = await serve(feed);
    const answer = read(url);
    feed.fail(new TypeError('a bug with a secret'));
    const { text } = await answer;
    expect(events(text)).toEqual([':', { errors: [{ message: 'Unexpected error.', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] }, 'event: complete\ndata:']);
  });

  it('ends the source when the client goes away', async () => {
    const feed = new Feed();
    const { url } = await serve(feed);
    const req = request(url, { method: 'POST' });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    await once(res, 'data');
    req.destroy();
    for (let i = 0; i < 200 && !feed.returned; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(feed.returned).toBe(true);
  });

  /** A source with an event of 64 KB always ready, as a busy subscription's would be. */
  function busySource() {
    const big = 'x'.repeat(1 << 16);
    const source = {
      pulled: 0,
      returned: false,
      next: () => {
        source.pulled++;
        return Promise.resolve({ done: false as const, value: { data: { big } } });
      },
      return: () => {
        source.returned = true;
        return Promise.resolve({ done: true as const, value: undefined });
      },
    };
    return source;
  }

  it('cuts off a client that stops reading once its socket has not drained for a while, and ends the source', async () => {
    const busy = busySource();
    const { url } = await serve(busy, { stalledMs: 300 });
    const req = request(url, { method: 'POST' }).on('error', () => {});
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.pause(); // reads nothing more: the buffers fill and the server's socket stops draining
    for (let i = 0; i < 400 && !busy.returned; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(busy.returned).toBe(true);
    const pulledAtCut = busy.pulled;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(busy.pulled).toBe(pulledAtCut);
    // It pulled only what the socket's buffers took before they filled (a few MB), not an endless queue.
    expect(pulledAtCut * 64 * 1024).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('EventStreams keep-alive', () => {
  it('writes a comment on a quiet stream every interval, between its events', async () => {
    const feed = new Feed();
    const { url } = await serve(feed, { pingMs: 30 });
    const req = request(url, { method: 'POST' });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let text = '';
    res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    // The comment at once, then two more while nothing happens (the test's timeout bounds the wait).
    while (events(text).filter((e) => e === ':').length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    feed.result({ data: { n: 1 } });
    feed.end();
    await once(res, 'end');
    const received = events(text);
    expect(received.slice(0, 3)).toEqual([':', ':', ':']);
    expect(received.slice(-2)).toEqual([{ data: { n: 1 } }, 'event: complete\ndata:']);
  });
});
