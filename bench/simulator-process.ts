/**
 * The simulator as its own process, for the benchmarks: `tsx bench/simulator-process.ts '<json>'`
 * with SimulatorOptions as JSON. It grows the demo data to benchmark size (the busiest workflow
 * gets 200 more runs, and 59 copies of it are added so that fan-out has distinct workflows) and
 * prints one JSON line: the upstream URL, a control URL and the fixture's ids. With `freshPages: n`
 * beside the simulator's options, it also adds n workflows whose first list page is a page of
 * finished runs of their own (copies of the workflow with the fewest runs, a page of completed runs
 * added at their head): pages a gateway cannot have read before. The control URL
 * answers GET /calls with the calls received since the last reset, and among them the run polls
 * (GET /workflows/runs/{id}); POST /reset clears them; POST /configure takes runtime options as
 * JSON (e.g. `{"stepMs": 700}`). The counts are counters, not the call log's length: the log keeps
 * only its newest calls, and the subscription benchmark makes more than it keeps.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startSimulator, type RuntimeOptions, type SimulatorOptions } from '../src/demo/simulator.js';
import { DEMO_TOKENS } from '../src/demo/seed.js';

const { freshPages = 0, ...options } = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions & { freshPages?: number };
let counts = { calls: 0, polls: 0 };
const RUN_PATH = /^\/workflows\/runs\/[^/]+$/;
const simulator = await startSimulator({
  ...options,
  host: '127.0.0.1',
  port: 0,
  // Consulted once for every request received: the place to count them, injecting nothing.
  fault: (call) => {
    counts.calls++;
    if (call.method === 'GET' && RUN_PATH.test(call.path)) counts.polls++;
    return undefined;
  },
});
const bySize = simulator
  .workflowsOf(DEMO_TOKENS.acme)
  .map((w) => w.id)
  .sort((a, b) => simulator.runsOf(b).length - simulator.runsOf(a).length);
const [busiest, smallest] = [bySize[0]!, bySize.at(-1)!];
simulator.insertRuns(busiest, 200);
const copies = simulator.cloneWorkflow(busiest, 59).map((w) => w.id);
const fresh = simulator.cloneWorkflow(smallest, freshPages).map((w) => w.id);
for (const id of fresh) simulator.insertRuns(id, options.pageSize ?? 15);

const control = createServer((req, res) => {
  void (async () => {
    if (req.method === 'POST' && req.url === '/reset') {
      simulator.clearCalls();
      counts = { calls: 0, polls: 0 };
    }
    if (req.method === 'POST' && req.url === '/configure') {
      let body = '';
      for await (const chunk of req) body += chunk;
      simulator.configure(JSON.parse(body) as RuntimeOptions);
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(counts));
  })();
});
control.listen(0, '127.0.0.1');
await once(control, 'listening');

console.log(
  JSON.stringify({
    url: simulator.url,
    control: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
    busiest,
    workflows: [busiest, ...copies],
    fresh,
    runs: simulator.runsOf(busiest).length,
  }),
);
process.on('SIGTERM', () => {
  control.close();
  void simulator.close().then(() => process.exit(0));
});
