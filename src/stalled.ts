/**
 * Clients that stop reading. What the socket cannot take waits in the process's memory until the
 * client reads it, and a client that never does would hold it for as long as it keeps the
 * connection open. So a connection whose bytes have waited HTTP_WRITE_STALL_TIMEOUT_MS (60 s by
 * default) with none of its writes finishing is cut; an SSE subscription on it ends with it
 * (sse.ts). The default is long enough for a slow link to take what the socket's buffers hold
 * (docs/guarantees.md, the table of limits).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Looks at the server's connections every quarter of `stalledMs` (nothing per request), and cuts
 * one that has had bytes waiting to be written, and finished none of its writes, for `stalledMs`.
 * A client reading a stream slowly finishes writes; one answer read slowly must be taken whole
 * within `stalledMs`. `cut` is told of each connection cut. Returns its stop.
 */
export function cutStalledConnections(server: Server, stalledMs: number, cut: () => void = () => {}): () => void {
  const sockets = new Set<Socket>();
  /** The sockets found with bytes waiting: since when, and how many bytes they had written then. */
  const waiting = new Map<Socket, { since: number; written: number }>();
  // One listener for every socket, called as the socket's own: nothing allocated per connection
  // but its place in the set.
  function forget(this: Socket): void {
    sockets.delete(this);
    waiting.delete(this);
  }
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', forget);
  });
  const look = () => {
    const now = Date.now();
    for (const socket of sockets) {
      if (socket.writableLength === 0) {
        waiting.delete(socket);
        continue;
      }
      // bytesWritten counts what waits too: the difference is what finished writing.
      const written = socket.bytesWritten - socket.writableLength;
      const seen = waiting.get(socket);
      if (seen?.written !== written) waiting.set(socket, { since: now, written });
      else if (now - seen.since >= stalledMs) {
        socket.destroy();
        cut();
      }
    }
  };
  // Each look waits for the turn's I/O (setImmediate): after the event loop was held up, the
  // writes that finished meanwhile count before a connection is judged stalled.
  const looking = setInterval(() => setImmediate(look), stalledMs / 4).unref();
  return () => clearInterval(looking);
}
