/**
 * Clients that stop reading. An answer the socket cannot take waits in the process's memory until
 * the client reads it, and a client that never does would hold it for as long as it keeps the
 * connection open. So an answer, once handed to the socket whole, must be taken within
 * `STALLED_MS`, and an event stream must drain within it (sse.ts); else the connection is cut.
 * Long enough for a slow link to take what the socket's buffers hold (docs/guarantees.md, the
 * table of limits).
 */
import type { ServerResponse } from 'node:http';

export const STALLED_MS = 60_000;

/** Cuts the connection when `res`, ended, has not been taken by the client within `stalledMs`. */
export function cutWhenStalled(res: ServerResponse, stalledMs = STALLED_MS): void {
  // 'prefinish': the whole answer is handed to the socket; 'close': the socket has passed it on
  // (or the connection is gone).
  res.once('prefinish', () => {
    if (res.writableFinished) return;
    const stalled = setTimeout(() => res.destroy(), stalledMs).unref();
    res.once('close', () => clearTimeout(stalled));
  });
}
