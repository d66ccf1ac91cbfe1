/**
 * A real, throwaway redis-server for tests: on a free 127.0.0.1 port, with no persistence, ready
 * once it answers PING. Call stop() in afterAll; kill() is for a test that wants Redis gone at once,
 * pause() for one that wants it hung.
 */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.js';

export interface RedisProcess {
  url: string;
  port: number;
  stop(): Promise<void>;
  kill(): void;
  /** SIGSTOP: Redis hangs, its connections open and its data kept, until resume(). */
  pause(): void;
  resume(): void;
}

const READY_TIMEOUT_MS = 10_000;

/** Sends PING over a raw socket; true on +PONG. */
function ping(port: number, password: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write(password ? `AUTH ${password}\r\nPING\r\n` : 'PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.endsWith('+PONG\r\n')) done(true);
      else if (reply.includes('-')) done(false);
    });
  });
}

export interface RedisOptions {
  /** Default: a free one. A killed server's port, to start it again where its clients reconnect. */
  port?: number;
  /** requirepass: clients must send it (the URL carries it). */
  password?: string;
}

export async function startRedis(options: RedisOptions = {}): Promise<RedisProcess> {
  const { password } = options;
  const port = options.port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(password ? ['--requirepass', password] : [])],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
  let spawnError: Error | undefined; // e.g. redis-server is not installed
  child.on('error', (error) => (spawnError = error));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await ping(port, password))) {
    if (child.exitCode !== null || spawnError || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port}: ${spawnError?.message ?? (stderr.trim() || `exit ${child.exitCode}`)}`);
    }
    await sleep(50);
  }

  return {
    url: password ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill() {
      child.kill('SIGKILL');
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
  };
}
