/**
 * GraphQL over Server-Sent Events for subscriptions (the distinct-connections mode that
 * graphql-sse's client and `accept: text/event-stream` use), written by the gateway itself.
 *
 * Yoga runs the request as for any other: its parsing, limits, budget, context and `subscribe`.
 * Its answer for a subscription is then a Response with the stream's headers and no body, and
 * `send` writes the events to the socket from the subscription's `EventStream`
 * (subscription-events.ts). Yoga's request ends there, so an open subscription holds the socket,
 * this writer's loop and its stream, and not the request's objects, the Response and the web
 * streams Yoga's own SSE writer would keep for as long as it is open (docs/operations.md,
 * "Subscriptions": the memory of an idle subscription).
 *
 * On the wire it is Yoga's format: a `:` comment at once and then every 15 s, an
 * `event: next` per result, errors masked and coded as in every other answer, and `event:
 * complete` at the end; an error that ends the stream arrives as a last `next` with its errors.
 * While the socket cannot take more, the next event waits. A client that stops reading is cut off
 * like any other (stalled.ts), and its subscription ends with it (docs/guarantees.md,
 * "Subscriptions").
 */
import type { ServerResponse } from 'node:http';
import type { ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, maskError, type Plugin } from 'graphql-yoga';
import { errorBody, ErrorCode, formattedError, UNEXPECTED } from './errors.js';
import { KEEP_ALIVE_MS } from './subscription-events.js';
import { answerText } from './protection/answer-bytes.js';

const HEADERS = { 'content-type': 'text/event-stream', connection: 'keep-alive', 'cache-control': 'no-cache', 'content-encoding': 'none' };

type Events = AsyncIterator<ExecutionResult>;

const refusal = (message: string): string => errorBody(ErrorCode.BAD_REQUEST, message);
const PIPELINED = refusal('A subscription stream needs its connection to itself: send it on a connection with no answer pending (no HTTP pipelining).');
const NOT_ACCEPTED = refusal('A subscription answers as a stream: accept `text/event-stream`, or subscribe over WebSocket (graphql-ws).');

/** What the HTTP handler tells Yoga (its server context): it writes SSE subscriptions' events itself. */
export interface EventWriting {
  writesEvents?: boolean;
}

export class EventStreams {
  /** Each subscription's stream, from `subscribe` until Yoga processes the request's result. */
  readonly #offered = new WeakMap<Request, Events>();
  /** Responses whose body `send` writes: the stream to write. */
  readonly #answered = new WeakMap<Response, Events>();
  readonly #open = new Set<ServerResponse>();
  #pings: NodeJS.Timeout | undefined;

  /** `countErrors` sees every error sent in an event (the metrics). */
  constructor(
    private readonly countErrors: (result: ExecutionResult) => void,
    /** A comment this often keeps proxies from closing a quiet stream. */
    private readonly pingMs = KEEP_ALIVE_MS,
  ) {}

  /** Called by `subscribe` with the stream of a subscription, for the request that opened it. */
  offer(request: Request, events: Events): void {
    this.#offered.set(request, events);
  }

  /**
   * Listed after Yoga's own result processors: when they chose SSE for a subscription's stream,
   * and the request came through a handler that writes events (`EventWriting`), the answer is a
   * bodiless Response with the stream's headers (other plugins add theirs: CORS, X-Request-Id),
   * and its body is left to `send`. Through Yoga's own listener, Yoga's writer serves it. When no
   * processor takes a stream (the request's Accept allows none), nobody would ever read or end the
   * subscription: it ends here, its place in the limits freed, and the answer is a 406 that says
   * what to accept.
   */
  readonly plugin: Plugin<Record<string, unknown>, EventWriting> = {
    onResultProcess: ({ request, result, resultProcessor, setResultProcessor, serverContext }) => {
      const events = this.#offered.get(request);
      this.#offered.delete(request);
      if (!events || !isAsyncIterable(result)) return;
      if (!resultProcessor) {
        void events.return?.();
        setResultProcessor(
          (_result, fetchAPI) => new fetchAPI.Response(NOT_ACCEPTED, { status: 406, headers: { 'content-type': 'application/json' } }),
          'application/json',
        );
        return;
      }
      if (!serverContext.writesEvents) return;
      setResultProcessor((_result, fetchAPI) => {
        // A copy each time: the Response's headers write through to the object they were made from.
        const response = new fetchAPI.Response(null, { status: 200, headers: { ...HEADERS } });
        this.#answered.set(response, events);
        return response;
      }, 'text/event-stream');
    },
  };

  /** The stream whose events are `response`'s body, when it is such an answer. */
  take(response: Response): Events | undefined {
    const events = this.#answered.get(response);
    this.#answered.delete(response);
    return events;
  }

  /** Writes `response`'s head, then the events, until the stream ends or the client goes away. */
  send(res: ServerResponse, response: Response, events: Events): Promise<void> {
    if (res.destroyed) return events.return?.().then(() => undefined) ?? Promise.resolve();
    // An answer with no socket yet waits behind another on its connection (HTTP/1.1 pipelining):
    // a stream would wait there for as long as that one lasts, holding its subscription, and Node
    // tells an answer still waiting nothing of its connection closing. So it is refused at once.
    if (res.socket === null) {
      void events.return?.();
      // The other plugins' headers (CORS, X-Request-Id) without the stream's own.
      const headers = Object.fromEntries([...response.headers].filter(([name]) => !(name in HEADERS)));
      res.writeHead(400, { ...headers, 'content-type': 'application/json' }).end(PIPELINED);
      return Promise.resolve();
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.write(':\n\n');
    // Yoga has read the body. The reader of @whatwg-node/node-fetch leaves its listeners on the
    // IncomingMessage, which lives as long as the stream, and they hold the whole Request. An
    // IncomingMessage without an error listener emits no error (Node's http).
    if (res.req.readableEnded) res.req.removeAllListeners('data').removeAllListeners('error');
    return this.#pump(res, events);
  }

  async #pump(res: ServerResponse, events: Events): Promise<void> {
    let gone = false;
    const leave = () => {
      gone = true;
      void events.return?.();
    };
    res.once('close', leave);
    this.#open.add(res);
    this.#pings ??= setInterval(() => this.#ping(), this.pingMs).unref();
    try {
      for (;;) {
        let step: IteratorResult<ExecutionResult>;
        try {
          step = await events.next();
        } catch (error) {
          if (!gone) this.#write(res, { errors: [error as GraphQLError] });
          break;
        }
        if (step.done || gone) break;
        if (!this.#write(res, step.value)) await drained(res);
      }
      if (!gone) res.end('event: complete\ndata:\n\n');
    } finally {
      res.off('close', leave);
      this.#open.delete(res);
      if (this.#open.size === 0) {
        clearInterval(this.#pings);
        this.#pings = undefined;
      }
    }
  }

  /** One `next` event; false when the socket's buffer is full. Bugs are masked, every error coded. */
  #write(res: ServerResponse, result: ExecutionResult): boolean {
    const errors = result.errors?.map((error) => maskError(error, UNEXPECTED, false) as GraphQLError);
    this.countErrors(errors ? { ...result, errors } : result);
    const sent = errors ? { ...result, errors: errors.map(formattedError) } : result;
    return res.write(`event: next\ndata: ${answerText(sent)}\n\n`);
  }

  #ping(): void {
    for (const res of this.#open) if (!res.writableNeedDrain) res.write(':\n\n');
  }
}

/** Resolves when the socket can take more, or has closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
