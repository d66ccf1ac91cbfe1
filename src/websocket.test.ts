/**
 * The WebSocket keep-alive (docs/guarantees.md, "Live subscriptions"): every socket is pinged each
 * interval, and one that does not answer a ping within an interval is cut, so that a peer gone
 * silent does not hold its connection and subscriptions. The interval is shortened here from the
 * contract's 15 s; real sockets on 127.0.0.1, a real `ws` client.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from './config.js';
import { createGateway } from './server.js';
import { attachWebSockets, type WebSockets } from './websocket.js';

const INTERVAL_MS = 100;
let server: Server;
let sockets: WebSockets;
let url: string;

beforeAll(async () => {
  // No call reaches the upstream here: only the sockets' pings are looked at.
  const config = loadConfig({ ALTOSTRAT_API_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'silent', METRICS_PORT: '0' });
  const gateway = createGateway({ config, upstreamUrl: 'http://127.0.0.1:9' });
  server = createServer((req, res) => gateway.handle(req, res));
  sockets = attachWebSockets(server, gateway, config, INTERVAL_MS);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  await sockets.close();
  server.close();
});

/** Opens a socket that answers pings (as every WebSocket client does) or not, counting the pings it gets. */
async function open(answersPings: boolean) {
  const socket = new WebSocket(url, 'graphql-transport-ws', { autoPong: answersPings });
  const seen = { pings: 0, closeCode: undefined as number | undefined };
  socket.on('ping', () => seen.pings++);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', (code) => {
      seen.closeCode = code;
      resolve();
    }),
  );
  await once(socket, 'open');
  return { socket, seen, closed };
}

describe('WebSocket keep-alive', () => {
  it('pings every socket each interval, and cuts the one that does not answer within an interval', async () => {
    const answering = await open(true);
    const silent = await open(false);
    await silent.closed;
    // Pinged, then cut an interval later with no pong (1006: no close frame, the socket was destroyed).
    expect(silent.seen.pings).toBeGreaterThanOrEqual(1);
    expect(silent.seen.closeCode).toBe(1006);
    // The socket that answers stays open, pinged at every interval.
    const pingsSoFar = answering.seen.pings;
    await new Promise((resolve) => setTimeout(resolve, 4 * INTERVAL_MS));
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
    expect(answering.seen.pings).toBeGreaterThanOrEqual(pingsSoFar + 2);
    answering.socket.close();
    await answering.closed;
  });
});
