/**
 * A gateway process for the subscription, load and A/B benchmarks: `npm start`'s command (node,
 * its flags and dist/main.js, from the checkout's package.json), with PORT, HOST and
 * ALTOSTRAT_API_URL plus only the settings a scenario names (each figure says which). bench/processes.ts starts the gateway with none at all; this one exists
 * because the subscription benchmark must raise the per-token limit and give replicas Redis, and
 * the A/B benchmarks run the builds of two checkouts side by side.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, LOG_DIR, type Server } from '../processes.js';
import { startArgs } from '../../test/support/process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface GatewayBuild {
  /** The checkout whose dist/main.js runs; this one by default. */
  checkout?: string;
  /** Node flags before the script (e.g. --trace-gc), reported beside any figure they touch. */
  nodeOptions?: string[];
}

/** Starts the gateway as `npm start` does (metrics on a free port of its own) with its output in a log file, and waits for /health. */
export async function startGateway(name: string, upstream: string, settings: Record<string, string> = {}, build: GatewayBuild = {}): Promise<Server> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  mkdirSync(LOG_DIR, { recursive: true });
  const log = join(LOG_DIR, `${name}.log`);
  const fd = openSync(log, 'w');
  const started = performance.now();
  const env = { PORT: String(port), METRICS_PORT: '0', HOST: '127.0.0.1', ALTOSTRAT_API_URL: upstream, ...settings };
  const cwd = build.checkout ? resolve(build.checkout) : ROOT;
  const child = spawn(process.execPath, [...(build.nodeOptions ?? []), ...startArgs(cwd)], { cwd, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  process.once('exit', () => child.kill('SIGKILL'));
  for (let attempt = 0; attempt < 2000; attempt++) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start; see ${log}:\n${readFileSync(log, 'utf8').slice(0, 2000)}`);
    const ok = await fetch(`${origin}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { name, child, pid: child.pid!, url: `${origin}/graphql`, readyMs: performance.now() - started, log };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${name} not ready after 2000 checks; see ${log}`);
}

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
