/**
 * `npm run bench`: what the gateway costs over its upstream, measured against two floors and a
 * hand-built baseline, all in one run on this machine. The simulator, the gateway and the baseline
 * each run as their own process on 127.0.0.1; autocannon drives the load. Every figure is the median
 * of RUNS runs. Prints a report and writes bench/RESULTS.md (the hand-written notes after the
 * generated part are kept).
 *
 * Floors: (a) critical path: with 20 ms of upstream latency, p50 of one query at a time /
 * (sequential waves x 20 ms);
 * (b) CPU: with no latency, gateway queries/s beside the simulator's own throughput for the REST
 * calls one query needs, fired at it directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import autocannon from 'autocannon';
import { DEMO_TOKENS } from '../src/demo/seed.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const MODERATE = 8;
// Enough to keep a single-threaded gateway busy at zero upstream latency; more only queues.
const SATURATION = 16;
const LATENCY_MS = 20;
const AUTH = `Bearer ${DEMO_TOKENS.acme}`;
const RESULTS = new URL('./RESULTS.md', import.meta.url);

// ---------------------------------------------------------------------------------------------
// processes

interface Fixture {
  url: string;
  control: string;
  busiest: string;
  workflows: string[];
}

const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function launch(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = ready.exec(out);
      if (match) resolve({ child, match });
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

async function stop(child: ChildProcess) {
  children.delete(child);
  child.kill('SIGTERM');
  if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
}

async function simulator(options: { inlineLogs: boolean; latencyMs: number }) {
  const { child, match } = await launch(['--import', 'tsx', 'bench/simulator-process.ts', JSON.stringify({ pageSize: 15, ...options })], {}, /^(\{.*\})$/m);
  return { child, fixture: JSON.parse(match[1]!) as Fixture };
}

const gateway = (upstream: string) =>
  launch(['dist/main.js'], { PORT: '0', ALTOSTRAT_API_URL: upstream, LOG_LEVEL: 'error', GRAPHIQL: 'false' }, /ready at (\S+)/);
const baseline = (upstream: string) => launch(['--import', 'tsx', 'bench/baseline/server.ts', upstream], {}, /ready at (\S+)/);

/** CPU ms used so far by a process (utime + stime, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const peakRssMb = (pid: number) => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

// ---------------------------------------------------------------------------------------------
// scenarios

interface Scenario {
  name: string;
  body: (f: Fixture, cursor: string) => string;
  /** Upstream calls the contract allows for one query. */
  budget: number;
  /** Sequential waves of upstream calls on the critical path. */
  waves: number;
  inlineLogs: boolean;
  /** The REST calls one query needs (for the CPU floor). */
  rest: (f: Fixture) => string[];
}

const gql = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
const RUN_FIELDS = 'edges { node { id status startedAt logs { id status } } }';
const executions = (first: number, logsInline: boolean, name = `S1 first ${first}`): Scenario => ({
  name,
  body: (f) => gql(`query($id: ID!) { workflow(id: $id) { executions(first: ${first}) { ${RUN_FIELDS} } } }`, { id: f.busiest }),
  budget: Math.ceil(first / 15) + (logsInline ? 0 : first),
  waves: logsInline ? 1 : 2,
  inlineLogs: logsInline,
  rest: (f) => Array.from({ length: Math.ceil(first / 15) }, (_, i) => `/workflows/${f.busiest}/executions?page=${i + 1}`),
});
const fanOut = (count: number, name = `S4 ${count} workflows`): Scenario => ({
  name,
  body: (f) =>
    gql(
      `query { ${f.workflows
        .slice(0, count)
        .map((id, i) => `w${i}: workflow(id: "${id}") { executions(first: 5) { edges { node { id status startedAt } } } }`)
        .join(' ')} }`,
      {},
    ),
  budget: count,
  waves: 1,
  inlineLogs: true,
  rest: (f) => f.workflows.slice(0, count).map((id) => `/workflows/${id}/executions?page=1`),
});

const S1 = { ...executions(20, true), name: 'S1 executions(first: 20), logs inline' };
const S2 = { ...executions(20, false), name: 'S2 the same, logs fetched per run' };
const S3: Scenario = {
  name: 'S3 deep page: 20 after the 300th run',
  body: (f, cursor) => gql(`query($id: ID!, $after: String) { workflow(id: $id) { executions(first: 20, after: $after) { ${RUN_FIELDS} } } }`, { id: f.busiest, after: cursor }),
  budget: 2,
  waves: 1,
  inlineLogs: true,
  rest: (f) => [21, 22].map((p) => `/workflows/${f.busiest}/executions?page=${p}`),
};
const S4 = { ...fanOut(10), name: 'S4 fan-out: 10 workflows, executions(first: 5)' };
const S5 = [...[1, 10, 50, 100].map((n) => executions(n, true, `S5 first ${n}`)), ...[1, 10, 50].map((n) => fanOut(n, `S5 ${n} workflows`))];

// ---------------------------------------------------------------------------------------------
// measuring

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function fire(url: string, body: string | undefined, connections: number, requests?: autocannon.Request[]) {
  const result = await autocannon({
    url,
    connections,
    duration: SECONDS,
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', authorization: AUTH },
    ...(body ? { body } : {}),
    ...(requests ? { requests } : {}),
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result;
}

async function check(url: string, body: string) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTH }, body });
  const json = (await response.json()) as { errors?: unknown };
  if (json.errors) throw new Error(`${url} answered errors: ${JSON.stringify(json.errors).slice(0, 300)}`);
}

async function callsPerQuery(url: string, body: string, control: string) {
  await fetch(`${control}/reset`, { method: 'POST' });
  for (let i = 0; i < 5; i++) await check(url, body);
  const { calls } = (await (await fetch(`${control}/calls`)).json()) as { calls: number };
  return calls / 5;
}

interface Row {
  scenario: string;
  target: string;
  p50?: number;
  p99?: number;
  rps?: number;
  calls?: number;
  budget?: number;
  cpuMsPerQuery?: number;
  rssMb?: number;
  criticalPath?: number;
  /** p50 / (waves x the upstream's own measured p50 for one call). */
  criticalPathMeasured?: number;
  cpuFloor?: number;
}

async function measure(target: string, pid: number, url: string, body: string, control: string, opts: { latency: boolean }) {
  await check(url, body); // the first answer teaches the gateway the page size
  // Counted before any load: autocannon stops without waiting for the answers still in flight.
  const calls = await callsPerQuery(url, body, control);
  await fire(url, body, MODERATE); // warm up: JIT, connection pools
  const p50: number[] = [];
  const p99: number[] = [];
  const rps: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    if (opts.latency) {
      const moderate = await fire(url, body, MODERATE);
      p50.push(moderate.latency.p50);
      p99.push(moderate.latency.p99);
    }
    const before = cpuMs(pid);
    const saturated = await fire(url, body, SATURATION);
    cpu.push((cpuMs(pid) - before) / saturated.requests.total);
    rps.push(saturated.requests.average);
  }
  return {
    target,
    calls,
    rps: median(rps),
    cpuMsPerQuery: median(cpu),
    rssMb: peakRssMb(pid),
    ...(opts.latency ? { p50: median(p50), p99: median(p99) } : {}),
  };
}

/** p50 of one query at a time (no queueing behind other queries). */
async function oneAtATimeP50(url: string, body: string | undefined, requests?: autocannon.Request[]) {
  const p50: number[] = [];
  for (let run = 0; run < RUNS; run++) p50.push((await fire(url, body, 1, requests)).latency.p50);
  return median(p50);
}

async function restFloor(f: Fixture, paths: string[]) {
  const requests = paths.map((path) => ({ method: 'GET' as const, path }));
  const rps: number[] = [];
  for (let run = 0; run < RUNS; run++) rps.push((await fire(f.url, undefined, SATURATION, requests)).requests.average);
  return median(rps) / paths.length; // queries' worth of REST calls per second
}

async function deepCursor(url: string, f: Fixture) {
  let after: string | null = null;
  for (let i = 0; i < 3; i++) {
    const response: Response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: AUTH },
      body: gql(`query($id: ID!, $after: String) { workflow(id: $id) { executions(first: 100, after: $after) { pageInfo { endCursor } } } }`, { id: f.busiest, after }),
    });
    after = ((await response.json()) as any).data.workflow.executions.pageInfo.endCursor;
  }
  return after!;
}

// ---------------------------------------------------------------------------------------------
// the run

const rows: Row[] = [];
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);

for (const inlineLogs of [true, false]) {
  const scenarios = [S1, S2, S3, S4, ...S5].filter((s) => s.inlineLogs === inlineLogs);
  // No upstream latency: throughput, CPU, RSS, calls; the CPU floor; the baseline.
  {
    const sim = await simulator({ inlineLogs, latencyMs: 0 });
    const gw = await gateway(sim.fixture.url);
    const gwUrl = gw.match[1]!;
    const cursor = await deepCursor(gwUrl, sim.fixture);
    for (const s of scenarios) {
      const body = s.body(sim.fixture, cursor);
      const isS5 = s.name.startsWith('S5');
      log(`${s.name}: gateway`);
      const row: Row = { scenario: s.name, budget: s.budget, ...(await measure('gateway', gw.child.pid!, gwUrl, body, sim.fixture.control, { latency: !isS5 })) };
      if (!isS5) {
        log(`${s.name}: upstream floor`);
        row.cpuFloor = row.rps! / (await restFloor(sim.fixture, s.rest(sim.fixture)));
      }
      rows.push(row);
    }
    await stop(gw.child);
    for (const s of [S1, S2].filter((x) => x.inlineLogs === inlineLogs)) {
      log(`${s.name}: baseline`);
      const base = await baseline(sim.fixture.url);
      rows.push({ scenario: s.name, budget: s.budget, ...(await measure('baseline (Apollo Server 5 + RESTDataSource)', base.child.pid!, base.match[1]!, s.body(sim.fixture, ''), sim.fixture.control, { latency: true })) });
      await stop(base.child);
    }
    await stop(sim.child);
  }
  // 20 ms upstream latency: the critical path.
  {
    const sim = await simulator({ inlineLogs, latencyMs: LATENCY_MS });
    const gw = await gateway(sim.fixture.url);
    const gwUrl = gw.match[1]!;
    const cursor = await deepCursor(gwUrl, sim.fixture);
    // One upstream call as the simulator answers it: its latency plus its own work.
    const upstreamP50 = await oneAtATimeP50(sim.fixture.url, undefined, [{ method: 'GET', path: `/workflows/${sim.fixture.busiest}/executions?page=1` }]);
    for (const s of [S1, S2, S3, S4].filter((x) => x.inlineLogs === inlineLogs)) {
      log(`${s.name}: critical path`);
      const body = s.body(sim.fixture, cursor);
      await check(gwUrl, body);
      await fire(gwUrl, body, MODERATE);
      const p50 = await oneAtATimeP50(gwUrl, body);
      const row = rows.find((r) => r.scenario === s.name && r.target === 'gateway')!;
      row.criticalPath = p50 / (s.waves * LATENCY_MS);
      row.criticalPathMeasured = p50 / (s.waves * upstreamP50);
    }
    await stop(gw.child);
    await stop(sim.child);
  }
}

// ---------------------------------------------------------------------------------------------
// report

const fixed = (x: number | undefined, digits = 1) => (x === undefined ? '' : x.toFixed(digits));
const gatewayRow = (name: string) => rows.find((r) => r.scenario === name && r.target === 'gateway')!;
const baselineRow = (name: string) => rows.find((r) => r.scenario === name && r.target !== 'gateway')!;

function slope(points: Array<[number, number]>) {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const syy = points.reduce((a, [, y]) => a + (y - my) ** 2, 0);
  const b = sxy / sxx;
  return { slope: b, intercept: my - b * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}
const byFirst = slope([1, 10, 50, 100].map((n) => [n, gatewayRow(`S5 first ${n}`).cpuMsPerQuery!]));
const byWorkflows = slope([1, 10, 50].map((n) => [n, gatewayRow(`S5 ${n} workflows`).cpuMsPerQuery!]));

const table = [
  '| scenario | server | p50 ms | p99 ms | req/s (saturated) | upstream calls/query (budget) | CPU ms/query | peak RSS MB | critical path ratio (vs 20 ms) | (vs measured upstream p50) | throughput / upstream floor |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.scenario} | ${r.target} | ${fixed(r.p50)} | ${fixed(r.p99)} | ${fixed(r.rps, 0)} | ${fixed(r.calls)} (${r.budget}) | ${fixed(r.cpuMsPerQuery, 2)} | ${r.rssMb} | ${fixed(r.criticalPath, 2)} | ${fixed(r.criticalPathMeasured, 2)} | ${fixed(r.cpuFloor, 2)} |`,
  ),
];
const s1 = gatewayRow(S1.name).rps! / baselineRow(S1.name).rps!;
const s2 = gatewayRow(S2.name).rps! / baselineRow(S2.name).rps!;
const maxCritical = Math.max(...[S1, S2, S3, S4].map((s) => gatewayRow(s.name).criticalPath!));
const maxCriticalMeasured = Math.max(...[S1, S2, S3, S4].map((s) => gatewayRow(s.name).criticalPathMeasured!));
const budgetMet = rows.filter((r) => r.target === 'gateway').every((r) => r.calls === r.budget);
const maxRss = Math.max(...rows.filter((r) => r.target === 'gateway').map((r) => r.rssMb!));
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const targets = [
  '| target | measured | verdict |',
  '| --- | --- | --- |',
  `| S1 throughput >= 1.5x baseline | ${s1.toFixed(2)}x | ${verdict(s1 >= 1.5)} |`,
  `| S2 throughput >= 1.0x baseline | ${s2.toFixed(2)}x | ${verdict(s2 >= 1)} |`,
  `| critical-path ratio <= 1.10 (S1-S4), against 20 ms per wave | worst ${maxCritical.toFixed(2)} | ${verdict(maxCritical <= 1.1)} |`,
  `| the same, against the upstream's measured p50 per call | worst ${maxCriticalMeasured.toFixed(2)} | ${verdict(maxCriticalMeasured <= 1.1)} |`,
  `| upstream calls/query = the contract's budget, every scenario | ${budgetMet ? 'all equal' : 'see table'} | ${verdict(budgetMet)} |`,
  `| cost linear in \`first\` | ${byFirst.slope.toFixed(4)} CPU ms per run, R² ${byFirst.r2.toFixed(3)} | ${verdict(byFirst.r2 >= 0.9)} |`,
  `| cost linear in workflow count | ${byWorkflows.slope.toFixed(4)} CPU ms per workflow, R² ${byWorkflows.r2.toFixed(3)} | ${verdict(byWorkflows.r2 >= 0.9)} |`,
  `| S1: gateway saturates after the simulator (throughput / upstream floor >= 1) | ${fixed(gatewayRow(S1.name).cpuFloor, 2)} | ${verdict(gatewayRow(S1.name).cpuFloor! >= 1)} |`,
  `| peak RSS < 150 MB | ${maxRss} MB | ${verdict(maxRss < 150)} |`,
];

const generated = [
  '<!-- generated by `npm run bench`: everything down to the END line is rewritten by each run -->',
  '# Benchmark results',
  '',
  `Run ${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}; ` +
    `medians of ${RUNS} runs of ${SECONDS} s; moderate load ${MODERATE} connections, saturation ${SATURATION}; upstream page size 15; ` +
    `critical path: p50 of one query at a time with ${LATENCY_MS} ms upstream latency. Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  '',
  ...table,
  '',
  ...targets,
  '',
  '<!-- END of generated part -->',
].join('\n');
const notes = existsSync(RESULTS) ? (readFileSync(RESULTS, 'utf8').split('<!-- END of generated part -->')[1] ?? '') : '';
writeFileSync(RESULTS, `${generated}${notes || '\n'}`);
console.log(`\n${table.join('\n')}\n\n${targets.join('\n')}`);
process.exit(0);
