/**
 * The benchmark's scenarios: the GraphQL query each sends, and the upstream calls a client that
 * costs nothing would need for it (the floor every server is compared with). Shared by
 * `bench/run.ts` and `bench/profile.ts`. The fixture is the simulator's benchmark data
 * (`bench/simulator-process.ts`), upstream page size 15.
 */
import { DEMO_TOKENS } from '../src/demo/seed.js';

export const AUTHORIZATION = `Bearer ${DEMO_TOKENS.acme}`;
export const PAGE_SIZE = 15;

export interface Fixture {
  url: string;
  control: string;
  /** The workflow with the most runs (437). */
  busiest: string;
  /** 60 distinct workflows, the busiest first. */
  workflows: string[];
}

export interface Scenario {
  id: string;
  name: string;
  /** The simulator's list pages carry each run's logs. */
  inlineLogs: boolean;
  /** The Apollo baseline answers it too (S3's cursor is the gateway's own). */
  baseline: boolean;
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

function executions(id: string, name: string, first: number, inlineLogs: boolean, baseline = true): Scenario {
  return {
    id,
    name,
    inlineLogs,
    baseline,
    body: (f) => body(`query($id: ID!) { workflow(id: $id) { executions(first: ${first}) { ${RUN_FIELDS} } } }`, { id: f.busiest }),
    pages: (f) => pagesOf(f.busiest, 1, Math.ceil(first / PAGE_SIZE)),
    runs: inlineLogs ? 0 : first,
  };
}

function fanOut(id: string, name: string, count: number, baseline = true): Scenario {
  return {
    id,
    name,
    inlineLogs: true,
    baseline,
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

export const S1 = executions('S1', 'S1 executions(first: 20), logs inline', 20, true);
export const S2 = executions('S2', 'S2 the same, logs fetched per run', 20, false);
export const S3: Scenario = {
  id: 'S3',
  name: 'S3 deep page: 20 after the 300th run',
  inlineLogs: true,
  baseline: false,
  body: (f, cursor) =>
    body(`query($id: ID!, $after: String) { workflow(id: $id) { executions(first: 20, after: $after) { ${RUN_FIELDS} } } }`, { id: f.busiest, after: cursor }),
  pages: (f) => pagesOf(f.busiest, 21, 22),
  runs: 0,
};
export const S4 = fanOut('S4', 'S4 fan-out: 10 workflows, executions(first: 5)', 10);
/** Cost against size, gateway only. */
export const S5 = [
  ...[1, 10, 50, 100].map((n) => executions(`S5 first ${n}`, `S5 executions(first: ${n})`, n, true, false)),
  ...[1, 10, 50].map((n) => fanOut(`S5 ${n} workflows`, `S5 fan-out over ${n} workflows`, n, false)),
];

/** The query S3 needs: walks 300 runs with the gateway's own cursors and returns the cursor after them. */
export const walkBody = (f: Fixture, after: string | null) =>
  body(`query($id: ID!, $after: String) { workflow(id: $id) { executions(first: 100, after: $after) { pageInfo { endCursor } } } }`, { id: f.busiest, after });
