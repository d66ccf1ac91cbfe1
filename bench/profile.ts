/**
 * Where the gateway's CPU goes: the built gateway, started as `npm start` starts it but under
 * `node --cpu-prof`, serves S1 (bench/scenarios.ts) at saturation for a while over the simulator (or S2 cold:
 * pages no one has read, each sent once);
 * then its .cpuprofile is summed by self time into the top 30 functions and the top 30 packages
 * (node_modules/<package>, the gateway's own code, Node's core, V8's garbage collector), printed
 * and written to bench/PROFILE.md. dist/main.js is one bundle: its frames are put back at their
 * source files (and so their packages) through its source map. It measures nothing against a target: it says where to look.
 *
 *   npm run build && tsx bench/profile.ts            # 10 s at 32 connections
 *   PROFILE_SECONDS=20 PROFILE_CONNECTIONS=16 tsx bench/profile.ts
 *   PROFILE_COLD_PAGES=2500 tsx bench/profile.ts     # S2 cold instead: that many fresh pages, each once
 *
 * The profile file itself is kept in a temporary folder (its path is printed), for Chrome DevTools
 * or speedscope.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sendEach } from './clients.js';
import { startGateway, startSimulator, stop } from './processes.js';
import { AUTHORIZATION, freshBodies, S1, S2_COLD } from './scenarios.js';
import { startArgs } from '../test/support/process.js';

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.PROFILE_CONNECTIONS ?? 32);
const TOP = 30;
/** Sampling interval in µs (Node's default is 1000). */
const INTERVAL_US = Number(process.env.PROFILE_INTERVAL_US ?? 1000);
/** S2 cold instead of S1: this many pages no one has read, each sent once (0: S1). */
const COLD_PAGES = Number(process.env.PROFILE_COLD_PAGES ?? 0);
const OUT = new URL('./PROFILE.md', import.meta.url);

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'altostrat-profile-'));
const scenario = COLD_PAGES > 0 ? S2_COLD : S1;
const sim = await startSimulator({ pageSize: scenario.pageSize, inlineLogs: scenario.inlineLogs, latencyMs: 0, freshPages: COLD_PAGES });
const gateway = await startGateway(sim.fixture.url, { nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${INTERVAL_US}`] });
const started = performance.now();
let requests: number;
if (COLD_PAGES > 0) {
  requests = (await sendEach(gateway, freshBodies(sim.fixture), CONNECTIONS)).latencies.length;
} else {
  const load = await autocannon({
    url: gateway.url,
    connections: CONNECTIONS,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: AUTHORIZATION },
    body: S1.body(sim.fixture),
  });
  if (load.non2xx > 0 || load.errors > 0) throw new Error(`${load.non2xx} non-2xx, ${load.errors} errors under load`);
  requests = load.requests.total;
}
const seconds = (performance.now() - started) / 1000;
// SIGTERM: the gateway drains and exits 0, and Node writes the profile on the way out.
await stop(gateway.child);
await stop(sim.child);

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;

const sourceMaps = new Map<string, SourceMap | undefined>();
/** Where a frame of the bundle (dist/main.js or a chunk) came from: its source file and line, through the bundle's source map. */
function sourceOf(url: string, line: number, column: number): { url: string; line: number } {
  if (!url.startsWith('file:') || !url.includes('/dist/')) return { url, line };
  if (!sourceMaps.has(url)) {
    const path = `${fileURLToPath(url)}.map`;
    sourceMaps.set(url, existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : undefined);
  }
  const entry = sourceMaps.get(url)?.findEntry(line, column);
  return entry && 'originalSource' in entry ? { url: entry.originalSource, line: entry.originalLine } : { url, line };
}

/** Which package a frame belongs to: the last node_modules/<package> in its URL, else what runs it. */
function packageOf(url: string, functionName: string): string {
  const inModules = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1]!;
  if (/(^|\/)(src|dist)\//.test(url)) return 'the gateway';
  if (url.startsWith('node:')) return 'Node.js core';
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  return url.replace(/^.*\//, '');
}
/** The frame's function and place, without this machine's paths. */
function frameOf(url: string, functionName: string, line: number): string {
  const where = url.startsWith('node:') ? url : (/(?:^|\/)((node_modules|src|dist)\/.*)/.exec(url)?.[1] ?? url.replace(/^.*\//, ''));
  return `${functionName || '(anonymous)'}${where ? ` ${where}:${line + 1}` : ''}`;
}

// A sample's time is the gap to the next sample (as DevTools counts it).
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
let busyUs = 0;
let idleUs = 0;
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  const { functionName } = node.callFrame;
  if (functionName === '(idle)') {
    idleUs += us;
    continue;
  }
  busyUs += us;
  const { url, line: lineNumber } = sourceOf(node.callFrame.url, node.callFrame.lineNumber, node.callFrame.columnNumber);
  const fn = frameOf(url, functionName, lineNumber);
  const pkg = packageOf(url, functionName);
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
}

const top = (totals: Map<string, number>, label: string) => [
  `| ${label} | self ms | % of busy |`,
  '| --- | --- | --- |',
  ...[...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, us]) => `| \`${name.replaceAll('|', '/')}\` | ${(us / 1000).toFixed(0)} | ${((100 * us) / busyUs).toFixed(1)} |`),
];
const report = [
  '<!-- generated by bench/profile.ts: rewritten by each run -->',
  '# Gateway CPU profile',
  '',
  `Run ${new Date().toISOString()}: \`node --cpu-prof ${startArgs().join(' ')}\` (env PORT, HOST, ALTOSTRAT_API_URL only, as \`npm start\`), ` +
    `${scenario.name} for ${seconds.toFixed(1)} s at ${CONNECTIONS} connections: ${Math.round(requests / seconds)} req/s under the profiler ` +
    `(the profiler costs some throughput). Busy ${(busyUs / 1e6).toFixed(1)} s, idle ${(idleUs / 1e6).toFixed(1)} s of the main thread; ` +
    `start-up and the first queries (JIT warm-up) are included. Repeat with \`npm run build && ${COLD_PAGES > 0 ? `PROFILE_COLD_PAGES=${COLD_PAGES} ` : ''}tsx bench/profile.ts\`.`,
  '',
  `## Top ${TOP} packages by self time`,
  '',
  ...top(byPackage, 'package'),
  '',
  `## Top ${TOP} functions by self time`,
  '',
  ...top(byFunction, 'function'),
  '',
].join('\n');
writeFileSync(OUT, report);
console.log(`${report}\nProfile: ${join(dir, file)}`);
process.exit(0);
