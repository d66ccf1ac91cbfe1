/**
 * The process as `npm start` runs it, the bundle `npm run build` writes (made from the sources as
 * they are by the tests' global setup): start-up on the demo upstream, health, GraphiQL, config
 * errors, draining shutdown.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS, post } from '../support/stack.js';
import { startArgs } from '../support/process.js';
import { freePort } from '../support/ports.js';
import { until } from '../support/wait.js';

const running: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `dist/main.js` as `npm start` does, or with Node's arguments `args` instead. */
function start(env: Record<string, string>, args = startArgs()) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', ALTOSTRAT_API_URL: '', ...env },
  });
  running.push(child);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  // Settled by the process itself: it says it is ready, or it exits. A process that does neither
  // is caught by the test's own timeout, not by a guess at how long a start-up may take.
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /ready at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => reject(new Error(`exited:\n${output}`)));
  });
  return { child, ready, output: () => output };
}

describe('the gateway process', () => {
  it('starts on the demo upstream, prints a token that works, serves GraphiQL and /health, and exits 0 on SIGTERM', async () => {
    const { child, ready, output } = start({});
    const url = await ready;
    const token = /Demo token[^:]*: (\S+)/.exec(output())![1]!;

    expect((await fetch(url.replace('/graphql', '/health'))).status).toBe(200);
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Workflows with their latest executions');
    expect(html).toContain(token); // pre-filled in the headers tab
    expect(html).not.toMatch(/https?:\/\/(unpkg|cdn|esm\.sh)/); // served whole, no CDN

    const answer = await post(
      url,
      { query: '{ workflows(first: 1) { nodes { name executions(first: 5) { nodes { status logs { status } } } } } }' },
      { authorization: bearer(token) },
    );
    const body = (await answer.json()) as { errors?: unknown; data: { workflows: { nodes: Array<{ executions: { nodes: Array<{ status: string; logs: unknown[] }> } }> } } };
    expect(body.errors).toBeUndefined();
    // The newest run may have just started (the demo keeps one going for GraphiQL): a finished one has its steps.
    const finished = body.data.workflows.nodes[0]!.executions.nodes.find((run) => run.status === 'COMPLETED' || run.status === 'FAILED');
    expect(finished?.logs.length).toBeGreaterThan(0);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('exits 0 on SIGTERM with tracing on and no collector to take its spans', async () => {
    const { child, ready, output } = start({ OTEL_TRACING: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    const url = await ready;
    const token = /Demo token[^:]*: (\S+)/.exec(output())![1]!;
    expect((await post(url, { query: '{ workflows(first: 1) { totalCount } }' }, { authorization: bearer(token) })).status).toBe(200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code, output().slice(-800)).toBe(0);
  });

  it('does not serve GraphiQL when GRAPHIQL=false', async () => {
    const { child, ready } = start({ GRAPHIQL: 'false' });
    const url = await ready;
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('Workflows with their latest executions');
    child.kill('SIGINT');
    expect((await once(child, 'exit'))[0]).toBe(0);
  });

  it('drains a request in flight on SIGTERM: it is answered, then the process exits 0', async () => {
    // The upstream is this process's simulator, so the test sees the gateway's call arrive.
    const simulator = await startSimulator({ latencyMs: 1_000 });
    try {
      const { child, ready } = start({ ALTOSTRAT_API_URL: simulator.url });
      const url = await ready;
      const answer = post(url, { query: '{ workflows(first: 1) { totalCount } }' });
      await until('the gateway called the upstream', () => simulator.calls.length > 0);
      const [call] = simulator.calls;
      // The signal goes while the upstream call is in flight (the simulator answers after 1 s).
      expect(call!.endedAt).toBeUndefined();
      child.kill('SIGTERM');
      const body = (await (await answer).json());
      expect(body.data.workflows.totalCount).toBe(simulator.workflowsOf(DEMO_TOKENS.acme).length);
      expect((await once(child, 'exit'))[0]).toBe(0);
    } finally {
      await simulator.close();
    }
  });

  it('drains on, and exits 0, when SIGTERM comes again during the drain', async () => {
    const simulator = await startSimulator({ latencyMs: 1_000 });
    try {
      const { child, ready, output } = start({ ALTOSTRAT_API_URL: simulator.url });
      const answer = post(await ready, { query: '{ workflows(first: 1) { totalCount } }' });
      await until('the gateway called the upstream', () => simulator.calls.length > 0);
      child.kill('SIGTERM');
      await until('the drain began', () => output().includes('SIGTERM: draining'));
      child.kill('SIGTERM'); // an operator's second `kill`
      expect((await (await answer).json()).data.workflows.totalCount).toBe(simulator.workflowsOf(DEMO_TOKENS.acme).length);
      expect(await once(child, 'exit')).toEqual([0, null]);
    } finally {
      await simulator.close();
    }
  });

  it('writes its start-up warnings while it runs, not only when it stops', async () => {
    const { ready, output } = start({ REDIS_URI: 'redis://cache.internal:6379' });
    await ready;
    await until('the warning on stdout', () => output().includes('REDIS_URI is set but is no setting of this gateway'));
  });

  it('warns at start when Node runs without the heap flag `npm start` gives it, and only then', async () => {
    const HEAP_WARNING = 'Node runs without --heap-growing-percent=50';
    const started = [start({}), start({}, ['dist/main.js'])];
    await Promise.all(started.map(({ ready }) => ready));
    // Log lines are written in batches: all of them are out once the process has exited.
    for (const { child } of started) child.kill('SIGTERM');
    await Promise.all(started.map(({ child }) => once(child, 'exit')));
    expect(started.map(({ output }) => output().includes(HEAP_WARNING))).toEqual([false, true]);
    expect(started.map(({ child }) => child.exitCode)).toEqual([0, 0]);
  });

  it('warns at start of a variable that looks like one of its settings but is none (a misspelt REDIS_URL leaves every replica alone)', async () => {
    const { child, ready, output } = start({ REDIS_URI: 'redis://cache.internal:6379' });
    await ready;
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(output()).toContain('REDIS_URI is set but is no setting of this gateway');
    expect(output()).not.toContain('cache.internal');
  });

  it('refuses a bad setting at start with its name, its value and what is allowed', async () => {
    const { child, ready, output } = start({ PORT: 'abc' });
    await expect(ready).rejects.toThrow();
    expect(child.exitCode).toBe(1);
    expect(output()).toContain('PORT must be a whole number from 0 to 65535, got "abc"');
  });

  it('refuses a HOST that is no address of this machine, naming it, without a stack trace', async () => {
    const { child, ready, output } = start({ HOST: '192.0.2.1' }); // TEST-NET-1: never a local address
    await expect(ready).rejects.toThrow();
    expect(child.exitCode).toBe(1);
    expect(output()).toContain('Configuration error: HOST "192.0.2.1" is not an address of this machine (EADDRNOTAVAIL)');
    expect(output()).not.toMatch(/^\s+at /m);
  });
});
