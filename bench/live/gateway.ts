/**
 * A gateway process for the subscription, load and A/B benchmarks: `node dist/main.js`, as `npm
 * start` runs it, with PORT, HOST and ALTOSTRAT_API_URL plus only the settings a scenario names
 * (each figure says which). bench/processes.ts starts the gateway with none at all; this one exists
 * because the subscription benchmark must raise the per-token limit and give replicas Redis, and
 * the A/B benchmarks run the builds of two checkouts side by side.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, LOG_DIR, type Server } from '../processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface GatewayBuild {
  /** The checkout whose dist/main.js runs; this one by default. */
  checkout?: string;
  /** Node flags before the script (e.g. --trace-gc), reported beside any figure they touch. */
  nodeOptions?: string[];
}

/** Starts `node dist/main.js` (metrics on a free port of its own) with its output in a log file, and waits for /health. */
export async function startGateway(name: string, upstream: string, settings: Record<string, string> = {}, build: GatewayBuild = {}): Promise<Server> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  mkdirSync(LOG_DIR, { recursive: true });
  const log = join(LOG_DIR, `${name}.log`);
  const fd = openSync(log, 'w');
  const started = performance.now();
  const env = { PORT: String(port), METRICS_PORT: '0', HOST: '127.0.0.1', ALTOSTRAT_API_URL: upstream, ...settings };
  const cwd = build.checkout ? resolve(build.checkout) : ROOT;
  const child = spawn(process.execPath, [...(build.nodeOptions ?? []), 'dist/main.js'], { cwd, env, stdio: ['ignore', fd, fd] });
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

/** V8 heap in use, in bytes, as the gateway's own /metrics reports it (prom-client's default metric). */
export async function heapUsed(server: Server): Promise<number> {
  const text = await (await fetch(server.url.replace(/\/graphql$/, '/metrics'))).text();
  const match = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  if (!match) throw new Error(`${server.name}: no nodejs_heap_size_used_bytes in /metrics`);
  return Number(match[1]);
}
