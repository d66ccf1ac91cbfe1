/**
 * The public port: GraphQL over HTTP and Server-Sent Events through the gateway, WebSocket
 * upgrades, `/ready`, and the limits every connection to it is held to, whatever it carries
 * (docs/guarantees.md, the table of limits). main.ts listens with it, and so do the tests.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from './config.js';
import { errorBody, ErrorCode, rawErrorAnswer } from './errors.js';
import { AUTHORIZATION_REPEATED, authorizationRepeated, HEADERS_TOO_LARGE, headersTooLarge, MAX_HEADER_BYTES } from './protection/headers.js';
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
      // (body-limit.ts): the request line may take that much beside the headers' own 16 KiB.
      maxHeaderSize: config.maxBodyBytes + MAX_HEADER_BYTES,
      requestTimeout: config.httpRequestTimeoutMs,
      headersTimeout: config.httpHeadersTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, config.httpHeadersTimeoutMs),
    },
    (req, res) => {
      if (headersTooLarge(req)) {
        res.writeHead(431, { 'content-type': 'application/json', connection: 'close' }).end(errorBody(ErrorCode.BAD_REQUEST, HEADERS_TOO_LARGE));
        return;
      }
      if (authorizationRepeated(req)) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(errorBody(ErrorCode.BAD_REQUEST, AUTHORIZATION_REPEATED));
        return;
      }
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
  // Every header counted against the 16 KiB (Node keeps only the first 2,000 otherwise, and the
  // rest would go uncounted); maxHeaderSize bounds them all.
  server.maxHeadersCount = 0;
  // A request Node's parser refuses gets the status Node would answer, with a coded JSON body. The
  // socket is ended, not cut, and what the client still sends is read and dropped (the parser
  // refuses it again, unanswered) for a little while, so that the client reads the answer rather
  // than a reset; then it is closed.
  const answered = new WeakSet<Socket>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    // As Node's own default (lib/_http_server.js): no answer into a response already begun.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, message] = clientErrorAnswer(error.code, config.maxBodyBytes);
    socket.end(rawErrorAnswer(status, ErrorCode.BAD_REQUEST, message));
    setTimeout(() => socket.destroy(), REFUSED_SOCKET_LINGER_MS).unref();
  });
  // A client that stops reading cannot hold its answers in memory (stalled.ts).
  server.once('close', cutStalledConnections(server, config.httpWriteStallTimeoutMs, () => gateway.metrics.stalledConnectionCut()));
  return { server, sockets: attachWebSockets(server, gateway, config) };
}

/** How long a socket whose request the parser refused is read, and its input dropped, after its answer. */
const REFUSED_SOCKET_LINGER_MS = 2_000;

/** The status and message for a request Node's parser refused (its own choice of status, lib/_http_server.js). */
function clientErrorAnswer(code: string | undefined, maxBodyBytes: number): [number, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, `The request's line and headers take more than ${maxBodyBytes + MAX_HEADER_BYTES} bytes: a GET's query string may take ${maxBodyBytes}, its headers ${MAX_HEADER_BYTES}.`];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, "The request's chunk extensions are too large."];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'The request took too long to arrive.'];
    default:
      return [400, 'This is not an HTTP request this server can read.'];
  }
}
