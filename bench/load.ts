/**
 * Load and isolation: two tenants hammer one gateway process concurrently for LOAD_SECONDS
 * (default 60), bounded in time and in request count. Every answer is checked: a tenant must see
 * only its own organisation's workflows and runs, and nothing may fail. The gateway runs as its
 * own process, built, as `npm start` runs it, over a simulator in this one, so its RSS is its own.
 *
 *   npm run load               # about a minute
 *   LOAD_SECONDS=10 npm run load
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startSimulator } from '../src/demo/simulator.js';
import { DEMO_TOKENS } from '../src/demo/seed.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 32);
const MAX_REQUESTS = 1_000_000;

const QUERY = `query Load($n: Int) {
  workflows(first: 3) { nodes { id executions(first: $n) { nodes { id status logs { id nodeId } } } } }
}`;

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

async function main() {
  const simulator = await startSimulator({ pageSize: 15 });
  const gateway = spawn(process.execPath, ['dist/main.js'], {
    env: { ...process.env, PORT: '0', ALTOSTRAT_API_URL: simulator.url, LOG_LEVEL: 'warn', GRAPHIQL: 'false', NODE_OPTIONS: process.env.GATEWAY_NODE_OPTIONS ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    gateway.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /ready at (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    gateway.once('exit', () => reject(new Error(`gateway exited:\n${out}`)));
  });

  const tenants = (['acme', 'globex'] as const).map((name) => {
    const token = DEMO_TOKENS[name];
    const workflows = new Set(simulator.workflowsOf(token).map((w) => w.id));
    const runs = new Set([...workflows].flatMap((id) => simulator.runsOf(id).map((r) => r.id)));
    return { name, authorization: `Bearer ${token}`, workflows, runs, requests: 0, foreign: 0, errors: 0 };
  });

  // Warm up, then measure.
  await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: tenants[0]!.authorization }, body: JSON.stringify({ query: QUERY, variables: { n: 5 } }) });
  const rssStart = rssMb(gateway.pid!);
  let peakRss = rssStart;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(gateway.pid!))), 500);
  const deadline = Date.now() + SECONDS * 1000;
  let sent = 0;
  const latencies: number[] = [];

  async function worker(index: number) {
    while (Date.now() < deadline && sent < MAX_REQUESTS) {
      sent++;
      const tenant = tenants[(index + sent) % 2]!;
      tenant.requests++;
      const started = performance.now();
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: tenant.authorization },
          body: JSON.stringify({ query: QUERY, variables: { n: 1 + (sent % 10) } }),
        });
        const body = (await response.json()) as { data?: any; errors?: unknown[] };
        latencies.push(performance.now() - started);
        if (body.errors || !body.data) tenant.errors++;
        for (const workflow of body.data?.workflows.nodes ?? []) {
          if (!tenant.workflows.has(workflow.id)) tenant.foreign++;
          for (const run of workflow.executions.nodes) if (!tenant.runs.has(run.id)) tenant.foreign++;
        }
      } catch {
        tenant.errors++;
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(i)));
  clearInterval(sampler);
  const rssEnd = rssMb(gateway.pid!);
  gateway.kill('SIGTERM');
  await simulator.close();

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(1);
  const total = tenants.reduce((n, t) => n + t.requests, 0);
  const lines = [
    `| seconds | concurrency | requests | req/s | p50 ms | p99 ms | cross-tenant items | errors | RSS start MB | RSS end MB | RSS peak MB |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
    `| ${SECONDS} | ${CONCURRENCY} | ${total} | ${Math.round(total / SECONDS)} | ${pct(0.5)} | ${pct(0.99)} | ${tenants.reduce((n, t) => n + t.foreign, 0)} | ${tenants.reduce((n, t) => n + t.errors, 0)} | ${rssStart} | ${rssEnd} | ${peakRss} |`,
  ];
  console.log(lines.join('\n'));
  for (const t of tenants) console.log(`${t.name}: ${t.requests} requests, ${t.foreign} foreign items, ${t.errors} errors`);
  if (tenants.some((t) => t.foreign > 0 || t.errors > 0)) process.exitCode = 1;
}

await main();
