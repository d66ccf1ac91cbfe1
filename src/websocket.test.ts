/**
 * The WebSocket keep-alive (docs/guarantees.md, "Live subscriptions"): every socket is pinged each
 * interval, and one that does not answer a ping within an interval is cut, so that a peer gone
 * silent does not hold its connection and subscriptions. The interval is shortened here from the
 * contract's 15 s; real sockets on 127.0.0.1, a real `ws` client. And the client address the
 * per-address allowance counts, behind trusted proxies or none.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from './config.js';
import { createGateway } from './server.js';
import { attachWebSockets, clientAddress, type WebSockets } from './websocket.js';

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
  await sockets.close(Date.now() + 1_000);
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

describe('the client address', () => {
  const upgrade = (forwardedFor?: string | string[]) =>
    ({ socket: { remoteAddress: '10.0.0.7' } as Socket, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as IncomingMessage;

  it('is the socket’s own when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress(upgrade('198.51.100.1'), 0)).toBe('10.0.0.7');
    expect(clientAddress(upgrade(), 0)).toBe('10.0.0.7');
  });

  it('is the entry the outermost trusted proxy appended, not what the client wrote before it', () => {
    // One load balancer (10.0.0.7) that appended the address it was called from.
    expect(clientAddress(upgrade('198.51.100.1'), 1)).toBe('198.51.100.1');
    expect(clientAddress(upgrade('203.0.113.9, 198.51.100.1'), 1)).toBe('198.51.100.1');
    expect(clientAddress(upgrade(['203.0.113.9', '198.51.100.1']), 1)).toBe('198.51.100.1');
    // Two proxies: a CDN, then the load balancer.
    expect(clientAddress(upgrade('203.0.113.9, 198.51.100.1, 192.0.2.4'), 2)).toBe('198.51.100.1');
  });

  it('is the farthest address known when the header holds fewer entries than trusted proxies', () => {
    expect(clientAddress(upgrade(), 1)).toBe('10.0.0.7');
    expect(clientAddress(upgrade(' , '), 2)).toBe('10.0.0.7');
    expect(clientAddress(upgrade('198.51.100.1'), 3)).toBe('198.51.100.1');
  });
});
