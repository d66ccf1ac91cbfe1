/**
 * The ceiling the gateway is measured against: what a Yoga server costs with nothing of the
 * gateway's own in it. The gateway's GraphQL Yoga and undici (the root package's, so the same
 * versions and the same graphql), on node:http as the gateway serves it; one resolver that calls the
 * upstream with undici, one list page per query, the caller's authorization passed on; no
 * validation of the answer, no budget, no cursors, no limits, no logging, no metrics.
 *
 * It serves only what S1 asks (bench/scenarios.ts), with the gateway's field names: `workflow(id)`,
 * `executions(first:)` from the first upstream page (so `first` up to the upstream's page size),
 * `totalCount`, `edges { node }`, `id`, `status` as the gateway's enum, `startedAt`, `logs { id status }`,
 * so its answer is compared with the gateway's on every run.
 *
 * Built by `bench/run.ts` (`tsc -p bench/ceiling/tsconfig.json`, into bench/ceiling/dist/, git-ignored)
 * and run as the gateway runs: `NODE_ENV=production PORT=<port> node bench/ceiling/dist/server.js <upstream-url>`.
 */
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import { Agent, request } from 'undici';

interface RunRecord {
  id: string;
  status: string;
  started_at: string | null;
  logs: Array<{ id: string; status: string }>;
}

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: node bench/ceiling/dist/server.js <upstream-url>');
const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 128 });

const schema = createSchema<{ request: Request }>({
  typeDefs: /* GraphQL */ `
    type Query { workflow(id: ID!): Workflow }
    type Workflow { id: ID! executions(first: Int = 20): WorkflowExecutionConnection! }
    type WorkflowExecutionConnection { edges: [WorkflowExecutionEdge!]! totalCount: Int! }
    type WorkflowExecutionEdge { node: WorkflowExecution! }
    enum WorkflowExecutionStatus { PENDING RUNNING COMPLETED FAILED AWAITING_UI_INTERACTION }
    type WorkflowExecution { id: ID! status: WorkflowExecutionStatus! startedAt: String logs: [WorkflowExecutionLog!]! }
    type WorkflowExecutionLog { id: ID! status: String! }
  `,
  resolvers: {
    Query: { workflow: (_: unknown, { id }: { id: string }) => ({ id }) },
    Workflow: {
      executions: async ({ id }: { id: string }, { first }: { first: number }, { request: incoming }: { request: Request }) => {
        const response = await request(`${upstream}/workflows/${encodeURIComponent(id)}/executions?page=1`, {
          dispatcher,
          headers: { authorization: incoming.headers.get('authorization') ?? '', accept: 'application/json' },
        });
        const page = (await response.body.json()) as { data: RunRecord[]; meta: { total: number } };
        return { edges: page.data.slice(0, first).map((node) => ({ node })), totalCount: page.meta.total };
      },
    },
    WorkflowExecutionStatus: {
      PENDING: 'pending',
      RUNNING: 'running',
      COMPLETED: 'completed',
      FAILED: 'failed',
      AWAITING_UI_INTERACTION: 'awaiting_ui_interaction',
    },
    WorkflowExecution: { startedAt: (run: RunRecord) => run.started_at },
  },
});

const yoga = createYoga({ schema, graphiql: false, landingPage: false });
const server = createServer((req, res) => void yoga(req, res));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`ready at http://127.0.0.1:${process.env.PORT}${yoga.graphqlEndpoint}`));
