/**
 * The subscription benchmark: 5,000 idle SSE subscriptions over 500
 * distinct (token, run) pairs, 10 a pair, first on one gateway process, then on two replicas
 * sharing one Redis with the subscribers split across them. For each: upstream polls per second
 * (the simulator counts GET /workflows/runs/{id}), RSS and V8 heap per idle subscription (the
 * heap live after a full collection, read through the inspector: `liveHeap`), CPU
 * while idle, and the time from a change of a run in the simulator to the event reaching a
 * client. Prints a markdown table for bench/RESULTS.md ("Subscriptions").
 *
 *   npm run bench:live          # about three minutes
 *
 * The simulator knows two organisations with a token each, so the 500 pairs are 250 runs under
 * each token. They stay pending: the simulator's step is set to ten minutes while they start.
 * For the latency, the step drops to STEP_MS and fresh runs are watched to their end; each log
 * entry's `createdAt` and the run's `completedAt`, stamped by the simulator when it made the
 * change, are compared with Date.now() when the event arrived (one machine, one clock).
 */
import { startGateway, startSimulator, stop, cpuMs, rssMb, type Server } from './processes.js';
import { liveHeap } from './live/heap.js';
import { subscribe, type Stream } from './live/sse.js';
import { startRedis } from '../test/support/redis.js';
import { DEMO_TOKENS } from '../src/demo/seed.js';
import { percentile } from './stats.js';

const PAIRS = 500;
const PER_PAIR = 10;
const SUBSCRIPTIONS = PAIRS * PER_PAIR;
/** The gateway's default LIVE_POLL_INTERVAL_MS: not set, so the figures are the default's. */
const INTERVAL_MS = 1000;
const IDLE_WINDOW_MS = 10_000;
const OPENING_AT_ONCE = 200;
const FIRST_EVENT_WITHIN_MS = 10 * INTERVAL_MS;
const LATENCY_RUNS = 40;
const STEP_MS = 700;
const IDLE_STEP_MS = 600_000;
/** Raised from its default of 20 so that one token can hold its 2,500 subscriptions. */
const SETTINGS = { LIVE_MAX_SUBSCRIPTIONS_PER_TOKEN: String(SUBSCRIPTIONS) };
const CURSOR_SECRET = 'the-live-benchmark-replicas-share-this-key';
const TOKENS = [DEMO_TOKENS.acme, DEMO_TOKENS.globex];

const QUERY = `subscription Watch($id: ID!) { executionUpdated(id: $id) { id status completedAt logs { id createdAt } } }`;

interface Run {
  id: string;
  status: string;
  completedAt: string | null;
  logs: { id: string; createdAt: string }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const simulator = await startSimulator({ inlineLogs: true, latencyMs: 0 });
const { url: upstream, control } = simulator.fixture;

async function controlCall(path: string, body?: unknown): Promise<{ calls: number; polls: number }> {
  const init = path === '/calls' ? {} : { method: 'POST', body: JSON.stringify(body ?? {}) };
  return (await (await fetch(`${control}${path}`, init)).json()) as { calls: number; polls: number };
}

/** Starts `count` runs under `token`, round-robin over its active workflows, straight on the simulator. */
async function startRuns(token: string, count: number): Promise<string[]> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const workflows = ((await (await fetch(`${upstream}/workflows`, { headers })).json()) as { id: string; is_active: boolean }[]).filter((w) => w.is_active);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${upstream}/workflows/${workflows[i % workflows.length]!.id}/execute`, { method: 'POST', headers, body: '{}' });
    if (response.status !== 202) throw new Error(`execute answered ${response.status}: ${await response.text()}`);
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}

/** The live heap (after a full collection) and the RSS of a settled process, the RSS the lowest of a few readings. */
async function memory(server: Server): Promise<{ heap: number; rss: number }> {
  const heap = await liveHeap(server);
  let rss = Infinity;
  for (let i = 0; i < 5; i++) {
    rss = Math.min(rss, rssMb(server.pid) * 1024 * 1024);
    await sleep(400);
  }
  return { heap, rss };
}

/** `memory` of each process, one after the other (liveHeap opens one inspector at a time). */
async function memories(servers: Server[]): Promise<Array<{ heap: number; rss: number }>> {
  const measured = [];
  for (const server of servers) measured.push(await memory(server));
  return measured;
}


/** Opens PER_PAIR subscriptions per pair, the k-th on gateway k mod n; resolves when each has its first event. */
async function openAll(gateways: Server[], pairs: { token: string; id: string }[]): Promise<{ streams: Stream[]; failures: number; silent: number; seconds: number }> {
  const started = performance.now();
  const streams: Stream[] = [];
  let failures = 0;
  let silent = 0;
  const jobs = pairs.flatMap((pair) => Array.from({ length: PER_PAIR }, (_, k) => ({ ...pair, gateway: gateways[k % gateways.length]! })));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await new Promise<void>((done) => {
        // A subscription with no first event within a few intervals counts as silent and is left open.
        const timer = setTimeout(() => {
          silent++;
          done();
        }, FIRST_EVENT_WITHIN_MS);
        const resolve = () => {
          clearTimeout(timer);
          done();
        };
        const stream = subscribe(job.gateway.url, job.token, QUERY, { id: job.id }, {
          onNext(payload) {
            if (payload.errors) failures++;
            resolve();
          },
          onEnd(error) {
            if (error) failures++;
            resolve();
          },
        });
        streams.push(stream);
      });
    }
  };
  await Promise.all(Array.from({ length: OPENING_AT_ONCE }, worker));
  return { streams, failures, silent, seconds: (performance.now() - started) / 1000 };
}

/** Fresh runs that move every STEP_MS, two subscribers each; every change's delay to each subscriber. */
async function latency(gateways: Server[]): Promise<{ delays: number[]; errors: number; unfinished: number }> {
  await controlCall('/configure', { stepMs: STEP_MS });
  const delays: number[] = [];
  let errors = 0;
  const streams: Stream[] = [];
  const ends: Promise<void>[] = [];
  let unfinished = 0;
  for (let i = 0; i < LATENCY_RUNS; i++) {
    const token = TOKENS[i % TOKENS.length]!;
    const [id] = await startRuns(token, 1);
    for (const gateway of [gateways[0]!, gateways[gateways.length - 1]!]) {
      const seen = new Set<string>();
      let first = true;
      let completed = false;
      ends.push(
        new Promise<void>((resolve) => {
          streams.push(
            subscribe(gateway.url, token, QUERY, { id }, {
              onNext(payload, receivedAt) {
                if (payload.errors) errors++;
                const run = (payload.data as { executionUpdated?: Run } | undefined)?.executionUpdated;
                if (!run) return;
                // The first event is the run as it was when subscribed: nothing in it is a change seen late.
                for (const log of run.logs) if (!seen.has(log.id) && seen.add(log.id) && !first) delays.push(receivedAt - Date.parse(log.createdAt));
                if (run.completedAt && !completed) {
                  completed = true;
                  if (!first) delays.push(receivedAt - Date.parse(run.completedAt));
                }
                first = false;
              },
              onEnd(error) {
                if (error) errors++;
                if (!completed) unfinished++;
                resolve();
              },
            }),
          );
        }),
      );
    }
    // Spread the starts over a few intervals, so changes fall at every phase of the polls.
    await sleep(Math.round((INTERVAL_MS * 3) / LATENCY_RUNS + Math.random() * 50));
  }
  const deadline = sleep(30_000).then(() => streams.forEach((s) => s.close()));
  await Promise.race([Promise.all(ends), deadline]);
  streams.forEach((s) => s.close());
  await controlCall('/configure', { stepMs: IDLE_STEP_MS });
  return { delays: delays.sort((a, b) => a - b), errors, unfinished };
}

interface Figures {
  label: string;
  openSeconds: number;
  openFailures: number;
  pollsPerSecond: number;
  heapPerSubKb: number;
  rssPerSubKb: number;
  heapAfterMb: number;
  rssAfterMb: number;
  cpuPercent: number;
  p50: number;
  p99: number;
  max: number;
  changes: number;
  latencyErrors: number;
  unfinished: number;
}

async function scenario(label: string, gateways: Server[], pairs: { token: string; id: string }[]): Promise<Figures> {
  // Warm each process up with one subscription's worth of work (JIT, first connections), then take the baseline.
  await openAll(gateways, pairs.slice(0, 1)).then(({ streams }) => streams.forEach((s) => s.close()));
  await sleep(2 * INTERVAL_MS);
  const before = await memories(gateways);
  const opened = await openAll(gateways, pairs);
  console.error(`${label}: ${SUBSCRIPTIONS} subscriptions open in ${opened.seconds.toFixed(1)} s, ${opened.failures} failed, ${opened.silent} silent`);
  await sleep(3 * INTERVAL_MS);

  await controlCall('/reset');
  const cpuStart = gateways.map((g) => cpuMs(g.pid));
  const windowStart = performance.now();
  await sleep(IDLE_WINDOW_MS);
  const { polls } = await controlCall('/calls');
  const seconds = (performance.now() - windowStart) / 1000;
  const cpu = gateways.reduce((sum, g, i) => sum + cpuMs(g.pid) - cpuStart[i]!, 0);
  const after = await memories(gateways);
  const sum = (list: { heap: number; rss: number }[], key: 'heap' | 'rss') => list.reduce((n, m) => n + m[key], 0);

  const measured = await latency(gateways);
  console.error(`${label}: ${measured.delays.length} changes timed, p99 ${percentile(measured.delays, 0.99)} ms`);
  opened.streams.forEach((s) => s.close());
  return {
    label,
    openSeconds: opened.seconds,
    openFailures: opened.failures + opened.silent,
    pollsPerSecond: polls / seconds,
    heapPerSubKb: (sum(after, 'heap') - sum(before, 'heap')) / SUBSCRIPTIONS / 1024,
    rssPerSubKb: (sum(after, 'rss') - sum(before, 'rss')) / SUBSCRIPTIONS / 1024,
    heapAfterMb: sum(after, 'heap') / 1024 / 1024,
    rssAfterMb: sum(after, 'rss') / 1024 / 1024,
    cpuPercent: (cpu / (seconds * 1000)) * 100,
    p50: percentile(measured.delays, 0.5),
    p99: percentile(measured.delays, 0.99),
    max: measured.delays.at(-1) ?? NaN,
    changes: measured.delays.length,
    latencyErrors: measured.errors,
    unfinished: measured.unfinished,
  };
}

await controlCall('/configure', { stepMs: IDLE_STEP_MS });
const pairs = (await Promise.all(TOKENS.map(async (token) => (await startRuns(token, PAIRS / TOKENS.length)).map((id) => ({ token, id }))))).flat();

const results: Figures[] = [];
const single = await startGateway(upstream, { name: 'live-single', settings: SETTINGS });
results.push(await scenario('1 process', [single], pairs));
await stop(single.child);

const redis = await startRedis();
const replicas = [
  await startGateway(upstream, { name: 'live-replica-a', settings: { ...SETTINGS, REDIS_URL: redis.url, CURSOR_SECRET } }),
  await startGateway(upstream, { name: 'live-replica-b', settings: { ...SETTINGS, REDIS_URL: redis.url, CURSOR_SECRET } }),
];
results.push(await scenario('2 replicas, 1 Redis', replicas, pairs));
await Promise.all(replicas.map((r) => stop(r.child)));
await redis.stop();
await stop(simulator.child);

const f1 = (n: number) => n.toFixed(1);
console.log(
  [
    `| setup | open 5,000 (s) | failed or silent | upstream polls/s | heap per idle sub (KB) | RSS per idle sub (KB) | heap / RSS after (MB) | CPU idle (% of a core) | change to event p50 / p99 / max (ms) | changes timed | errors |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
    ...results.map(
      (r) =>
        `| ${r.label} | ${f1(r.openSeconds)} | ${r.openFailures} | ${f1(r.pollsPerSecond)} | ${f1(r.heapPerSubKb)} | ${f1(r.rssPerSubKb)} | ${f1(r.heapAfterMb)} / ${f1(r.rssAfterMb)} | ${f1(r.cpuPercent)} | ${Math.round(r.p50)} / ${Math.round(r.p99)} / ${Math.round(r.max)} | ${r.changes} | ${r.latencyErrors + r.unfinished} |`,
    ),
  ].join('\n'),
);
const [one, two] = results as [Figures, Figures];
// A 10 s window can start or end a poll early or late: 2 % of slack before a rate counts as over.
const misses = [
  ...results.filter((r) => r.pollsPerSecond > PAIRS * (1000 / INTERVAL_MS) * 1.02).map((r) => `${r.label}: more than ${PAIRS} polls per interval`),
  ...(two.pollsPerSecond > one.pollsPerSecond * 1.02 ? ['2 replicas poll more than 1 process'] : []),
  ...results.filter((r) => r.heapPerSubKb >= 20).map((r) => `${r.label}: 20 KB of heap or more per idle subscription`),
  ...results.filter((r) => r.p99 > INTERVAL_MS + 100).map((r) => `${r.label}: p99 change-to-event above ${INTERVAL_MS + 100} ms`),
  ...results.filter((r) => r.openFailures + r.latencyErrors + r.unfinished > 0).map((r) => `${r.label}: failed subscriptions`),
];
for (const miss of misses) console.error(`target missed: ${miss}`);
process.exit(misses.length ? 1 : 0);
