/**
 * A light GraphQL-over-SSE client for thousands of streams from one process: one POST with
 * `accept: text/event-stream` per subscription (Yoga's distinct-connections mode) on node:http,
 * no pool, and only `next` events parsed. Lighter than a fetch stream per subscription, so the
 * client side does not crowd the gateway out of the machine's two cores.
 */
import { request, type ClientRequest } from 'node:http';

export interface Stream {
  close(): void;
}

export interface StreamHandlers {
  /** A `next` event's payload, with Date.now() when its last byte arrived. */
  onNext(payload: { data?: unknown; errors?: unknown[] }, receivedAt: number): void;
  /** The stream ended (complete event, or the connection closed) or failed to open. */
  onEnd(error?: Error): void;
}

export function subscribe(url: string, token: string, query: string, variables: Record<string, unknown>, handlers: StreamHandlers): Stream {
  const body = JSON.stringify({ query, variables });
  let ended = false;
  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    handlers.onEnd(error);
  };
  const req: ClientRequest = request(url, {
    method: 'POST',
    agent: false,
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${token}`,
      'content-length': Buffer.byteLength(body),
    },
  });
  req.on('error', (error) => end(error));
  req.on('response', (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      return end(new Error(`HTTP ${res.statusCode}`));
    }
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      const receivedAt = Date.now();
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const lines = block.split('\n');
        const event = lines.find((line) => line.startsWith('event:'))?.slice(6).trim();
        const data = lines
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (event === 'next' && data) handlers.onNext(JSON.parse(data) as { data?: unknown; errors?: unknown[] }, receivedAt);
        if (event === 'complete') end();
      }
    });
    res.on('close', () => end());
  });
  req.end(body);
  return { close: () => req.destroy() };
}
