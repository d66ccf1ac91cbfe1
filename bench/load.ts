/**
 * Load, isolation and a hostile tenant. Two honest tenants hammer one gateway
 * process, alone (the quiet run) and beside a hostile tenant that sends hostile requests
 * without pause: budget tricks hidden behind @include and variable defaults, 1000
 * `_entities` representations, forged cursors, ids like "." and "..", nesting and aliases just
 * within the limits. Every honest answer is checked: only its own organisation's items, no error.
 * The figures: honest latency in each run (the target: within 2x of the quiet run), honest
 * errors (target: none), and upstream calls per request of each tenant, counted by the simulator
 * (target: within MAX_UPSTREAM_CALLS, 500 by default, per request).
 *
 * The gateway runs as its own process exactly as `npm start` runs it (PORT, HOST and
 * ALTOSTRAT_API_URL, every other setting its default), over a simulator in this process. The
 * simulator knows only two organisations, so the hostile tenant has a token of its own that the
 * simulator's request hook maps onto Acme's before answering: to the gateway it is a third
 * tenant (its own fair share of upstream slots), to the upstream it reads Acme's data.
 *
 *   npm run load                 # a 5 s warm-up, then LOAD_SECONDS (default 25) of each kind, in alternate rounds
 *   LOAD_SECONDS=10 npm run load
 */
import { startSimulator } from '../src/demo/simulator.js';
import { DEMO_TOKENS } from '../src/demo/seed.js';
import { readFileSync } from 'node:fs';
import { rssMb, startGateway, stop } from './processes.js';
import { percentile } from './stats.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 25);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 32);
const HOSTILE_CONCURRENCY = Number(process.env.LOAD_HOSTILE_CONCURRENCY ?? 8);
const WARMUP_SECONDS = 5;
/** Each kind of run is split into this many rounds, alternated. */
const ROUNDS = 6;
const MAX_REQUESTS = 200_000;
/** The gateway's default MAX_UPSTREAM_CALLS (it is not set here). */
const BUDGET = 500;
const HOSTILE_TOKEN = 'hostile.tenant.token-made-up-for-the-load-test';

const QUERY = `query Load($n: Int) {
  workflows(first: 3) { nodes { id executions(first: $n) { nodes { id status logs { id nodeId } } } } }
}`;

interface Tally {
  requests: number;
  calls: number;
}

const tallies = { acme: { requests: 0, calls: 0 }, globex: { requests: 0, calls: 0 }, hostile: { requests: 0, calls: 0 } } satisfies Record<string, Tally>;
const byAuthorization = new Map<string | undefined, Tally>([
  [`Bearer ${DEMO_TOKENS.acme}`, tallies.acme],
  [`Bearer ${DEMO_TOKENS.globex}`, tallies.globex],
  [`Bearer ${HOSTILE_TOKEN}`, tallies.hostile],
]);

const simulator = await startSimulator({
  pageSize: 15,
  // Consulted once per request received: count it for its tenant, then let the hostile token read as Acme.
  fault: (call) => {
    const tally = byAuthorization.get(call.authorization);
    if (tally) tally.calls++;
    if (tally === tallies.hostile) call.authorization = `Bearer ${DEMO_TOKENS.acme}`;
    return undefined;
  },
});
const gateway = await startGateway(simulator.url, { name: 'load-gateway' });

interface Answer {
  status: number;
  body: { data?: any; errors?: { extensions?: { code?: string } }[] } | undefined;
}

/** `body` is the request's JSON text, made once per hostile request so that the client spends little CPU on it. */
async function send(token: string, body: string): Promise<Answer> {
  const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Answer['body'] };
  } catch {
    return { status: response.status, body: undefined };
  }
}

const post = (token: string, query: string, variables: Record<string, unknown> = {}) => send(token, JSON.stringify({ query, variables }));

const honest = (['acme', 'globex'] as const).map((name) => {
  const token = DEMO_TOKENS[name];
  const workflows = new Set(simulator.workflowsOf(token).map((w) => w.id));
  const runs = new Set([...workflows].flatMap((id) => simulator.runsOf(id).map((r) => r.id)));
  return { name, token, workflows, runs };
});

/** The hostile requests, made once: the worker sends them round-robin. */
async function hostileRequests(): Promise<{ name: string; body: string }[]> {
  const workflowIds = simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => w.id);
  const workflowId = workflowIds[0]!;
  const fanOut = `nodes { executions(first: 100) { nodes { logs { id } } } }`;
  // A real cursor, then the probe's forgery: page size 1 and a total of 100001 under the original MAC.
  const first = await post(HOSTILE_TOKEN, `{ workflow(id: "${workflowId}") { executions(first: 2) { pageInfo { endCursor } } } }`);
  const cursor = first.body?.data?.workflow?.executions?.pageInfo?.endCursor as string;
  const [payload, mac] = cursor.split('.') as [string, string];
  const [listId, rank, , , itemId] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8').slice(3)) as unknown[];
  const forged = `${Buffer.from(`r1:${JSON.stringify([listId, rank, 100001, 1, itemId])}`).toString('base64url')}.${mac}`;
  const representations = Array.from({ length: 1000 }, (_, i) => ({ __typename: 'Workflow', id: workflowIds[i % workflowIds.length] }));
  const deep = `{ workflows(first: 2) { nodes { executions(first: 2) { nodes { workflow { executions(first: 2) { nodes { workflow { executions(first: 2) { nodes { id } } } } } } } } } } }`;
  const aliases = Array.from({ length: 60 }, (_, i) => `a${i}: workflow(id: "${workflowId}") { name executions(first: 3) { nodes { id status } } }`).join(' ');
  const requests: { name: string; query: string; variables?: Record<string, unknown> }[] = [
    { name: '@include default', query: `query($v: Boolean = true) { workflows(first: 100) @include(if: $v) { ${fanOut} } }` },
    { name: 'variable default', query: `query($n: Int = 100) { workflows(first: $n) { nodes { executions(first: $n) { nodes { logs { id } } } } } }` },
    {
      name: '1000 _entities',
      query: `query($r: [_Any!]!, $n: Int = 100) { _entities(representations: $r) { ... on Workflow { name executions(first: $n) { nodes { logs { id } } } } } }`,
      variables: { r: representations },
    },
    { name: 'forged cursor', query: `query($after: String) { workflow(id: "${workflowId}") { executions(first: 100, after: $after) { nodes { id } } } }`, variables: { after: forged } },
    { name: 'bad ids', query: `{ a: workflow(id: ".") { name } b: workflow(id: "") { name } c: execution(id: "..") { status } }` },
    { name: 'deep nesting', query: deep },
    { name: '60 aliases', query: `{ ${aliases} }` },
  ];
  return requests.map(({ name, query, variables }) => ({ name, body: JSON.stringify({ query, variables: variables ?? {} }) }));
}

/** How often one hostile request got one answer, and the time those answers took in all. */
interface Outcome {
  count: number;
  ms: number;
}

interface Run {
  latencies: number[];
  errors: number;
  foreign: number;
  requests: number;
  seconds: number;
  hostileOutcomes: Map<string, Outcome>;
  calls: { honest: number; honestRequests: number; hostile: number; hostileRequests: number };
  rssPeak: number;
}

async function run(withHostile: boolean, hostile: Awaited<ReturnType<typeof hostileRequests>>, seconds = SECONDS): Promise<Run> {
  for (const tally of Object.values(tallies)) Object.assign(tally, { requests: 0, calls: 0 });
  const deadline = Date.now() + seconds * 1000;
  const started = performance.now();
  const latencies: number[] = [];
  const outcomes = new Map<string, Outcome>();
  let sent = 0;
  let errors = 0;
  let foreign = 0;
  let rssPeak = rssMb(gateway.pid);
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(gateway.pid))), 500);

  async function honestWorker(index: number) {
    while (Date.now() < deadline && sent < MAX_REQUESTS) {
      sent++;
      const tenant = honest[(index + sent) % 2]!;
      tallies[tenant.name].requests++;
      const begun = performance.now();
      try {
        const { status, body } = await post(tenant.token, QUERY, { n: 1 + (sent % 10) });
        latencies.push(performance.now() - begun);
        if (status !== 200 || body?.errors || !body?.data) errors++;
        for (const workflow of body?.data?.workflows.nodes ?? []) {
          if (!tenant.workflows.has(workflow.id)) foreign++;
          for (const execution of workflow.executions.nodes) if (!tenant.runs.has(execution.id)) foreign++;
        }
      } catch {
        errors++;
      }
    }
  }
  async function hostileWorker(index: number) {
    for (let i = index; Date.now() < deadline && tallies.hostile.requests < MAX_REQUESTS; i += HOSTILE_CONCURRENCY) {
      const request = hostile[i % hostile.length]!;
      tallies.hostile.requests++;
      const begun = performance.now();
      const { status, body } = await send(HOSTILE_TOKEN, request.body).catch(() => ({ status: 0, body: undefined }));
      const code = body?.errors?.[0]?.extensions?.code ?? (body?.data ? 'data' : `HTTP ${status}`);
      const key = `${request.name}: ${code}`;
      const outcome = outcomes.get(key) ?? { count: 0, ms: 0 };
      outcome.count++;
      outcome.ms += performance.now() - begun;
      outcomes.set(key, outcome);
    }
  }
  await Promise.all([
    ...Array.from({ length: CONCURRENCY }, (_, i) => honestWorker(i)),
    ...(withHostile ? Array.from({ length: HOSTILE_CONCURRENCY }, (_, i) => hostileWorker(i)) : []),
  ]);
  clearInterval(sampler);
  return {
    latencies: latencies.sort((a, b) => a - b),
    errors,
    foreign,
    requests: tallies.acme.requests + tallies.globex.requests,
    seconds: (performance.now() - started) / 1000,
    hostileOutcomes: outcomes,
    calls: {
      honest: tallies.acme.calls + tallies.globex.calls,
      honestRequests: tallies.acme.requests + tallies.globex.requests,
      hostile: tallies.hostile.calls,
      hostileRequests: tallies.hostile.requests,
    },
    rssPeak,
  };
}

function merge(runs: Run[]): Run {
  const sum = (pick: (r: Run) => number) => runs.reduce((n, r) => n + pick(r), 0);
  return {
    latencies: runs.flatMap((r) => r.latencies).sort((a, b) => a - b),
    errors: sum((r) => r.errors),
    foreign: sum((r) => r.foreign),
    requests: sum((r) => r.requests),
    seconds: sum((r) => r.seconds),
    hostileOutcomes: runs.reduce((all, r) => {
      for (const [key, { count, ms }] of r.hostileOutcomes) {
        const total = all.get(key) ?? { count: 0, ms: 0 };
        all.set(key, { count: total.count + count, ms: total.ms + ms });
      }
      return all;
    }, new Map<string, Outcome>()),
    calls: {
      honest: sum((r) => r.calls.honest),
      honestRequests: sum((r) => r.calls.honestRequests),
      hostile: sum((r) => r.calls.hostile),
      hostileRequests: sum((r) => r.calls.hostileRequests),
    },
    rssPeak: Math.max(...runs.map((r) => r.rssPeak)),
  };
}

/** The most upstream calls any one request made, from the gateway's own request log lines. */
function maxCallsPerRequest(): number {
  let max = 0;
  for (const line of readFileSync(gateway.log, 'utf8').split('\n')) {
    const match = /"upstreamCalls":(\d+)/.exec(line);
    if (match) max = Math.max(max, Number(match[1]));
  }
  return max;
}

// Warm up (JIT, connections, learned page sizes) with the honest load itself, unmeasured, so that
// the quiet rounds are not the colder ones.
const hostile = await hostileRequests();
await run(false, hostile, WARMUP_SECONDS);
// The machine is shared, so the two kinds of run alternate in short rounds (quiet, hostile, hostile,
// quiet, ...): whatever else runs on it weighs on both alike.
const quietRuns: Run[] = [];
const loudRuns: Run[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const withHostile of round % 2 === 0 ? [false, true] : [true, false]) {
    (withHostile ? loudRuns : quietRuns).push(await run(withHostile, hostile, SECONDS / ROUNDS));
  }
}
const quiet = merge(quietRuns);
const loud = merge(loudRuns);
const maxCalls = maxCallsPerRequest();
await stop(gateway.child);
await simulator.close();

const row = (label: string, r: Run) =>
  `| ${label} | ${Math.round(r.seconds)} | ${r.requests} | ${Math.round(r.requests / r.seconds)} | ${percentile(r.latencies, 0.5).toFixed(1)} | ${percentile(r.latencies, 0.99).toFixed(1)} | ${r.errors} | ${r.foreign} | ${(r.calls.honest / r.calls.honestRequests).toFixed(2)} | ${r.calls.hostileRequests} | ${r.calls.hostile} | ${r.calls.hostileRequests ? (r.calls.hostile / r.calls.hostileRequests).toFixed(2) : '-'} | ${Math.round(r.rssPeak)} |`;
console.log(
  [
    `| run | seconds | honest requests | honest req/s | honest p50 ms | honest p99 ms | honest errors | cross-tenant items | upstream calls per honest request | hostile requests | hostile upstream calls | per hostile request | gateway RSS peak MB |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
    row('quiet: 2 honest tenants', quiet),
    row(`beside a hostile tenant (${HOSTILE_CONCURRENCY} at a time)`, loud),
  ].join('\n'),
);
console.log(`\nhonest concurrency ${CONCURRENCY}; most upstream calls made by any one request (gateway log): ${maxCalls} (budget ${BUDGET})`);
console.log(`\nhostile requests by outcome (mean ms):\n${[...loud.hostileOutcomes].map(([key, { count, ms }]) => `- ${key}: ${count} (${(ms / count).toFixed(1)} ms)`).join('\n')}`);

const ratio = (p: number) => percentile(loud.latencies, p) / percentile(quiet.latencies, p);
console.log(`\nhonest latency beside the hostile tenant / quiet: p50 ${ratio(0.5).toFixed(2)}x, p99 ${ratio(0.99).toFixed(2)}x`);
const misses = [
  ...(ratio(0.5) > 2 || ratio(0.99) > 2 ? ['honest latency more than 2x the quiet run'] : []),
  ...(quiet.errors + loud.errors > 0 ? ['honest errors'] : []),
  ...(quiet.foreign + loud.foreign > 0 ? ['cross-tenant items'] : []),
  ...(maxCalls > BUDGET ? ['a request made more upstream calls than the budget'] : []),
];
for (const miss of misses) console.error(`target missed: ${miss}`);
process.exitCode = misses.length ? 1 : 0;
