import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cutStalledConnections } from './stalled.js';

const STALLED_MS = 400;
const MB = 1024 * 1024;

/**
 * Writes `count` chunks of `chunk`, each when the one before it has been taken: the rule judges
 * a connection by its writes finishing, so a client that reads finishes one every few ms.
 */
function stream(res: ServerResponse, chunk: Buffer, count: number): void {
  void (async () => {
    for (let i = 0; i < count; i++) if (!res.write(chunk)) await once(res, 'drain');
    res.end();
  })().catch(() => {});
}
// 64 MB: far more than a loopback socket's buffers hold, so that a client that reads nothing stalls it.
const ANSWER_CHUNK = Buffer.alloc(MB, 'x');
const ANSWER_CHUNKS = 64;
const answer = (res: ServerResponse) => stream(res, ANSWER_CHUNK, ANSWER_CHUNKS);
const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** A server under cutStalledConnections, answering with `answer`, counting its connections, those closed and those cut. */
async function serve(answer: (res: ServerResponse) => void) {
  const sockets = { opened: 0, closed: 0, cut: 0 };
  const server = createServer((_req, res) => answer(res));
  server.on('connection', (socket: Socket) => {
    sockets.opened++;
    socket.on('close', () => sockets.closed++);
  });
  closers.push(cutStalledConnections(server, STALLED_MS, () => sockets.cut++));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.closeAllConnections(), () => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, sockets };
}

async function open(url: string, agent?: Agent): Promise<IncomingMessage> {
  const req = request(url, { agent }).on('error', () => {});
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  res.on('error', () => {});
  return res;
}

/** Reads the body until it ends or is cut: how many bytes; with `pauseMs`, stops that long after each chunk. */
async function readAll(res: IncomingMessage, pauseMs = 0): Promise<number> {
  let bytes = 0;
  try {
    for await (const chunk of res) {
      bytes += (chunk as Buffer).length;
      if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  } catch {
    // cut: the bytes so far
  }
  return bytes;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cutStalledConnections', () => {
  it('cuts a client that stops reading its answer', async () => {
    const { url, sockets } = await serve(answer);
    const res = await open(url);
    res.pause(); // reads nothing more: the socket's buffers fill and the rest waits in the server
    for (let i = 0; i < 300 && sockets.closed === 0; i++) await sleep(10);
    expect(sockets).toEqual({ opened: 1, closed: 1, cut: 1 });
    res.resume();
    expect(await readAll(res)).toBeLessThan(ANSWER_CHUNKS * MB);
  });

  it('leaves alone a client that reads its answers, and its connection idle between them', async () => {
    const { url, sockets } = await serve(answer);
    const agent = new Agent({ keepAlive: true });
    closers.push(() => agent.destroy());
    expect(await readAll(await open(url, agent))).toBe(ANSWER_CHUNKS * MB);
    await sleep(2 * STALLED_MS);
    expect(await readAll(await open(url, agent))).toBe(ANSWER_CHUNKS * MB);
    expect(sockets).toEqual({ opened: 1, closed: 0, cut: 0 });
  });

  it('leaves alone a client that reads a stream slowly, for longer than the stall time, behind full buffers', async () => {
    const chunk = Buffer.alloc(256 * 1024, 'y');
    const chunks = 64; // 16 MB: the socket's buffers stay full while the client takes its time
    const { url, sockets } = await serve((res) => stream(res, chunk, chunks));
    const started = performance.now();
    expect(await readAll(await open(url), 8)).toBe(chunks * chunk.length);
    expect(performance.now() - started).toBeGreaterThan(2 * STALLED_MS);
    expect(sockets).toEqual({ opened: 1, closed: 0, cut: 0 });
  });
});
