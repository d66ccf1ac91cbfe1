import { once } from 'node:events';
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cutWhenStalled } from './stalled.js';

// Far more than a loopback socket's buffers hold, so that a client that reads nothing stalls it.
const ANSWER = Buffer.alloc(64 * 1024 * 1024, 'x');
const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** A server answering every request with ANSWER under cutWhenStalled(stalledMs), counting how its answers ended. */
async function serve(stalledMs: number) {
  const ended = { taken: 0, cut: 0, connections: 0 };
  const server = createServer((_req, res) => {
    cutWhenStalled(res, stalledMs);
    // Node also emits 'finish' once a destroyed response closes: only one before that counts.
    let taken = false;
    res.on('finish', () => (taken ||= !res.destroyed)).on('close', () => (taken ? ended.taken++ : ended.cut++));
    res.end(ANSWER);
  });
  server.on('connection', () => ended.connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.closeAllConnections(), () => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, ended };
}

async function open(url: string, agent?: Agent): Promise<IncomingMessage> {
  const req = request(url, { agent }).on('error', () => {});
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  res.on('error', () => {});
  return res;
}

async function readAll(res: IncomingMessage): Promise<number> {
  let bytes = 0;
  for await (const chunk of res) bytes += (chunk as Buffer).length;
  return bytes;
}

describe('cutWhenStalled', () => {
  it('cuts a client that stops reading an answer it has not taken in time', async () => {
    const { url, ended } = await serve(300);
    const res = await open(url);
    res.pause(); // reads nothing more: the socket's buffers fill and the rest waits in the server
    for (let i = 0; i < 500 && ended.cut === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ended).toMatchObject({ taken: 0, cut: 1 });
    expect(res.complete).toBe(false);
  });

  it('lets a client that reads take the whole answer, and leaves its connection open afterwards', async () => {
    const { url, ended } = await serve(3_000);
    const agent = new Agent({ keepAlive: true });
    closers.push(() => agent.destroy());
    expect(await readAll(await open(url, agent))).toBe(ANSWER.length);
    await new Promise((resolve) => setTimeout(resolve, 3_500)); // longer than the stall time, idle
    expect(await readAll(await open(url, agent))).toBe(ANSWER.length);
    expect(ended).toEqual({ taken: 2, cut: 0, connections: 1 });
  });
});
