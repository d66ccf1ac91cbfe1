import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { Server } from '../processes.js';

/**
 * V8 heap in use after a full collection, in bytes: what the gateway holds, without the garbage
 * its last requests left. Read through the gateway's inspector, opened from outside with SIGUSR1
 * (as `node inspect -p <pid>` does) on 127.0.0.1:9229, asked to collect garbage and for the
 * heap's size, then closed again; the gateway itself runs as `npm start` runs it. One process at a
 * time: the port is Node's default.
 */
export async function liveHeap(server: Server): Promise<number> {
  const list = () =>
    fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`).then(
      async (response) => ((await response.json()) as Array<{ webSocketDebuggerUrl: string }>)[0]?.webSocketDebuggerUrl,
      () => undefined,
    );
  process.kill(server.pid, 'SIGUSR1');
  let target: string | undefined;
  for (let attempt = 0; attempt < 300 && !target; attempt++) {
    target = await list();
    if (!target) await sleep(10);
  }
  if (!target) throw new Error(`${server.name}: its inspector did not open on port ${INSPECTOR_PORT}`);
  const socket = new WebSocket(target);
  await once(socket, 'open');
  let sent = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++sent;
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        if (message.id !== id) return;
        socket.off('message', onMessage);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result ?? {});
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call('HeapProfiler.collectGarbage');
  const { usedSize } = (await call('Runtime.getHeapUsage')) as { usedSize: number };
  // Closes the inspector (and this session with it), so the port is free for the next process.
  socket.send(JSON.stringify({ id: ++sent, method: 'Runtime.evaluate', params: { expression: 'process._debugEnd()' } }));
  await Promise.race([once(socket, 'close'), sleep(1_000)]);
  socket.terminate();
  for (let attempt = 0; attempt < 300 && (await list()); attempt++) await sleep(10);
  return usedSize;
}

const INSPECTOR_PORT = 9229;
