/**
 * The public port: GraphQL over HTTP and Server-Sent Events through the gateway, WebSocket
 * upgrades, `/ready`, and the limits every connection to it is held to, whatever it carries
 * (docs/guarantees.md, the table of limits). main.ts listens with it, and so do the tests.
 */
import { createServer, type Server } from 'node:http';
import type { Config } from './config.js';
import type { Gateway } from './server.js';
import { cutStalledConnections } from './stalled.js';
import { attachWebSockets, type WebSockets } from './websocket.js';

export interface PublicServer {
  server: Server;
  /** The WebSocket side: close it before the server, so its operations complete. */
  sockets: WebSockets;
}

export function createPublicServer(gateway: Gateway, config: Config): PublicServer {
  // Slow clients cannot hold a connection for Node's default five minutes, nor open without end.
  // Node checks those timeouts every connectionsCheckingInterval, 30 s by default: a second here,
  // so that a short HTTP_HEADERS_TIMEOUT_MS is kept to within about a second.
  const server = createServer(
    {
      // A GET carries its operation in the query string, held to MAX_BODY_BYTES as a body is
      // (body-limit.ts): the request line may take that much beside Node's own 16 KiB of headers.
      maxHeaderSize: config.maxBodyBytes + 16 * 1024,
      requestTimeout: config.httpRequestTimeoutMs,
      headersTimeout: config.httpHeadersTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, config.httpHeadersTimeoutMs),
    },
    (req, res) => {
      // Readiness, beside /health (liveness): a replica whose Redis is unreachable still serves,
      // its subscriptions polled for it alone, but should not be sent new work.
      if (req.method === 'GET' && req.url === '/ready') {
        const ready = gateway.ready();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready }));
        return;
      }
      gateway.handle(req, res);
    },
  );
  server.maxConnections = config.maxConnections;
  // A client that stops reading cannot hold its answers in memory (stalled.ts).
  server.once('close', cutStalledConnections(server, config.httpWriteStallTimeoutMs, () => gateway.metrics.stalledConnectionCut()));
  return { server, sockets: attachWebSockets(server, gateway, config) };
}
