/**
 * GraphQL over WebSocket as a client speaks it: `run()` sends one operation with graphql-ws's own
 * client and collects what came back; `openSocket()` opens a bare socket (the protocol by hand,
 * for what a real client would never send) and reports how the upgrade or the socket ended. Waits
 * are bounded.
 */
import { createClient, type Client, type ExecutionResult, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';

const wsUrl = (url: string): string => url.replace(/^http/, 'ws');

/** A graphql-ws client on `url` (the gateway's http://.../graphql) with `connectionParams`. */
export function wsClient(url: string, connectionParams: Record<string, unknown>): Client {
  return createClient({ url: wsUrl(url), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
}

export interface Outcome {
  /** Every `next` payload. */
  results: ExecutionResult[];
  /** The `error` message's errors, when the operation was refused. */
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  /** The close code, when the socket closed under the operation. */
  closeCode?: number;
}

/** Runs one operation to its end (complete, error, or the socket closing) and returns what came. */
export function run(client: Client, payload: SubscribePayload & Record<string, unknown>, timeoutMs = 15_000): Promise<Outcome> {
  const outcome: Outcome = { results: [] };
  return new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for the operation to end')), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve(outcome);
    };
    client.subscribe(payload, {
      next: (result) => outcome.results.push(result as ExecutionResult),
      error: (error: unknown) => {
        if (Array.isArray(error)) outcome.errors = error as Outcome['errors'];
        else if (error && typeof error === 'object' && 'code' in error) outcome.closeCode = (error as { code: number }).code;
        else outcome.errors = [{ message: String(error) }];
        done();
      },
      complete: done,
    });
  });
}

/** The codes of an outcome's errors, from the `error` message or the results. */
export function codesOf(outcome: Outcome): unknown[] {
  return [...(outcome.errors ?? []), ...outcome.results.flatMap((r) => r.errors ?? [])].map((e) => e.extensions?.code);
}

export type Opened =
  | { kind: 'open'; socket: WebSocket; closed: Promise<{ code: number; reason: string }> }
  | { kind: 'refused'; status: number; body: string };

/** Opens a bare graphql-ws socket; `headers` adds request headers (an Origin, say). */
export function openSocket(url: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise<Opened>((resolve, reject) => {
    const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws', { headers });
    const closed = new Promise<{ code: number; reason: string }>((settle) => socket.once('close', (code, reason) => settle({ code, reason: reason.toString() })));
    socket.once('open', () => resolve({ kind: 'open', socket, closed }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ kind: 'refused', status: response.statusCode ?? 0, body }));
    });
    socket.on('error', (error) => reject(error));
  });
}

/** Opens a socket and sends `connection_init` with `payload`; resolves with the socket once acknowledged or closed. */
export async function initSocket(url: string, payload: unknown): Promise<{ socket: WebSocket; acked: boolean; closed: Promise<{ code: number; reason: string }> }> {
  const opened = await openSocket(url);
  if (opened.kind !== 'open') throw new Error(`upgrade refused: ${opened.status}`);
  const { socket, closed } = opened;
  socket.send(JSON.stringify({ type: 'connection_init', payload }));
  const acked = await Promise.race([
    new Promise<boolean>((resolve) => socket.on('message', (data: Buffer) => JSON.parse(data.toString()).type === 'connection_ack' && resolve(true))),
    closed.then(() => false),
  ]);
  return { socket, acked, closed };
}
