/**
 * The GraphQL over WebSocket protocol (graphql-ws, what Apollo Client and urql speak) on the same
 * `/graphql` as HTTP and Server-Sent Events, held to the same guarantees (docs/guarantees.md,
 * "Limits against hostile callers" and "Live subscriptions"):
 * - Every operation passes the gate an HTTP request's parameters pass, Yoga's own
 *   `getResultForParams`: trusted documents, parse and validation limits, introspection, the
 *   upstream-call budget, error masking. It does so as a stand-in POST request that carries the
 *   socket's token, so the context reads it as it reads any request's, and it gets a request id
 *   and a log line of its own. Mutations run as over HTTP, with the same limits.
 * - The upgrade is refused (HTTP 403) from a browser Origin that CORS_ORIGINS does not allow, and
 *   (HTTP 429) past WS_MAX_CONNECTIONS_PER_ADDRESS sockets from one client address (behind
 *   TRUSTED_PROXY_HOPS proxies, the one they forwarded).
 * - A client's `complete` stops its operation's work at once (a mutation document still running
 *   sends no further write), though the operation counts against the socket's operations until
 *   graphql-ws has let go of its id. A `subscribe` reusing the id of an operation the client
 *   completed waits for that (one at a time per id; a second is a duplicate, 4409; none starts
 *   once the socket is closing); one reusing the id of an operation still running closes the
 *   socket (4409), as the protocol says. A message of a type only a server sends closes it (4400).
 *   Once either side begins to close, the socket's work stops, as over HTTP when the client goes.
 * - Browsers cannot set headers on a WebSocket, so the token comes in the `connection_init`
 *   payload `{ "authorization": "Bearer ..." }`, checked as HTTP checks its header before anything
 *   is built from it; a socket without a valid one is closed (4401). Past
 *   WS_MAX_CONNECTIONS_PER_TOKEN sockets of one token, 4429. A socket with no operation running
 *   for WS_IDLE_TIMEOUT_MS, 4408; a message over MAX_BODY_BYTES, 1009.
 * - A socket holds one close listener and its timers; an operation holds its stand-in request
 *   only while it runs, so memory does not grow with the operations a socket has run.
 * graphql-ws's `makeServer` speaks the protocol. The glue to `ws` is here rather than graphql-ws's
 * `useServer`, which prints errors (with what caused them) to the console: here they go to the
 * logger, scrubbed, and nothing is printed.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { handleProtocols, makeServer } from 'graphql-ws';
import { GraphQLError, parse, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { isAsyncIterable, type GraphQLParams } from 'graphql-yoga';
import type { Config } from './config.js';
import type { Gateway } from './server.js';
import { bearerAuthorization } from './context.js';
import { codedError, ErrorCode, formattedError, rawErrorAnswer, UNEXPECTED, withCode } from './errors.js';
import { requestStats, type OperationOutcome } from './logging.js';
import { KEEP_ALIVE_MS } from './subscription-events.js';
import { HEADERS_TOO_LARGE, headersTooLarge } from './protection/headers.js';
import { ANSWER_TOO_LARGE, isAnswerTooLarge } from './protection/answer-bytes.js';

/** How often a shutdown looks whether the sockets' queries and mutations have been answered. */
const DRAIN_CHECK_MS = 10;

/** Operations one socket may have running at once: a socket is one connection, as an HTTP request is. */
const MAX_OPERATIONS_PER_SOCKET = 100;

/** The close codes this server sends (docs/guarantees.md, "Live subscriptions"). */
const WsCloseCode = {
  /** No `authorization` (in any letter case) in `connection_init`, or not a `Bearer <token>` HTTP would accept. */
  UNAUTHORIZED: 4401,
  /** No `connection_init` within 3 s (graphql-ws), or no operation running for WS_IDLE_TIMEOUT_MS. */
  IDLE: 4408,
  /** A `subscribe` with the id of an operation of the socket still running (graphql-ws's own code for it). */
  DUPLICATE_ID: 4409,
  /** The token already holds WS_MAX_CONNECTIONS_PER_TOKEN sockets. */
  TOO_MANY_FOR_TOKEN: 4429,
  /** A message of a type only a server sends (graphql-ws closes on other malformed ones itself). */
  BAD_MESSAGE: 4400,
  /** A bug, logged. */
  INTERNAL: 4500,
} as const;

/** What the protocol's hooks know of a socket. */
interface SocketState {
  socket: WebSocket;
  /** The validated Authorization header, once `connection_init` carried one. */
  authorization: string | null;
  /** Its token's keyed hash, once the socket counts against the token's sockets. */
  tenant: string | undefined;
  /** Running operations by the client's id: their stand-in requests, ended with them. */
  operations: Map<string, { request: Request; ended: AbortController }>;
  /** Each id whose `subscribe` graphql-ws is handling, until it has let go of the id. */
  ids: Map<string, IdState>;
  closed: boolean;
  idle: NodeJS.Timeout | undefined;
}

interface IdState {
  /** Settles once graphql-ws has handled the id's `subscribe` to its end, and so let go of the id. */
  done: Promise<void>;
  /** The client completed the operation: it may use the id again. */
  completed: boolean;
  /**
   * The `subscribe` the client sent again with the id, waiting for `done`: one at most (another
   * is a duplicate), dropped when the client completes it too or the socket closes.
   */
  next: string | undefined;
}

/** The message types a client sends (graphql-ws's PROTOCOL.md); the others are the server's. */
const CLIENT_MESSAGE_TYPES = new Set(['connection_init', 'ping', 'pong', 'subscribe', 'complete']);

/** A message's type and id, if it is a JSON object with a string type; graphql-ws reads the rest. */
function peek(text: string): { type: string; id: string | undefined } | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { type, id } = (typeof message === 'object' && message !== null ? message : {}) as { type?: unknown; id?: unknown };
  return typeof type === 'string' ? { type, id: typeof id === 'string' ? id : undefined } : undefined;
}

/**
 * The `authorization` of a `connection_init` payload, its name in any letter case as an HTTP
 * header's (Apollo's examples write `Authorization`); undefined when there is none, or several
 * spellings that disagree.
 */
function authorizationParam(params: Readonly<Record<string, unknown>> | undefined): unknown {
  const given = Object.entries(params ?? {}).filter(([name]) => name.toLowerCase() === 'authorization').map(([, value]) => value);
  return given.every((value) => value === given[0]) ? given[0] : undefined;
}

/**
 * What graphql-ws executes: the operation already ran through Yoga (its result rides in
 * `rootValue`), so graphql-ws only needs a document whose operation is not a subscription.
 */
const ALREADY_RUN = parse('{ __typename }');

export interface WebSockets {
  /**
   * Stops accepting, lets the queries and mutations still running be answered, then closes every
   * socket (1001); a socket still open at `drainEndsAt` (ms since the epoch), as one whose client
   * no longer reads the close frame would be, is cut.
   */
  close(drainEndsAt: number): Promise<void>;
}

/** `keepAliveMs`: how often each socket is pinged, and how long its pong may take (a test shortens it). */
export function attachWebSockets(server: Server, gateway: Gateway, config: Config, keepAliveMs = KEEP_ALIVE_MS): WebSockets {
  const { yoga, logger, metrics, requestLog } = gateway;
  const { schema } = yoga.getEnveloped() as { schema: GraphQLSchema };
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxBodyBytes, handleProtocols });
  const byAddress = new Map<string, number>();
  const byTenant = new Map<string, number>();
  const open = new Set<SocketState>();
  let draining = false;

  const release = (counts: Map<string, number>, key: string) => {
    const left = (counts.get(key) ?? 1) - 1;
    if (left > 0) counts.set(key, left);
    else counts.delete(key);
  };

  const armIdle = (state: SocketState) => {
    clearTimeout(state.idle);
    state.idle = setTimeout(() => state.socket.close(WsCloseCode.IDLE, 'No operation for a while: closed as idle'), config.wsIdleTimeoutMs);
  };

  const endOperation = (state: SocketState, id: string, outcome: OperationOutcome) => {
    const operation = state.operations.get(id);
    if (!operation) return;
    state.operations.delete(id);
    operation.ended.abort();
    requestLog.operationEnded(operation.request, outcome);
    if (state.operations.size === 0 && !state.closed) armIdle(state);
  };

  const protocol = makeServer<Record<string, unknown>, SocketState>({
    connectionInitWaitTimeout: 3_000,
    onConnect({ connectionParams, extra: state }) {
      const given = authorizationParam(connectionParams);
      const authorization = typeof given === 'string' ? bearerAuthorization(given) : null;
      if (authorization === null) {
        state.socket.close(WsCloseCode.UNAUTHORIZED, 'Send connection_init with {"authorization": "Bearer <token>"}');
        return false;
      }
      const tenant = gateway.tenantOf(authorization);
      if ((byTenant.get(tenant) ?? 0) >= config.wsMaxConnectionsPerToken) {
        state.socket.close(WsCloseCode.TOO_MANY_FOR_TOKEN, 'Too many connections for this token');
        return false;
      }
      byTenant.set(tenant, (byTenant.get(tenant) ?? 0) + 1);
      state.tenant = tenant;
      state.authorization = authorization;
      return true;
    },
    async onSubscribe({ extra: state }, id, params) {
      if (state.socket.readyState !== state.socket.OPEN) return [codedError(ErrorCode.BAD_REQUEST, 'The socket is closing.')];
      // As over HTTP, a draining gateway takes no new work: the client sends it to another replica.
      if (draining) return [codedError(ErrorCode.BAD_REQUEST, 'The gateway is shutting down: send this operation again on a new connection.')];
      // Never so while the socket's messages are taken as `opened` takes them: an id is handed on
      // only once graphql-ws has let go of the operation before it. Should one come all the same,
      // the socket closes, as graphql-ws closes a duplicate id it knows of.
      if (state.operations.has(id)) {
        // The reason does not quote the id: a close frame's reason holds 123 bytes, an id any number.
        state.socket.close(WsCloseCode.DUPLICATE_ID, 'Subscriber for this id already exists');
        return [codedError(ErrorCode.BAD_REQUEST, `Operation ${id} is still running: each operation needs an id of its own.`)];
      }
      if (state.operations.size >= MAX_OPERATIONS_PER_SOCKET) {
        return [codedError(ErrorCode.RATE_LIMITED, `This socket already runs ${MAX_OPERATIONS_PER_SOCKET} operations; wait for one to end.`)];
      }
      // The token passed bearerAuthorization in onConnect: it is a valid header value.
      const ended = new AbortController();
      const request = new Request(`http://gateway${yoga.graphqlEndpoint}`, {
        method: 'POST',
        headers: { authorization: state.authorization!, 'content-type': 'application/json' },
        signal: ended.signal,
      });
      requestStats(request);
      state.operations.set(id, { request, ended });
      clearTimeout(state.idle);
      let result: ExecutionResult | AsyncIterable<ExecutionResult> | undefined;
      try {
        result = await yoga.getResultForParams({ params: params as GraphQLParams, request }, {});
      } catch (error) {
        // Refusals before parsing (trusted documents, malformed parameters) are thrown, coded.
        if (!(error instanceof GraphQLError)) logger.error({ err: error }, 'websocket operation');
        result = { errors: [error instanceof GraphQLError ? error : codedError(ErrorCode.INTERNAL_SERVER_ERROR, UNEXPECTED)] };
      }
      if (result === undefined || (!isAsyncIterable(result) && !('data' in result))) {
        // Refused before it ran: the protocol's `error` message, as graphql-ws sends for a bad
        // document. Ended here: graphql-ws calls no hook when the client completed it meanwhile.
        endOperation(state, id, 'error');
        const errors = result?.errors ?? [codedError(ErrorCode.INTERNAL_SERVER_ERROR, UNEXPECTED)];
        return errors.map((error) => withCode(error));
      }
      return { schema, document: ALREADY_RUN, rootValue: result };
    },
    execute: (args: ExecutionArgs) => args.rootValue as ExecutionResult,
    onNext(_ctx, _id, _payload, _args, next) {
      const result = isAnswerTooLarge(next) ? ANSWER_TOO_LARGE : next;
      metrics.countErrors(result);
      return result.errors ? { ...result, errors: result.errors.map(formattedError) } : undefined;
    },
    onError({ extra: state }, id, _payload, errors) {
      metrics.countErrors({ errors });
      endOperation(state, id, 'error');
      return errors.map(formattedError);
    },
    onComplete({ extra: state }, id) {
      endOperation(state, id, 'complete');
    },
  });

  const opened = (socket: WebSocket, address: string) => {
    byAddress.set(address, (byAddress.get(address) ?? 0) + 1);
    const state: SocketState = { socket, authorization: null, tenant: undefined, operations: new Map(), ids: new Map(), closed: false, idle: undefined };
    open.add(state);
    armIdle(state);
    // Whoever begins the closing handshake, ws goes through the socket's close() (a close frame
    // received included), and the socket may stay CLOSING until the TCP connection ends, up to ws's
    // closeTimeout (30 s) for a client that no longer reads: its work stops at once, as on 'close'.
    const close = socket.close.bind(socket);
    socket.close = (code?: number, reason?: string | Buffer) => {
      close(code, reason);
      for (const operation of state.operations.values()) operation.ended.abort();
      for (const known of state.ids.values()) known.next = undefined;
    };
    let pongWait: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.ping();
    }, keepAliveMs);
    socket.on('pong', () => clearTimeout(pongWait));
    // A frame too big (1009) or malformed: ws closes the socket itself. Logged without its content.
    socket.on('error', (error: Error & { code?: string }) => logger.debug({ code: error.code }, 'websocket closed on a bad frame'));
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error && socket.readyState === socket.OPEN ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data: Buffer) => {
            if (socket.readyState !== socket.OPEN) return; // closing: nothing more is taken
            const text = data.toString();
            const message = peek(text);
            if (message && !CLIENT_MESSAGE_TYPES.has(message.type)) {
              logger.debug('websocket closed on a message of a type a client does not send');
              socket.close(WsCloseCode.BAD_MESSAGE, 'Invalid message received');
              return;
            }
            const take = (text: string) =>
              handle(text).catch((error: unknown) => {
                logger.error({ err: error }, 'websocket message');
                socket.close(WsCloseCode.INTERNAL, 'Internal server error');
              });
            const id = message?.id;
            const known = id === undefined ? undefined : state.ids.get(id);
            if (id !== undefined && message?.type === 'complete') {
              // Its work stops now, though graphql-ws lets go of the id only once it has unwound; a
              // `subscribe` of the id waiting its turn never starts.
              if (known?.next !== undefined) known.next = undefined;
              else if (known) known.completed = true;
              state.operations.get(id)?.ended.abort();
            }
            if (id === undefined || message?.type !== 'subscribe' || (known && !known.completed)) return void take(text);
            if (known) {
              // The id of an operation the client completed, still unwinding: graphql-ws would let
              // the old one undo the new one's registration, so the new one waits.
              if (known.next !== undefined) return void socket.close(WsCloseCode.DUPLICATE_ID, 'Subscriber for this id already exists');
              known.next = text;
              return;
            }
            const start = (text: string): void => {
              const entry: IdState = { done: take(text), completed: false, next: undefined };
              state.ids.set(id, entry);
              void entry.done.then(() => {
                state.ids.delete(id);
                if (entry.next !== undefined && socket.readyState === socket.OPEN) start(entry.next);
              });
            };
            start(text);
          }),
      },
      state,
    );
    socket.once('close', (code: number, reason: Buffer) => {
      state.closed = true;
      open.delete(state);
      clearTimeout(state.idle);
      clearInterval(ping);
      clearTimeout(pongWait);
      release(byAddress, address);
      if (state.tenant !== undefined) release(byTenant, state.tenant);
      for (const id of [...state.operations.keys()]) endOperation(state, id, 'closed');
      for (const known of state.ids.values()) known.next = undefined;
      closed(code, reason.toString()).catch((error: unknown) => logger.error({ err: error }, 'websocket close'));
    });
  };

  /** Why an upgrade is refused, before any WebSocket exists: an HTTP status and a coded error. */
  const refusal = (request: IncomingMessage, address: string): [number, ErrorCode, string] | undefined => {
    if ((request.url ?? '').split('?')[0] !== yoga.graphqlEndpoint) return [404, ErrorCode.BAD_REQUEST, 'WebSockets are served at /graphql only.'];
    if (headersTooLarge(request)) return [431, ErrorCode.BAD_REQUEST, HEADERS_TOO_LARGE];
    if (!originAllowed(request, config.corsOrigins)) return [403, ErrorCode.FORBIDDEN, 'This origin may not open a WebSocket here (CORS_ORIGINS).'];
    if ((byAddress.get(address) ?? 0) >= config.wsMaxConnectionsPerAddress) {
      return [429, ErrorCode.RATE_LIMITED, 'Too many WebSockets from this address; close some before opening more.'];
    }
    return undefined;
  };

  // Behind a proxy that nobody declared, every client shares the proxy's allowance: said once.
  let proxyNoted = config.trustedProxyHops > 0;
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!proxyNoted && request.headers['x-forwarded-for'] !== undefined) {
      proxyNoted = true;
      logger.warn(
        'A WebSocket upgrade came with X-Forwarded-For while TRUSTED_PROXY_HOPS is 0: behind a proxy or load balancer, ' +
          'every client counts as the proxy\'s address against WS_MAX_CONNECTIONS_PER_ADDRESS. Set TRUSTED_PROXY_HOPS to the proxies in front.',
      );
    }
    const address = clientAddress(request, config.trustedProxyHops);
    const refused = refusal(request, address);
    if (refused) {
      const [status, code, message] = refused;
      socket.on('error', () => socket.destroy());
      socket.end(rawErrorAnswer(status, code, message));
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => opened(ws, address));
  };
  server.on('upgrade', onUpgrade);

  return {
    async close(drainEndsAt) {
      draining = true;
      server.off('upgrade', onUpgrade);
      // The hub has just ended every stream, and graphql-ws sends their `complete` messages; a
      // query or mutation still running is answered, as over HTTP, within the drain.
      do await sleep(DRAIN_CHECK_MS);
      while ([...open].some((state) => state.operations.size > 0) && Date.now() < drainEndsAt);
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      const cut = setTimeout(() => {
        for (const socket of wss.clients) socket.terminate();
      }, drainEndsAt - Date.now());
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      clearTimeout(cut);
    },
  };
}

/**
 * A socket opened by a browser page carries its Origin, and browsers let any page open one: it is
 * allowed only from the gateway's own origin (same host) or one in CORS_ORIGINS, as HTTP's CORS
 * allows. No Origin header: not a browser, and nothing a page could forge.
 */
function originAllowed(request: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/**
 * The client's address: the socket's, or behind `hops` trusted proxies the entry of
 * X-Forwarded-For that the outermost of them appended (`hops` entries from the end, counting the
 * socket's own address as the last). What the client wrote before those entries is not read.
 */
export function clientAddress(request: IncomingMessage, hops: number): string {
  const own = request.socket.remoteAddress ?? 'unknown';
  if (hops === 0) return own;
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const chain = [...forwarded, own];
  return chain[Math.max(0, chain.length - 1 - hops)]!;
}
