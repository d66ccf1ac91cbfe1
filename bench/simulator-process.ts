/**
 * The simulator as its own process, for the benchmarks: `tsx bench/simulator-process.ts '<json>'`
 * with SimulatorOptions as JSON. It grows the demo data to benchmark size (the busiest workflow
 * gets 200 more runs, and 59 copies of it are added so that fan-out has distinct workflows) and
 * prints one JSON line: the upstream URL, a control URL (GET /calls counts calls received,
 * POST /reset clears them) and the fixture's ids.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startSimulator, type SimulatorOptions } from '../src/demo/simulator.js';
import { DEMO_TOKENS } from '../src/demo/seed.js';

const options = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions;
const simulator = await startSimulator({ ...options, host: '127.0.0.1', port: 0 });
const [busiest] = simulator
  .workflowsOf(DEMO_TOKENS.acme)
  .map((w) => w.id)
  .sort((a, b) => simulator.runsOf(b).length - simulator.runsOf(a).length);
simulator.insertRuns(busiest!, 200);
const copies = simulator.cloneWorkflow(busiest!, 59).map((w) => w.id);

const control = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/reset') simulator.clearCalls();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ calls: simulator.calls.length }));
});
control.listen(0, '127.0.0.1');
await once(control, 'listening');

console.log(
  JSON.stringify({
    url: simulator.url,
    control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    busiest,
    workflows: [busiest, ...copies],
    runs: simulator.runsOf(busiest!).length,
  }),
);
process.on('SIGTERM', () => {
  control.close();
  void simulator.close().then(() => process.exit(0));
});
