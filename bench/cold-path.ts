/**
 * S2 cold's critical path: p50 of `query Runs` over pages of finished runs no one has read (a page,
 * then each of its 20 runs for its logs: two waves), with the upstream answering after 20 ms, at
 * 10 connections and one query at a time. Beside the gateway (a fresh process each round, so that
 * every page is new to it, warmed on other pages first) and the baseline, the floor: a client that
 * costs nothing making the same calls in the same waves. The full run (bench/run.ts) measures the
 * critical path of the scenarios whose pages can be asked for again; this one's cannot.
 *
 *   npm run build && npx tsx bench/cold-path.ts        # BENCH_ROUNDS (5) rounds, rotated
 */
import { startGateway } from './live/gateway.js';
import { buildServers, startBaseline, startSimulator, stop, type Server } from './processes.js';
import { freshBodies, S2_COLD, waves, type Fixture } from './scenarios.js';
import { sendEach, upstreamClient } from './clients.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LATENCY_MS = 20;
const CONNECTIONS = 10;
const WARM_UP = 100;
/** Queries measured per round at 10 connections, and one at a time. */
const AT_10 = 300;
const ONE = 60;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The floor: a page, then its runs, fetched directly and parsed, `queries` times over `concurrency` clients. */
async function floor(f: Fixture, queries: number, concurrency: number): Promise<number[]> {
  const { getJson, close } = upstreamClient(f);
  const latencies: number[] = [];
  let sent = 0;
  const client = async () => {
    while (sent++ < queries) {
      const t0 = performance.now();
      const [page] = await Promise.all(S2_COLD.pages(f).map(getJson));
      await Promise.all(page!.data.slice(0, S2_COLD.runs).map((run) => getJson(`/workflows/runs/${run.id}`)));
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  close();
  return latencies;
}

/** Each body sent once over `connections`: each answer's latency in ms. */
const fire = async (server: Server, bodies: string[], connections: number) => (await sendEach(server, bodies, connections)).latencies;

buildServers();
const sim = await startSimulator({ pageSize: 20, inlineLogs: false, latencyMs: LATENCY_MS, freshPages: WARM_UP + AT_10 + ONE });
const bodies = freshBodies(sim.fixture);
const [warmUp, at10, one] = [bodies.slice(0, WARM_UP), bodies.slice(WARM_UP, WARM_UP + AT_10), bodies.slice(WARM_UP + AT_10)];
const baseline = await startBaseline(sim.fixture.url);
await fire(baseline, warmUp, CONNECTIONS);
const p50 = { gateway: { at10: [] as number[], one: [] as number[] }, baseline: { at10: [] as number[], one: [] as number[] }, floor: { at10: [] as number[], one: [] as number[] } };
try {
  for (let r = 0; r < ROUNDS; r++) {
    const order = (['gateway', 'baseline', 'floor'] as const).map((_, i, all) => all[(i + r) % all.length]!);
    for (const who of order) {
      if (who === 'floor') {
        p50.floor.at10.push(median(await floor(sim.fixture, AT_10, CONNECTIONS)));
        p50.floor.one.push(median(await floor(sim.fixture, ONE, 1)));
        continue;
      }
      // A new gateway each round: none of the pages is remembered, as in S2 cold.
      const server = who === 'gateway' ? await startGateway('cold-path', sim.fixture.url) : baseline;
      if (who === 'gateway') await fire(server, warmUp, CONNECTIONS);
      p50[who].at10.push(median(await fire(server, at10, CONNECTIONS)));
      p50[who].one.push(median(await fire(server, one, 1)));
      if (who === 'gateway') await stop(server.child);
    }
  }
} finally {
  await stop(baseline.child);
  await stop(sim.child);
}

const path = waves(S2_COLD) * LATENCY_MS;
const floorAt10 = median(p50.floor.at10);
const floorOne = median(p50.floor.one);
console.log(`S2 cold, upstream answering after ${LATENCY_MS} ms (${waves(S2_COLD)} waves): medians of ${ROUNDS} rounds' p50s`);
console.log(`| client | p50 ms at ${CONNECTIONS} conns | / (waves x ${LATENCY_MS} ms) | / floor | p50 ms one at a time | / (waves x ${LATENCY_MS} ms) | / floor |`);
console.log('| --- | --: | --: | --: | --: | --: | --: |');
for (const who of ['gateway', 'baseline', 'floor'] as const) {
  const [a, o] = [median(p50[who].at10), median(p50[who].one)];
  console.log(`| ${who} | ${a.toFixed(2)} | ${(a / path).toFixed(3)} | ${(a / floorAt10).toFixed(3)} | ${o.toFixed(2)} | ${(o / path).toFixed(3)} | ${(o / floorOne).toFixed(3)} |`);
}
