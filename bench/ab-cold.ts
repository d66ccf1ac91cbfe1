/**
 * An A/B of two gateway builds under S2-cold-like load: `npx tsx bench/ab-cold.ts <before checkout>
 * [after checkout]` (the after one defaults to this one), each running its dist/main.js. Both gateways run at once
 * over one simulator (pages of 20 finished runs without logs), started as `npm start` starts them.
 * Each round sends both the same pages, which neither has read, once each at 10 connections, the
 * gateways' order alternating; the figures are the medians of the per-round ratios (after /
 * before) of req/s and CPU ms per query. Before the rounds, the answers to a page never read and to
 * that page read again are compared byte for byte. AB_ROUNDS (8) and AB_PAGES (250 per round) tune it;
 * AB_ENV_BEFORE and AB_ENV_AFTER (JSON objects) add settings to either gateway's environment, so that one
 * build can be measured against itself with a part switched off (`AB_ENV_AFTER='{"LOG_LEVEL":"warn"}'`).
 */
import { loadavg } from 'node:os';
import { cpuMs, startGateway, startSimulator, stop, type Server } from './processes.js';
import { AUTHORIZATION, freshBodies } from './scenarios.js';
import { sendEach } from './clients.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env.AB_ROUNDS ?? 8);
const PAGES = Number(process.env.AB_PAGES ?? 250);
const WARM_UP = 100;
const CONNECTIONS = 10;
const [beforeCheckout, afterCheckout = '.'] = process.argv.slice(2);
if (!beforeCheckout) throw new Error('usage: npx tsx bench/ab-cold.ts <before checkout> [after checkout]');

async function ask(gateway: Server, body: string): Promise<string> {
  const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTHORIZATION }, body });
  return response.text();
}

/** Sends each body once at 10 connections: req/s and CPU ms per query. */
async function fire(gateway: Server, bodies: string[]): Promise<{ rps: number; cpu: number }> {
  const cpuBefore = cpuMs(gateway.pid);
  const t0 = performance.now();
  const { lastAt } = await sendEach(gateway, bodies, CONNECTIONS);
  return { rps: bodies.length / ((lastAt - t0) / 1000), cpu: (cpuMs(gateway.pid) - cpuBefore) / bodies.length };
}


const sim = await startSimulator({ pageSize: 20, inlineLogs: false, latencyMs: 0, freshPages: 2 + WARM_UP + ROUNDS * PAGES });
const bodies = freshBodies(sim.fixture);
const settings = (name: string) => JSON.parse(process.env[name] ?? '{}') as Record<string, string>;
const before = await startGateway(sim.fixture.url, { name: 'before', settings: settings('AB_ENV_BEFORE'), checkout: beforeCheckout });
const after = await startGateway(sim.fixture.url, { name: 'after', settings: settings('AB_ENV_AFTER'), checkout: afterCheckout });
try {
  // Byte-identical answers: a page never read (cold), then the same page again (remembered runs).
  for (const body of [bodies[0]!, bodies[0]!, bodies[1]!]) {
    const [a, b] = [await ask(before, body), await ask(after, body)];
    if (a !== b || a.includes('"errors"')) throw new Error(`answers differ:\n${a.slice(0, 400)}\n${b.slice(0, 400)}`);
  }
  console.log(`answers byte-identical (${Buffer.byteLength(await ask(after, bodies[1]!))} bytes)`);
  const warm = bodies.slice(2, 2 + WARM_UP);
  await fire(before, warm);
  await fire(after, warm);
  const ratios = { rps: [] as number[], cpu: [] as number[] };
  const figures = { before: { rps: [] as number[], cpu: [] as number[] }, after: { rps: [] as number[], cpu: [] as number[] } };
  for (let r = 0; r < ROUNDS; r++) {
    const pages = bodies.slice(2 + WARM_UP + r * PAGES, 2 + WARM_UP + (r + 1) * PAGES);
    // ABBA: drifts in the machine's load fall on both sides alike.
    const order = r % 4 === 0 || r % 4 === 3 ? [before, after] : [after, before];
    const got: Record<string, { rps: number; cpu: number }> = {};
    for (const gateway of order) got[gateway.name] = await fire(gateway, pages);
    for (const side of ['before', 'after'] as const) {
      figures[side].rps.push(got[side]!.rps);
      figures[side].cpu.push(got[side]!.cpu);
    }
    ratios.rps.push(got.after!.rps / got.before!.rps);
    ratios.cpu.push(got.after!.cpu / got.before!.cpu);
    console.log(
      `round ${r + 1}: before ${got.before!.rps.toFixed(0)} req/s ${got.before!.cpu.toFixed(2)} ms, after ${got.after!.rps.toFixed(0)} req/s ${got.after!.cpu.toFixed(2)} ms; load ${loadavg()[0]!.toFixed(2)}`,
    );
  }
  console.log(
    `median: before ${median(figures.before.rps).toFixed(0)} req/s ${median(figures.before.cpu).toFixed(2)} CPU ms/query; after ${median(figures.after.rps).toFixed(0)} req/s ${median(figures.after.cpu).toFixed(2)} CPU ms/query`,
  );
  console.log(`ratio after/before (median of rounds): req/s ${median(ratios.rps).toFixed(3)}x, CPU ms/query ${median(ratios.cpu).toFixed(3)}x`);
} finally {
  await stop(before.child);
  await stop(after.child);
  await stop(sim.child);
}
