/**
 * A/B of two built gateways on one query: both started as `npm start` starts them (each from its
 * own checkout, its `npm start` command with METRICS_PORT=0), over one simulator; first the same
 * requests to both, whose statuses, headers (but the date and request id) and bodies must be
 * byte-identical; then rounds of closed-loop load at AB_CONNECTIONS, the two taking turns (each
 * round starting with the other one), or both at once with AB_CONCURRENT=1, so that load from
 * outside falls on both. Prints each round's req/s and CPU ms per query (from /proc) and the
 * median and quartiles of the per-round ratios B/A.
 *
 *   npx tsx bench/ab.ts <before checkout> <after checkout>
 *   AB_ROUNDS=10 AB_SECONDS=3 AB_CONNECTIONS=10 AB_NODE_OPTIONS="--trace-gc" npx tsx bench/ab.ts ../before .
 *   AB_NODE_OPTIONS_B="--max-semi-space-size=8" npx tsx bench/ab.ts . .
 *
 * AB_NODE_OPTIONS goes to both; AB_NODE_OPTIONS_A and AB_NODE_OPTIONS_B to one side each, after it,
 * so one checkout can be measured against itself under other Node flags. Each round also reports
 * each side's peak RSS, sampled every 100 ms.
 *
 * The query is S1 (page 20, logs inline) unless AB_BODY gives another JSON body; AB_INLINE_LOGS=0
 * has the list pages leave the logs out (S2 warm: the same page again, its runs remembered). A checkout needs
 * dist/ built, schema/ and node_modules/; the servers' output goes to altostrat-bench/ab-A.log and
 * ab-B.log in the system temporary folder.
 */
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { cpuMs, rssMb, startGateway, startSimulator, stop, type Server } from './processes.js';
import { AUTHORIZATION, S1 } from './scenarios.js';

const [before, after] = process.argv.slice(2);
if (!before || !after) throw new Error('usage: npx tsx bench/ab.ts <before checkout> <after checkout>');
const ROUNDS = Number(process.env.AB_ROUNDS ?? 10);
const SECONDS = Number(process.env.AB_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.AB_CONNECTIONS ?? 10);
const flags = (name: string) => process.env[name]?.split(' ').filter(Boolean) ?? [];

const sim = await startSimulator({ pageSize: 20, inlineLogs: process.env.AB_INLINE_LOGS !== '0', latencyMs: 0 });
const body = process.env.AB_BODY ?? S1.body(sim.fixture);
const build = (checkout: string, side: 'A' | 'B') => ({ name: `ab-${side}`, checkout, nodeOptions: [...flags('AB_NODE_OPTIONS'), ...flags(`AB_NODE_OPTIONS_${side}`)] });
const gateways = [await startGateway(sim.fixture.url, build(before, 'A')), await startGateway(sim.fixture.url, build(after, 'B'))] as const;
const origin = (gateway: Server) => gateway.url.replace(/\/graphql$/, '');
const queries = new Map<Server, number>(gateways.map((g) => [g, 0]));
const [A, B] = gateways;
const stopAll = () => Promise.all([...gateways.map((g) => stop(g.child)), stop(sim.child)]);

// The same requests to both: what a front end or a careless client sends, and what must be refused.
const JSON_POST = { 'content-type': 'application/json', authorization: AUTHORIZATION };
const post = (extra: Record<string, string>, sent = body): RequestInit => ({ method: 'POST', headers: { ...JSON_POST, ...extra }, body: sent });
const requests: Array<[string, string, RequestInit]> = [
  ['the query', '/graphql', post({})],
  ['accepting graphql-response+json', '/graphql', post({ accept: 'application/graphql-response+json' })],
  ['accepting both', '/graphql', post({ accept: 'application/graphql-response+json, application/json;q=0.9' })],
  ['accepting */*', '/graphql', post({ accept: '*/*' })],
  ['accepting text/html', '/graphql', post({ accept: 'text/html' })],
  ['with a request id', '/graphql', post({ 'x-request-id': 'ab-1' })],
  ['from an origin', '/graphql', post({ origin: 'https://elsewhere.example' })],
  ['without a token', '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body }],
  ['not JSON', '/graphql', post({}, '{"query": ')],
  ['no query', '/graphql', post({}, '{}')],
  ['a batch', '/graphql', post({}, '[]')],
  ['a syntax error', '/graphql', post({}, '{"query":"{"}')],
  ['a validation error', '/graphql', post({}, '{"query":"{ nope }"}')],
  ['introspection', '/graphql', post({}, '{"query":"{ __schema { queryType { name } } }"}')],
  ['text/plain', '/graphql', post({ 'content-type': 'text/plain' })],
  ['a GET', `/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { authorization: AUTHORIZATION } }],
  ['/health', '/health', {}],
];
const comparable = (response: Response) => JSON.stringify([...response.headers].filter(([name]) => !['date', 'x-request-id', 'keep-alive'].includes(name)));
let identical = true;
for (const [name, path, init] of requests) {
  const [a, b] = await Promise.all([fetch(origin(A) + path, init), fetch(origin(B) + path, init)]);
  const [textA, textB] = await Promise.all([a.text(), b.text()]);
  if (a.status !== b.status || textA !== textB || comparable(a) !== comparable(b)) {
    identical = false;
    console.log(`DIFFERENT: ${name}\n  A ${a.status} ${comparable(a)} ${textA.slice(0, 300)}\n  B ${b.status} ${comparable(b)} ${textB.slice(0, 300)}`);
  }
}
console.log(identical ? `answers byte-identical (${requests.length} requests)` : 'ANSWERS DIFFER');

interface Measure {
  rps: number;
  cpu: number;
  rssMb: number;
}
async function load(gateway: Server): Promise<Measure> {
  let peak = rssMb(gateway.pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.pid))), 100);
  const cpuBefore = cpuMs(gateway.pid);
  const started = performance.now();
  const result = await autocannon({ url: gateway.url, connections: CONNECTIONS, duration: SECONDS, method: 'POST', headers: JSON_POST, body });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  // What autocannon left in flight is answered meanwhile, and counted as one query per connection.
  await new Promise((done) => setTimeout(done, 300));
  const answered = result.requests.total + CONNECTIONS;
  queries.set(gateway, (queries.get(gateway) ?? 0) + answered);
  if (result.non2xx || result.errors) console.log(`${gateway.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: result.requests.total / seconds, cpu: (cpuMs(gateway.pid) - cpuBefore) / answered, rssMb: peak };
}

// Warm-up: the JIT and the caches of both, not measured.
await Promise.all(gateways.map(load));
const ratios: Measure[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let a: Measure, b: Measure;
  if (process.env.AB_CONCURRENT === '1') [a, b] = await Promise.all([load(A), load(B)]);
  else if (round % 2 === 0) [a, b] = [await load(A), await load(B)];
  else [b, a] = [await load(B), await load(A)];
  ratios.push({ rps: b.rps / a.rps, cpu: b.cpu / a.cpu, rssMb: b.rssMb / a.rssMb });
  console.log(
    `round ${round}: A ${a.rps.toFixed(0)} req/s ${a.cpu.toFixed(3)} ms/query ${a.rssMb.toFixed(0)} MB | B ${b.rps.toFixed(0)} req/s ${b.cpu.toFixed(3)} ms/query ${b.rssMb.toFixed(0)} MB | ` +
      `B/A req/s ${(b.rps / a.rps).toFixed(3)} CPU ${(b.cpu / a.cpu).toFixed(3)} | loadavg ${loadavg()[0]!.toFixed(2)}`,
  );
}
const quartiles = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3);
  return `median ${at(0.5)} (quartiles ${at(0.25)} to ${at(0.75)})`;
};
console.log(`B/A req/s: ${quartiles(ratios.map((r) => r.rps))}`);
console.log(`B/A CPU ms per query: ${quartiles(ratios.map((r) => r.cpu))}`);
console.log(`B/A peak RSS: ${quartiles(ratios.map((r) => r.rssMb))}`);
console.log(`queries: A ${queries.get(A)}, B ${queries.get(B)} (with the warm-up; for per-query figures from the logs)`);
await stopAll();
process.exit(identical ? 0 : 1);
