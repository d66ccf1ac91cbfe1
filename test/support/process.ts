/**
 * The gateway as its own process, as `npm start` runs it (dist/main.js, which the tests' global
 * setup bundles), for the tests that need what only a process shows: signals, ports, replicas, a
 * crash.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * What follows `node` in `npm start` (package.json): its Node flags and the script. The tests and
 * the benchmarks start the gateway with these, so that they run it exactly as it is started.
 */
export function startArgs(checkout = ROOT): string[] {
  const start = (JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const [node, ...args] = start.trim().split(/\s+/);
  if (node !== 'node' || args.at(-1) !== 'dist/main.js') throw new Error(`npm start is "${start}", not "node [flags] dist/main.js"`);
  return args;
}

export interface GatewayProcess {
  child: ChildProcessWithoutNullStreams;
  /** Its /graphql URL, once it printed that it is ready. */
  url: string;
  /** Where it serves /metrics, as it printed. */
  metricsUrl: string;
  output(): string;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** SIGKILL if still running; for afterEach. */
  kill(): void;
}

/** Spawns `dist/main.js` as `npm start` runs it, on a free port, and waits until it is ready. */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, startArgs(), {
    // METRICS_PORT 0: a free port, not the default one, which parallel gateways would share.
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', METRICS_PORT: '0', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output}`)), 20_000);
    child.stdout.on('data', () => {
      const match = /ready at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`exited:\n${output}`));
    });
  }).catch((error: unknown) => {
    kill();
    throw error;
  });
  const metricsUrl = /Metrics at (http:\/\/\S+)/.exec(output)![1]!;
  return { child, url, metricsUrl, output: () => output, exited, kill };
}
