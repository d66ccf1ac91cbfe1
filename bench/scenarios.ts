/**
 * The benchmark's scenarios: the GraphQL query each sends, the servers that answer it, the
 * simulator it runs against (page size, logs inline or not), and the upstream calls a client that
 * costs nothing would need for it (the floor every server is compared with). Shared by
 * `bench/run.ts` and `bench/profile.ts`. The fixture is the simulator's benchmark data
 * (`bench/simulator-process.ts`).
 */
import { DEMO_TOKENS } from '../src/demo/seed.js';

export const AUTHORIZATION = `Bearer ${DEMO_TOKENS.acme}`;

export interface Fixture {
  url: string;
  control: string;
  /** The workflow with the most runs (437). */
  busiest: string;
  /** 60 distinct workflows, the busiest first. */
  workflows: string[];
  /** Workflows whose first page holds finished runs no one has read yet (none unless asked for). */
  fresh: string[];
}

/** The gateway; the Apollo baseline (bench/baseline/); the bare-Yoga ceiling (bench/ceiling/), which serves S1 only. */
export type ServerName = 'gateway' | 'baseline' | 'ceiling';

export interface Scenario {
  id: string;
  name: string;
  /** The simulator's page size for it. */
  pageSize: number;
  /** The simulator's list pages carry each run's logs. */
  inlineLogs: boolean;
  /** Who answers it, the gateway first (S3's cursor is the gateway's own: the gateway alone). */
  servers: ServerName[];
  body(f: Fixture, cursor?: string): string;
  /** Wave 1: the list pages it needs, fetched together. */
  pages(f: Fixture): string[];
  /** Wave 2, after the pages: `GET /workflows/runs/{id}` for this many runs (0: none). */
  runs: number;
}

/** Upstream calls the budget (docs/guarantees.md) allows for one query. */
export const budget = (s: Scenario, f: Fixture) => s.pages(f).length + s.runs;
/** Sequential waves of upstream calls on the critical path. */
export const waves = (s: Scenario) => (s.runs > 0 ? 2 : 1);

const body = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });
const RUN_FIELDS = 'edges { node { id status startedAt logs { id status } } }';
const pagesOf = (workflow: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `/workflows/${workflow}/executions?page=${from + i}`);
const BOTH: ServerName[] = ['gateway', 'baseline'];
const GATEWAY: ServerName[] = ['gateway'];

/** A page of runs with their logs, as a workflow UI sends it. */
const RUNS_QUERY = 'query Runs($id: ID!, $first: Int!) { workflow(id: $id) { executions(first: $first) { totalCount edges { node { id status startedAt logs { id status } } } } } }';
const runsBody = (workflow: string) => body(RUNS_QUERY, { id: workflow, first: 20 });

function executions(id: string, name: string, first: number, servers = BOTH): Scenario {
  return {
    id,
    name,
    pageSize: 15,
    inlineLogs: true,
    servers,
    body: (f) => body(`query($id: ID!) { workflow(id: $id) { executions(first: ${first}) { ${RUN_FIELDS} } } }`, { id: f.busiest }),
    pages: (f) => pagesOf(f.busiest, 1, Math.ceil(first / 15)),
    runs: 0,
  };
}

function fanOut(id: string, name: string, count: number, servers = BOTH): Scenario {
  return {
    id,
    name,
    pageSize: 15,
    inlineLogs: true,
    servers,
    body: (f) =>
      body(
        `query { ${f.workflows
          .slice(0, count)
          .map((w, i) => `w${i}: workflow(id: "${w}") { executions(first: 5) { edges { node { id status startedAt } } } }`)
          .join(' ')} }`,
      ),
    pages: (f) => f.workflows.slice(0, count).map((w) => `/workflows/${w}/executions?page=1`),
    runs: 0,
  };
}

/** The query a client sends, `first: 20`, against pages of 20 with logs inline: one upstream call. */
export const S1: Scenario = {
  id: 'S1',
  name: 'S1 `query Runs` (first: 20), page 20, logs inline',
  pageSize: 20,
  inlineLogs: true,
  servers: ['gateway', 'baseline', 'ceiling'],
  body: (f) => runsBody(f.busiest),
  pages: (f) => pagesOf(f.busiest, 1, 1),
  runs: 0,
};
/** The same query against pages of 20 without logs: each run's logs are read on their own. */
const logsPerRun = { pageSize: 20, inlineLogs: false, servers: BOTH, pages: (f: Fixture) => pagesOf(f.busiest, 1, 1), runs: 20 };
/** The same page of finished runs, asked again and again with the same token. */
export const S2_WARM: Scenario = { ...logsPerRun, id: 'S2 warm', name: 'S2 warm: `query Runs`, page 20, logs per run, the same page again', body: (f) => runsBody(f.busiest) };
/**
 * Pages of finished runs a fresh server process has not read: `freshBodies` gives the sequence, each
 * sent once; the body here is the one both servers' answers are compared on.
 */
export const S2_COLD: Scenario = { ...logsPerRun, id: 'S2 cold', name: 'S2 cold: `query Runs`, page 20, logs per run, pages not read before', body: (f) => runsBody(f.fresh[0]!) };
export const freshBodies = (f: Fixture) => f.fresh.map(runsBody);
/** The same runs as S1 without variables or totalCount, against pages of 15: two upstream calls. */
export const S1_PAGE15 = executions('S1 page 15', 'S1 at page 15: executions(first: 20), logs inline', 20);
export const S3: Scenario = {
  id: 'S3',
  name: 'S3 deep page: 20 after the 300th run',
  pageSize: 15,
  inlineLogs: true,
  servers: GATEWAY,
  body: (f, cursor) =>
    body(`query($id: ID!, $after: String) { workflow(id: $id) { executions(first: 20, after: $after) { ${RUN_FIELDS} } } }`, { id: f.busiest, after: cursor }),
  pages: (f) => pagesOf(f.busiest, 21, 22),
  runs: 0,
};
export const S4 = fanOut('S4', 'S4 fan-out: 10 workflows, executions(first: 5)', 10);
/** Cost against size, gateway only. */
export const S5 = [
  ...[1, 10, 50, 100].map((n) => executions(`S5 first ${n}`, `S5 executions(first: ${n})`, n, GATEWAY)),
  ...[1, 10, 50].map((n) => fanOut(`S5 ${n} workflows`, `S5 fan-out over ${n} workflows`, n, GATEWAY)),
];

/** The query S3 needs: walks 300 runs with the gateway's own cursors and returns the cursor after them. */
export const walkBody = (f: Fixture, after: string | null) =>
  body(`query($id: ID!, $after: String) { workflow(id: $id) { executions(first: 100, after: $after) { pageInfo { endCursor } } } }`, { id: f.busiest, after });
