/**
 * `npm run bench`: the gateway beside the Apollo baseline (bench/baseline/) and, for S1, a bare-Yoga
 * ceiling (bench/ceiling/), over the same simulated upstream, measured side by side in one run;
 * every ratio in the targets compares figures taken minutes apart at most, on the same machine, in
 * rotated order.
 *
 * The gateway runs as `npm start` runs it (its command from package.json: Node's flags and
 * dist/main.js) with only PORT, HOST and
 * ALTOSTRAT_API_URL set, so every other setting is its default (LOG_LEVEL info, one JSON line per
 * request; metrics on). Its stdout and stderr go to a file (processes.ts: LOG_DIR), as a container
 * runtime's log driver would take them. The baseline and the ceiling are compiled to JS and run with
 * NODE_ENV=production. The simulator, the servers and the load generator (autocannon, in this
 * process) share the machine's cores; each is its own process. Each scenario names the upstream it
 * runs against: page size 15 or 20, logs in the list pages or read per run.
 *
 * For each scenario and server: throughput at 10 connections and at saturation (the connection
 * count, among SATURATION_PROBE, with the most throughput), p50/p99 at 10 connections (latencies
 * recorded unrounded, per response), CPU ms per query and peak RSS at saturation (from /proc),
 * upstream calls per query (the simulator's count), and, with 20 ms of upstream latency, p50 at 10
 * connections and one query at a time, beside a zero-cost client's floor: the same upstream calls
 * made directly, in the same waves. S2 cold sends pages no server process has read, each once, to
 * fresh processes (coldThroughput, coldCriticalPath). Each figure is the median of BENCH_ROUNDS rounds (default 3) of
 * BENCH_SECONDS of load (default 5); the servers' order is rotated from round to round. Load on the
 * machine is recorded before and after.
 *
 *   npm run bench                      # about 19 minutes on 2 cores
 *   BENCH_ROUNDS=5 BENCH_SECONDS=10 npm run bench
 *
 * It first waits (at most BENCH_QUIET_WAIT_S, default 120 s) for other processes to leave the
 * machine mostly idle, since on a shared machine they take CPU from whichever server is measured.
 *
 * Writes bench/RESULTS.md: the generated part is rewritten; the hand-written notes after it are kept.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import { buildServers, cpuMs, LOG_DIR, rssMb, TICK_MS, startBaseline, startCeiling, startGateway, startSimulator, stop, type Server, type Simulator, type SimulatorSetup } from './processes.js';
import { startArgs } from '../test/support/process.js';
import { upstreamClient } from './clients.js';
import { AUTHORIZATION, budget, freshBodies, S1, S1_PAGE15, S2_COLD, S2_WARM, S3, S4, S5, walkBody, waves, type Fixture, type Scenario, type ServerName } from './scenarios.js';
import { median, percentile } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;
/**
 * S2 cold: a pass on fresh server processes first reads WARM_UP_PAGES pages once each (the same
 * code paths, other runs), then COLD_PAGES others once each. 900 pages of 20 runs at about 1.7 KB
 * a run (the simulator's run record with its logs) is about 31 MB, well inside what the gateway
 * may remember by default (64 MiB): nothing is evicted during a pass.
 */
const WARM_UP_PAGES = 100;
const COLD_PAGES = 800;
/** S2 cold's critical path: pages sent at 10 connections, then one at a time, to each fresh server in a round. */
const PATH_AT_10 = 300;
const PATH_ONE = 60;
const SATURATION_PROBE = [16, 32, 64];
const LATENCY_MS = 20;
const RESULTS = new URL('./RESULTS.md', import.meta.url);
const END = '<!-- END of generated part -->';

const started = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);
/** Round r visits the targets from a different one first. */
const rotate = <T>(xs: T[], r: number) => xs.map((_, i) => xs[(i + r) % xs.length]!);

// ---------------------------------------------------------------------------------------------
// load on the machine

const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** A process's program and, for an interpreter, its script, without this machine's paths: `node vitest`. */
function command(cmdline: string): string {
  // Some programs (Chromium) rewrite their argv into one string: words split on spaces too.
  const [program, next] = cmdline.split(/[\0\s]+/).map((word) => word.replace(/^.*\//, ''));
  return program && next && !next.startsWith('-') && /^(node|npm|npx|python3?|sh|bash)$/.test(program) ? `${program} ${next}` : (program ?? '');
}

/** CPU ms used so far by every process alive now, by pid. */
function processCpu(): Map<number, { name: string; ms: number }> {
  const all = new Map<number, { name: string; ms: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = command(readFileSync(`/proc/${entry}/cmdline`, 'utf8')) || stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      all.set(Number(entry), { name, ms: cpuMs(Number(entry)) });
    } catch {
      // gone between listing and reading
    }
  }
  return all;
}
/** Machine-wide busy CPU ms so far, from /proc/stat. */
function machineBusyMs(): number {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return (ticks.reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!) * TICK_MS;
}
/** CPU ms of this process and of every child it has reaped (the servers, the simulator, tsc). */
function benchMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * TICK_MS;
}
const ours = new Set<number>([process.pid]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits, within a bound, until other processes use less than a quarter of a core; returns the seconds waited and their last use. */
async function waitForQuiet(): Promise<{ waitedS: number; othersCores: number }> {
  const limitMs = Number(process.env.BENCH_QUIET_WAIT_S ?? 120) * 1000;
  const t0 = performance.now();
  for (;;) {
    const before = machineBusyMs();
    await sleep(3000); // the bench does nothing meanwhile: all the busy time is others'
    const othersCores = (machineBusyMs() - before) / 3000;
    const waitedS = (performance.now() - t0) / 1000;
    if (othersCores < 0.25 || performance.now() - t0 > limitMs) return { waitedS, othersCores };
    log(`waiting for a quieter machine: other processes use ${othersCores.toFixed(2)} cores`);
  }
}

// ---------------------------------------------------------------------------------------------
// measuring

interface Fired {
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerQuery: number;
  peakRssMb: number;
  /** Per answer, sorted. */
  latencies: number[];
  seconds: number;
}

/**
 * Waits until the server has finished what the load generator left in flight (autocannon stops
 * without waiting for the answers): no upstream call and no CPU tick for 100 ms.
 */
async function settle(sim: Simulator, server: Server) {
  let last = [await sim.calls(), cpuMs(server.pid)];
  for (let i = 0; i < 30; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = [await sim.calls(), cpuMs(server.pid)];
    if (now[0] === last[0] && now[1] === last[1]) return;
    last = now;
  }
}

/**
 * Closed-loop load with autocannon; latencies are taken per response, to the microsecond. `load` is
 * one body sent for `seconds`, or a sequence of bodies sent once each, in order, then it stops.
 */
async function fire(sim: Simulator, server: Server, load: string | string[], connections: number, seconds = SECONDS): Promise<Fired> {
  const latencies: number[] = [];
  let [minBytes, maxBytes] = [Infinity, 0];
  let peak = rssMb(server.pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server.pid))), 100);
  const cpuBefore = cpuMs(server.pid);
  const t0 = performance.now();
  let next = 0;
  // The typings return a bare promise without a callback; the object is also the event emitter.
  const run = autocannon({
    url: server.url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: AUTHORIZATION },
    ...(typeof load === 'string'
      ? { body: load }
      : {
          amount: load.length,
          // Called once for each request sent: each body goes out once. Every answer is read for errors.
          requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: load[next++] }) }],
          verifyBody: (answer?: string | Buffer) => !String(answer).includes('"errors"'),
        }),
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  void run.on('response', (_client: unknown, status: number, bytes: number, ms: number) => {
    if (status !== 200) return;
    latencies.push(ms);
    [minBytes, maxBytes] = [Math.min(minBytes, bytes), Math.max(maxBytes, bytes)];
  });
  const result = await run;
  const elapsed = (performance.now() - t0) / 1000;
  await settle(sim, server);
  clearInterval(sampler);
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.mismatches > 0) {
    throw new Error(`${server.name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${result.mismatches} GraphQL errors`);
  }
  // Every answer the same size (headers of fixed width): no error answer slipped in under load.
  if (maxBytes - minBytes > 8) throw new Error(`${server.name}: answers from ${minBytes} to ${maxBytes} bytes under load`);
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    // Closed loop for a time: each connection had one query in flight when the load stopped, and
    // the server finished it (settle) inside the CPU time measured. A sequence ends with its answers.
    cpuMsPerQuery: (cpuMs(server.pid) - cpuBefore) / (latencies.length + (typeof load === 'string' ? connections : 0)),
    peakRssMb: Math.max(peak, rssMb(server.pid)),
    latencies,
    seconds: elapsed,
  };
}

/** One GraphQL answer: its bytes and data; GraphQL errors stop the bench. */
async function ask(server: Server, body: string) {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTHORIZATION }, body });
  const text = await response.text();
  const json = JSON.parse(text) as { data?: unknown; errors?: unknown };
  if (!response.ok || json.errors) throw new Error(`${server.name} answered ${response.status}: ${text.slice(0, 300)}`);
  return { bytes: Buffer.byteLength(text), data: json.data };
}

async function callsPerQuery(sim: Simulator, server: Server, body: string) {
  await sim.reset();
  for (let i = 0; i < 5; i++) await ask(server, body);
  return (await sim.calls()) / 5;
}

/**
 * The floor: the upstream calls a query needs, made directly by a client that costs nothing (keep-alive,
 * bodies parsed, nothing else), in the same waves, by `concurrency` clients in a closed loop.
 */
async function floorP50(f: Fixture, s: Scenario, concurrency: number, seconds = SECONDS) {
  const { getJson, close } = upstreamClient(f);
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const pages = await Promise.all(s.pages(f).map(getJson));
      if (s.runs > 0) await Promise.all(pages.flatMap((p) => p.data).slice(0, s.runs).map((run) => getJson(`/workflows/runs/${run.id}`)));
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  close();
  return percentile(latencies.sort((a, b) => a - b), 0.5);
}

async function deepCursor(server: Server, f: Fixture) {
  let after: string | null = null;
  for (let i = 0; i < 3; i++) {
    const { data } = await ask(server, walkBody(f, after));
    after = (data as { workflow: { executions: { pageInfo: { endCursor: string } } } }).workflow.executions.pageInfo.endCursor;
  }
  return after!;
}

// ---------------------------------------------------------------------------------------------
// the run

interface Row {
  scenario: Scenario;
  server: ServerName;
  calls: number;
  budget: number;
  bytes: number;
  sameData: boolean;
  /** 0 where only 10 connections are measured (S2 cold). */
  saturation: number;
  rps10: number;
  rpsSat: number;
  /** Per round, for ratios taken between back-to-back measurements. */
  rounds: { rps10: number[]; rpsSat: number[] };
  p50: number;
  p99: number;
  cpuMsPerQuery: number;
  peakRssMb: number;
}
interface PathRow {
  scenario: Scenario;
  server: ServerName;
  /** The upstream waves it waited for: one when it needed no run read (none made, or all remembered). */
  waves: number;
  p50at10: number;
  p50one: number;
  floorAt10: number;
  floorOne: number;
}
const rows: Row[] = [];
const pathRows: PathRow[] = [];
const scaling: Array<{ scenario: Scenario; rps: number; cpuMsPerQuery: number; calls: number }> = [];
const healthMs: number[] = [];
const idleRssMb: Record<ServerName, number[]> = { gateway: [], baseline: [], ceiling: [] };
const hwmMb: Record<ServerName, number> = { gateway: 0, baseline: 0, ceiling: 0 };

const START: Record<ServerName, (upstream: string) => Promise<Server>> = { gateway: (upstream) => startGateway(upstream), baseline: startBaseline, ceiling: startCeiling };
const nameOf = (server: Server) => server.name as ServerName;
const serving = (servers: Server[], s: Scenario) => servers.filter((server) => s.servers.includes(nameOf(server)));

async function launch(name: ServerName, upstream: string) {
  const server = await START[name](upstream);
  ours.add(server.pid);
  if (name === 'gateway') healthMs.push(server.readyMs);
  idleRssMb[name].push(rssMb(server.pid));
  return server;
}
async function retire(server: Server) {
  hwmMb[nameOf(server)] = Math.max(hwmMb[nameOf(server)], rssMb(server.pid, 'VmHWM'));
  await stop(server.child);
}
async function startAll(setup: SimulatorSetup, names: ServerName[]) {
  const sim = await startSimulator(setup);
  ours.add(sim.child.pid!);
  const servers = [];
  for (const name of names) servers.push(await launch(name, sim.fixture.url));
  return { sim, servers };
}
async function stopAll(sim: Simulator, servers: Server[]) {
  for (const s of servers) await retire(s);
  await stop(sim.child);
}

/** The scenario's request asked once of each server: the same data from all of them. */
async function compare(servers: Server[], s: Scenario, body: string) {
  const answers: Array<{ bytes: number; data: unknown }> = [];
  for (const server of servers) answers.push(await ask(server, body));
  const sameData = answers.every((a) => isDeepStrictEqual(a.data, answers[0]!.data));
  if (!sameData) log(`${s.id}: the servers' data differ`);
  return { answers, sameData };
}

/** The scenario's request, checked on each server (the same data from all), warmed up, calls counted. */
async function prepare(sim: Simulator, servers: Server[], s: Scenario, cursor: string) {
  const body = s.body(sim.fixture, cursor);
  const { answers, sameData } = await compare(servers, s, body); // the first answer teaches each server the page size
  for (const server of servers) await fire(sim, server, body, CONNECTIONS, 1);
  const calls = [];
  for (const server of servers) calls.push(await callsPerQuery(sim, server, body));
  return { body, answers, calls, sameData };
}

async function throughput(sim: Simulator, all: Server[], s: Scenario, cursor = '') {
  const servers = serving(all, s);
  log(`${s.name}: ${servers.map((x) => x.name).join(', ')}`);
  const { body, answers, calls, sameData } = await prepare(sim, servers, s, cursor);
  const saturation: number[] = [];
  for (const server of servers) {
    const probed = [];
    for (const c of SATURATION_PROBE) probed.push({ c, rps: (await fire(sim, server, body, c, 1)).rps });
    const best = Math.max(...probed.map((p) => p.rps));
    // The fewest connections within 3 % of the best: more would only queue.
    saturation.push(probed.find((p) => p.rps >= best * 0.97)!.c);
  }
  const at10: Fired[][] = servers.map(() => []);
  const atSat: Fired[][] = servers.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const i of rotate([...servers.keys()], r)) {
      at10[i]!.push(await fire(sim, servers[i]!, body, CONNECTIONS));
      atSat[i]!.push(await fire(sim, servers[i]!, body, saturation[i]!));
    }
  }
  for (const [i, server] of servers.entries()) {
    rows.push({
      scenario: s,
      server: nameOf(server),
      calls: calls[i]!,
      budget: budget(s, sim.fixture),
      bytes: answers[i]!.bytes,
      sameData,
      saturation: saturation[i]!,
      rps10: median(at10[i]!.map((x) => x.rps)),
      rpsSat: median(atSat[i]!.map((x) => x.rps)),
      rounds: { rps10: at10[i]!.map((x) => x.rps), rpsSat: atSat[i]!.map((x) => x.rps) },
      p50: median(at10[i]!.map((x) => x.p50)),
      p99: median(at10[i]!.map((x) => x.p99)),
      cpuMsPerQuery: median(atSat[i]!.map((x) => x.cpuMsPerQuery)),
      peakRssMb: Math.max(...atSat[i]!.map((x) => x.peakRssMb)),
    });
  }
}

/**
 * Pages no server process has read, at 10 connections. A round of a server is passes until SECONDS
 * of load: each pass starts the server afresh, warms it with WARM_UP_PAGES pages read once each,
 * then sends the COLD_PAGES others once each and counts the upstream calls they cost. The servers
 * already running (`all`) only compare their answers to a page they have not read either.
 */
async function coldThroughput(sim: Simulator, all: Server[], s: Scenario) {
  const names = serving(all, s).map(nameOf);
  log(`${s.name}: ${names.join(', ')}, fresh processes`);
  const { answers, sameData } = await compare(serving(all, s), s, s.body(sim.fixture));
  const bodies = freshBodies(sim.fixture);
  const [warmUp, sequence] = [bodies.slice(0, WARM_UP_PAGES), bodies.slice(WARM_UP_PAGES)];
  const rounds = names.map(() => ({ rps: [] as number[], latencies: [] as number[][], cpuMsPerQuery: [] as number[], peakRssMb: 0, calls: 0, queries: 0 }));
  for (let r = 0; r < ROUNDS; r++) {
    for (const i of rotate([...names.keys()], r)) {
      const passes: Fired[] = [];
      while (passes.reduce((sum, p) => sum + p.seconds, 0) < SECONDS) {
        const server = await launch(names[i]!, sim.fixture.url);
        await fire(sim, server, warmUp, CONNECTIONS);
        await sim.reset();
        passes.push(await fire(sim, server, sequence, CONNECTIONS));
        rounds[i]!.calls += await sim.calls();
        rounds[i]!.queries += sequence.length;
        await retire(server);
      }
      const round = rounds[i]!;
      round.rps.push((passes.length * sequence.length) / passes.reduce((sum, p) => sum + p.seconds, 0));
      round.latencies.push(passes.flatMap((p) => p.latencies).sort((a, b) => a - b));
      round.cpuMsPerQuery.push(median(passes.map((p) => p.cpuMsPerQuery)));
      round.peakRssMb = Math.max(round.peakRssMb, ...passes.map((p) => p.peakRssMb));
    }
  }
  for (const [i, name] of names.entries()) {
    const round = rounds[i]!;
    rows.push({
      scenario: s,
      server: name,
      calls: round.calls / round.queries,
      budget: budget(s, sim.fixture),
      bytes: answers[i]!.bytes,
      sameData,
      saturation: 0,
      rps10: median(round.rps),
      rpsSat: NaN,
      rounds: { rps10: round.rps, rpsSat: [] },
      p50: median(round.latencies.map((l) => percentile(l, 0.5))),
      p99: median(round.latencies.map((l) => percentile(l, 0.99))),
      cpuMsPerQuery: median(round.cpuMsPerQuery),
      peakRssMb: round.peakRssMb,
    });
  }
}

/**
 * The rounds of a critical path: each round measures every server (`measure` answers its p50 at 10
 * connections and one query at a time) and the floor, in an order rotated from round to round; the
 * medians become the scenario's path rows.
 */
async function pathRounds(
  sim: Simulator,
  s: Scenario,
  names: ServerName[],
  wavesOf: (i: number) => number,
  measure: (i: number) => Promise<{ at10: number; one: number }>,
) {
  const at10: number[][] = names.map(() => []);
  const one: number[][] = names.map(() => []);
  const floorAt10: number[] = [];
  const floorOne: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const i of rotate([...names.keys(), -1], r)) {
      if (i < 0) {
        floorAt10.push(await floorP50(sim.fixture, s, CONNECTIONS));
        floorOne.push(await floorP50(sim.fixture, s, 1));
        continue;
      }
      const measured = await measure(i);
      at10[i]!.push(measured.at10);
      one[i]!.push(measured.one);
    }
  }
  for (const [i, server] of names.entries()) {
    pathRows.push({ scenario: s, server, waves: wavesOf(i), p50at10: median(at10[i]!), p50one: median(one[i]!), floorAt10: median(floorAt10), floorOne: median(floorOne) });
  }
}

async function criticalPath(sim: Simulator, all: Server[], s: Scenario, cursor = '') {
  const servers = serving(all, s);
  log(`${s.name}: critical path, ${servers.map((x) => x.name).join(', ')} and the floor`);
  const { body, calls } = await prepare(sim, servers, s, cursor);
  // One wave for a server that needed no run read (none made, or all remembered).
  const wavesOf = (i: number) => (calls[i]! <= s.pages(sim.fixture).length ? 1 : waves(s));
  await pathRounds(sim, s, servers.map(nameOf), wavesOf, async (i) => ({
    at10: (await fire(sim, servers[i]!, body, CONNECTIONS)).p50,
    one: (await fire(sim, servers[i]!, body, 1)).p50,
  }));
}

/**
 * S2 cold's critical path, which `criticalPath` cannot measure: its pages must be new to the
 * server. Each round starts each server afresh, warms it on WARM_UP_PAGES other pages, then sends
 * it the same PATH_AT_10 pages no process has read at 10 connections and PATH_ONE more one at a
 * time. The floor makes the same calls, and remembers nothing, so its pages need not be new.
 */
async function coldCriticalPath(sim: Simulator, all: Server[], s: Scenario) {
  const names = serving(all, s).map(nameOf);
  log(`${s.name}: critical path, ${names.join(', ')} (fresh processes) and the floor`);
  const bodies = freshBodies(sim.fixture);
  const warmUp = bodies.slice(0, WARM_UP_PAGES);
  const atTen = bodies.slice(WARM_UP_PAGES, WARM_UP_PAGES + PATH_AT_10);
  const oneByOne = bodies.slice(WARM_UP_PAGES + PATH_AT_10, WARM_UP_PAGES + PATH_AT_10 + PATH_ONE);
  // A sequence stops when it has been sent: the time given is only a bound.
  const bound = 10 * SECONDS;
  await pathRounds(sim, s, names, () => waves(s), async (i) => {
    const server = await launch(names[i]!, sim.fixture.url);
    await fire(sim, server, warmUp, CONNECTIONS, bound);
    const at10 = (await fire(sim, server, atTen, CONNECTIONS, bound)).p50;
    const one = (await fire(sim, server, oneByOne, 1, bound)).p50;
    await retire(server);
    return { at10, one };
  });
}

const quiet = await waitForQuiet();
const loadBefore = loadavg();
const cpuBefore = processCpu();
const [machineBefore, benchBefore] = [machineBusyMs(), benchMs()];
log('compiling the baseline and the bare-Yoga ceiling');
buildServers();

const BOTH: ServerName[] = ['gateway', 'baseline'];
const ALL: ServerName[] = ['gateway', 'baseline', 'ceiling'];
// No upstream latency: throughput, CPU, memory, calls.
{
  const { sim, servers } = await startAll({ pageSize: 15, inlineLogs: true, latencyMs: 0 }, BOTH);
  const cursor = await deepCursor(servers[0]!, sim.fixture);
  for (const s of [S1_PAGE15, S3, S4]) await throughput(sim, servers, s, cursor);
  const saturation = rows.find((r) => r.scenario === S1_PAGE15 && r.server === 'gateway')!.saturation;
  log(`S5: gateway cost against size, at ${saturation} connections`);
  for (const s of S5) {
    const body = s.body(sim.fixture);
    const calls = await callsPerQuery(sim, servers[0]!, body);
    await fire(sim, servers[0]!, body, saturation, 0.5); // warm-up
    const fired = await fire(sim, servers[0]!, body, saturation);
    scaling.push({ scenario: s, rps: fired.rps, cpuMsPerQuery: fired.cpuMsPerQuery, calls });
  }
  await stopAll(sim, servers);
}
{
  const { sim, servers } = await startAll({ pageSize: 20, inlineLogs: true, latencyMs: 0 }, ALL);
  await throughput(sim, servers, S1);
  await stopAll(sim, servers);
}
{
  const { sim, servers } = await startAll({ pageSize: 20, inlineLogs: false, latencyMs: 0, freshPages: WARM_UP_PAGES + COLD_PAGES }, BOTH);
  await throughput(sim, servers, S2_WARM);
  await coldThroughput(sim, servers, S2_COLD);
  await stopAll(sim, servers);
}
// 20 ms of upstream latency: the critical path.
{
  const { sim, servers } = await startAll({ pageSize: 15, inlineLogs: true, latencyMs: LATENCY_MS }, BOTH);
  const cursor = await deepCursor(servers[0]!, sim.fixture);
  for (const s of [S1_PAGE15, S3, S4]) await criticalPath(sim, servers, s, cursor);
  await stopAll(sim, servers);
}
{
  const { sim, servers } = await startAll({ pageSize: 20, inlineLogs: true, latencyMs: LATENCY_MS }, ALL);
  await criticalPath(sim, servers, S1);
  await stopAll(sim, servers);
}
{
  const { sim, servers } = await startAll({ pageSize: 20, inlineLogs: false, latencyMs: LATENCY_MS, freshPages: WARM_UP_PAGES + PATH_AT_10 + PATH_ONE }, BOTH);
  await criticalPath(sim, servers, S2_WARM);
  await coldCriticalPath(sim, servers, S2_COLD);
  await stopAll(sim, servers);
}

const loadAfter = loadavg();
const [machineAfter, benchAfter] = [machineBusyMs(), benchMs()];
const cpuAfter = processCpu();
const wallS = (performance.now() - started) / 1000;
const others = [...cpuAfter]
  .filter(([pid]) => !ours.has(pid))
  .map(([pid, p]) => ({ pid, name: p.name, ms: p.ms - (cpuBefore.get(pid)?.ms ?? 0) }))
  .filter((p) => p.ms > 0)
  .sort((a, b) => b.ms - a.ms);
// Everything the machine did that the bench and its children did not, short-lived processes included.
const othersMs = Math.max(0, machineAfter - machineBefore - (benchAfter - benchBefore));

// ---------------------------------------------------------------------------------------------
// report

const fixed = (x: number, digits = 1) => x.toFixed(digits);
const row = (s: Scenario, server: ServerName) => rows.find((r) => r.scenario === s && r.server === server);
const pathRow = (s: Scenario, server: ServerName) => pathRows.find((r) => r.scenario === s && r.server === server);
/** The median of the rounds' ratios, gateway to `other`: each round measures the servers back to back, under the same outside load. */
const ratio = (s: Scenario, key: 'rps10' | 'rpsSat', other: ServerName = 'baseline') => {
  const [gateway, them] = [row(s, 'gateway')!.rounds[key], row(s, other)!.rounds[key]];
  return median(gateway.map((x, i) => x / them[i]!));
};
const critical = (r: PathRow) => r.p50at10 / (r.waves * LATENCY_MS);
const atSaturation = (r: Row) => (r.saturation ? `${fixed(r.rpsSat, 0)} (${r.saturation})` : '-');

const table = [
  '| scenario | server | req/s at 10 conns | req/s at saturation (conns) | p50 ms at 10 | p99 ms at 10 | CPU ms/query | peak RSS MB at saturation | upstream calls/query (budget) | response bytes |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.scenario.name} | ${r.server} | ${fixed(r.rps10, 0)} | ${atSaturation(r)} | ${fixed(r.p50, 2)} | ${fixed(r.p99, 2)} | ${fixed(r.cpuMsPerQuery, 2)} | ${fixed(r.peakRssMb, 0)} | ${fixed(r.calls, 2)} (${r.budget}) | ${r.bytes}${r.server === 'gateway' ? '' : r.sameData ? ', same data' : ', **data differ**'} |`,
  ),
];
const pathTable = [
  `| scenario | server | waves | p50 ms at 10 conns | / (waves x ${LATENCY_MS} ms) | floor p50 ms at 10 | / floor at 10 | p50 ms one at a time | floor p50 ms one at a time | one at a time / floor | over the floor, ms (CPU ms/query) |`,
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...pathRows.map(
    (r) =>
      `| ${r.scenario.name} | ${r.server} | ${r.waves} | ${fixed(r.p50at10, 2)} | ${fixed(critical(r), 3)} | ${fixed(r.floorAt10, 2)} | ${fixed(r.p50at10 / r.floorAt10, 3)} | ${fixed(r.p50one, 2)} | ${fixed(r.floorOne, 2)} | ${fixed(r.p50one / r.floorOne, 3)} | ${fixed(r.p50one - r.floorOne, 2)} (${fixed(row(r.scenario, r.server)!.cpuMsPerQuery, 2)}) |`,
  ),
];
const slope = (points: Array<[number, number]>) => {
  const n = points.length;
  const [mx, my] = [points.reduce((a, [x]) => a + x, 0) / n, points.reduce((a, [, y]) => a + y, 0) / n];
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const syy = points.reduce((a, [, y]) => a + (y - my) ** 2, 0);
  return { slope: sxy / sxx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
};
const size = (s: Scenario) => Number(/\d+/.exec(s.id.slice(2))![0]);
const byFirst = slope(scaling.filter((x) => x.scenario.id.includes('first')).map((x) => [size(x.scenario), x.cpuMsPerQuery]));
const byWorkflows = slope(scaling.filter((x) => x.scenario.id.includes('workflows')).map((x) => [size(x.scenario), x.cpuMsPerQuery]));
const scalingTable = [
  '| scenario (gateway) | req/s at saturation | CPU ms/query | upstream calls/query |',
  '| --- | --- | --- | --- |',
  ...scaling.map((x) => `| ${x.scenario.name} | ${fixed(x.rps, 0)} | ${fixed(x.cpuMsPerQuery, 2)} | ${fixed(x.calls)} |`),
];

const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const gatewayPaths = pathRows.filter((r) => r.server === 'gateway');
const worstPath = gatewayPaths.reduce((a, b) => (critical(b) > critical(a) ? b : a));
const gatewayRows = rows.filter((r) => r.server === 'gateway');
const s1Rss = row(S1, 'gateway')!.peakRssMb;
const worstRss = gatewayRows.reduce((a, b) => (b.peakRssMb > a.peakRssMb ? b : a));
const budgetMet = rows.every((r) => r.calls <= r.budget);
const baselinePaths = pathRows.filter((r) => r.server === 'baseline');
const overFloor = (r: PathRow) => r.p50one - r.floorOne;
const worstBaseline = baselinePaths.reduce((a, b) => (b.p50one / b.floorOne > a.p50one / a.floorOne ? b : a));
// A handicap (a wave waited for that is not needed, calls made one after another) costs at least
// half an upstream latency; less than that is the server's own CPU and process hop, which the
// gateway pays too (its distance is shown beside).
const withinFewPercent = baselinePaths.every((r) => r.p50one / r.floorOne <= 1.05);
const noWaveWasted = baselinePaths.every((r) => overFloor(r) < LATENCY_MS / 2);
const targets = [
  '| target (each a ratio measured side by side in this run) | measured | verdict |',
  '| --- | --- | --- |',
  `| S1 req/s >= 1.5x the baseline's at 10 conns (median of the rounds' ratios) | ${fixed(ratio(S1, 'rps10'), 2)}x (at saturation: ${fixed(ratio(S1, 'rpsSat'), 2)}x) | ${verdict(ratio(S1, 'rps10') >= 1.5)} |`,
  `| S1: the gateway against the bare-Yoga ceiling (no target: how close it gets) | ${fixed(ratio(S1, 'rps10', 'ceiling'), 2)}x the ceiling's req/s at 10 conns, ${fixed(ratio(S1, 'rpsSat', 'ceiling'), 2)}x at saturation | - |`,
  `| S2 cold req/s >= 1.2x the baseline's at 10 conns | ${fixed(ratio(S2_COLD, 'rps10'), 2)}x (upstream calls/query: gateway ${fixed(row(S2_COLD, 'gateway')!.calls, 2)}, baseline ${fixed(row(S2_COLD, 'baseline')!.calls, 2)}) | ${verdict(ratio(S2_COLD, 'rps10') >= 1.2)} |`,
  `| S2 warm req/s >= 3x the baseline's at 10 conns | ${fixed(ratio(S2_WARM, 'rps10'), 2)}x (at saturation: ${fixed(ratio(S2_WARM, 'rpsSat'), 2)}x; upstream calls/query: gateway ${fixed(row(S2_WARM, 'gateway')!.calls, 2)}, baseline ${fixed(row(S2_WARM, 'baseline')!.calls, 2)}) | ${verdict(ratio(S2_WARM, 'rps10') >= 3)} |`,
  `| p50 at 10 conns <= 1.10x the upstream critical path (waves x ${LATENCY_MS} ms), every scenario | worst ${fixed(critical(worstPath), 3)} (${worstPath.scenario.id}); ${gatewayPaths.map((r) => `${r.scenario.id} ${fixed(critical(r), 3)}`).join(', ')}; the floor itself at 10 conns: ${gatewayPaths.map((r) => `${r.scenario.id} ${fixed(r.floorAt10 / (waves(r.scenario) * LATENCY_MS), 3)}`).join(', ')} | ${verdict(critical(worstPath) <= 1.1)} |`,
  `| p50 at 10 conns against the floor's at 10 conns (the critical path as this upstream answers; no target of its own) | ${gatewayPaths.map((r) => `${r.scenario.id} ${fixed(r.p50at10 / r.floorAt10, 3)}`).join(', ')}; one query at a time: ${gatewayPaths.map((r) => `${r.scenario.id} ${fixed(r.p50one / r.floorOne, 3)}`).join(', ')} | - |`,
  `| peak RSS < 150 MB at S1 saturation (the other scenarios beside it, no target) | S1 ${fixed(s1Rss, 0)} MB; the most of any scenario ${fixed(worstRss.peakRssMb, 0)} MB (${worstRss.scenario.id}) | ${verdict(s1Rss < 150)} |`,
  `| \`/health\` 200 within 1 s of spawning \`node ${startArgs().join(' ')}\` | median ${fixed(median(healthMs), 0)} ms, worst ${fixed(Math.max(...healthMs), 0)} ms of ${healthMs.length} starts | ${verdict(Math.max(...healthMs) < 1000)} |`,
  `| upstream calls/query within the budget in docs/guarantees.md (every server) | ${rows.every((r) => r.calls === r.budget) ? 'all equal to it' : budgetMet ? 'all within it; fewer where runs are remembered' : 'see table'} | ${verdict(budgetMet)} |`,
  `| the baseline is not handicapped: one query at a time, within a few percent of the upstream floor | ${baselinePaths.map((r) => `${r.scenario.id} ${fixed(r.p50one / r.floorOne, 3)}x (+${fixed(overFloor(r), 2)} ms; gateway +${fixed(overFloor(pathRow(r.scenario, 'gateway')!), 2)} ms)`).join(', ')} | ${withinFewPercent ? 'yes' : noWaveWasted ? `within ${fixed((worstBaseline.p50one / worstBaseline.floorOne - 1) * 100, 0)} %, not 5: no wave wasted (one would add ${LATENCY_MS} ms); what is left is its CPU and one more process hop, as for the gateway` : '**no**'} |`,
];

const cpu = os.cpus();
const generated = [
  '<!-- generated by `npm run bench` (bench/run.ts): everything down to the END line is rewritten by each run -->',
  '# Benchmark results',
  '',
  `Run ${new Date().toISOString()} on ${cpu.length} cores (${cpu[0]?.model.trim()}), Node ${process.version}, ${((os.totalmem() / 2 ** 30)).toFixed(1)} GB; whole run ${fixed(wallS, 0)} s. ` +
    `Medians of ${ROUNDS} rounds of ${SECONDS} s, the servers' order rotated each round; saturation = the fewest connections among ${SATURATION_PROBE.join(', ')} within 3 % of the most throughput; the upstream's page size (15 or 20) and whether its list pages carry the logs, as each scenario's name says. ` +
    `S2 cold: each round at least ${SECONDS} s of load at ${CONNECTIONS} connections, in passes; each pass starts the server afresh, reads ${WARM_UP_PAGES} pages of finished runs once each to warm it, then sends ${COLD_PAGES} other such pages once each, which are measured (upstream calls counted by the simulator over those only; peak RSS at ${CONNECTIONS} connections). Its critical path: each round starts each server afresh, warms it the same way, then sends it ${PATH_AT_10} pages no process has read at ${CONNECTIONS} connections and ${PATH_ONE} more one at a time.`,
  '',
  `- **Gateway**: \`node ${startArgs().join(' ')}\` (\`npm start\`) with only \`PORT\`, \`HOST\`, \`ALTOSTRAT_API_URL\` in its environment: **no setting changed for the bench** (LOG_LEVEL info, one log line per request, metrics on); stdout and stderr to a file in the system temporary folder (\`altostrat-bench/gateway.log\`), not /dev/null: the log lines are really written.`,
  '- **Baseline**: Apollo Server 5 + @apollo/datasource-rest 6 (`bench/baseline/server.ts`), compiled, `NODE_ENV=production node bench/baseline/dist/server.js`; a RESTDataSource per request; every page of a query fetched at once, each run\'s logs side by side.',
  '- **Bare-Yoga ceiling** (S1 only): the gateway\'s own GraphQL Yoga and undici with one resolver calling the upstream and nothing else (`bench/ceiling/server.ts`), compiled, `NODE_ENV=production node bench/ceiling/dist/server.js`: how fast a Yoga server can answer S1 here.',
  `- **Load on the machine**: waited ${fixed(quiet.waitedS, 0)} s for other processes to use less than a quarter of a core (at the start they used ${fixed(quiet.othersCores, 2)}); loadavg ${loadBefore} before, ${loadAfter} after; the machine was busy ${fixed((machineAfter - machineBefore) / 1000, 0)} CPU s in ${fixed(wallS, 0)} s on ${cpu.length} cores, ` +
    `of which ${fixed(othersMs / 1000, 0)} CPU s (${fixed(othersMs / 1000 / wallS, 2)} cores on average) were other processes than the bench's` +
    (others.length ? ` (the busiest of those still alive at the end: ${others.slice(0, 3).map((p) => `\`${p.name.replaceAll('|', '/')}\` ${fixed(p.ms / 1000, 1)} s`).join(', ')})` : '') +
    '.',
  `- Idle RSS after start: ${ALL.map((name) => `${name} ${fixed(median(idleRssMb[name]), 0)} MB`).join(', ')}; lifetime peak (VmHWM) across all phases: ${ALL.map((name) => `${name} ${fixed(hwmMb[name], 0)} MB`).join(', ')}.`,
  '',
  '## Throughput, latency, cost (upstream answering at once)',
  '',
  ...table,
  '',
  `## Critical path (upstream answering after ${LATENCY_MS} ms)`,
  '',
  'The floor is a client that costs nothing making the same upstream calls directly, in the same waves, one query at a time (keep-alive, JSON parsed).',
  '',
  ...pathTable,
  '',
  '## Targets',
  '',
  ...targets,
  '',
  '## Cost against size (gateway, one round)',
  '',
  ...scalingTable,
  '',
  `CPU per query grows by ${fixed(byFirst.slope, 4)} ms per run asked for (R² ${fixed(byFirst.r2, 3)}) and by ${fixed(byWorkflows.slope, 3)} ms per workflow fanned out to (R² ${fixed(byWorkflows.r2, 3)}).`,
  '',
  END,
].join('\n');
const notes = existsSync(RESULTS) ? (readFileSync(RESULTS, 'utf8').split(END)[1] ?? '') : '';
writeFileSync(RESULTS, `${generated}${notes || '\n'}`);
console.log(`\n${table.join('\n')}\n\n${pathTable.join('\n')}\n\n${targets.join('\n')}\n\n${scalingTable.join('\n')}\n\nServer logs: ${LOG_DIR}`);
process.exit(0);
