/**
 * Leak check: the gateway in this process over a simulator, bursts of concurrent requests from two
 * tenants, and the V8 heap measured after a full GC between bursts. A heap that keeps growing burst
 * after burst is a leak; RSS alone cannot tell (V8 returns memory to the OS lazily).
 *
 *   npm run bench:heap
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createGateway } from '../src/server.js';
import { loadConfig } from '../src/config.js';
import { startSimulator } from '../src/demo/simulator.js';
import { DEMO_TOKENS } from '../src/demo/seed.js';

const BURSTS = 5;
const PER_BURST = Number(process.env.HEAP_REQUESTS ?? 3000);
const ALLOWED_GROWTH_MB = 5;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:heap does)');

const simulator = await startSimulator({ pageSize: 15 });
const gateway = createGateway({ config: loadConfig({ LOG_LEVEL: 'silent', GRAPHIQL: 'false' }), upstreamUrl: simulator.url });
const server = createServer((req, res) => gateway.handle(req, res));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
const body = JSON.stringify({
  query: 'query Load($n: Int) { workflows(first: 3) { nodes { id executions(first: $n) { nodes { id status logs { id nodeId } } } } } }',
  variables: { n: 8 },
});

async function burst(count: number) {
  let sent = 0;
  await Promise.all(
    Array.from({ length: 32 }, async (_, worker) => {
      while (sent++ < count) {
        const token = worker % 2 ? DEMO_TOKENS.acme : DEMO_TOKENS.globex;
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
        await response.text();
      }
    }),
  );
  simulator.clearCalls(); // the simulator's log is test equipment, not the gateway's memory
}

const heapMb = () => {
  gc();
  gc();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
};

await burst(300);
const baseline = heapMb();
const samples = [baseline];
for (let i = 0; i < BURSTS; i++) {
  await burst(PER_BURST);
  samples.push(heapMb());
}
server.close();
await gateway.close();
await simulator.close();

const growth = samples.at(-1)! - baseline;
console.log(`| requests | heap after GC, MB, per burst of ${PER_BURST} | growth MB |`);
console.log(`| --- | --- | --- |`);
console.log(`| ${BURSTS * PER_BURST} | ${samples.join(' → ')} | ${growth.toFixed(1)} |`);
if (growth > ALLOWED_GROWTH_MB) {
  console.error(`heap grew ${growth.toFixed(1)} MB over ${BURSTS * PER_BURST} requests: a leak`);
  process.exitCode = 1;
}
