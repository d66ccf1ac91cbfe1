// The simulator's call log: every request as it arrived (method, path, page, the headers tests
// check at the source) and when it began and ended, so a test can assert that calls overlapped,
// how many were in flight at once, or that a retry waited, without any wall-clock bound.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface RecordedCall {
  method: string;
  /** Pathname only, as received (still percent-encoded). */
  path: string;
  /** `?page=` as a number (NaN when it is not numeric), null when absent. */
  page: number | null;
  /** The raw `Authorization` header as received. */
  authorization: string | undefined;
  /** The `x-request-id` header. */
  requestId: string | undefined;
  /** `performance.now()` when the request arrived, in ms. */
  startedAt: number;
  /** `performance.now()` when the answer was finished or the socket closed; undefined while in flight. */
  endedAt: number | undefined;
  /** For writes (POST, PUT, PATCH, DELETE): the body, parsed JSON or the raw text ('' when none); undefined for reads. */
  body?: unknown;
  /** The `Idempotency-Key` header. */
  idempotencyKey?: string | undefined;
}

/** More than any test makes; a demo upstream running for days keeps its memory flat. */
const MAX_RECORDED_CALLS = 20_000;

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export function isWrite(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

export interface Recorder {
  /** The live log, newest last; the same array for the simulator's whole life. */
  readonly calls: RecordedCall[];
  /** Records a request on arrival and marks it ended when its response closes. */
  record(req: IncomingMessage, res: ServerResponse, target: URL): RecordedCall;
  clear(): void;
}

export function createRecorder(): Recorder {
  const calls: RecordedCall[] = [];
  return {
    calls,
    record(req, res, target) {
      const rawPage = target.searchParams.get('page');
      const method = req.method ?? 'GET';
      const call: RecordedCall = {
        method,
        path: target.pathname,
        page: rawPage === null ? null : Number(rawPage),
        authorization: req.headers.authorization,
        requestId: header(req.headers['x-request-id']),
        startedAt: performance.now(),
        endedAt: undefined,
      };
      if (isWrite(method)) call.idempotencyKey = header(req.headers['idempotency-key']);
      // 'close' follows 'finish' for a complete answer and also fires when the socket dies first.
      res.once('close', () => {
        call.endedAt = performance.now();
      });
      calls.push(call);
      // A long-running demo must not grow without end: drop the older half now and then.
      if (calls.length > MAX_RECORDED_CALLS) calls.splice(0, MAX_RECORDED_CALLS / 2);
      return call;
    },
    clear() {
      calls.length = 0;
    },
  };
}

/**
 * The most calls that were in flight at the same instant. A call still in flight counts until
 * the end; a call that ended exactly when another began does not overlap it.
 */
export function maxInFlight(calls: readonly Pick<RecordedCall, 'startedAt' | 'endedAt'>[]): number {
  // Ends sort before starts at the same instant, so touching intervals do not count as overlapping.
  const events = calls.flatMap((call) => [
    { at: call.startedAt, delta: 1 },
    { at: call.endedAt ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let max = 0;
  for (const { delta } of events) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}
