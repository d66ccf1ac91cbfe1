// Scripted upstream trouble for the tests: a test's `fault` function picks one of these per
// recorded call and the simulator answers with it instead of (or built from) the normal answer.
// Each kind stands for something a real upstream or the network between does.

import type { ServerResponse } from 'node:http';
import { laravelMessage } from './laravel.js';
import type { Answer } from './laravel.js';

export type Fault =
  /** Answer with this status; `body` is sent verbatim, by default a Laravel `{"message": ...}`. */
  | { status: number; body?: string; headers?: Record<string, string> }
  /** Accept the request and never answer (until close()). */
  | { kind: 'stall' }
  /** Send the status line, headers and part of the body, then destroy the socket (with nothing sent, for an answer without a body: a 204). */
  | { kind: 'reset' }
  /** 200 `application/json` whose body is not JSON. */
  | { kind: 'malformed' }
  /** 500 with Laravel's HTML error page. */
  | { kind: 'html500' }
  /** 200 with valid JSON of the wrong shape: `{"data": "oops"}` for lists, objects without `id`. */
  | { kind: 'wrongShape' }
  /**
   * 200, a run of about `bytes` bytes: its one log's `output` is a long string. Streamed in
   * chunks, announced by Content-Length or (contentLength false) sent chunked with no length.
   */
  | { kind: 'huge'; bytes: number; contentLength: boolean }
  /** 200, a run whose first log's `output` is `{"a":{"a":...1}}` nested `depth` levels. */
  | { kind: 'deep'; depth: number };

const LARAVEL_HTML_500 = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Server Error</title></head>
<body class="antialiased"><div class="flex items-center"><div class="px-4 text-lg border-r">500</div><div class="ml-4 text-lg uppercase">Server Error</div></div></body>
</html>
`;

const FAULT_RUN_ID = 'fl_run_01k8x246q8q8e4mzfw3045a8ch';
const CHUNK = 64 * 1024;

export function send(res: ServerResponse, { status, body, headers }: Answer): void {
  // 204 has no body; Node drops one anyway, but an empty end() keeps Content-Length honest.
  if (status === 204) res.writeHead(status, headers).end();
  else res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** A run shaped like the simulator's, its id taken from the normal answer when that is a run. */
function runAround(normal: Answer): { prefix: string; suffix: string } {
  const body = normal.body as { id?: unknown } | null;
  const id = typeof body?.id === 'string' && body.id.startsWith('fl_run_') ? body.id : FAULT_RUN_ID;
  const at = '2025-10-31T12:00:00.000000Z';
  const placeholder = 'fault-output-placeholder';
  const log = { id: 'fl_log_01k8x246q8q8e4mzfw3045a8cl', node_id: 'n1', component_id: 'http_request', status: 'success', output: placeholder, created_at: at };
  const run = { id, status: 'completed', error_message: null, started_at: at, completed_at: at, duration_in_seconds: 0, logs: [log] };
  const text = JSON.stringify(run);
  const cut = text.indexOf(`"${placeholder}"`);
  return { prefix: text.slice(0, cut), suffix: text.slice(cut + placeholder.length + 2) };
}

async function streamHuge(res: ServerResponse, normal: Answer, bytes: number, contentLength: boolean): Promise<void> {
  const { prefix, suffix } = runAround(normal);
  const fill = Math.max(0, bytes - Buffer.byteLength(prefix) - Buffer.byteLength(suffix) - 2);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (contentLength) headers['content-length'] = String(Buffer.byteLength(prefix) + fill + 2 + Buffer.byteLength(suffix));
  res.writeHead(200, headers);
  const write = async (text: string): Promise<boolean> => {
    if (res.destroyed) return false;
    if (!res.write(text)) await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done).on('close', done);
    });
    return !res.destroyed;
  };
  if (!(await write(`${prefix}"`))) return;
  const chunk = 'x'.repeat(CHUNK);
  for (let left = fill; left > 0; left -= CHUNK) {
    if (!(await write(left >= CHUNK ? chunk : chunk.slice(0, left)))) return;
  }
  if (await write(`"${suffix}`)) res.end();
}

/** Answers with `fault` instead of the normal answer; `normal` is only computed (and takes effect) when a kind is built from it. */
export async function injectFault(res: ServerResponse, fault: Exclude<Fault, { kind: 'stall' }>, normal: () => Promise<Answer>): Promise<void> {
  if ('status' in fault) {
    const body = fault.body ?? JSON.stringify({ message: laravelMessage(fault.status) });
    res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end(body);
    return;
  }
  switch (fault.kind) {
    case 'reset': {
      const { status, body } = await normal();
      if (body === undefined) return void res.destroy();
      const text = JSON.stringify(body);
      // The full Content-Length is announced so the client knows the body was cut short.
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.write(text.slice(0, Math.ceil(text.length / 2)), () => res.destroy());
      return;
    }
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"data": [{"id": "${FAULT_RUN_ID}", "status": "completed",`);
      return;
    case 'html500':
      res.writeHead(500, { 'content-type': 'text/html; charset=UTF-8' }).end(LARAVEL_HTML_500);
      return;
    case 'wrongShape': {
      const { status, body } = await normal();
      const isObject = status === 200 && typeof body === 'object' && body !== null && !Array.isArray(body) && !('meta' in body);
      send(res, { status: 200, body: isObject ? { ...body, id: undefined } : { data: 'oops' } });
      return;
    }
    case 'huge':
      await streamHuge(res, await normal(), fault.bytes, fault.contentLength);
      return;
    case 'deep': {
      const { prefix, suffix } = runAround(await normal());
      // Built as a string: the point is a body too deep for a recursive parser, so no recursion here either.
      const nested = `${'{"a":'.repeat(fault.depth)}1${'}'.repeat(fault.depth)}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(prefix + nested + suffix);
      return;
    }
  }
}
