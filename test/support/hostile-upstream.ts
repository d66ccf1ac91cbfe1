/**
 * An upstream that misbehaves in a way the simulator's faults do not: it answers 200 with a run
 * whose body drips in, one byte every `gapMs`, announced by Content-Length or sent chunked. Each
 * gap is shorter than any per-read timeout, so only a deadline on the whole body stops it (or,
 * with `stallAfter`, it stops sending after that many bytes and holds the connection open). It
 * records, per call, how much it had sent and whether the gateway hung up before the end.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface DripCall {
  path: string;
  authorization: string | undefined;
  bytesSent: number;
  /** `complete`: the whole body went out; `cut`: the gateway closed the connection first. */
  outcome: 'complete' | 'cut' | undefined;
}

export interface DrippingUpstream {
  url: string;
  calls: DripCall[];
  close(): Promise<void>;
}

/** A valid run of Altostrat's shape, about `bytes` long. */
export function runBody(bytes: number): string {
  const run = {
    id: 'fl_run_01k8x246q8q8e4mzfw3045a8ch',
    status: 'completed',
    error_message: null,
    started_at: '2025-10-31T12:00:00.000000Z',
    completed_at: '2025-10-31T12:00:00.000000Z',
    duration_in_seconds: 0,
    logs: [] as unknown[],
  };
  const bare = JSON.stringify({ ...run, padding: '' });
  return JSON.stringify({ ...run, padding: 'x'.repeat(Math.max(0, bytes - bare.length)) });
}

export async function startDrippingUpstream({
  body,
  gapMs,
  contentLength,
  stallAfter = Infinity,
}: {
  body: string;
  gapMs: number;
  contentLength: boolean;
  stallAfter?: number;
}): Promise<DrippingUpstream> {
  const calls: DripCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const call: DripCall = { path: req.url ?? '/', authorization: req.headers.authorization, bytesSent: 0, outcome: undefined };
    calls.push(call);
    res.writeHead(200, { 'content-type': 'application/json', ...(contentLength && { 'content-length': String(Buffer.byteLength(body)) }) });
    res.flushHeaders();
    const tick = setInterval(() => {
      if (res.destroyed || call.bytesSent >= stallAfter) return;
      res.write(body[call.bytesSent]!);
      call.bytesSent++;
      if (call.bytesSent === body.length) {
        clearInterval(tick);
        timers.delete(tick);
        res.end();
        call.outcome = 'complete';
      }
    }, gapMs);
    timers.add(tick);
    res.once('close', () => {
      clearInterval(tick);
      timers.delete(tick);
      call.outcome ??= 'cut';
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    async close() {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
