/**
 * The processes a benchmark runs, each on its own, on 127.0.0.1: the simulator (the upstream), the
 * gateway started exactly as `npm start` starts it, and the Apollo baseline and the bare-Yoga
 * ceiling started as production would start them. Also what the benchmarks read of a process from
 * /proc (CPU time, RSS). Shared by the benchmarks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Fixture } from './scenarios.js';
import { freePort } from '../test/support/ports.js';
import { startArgs } from '../test/support/process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the servers' stdout and stderr go: a file each, rewritten at every start, never the console. */
export const LOG_DIR = join(tmpdir(), 'altostrat-bench');

const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

export interface Server {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The GraphQL endpoint. */
  url: string;
  /** From spawn to the first 200 of its readiness check. */
  readyMs: number;
  log: string;
}

/** Starts a server with stdout and stderr into a file, then polls `readiness` until it answers 200. */
async function startServer(
  name: string,
  args: string[],
  env: Record<string, string>,
  url: string,
  readiness: string,
  { headers = {}, cwd = ROOT }: { headers?: Record<string, string>; cwd?: string } = {},
): Promise<Server> {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = join(LOG_DIR, `${name}.log`);
  const fd = openSync(log, 'w');
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let attempt = 0; attempt < 2000; attempt++) {
    if (exited) throw new Error(`${name} exited at start; see ${log}:\n${readFileSync(log, 'utf8').slice(0, 2000)}`);
    const ok = await fetch(readiness, { headers }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return { name, child, pid: child.pid!, url, readyMs: performance.now() - started, log };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${name} not ready after 2000 checks; see ${log}`);
}

export interface GatewayStart {
  /** Names its log file; `gateway` by default. */
  name?: string;
  /** Settings beyond PORT, HOST and ALTOSTRAT_API_URL; each figure that needs one says so. */
  settings?: Record<string, string>;
  /** The checkout whose dist/main.js runs (its package.json's start command); this one by default. */
  checkout?: string;
  /** Node flags before the start command's (the profiler's, --trace-gc), reported beside any figure they touch. */
  nodeOptions?: string[];
}

/**
 * `npm start`'s command (package.json: node, its flags, dist/main.js) with only what it needs
 * from its environment, and a metrics port of its own (METRICS_PORT=0: any free one, so two
 * gateways never collide on the default): nothing else is set unless `settings` says so, so every
 * other setting (LOG_LEVEL info, metrics, limits) is the default.
 */
export async function startGateway(upstream: string, { name = 'gateway', settings = {}, checkout, nodeOptions = [] }: GatewayStart = {}): Promise<Server> {
  const port = await freePort();
  const env = { PORT: String(port), METRICS_PORT: '0', HOST: '127.0.0.1', ALTOSTRAT_API_URL: upstream, ...settings };
  const cwd = checkout ? resolve(checkout) : ROOT;
  return startServer(name, [...nodeOptions, ...startArgs(cwd)], env, `http://127.0.0.1:${port}/graphql`, `http://127.0.0.1:${port}/health`, { cwd });
}

/** Compiles the baseline and the bare-Yoga ceiling to their dist/ folders (git-ignored), so they run as plain JS. */
export function buildServers(): void {
  for (const folder of ['bench/baseline', 'bench/ceiling']) {
    const tsc = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', `${folder}/tsconfig.json`], { cwd: ROOT, stdio: 'inherit' });
    if (tsc.status !== 0) throw new Error(`compiling ${folder} failed`);
  }
}

export async function startBaseline(upstream: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  // Apollo Server has no health route; its documented check is this query with a preflight header.
  const readiness = `${url}?query=%7B__typename%7D`;
  return startServer('baseline', ['bench/baseline/dist/server.js', upstream], { NODE_ENV: 'production', PORT: String(port) }, url, readiness, {
    headers: { 'apollo-require-preflight': 'true' },
  });
}

/** The bare-Yoga ceiling (bench/ceiling/server.ts), as production would run it. */
export async function startCeiling(upstream: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  return startServer('ceiling', ['bench/ceiling/dist/server.js', upstream], { NODE_ENV: 'production', PORT: String(port) }, url, `${url}?query=%7B__typename%7D`);
}

export interface Simulator {
  child: ChildProcess;
  fixture: Fixture;
  /** Upstream calls received since the last reset. */
  calls(): Promise<number>;
  reset(): Promise<void>;
}

export interface SimulatorSetup {
  /** The upstream's page size, default 15. */
  pageSize?: number;
  inlineLogs: boolean;
  latencyMs: number;
  /** Workflows with a first page of finished runs no one has read (Fixture.fresh), default none. */
  freshPages?: number;
}

export async function startSimulator(options: SimulatorSetup): Promise<Simulator> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/simulator-process.ts', JSON.stringify({ pageSize: 15, ...options })], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const fixture = await new Promise<Fixture>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(\{.*\})$/m.exec(out);
      if (line) resolve(JSON.parse(line[1]!) as Fixture);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited ${code}:\n${out}`)));
  });
  const control = async (method: string) => ((await (await fetch(`${fixture.control}/calls`, { method })).json()) as { calls: number }).calls;
  return {
    child,
    fixture,
    calls: () => control('GET'),
    reset: async () => void (await fetch(`${fixture.control}/reset`, { method: 'POST' })),
  };
}

export async function stop(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

export const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** CPU time a process has used so far (utime + stime), in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Resident set size now (VmRSS), or at its peak so far (VmHWM), in MB. */
export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}
