/**
 * The baseline the gateway is measured against: the GraphQL server a competent team would ship over
 * the same upstream with Apollo's own tools, and nothing held back. Apollo Server 5's standalone
 * HTTP server; one RESTDataSource (@apollo/datasource-rest 6) per request, built in the context
 * function with the server's cache as Apollo's documentation shows; resolvers that start every
 * upstream call they need at once (all the pages of `executions(first:)` together once the page
 * size is known, and each run's logs, when a list page has none, side by side).
 *
 * It serves the gateway's field names for everything the benchmark's queries ask (`workflow(id)`,
 * `executions(first:)`, `edges`/`nodes`, `id`, `status` as the gateway's enum, `startedAt`, `logs`),
 * so both servers answer the same bytes; the bench compares them on every run.
 *
 * Built by `bench/run.ts` (`tsc -p bench/baseline/tsconfig.json`, into bench/baseline/dist/, git-ignored)
 * and run as production runs it: `NODE_ENV=production PORT=<port> node bench/baseline/dist/server.js <upstream-url>`.
 * Prints "ready at <url>".
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { RESTDataSource, type AugmentedRequest } from '@apollo/datasource-rest';

interface LogRecord {
  id: string;
  node_id: string;
  status: string;
}
interface RunRecord {
  id: string;
  status: string;
  started_at: string | null;
  /** Present on list items only when the upstream inlines them. */
  logs?: LogRecord[];
}
interface ExecutionsPage {
  data: RunRecord[];
  meta: { per_page: number; total: number };
}

class AltostratAPI extends RESTDataSource {
  constructor(
    override baseURL: string,
    private readonly authorization: string,
    cache: ApolloServer['cache'],
  ) {
    super({ cache });
  }

  override willSendRequest(_path: string, request: AugmentedRequest) {
    request.headers.authorization = this.authorization;
  }

  executions(workflowId: string, page: number) {
    return this.get<ExecutionsPage>(`workflows/${encodeURIComponent(workflowId)}/executions`, { params: { page: String(page) } });
  }

  run(runId: string) {
    return this.get<RunRecord & { logs: LogRecord[] }>(`workflows/runs/${encodeURIComponent(runId)}`);
  }
}

interface Context {
  dataSources: { altostrat: AltostratAPI };
}

const typeDefs = `#graphql
  type Query { workflow(id: ID!): Workflow }
  type Workflow { id: ID! executions(first: Int = 20): WorkflowExecutionConnection! }
  type WorkflowExecutionConnection { edges: [WorkflowExecutionEdge!]! nodes: [WorkflowExecution!]! totalCount: Int! }
  type WorkflowExecutionEdge { cursor: String! node: WorkflowExecution! }
  enum WorkflowExecutionStatus { PENDING RUNNING COMPLETED FAILED AWAITING_UI_INTERACTION }
  type WorkflowExecution { id: ID! status: WorkflowExecutionStatus! startedAt: String logs: [WorkflowExecutionLog!]! }
  type WorkflowExecutionLog { id: ID! nodeId: String! status: String! }
`;

// The upstream picks its page size and documents none: it is learned from the first answer, as
// the gateway learns it, so that every later query asks for all the pages it needs at once.
let perPage: number | undefined;

async function firstRuns(api: AltostratAPI, workflowId: string, first: number) {
  if (first <= 0) return { runs: [], total: 0 };
  const head = perPage === undefined ? await api.executions(workflowId, 1) : undefined;
  perPage ??= head!.meta.per_page;
  const pageCount = Math.ceil(first / perPage);
  const from = head ? 2 : 1;
  const pages = await Promise.all(Array.from({ length: Math.max(0, pageCount - from + 1) }, (_, i) => api.executions(workflowId, from + i)));
  if (head) pages.unshift(head);
  return { runs: pages.flatMap((page) => page.data).slice(0, first), total: pages[0]!.meta.total };
}

const resolvers = {
  Query: { workflow: (_: unknown, { id }: { id: string }) => ({ id }) },
  Workflow: {
    executions: async ({ id }: { id: string }, { first }: { first: number }, { dataSources }: Context) => {
      const { runs, total } = await firstRuns(dataSources.altostrat, id, first);
      return {
        edges: runs.map((node, i) => ({ cursor: Buffer.from(`${id}:${i}`).toString('base64url'), node })),
        nodes: runs,
        totalCount: total,
      };
    },
  },
  WorkflowExecutionStatus: {
    PENDING: 'pending',
    RUNNING: 'running',
    COMPLETED: 'completed',
    FAILED: 'failed',
    AWAITING_UI_INTERACTION: 'awaiting_ui_interaction',
  },
  WorkflowExecution: {
    startedAt: (run: RunRecord) => run.started_at,
    // graphql-js calls this for every run of a list before awaiting any: the fetches overlap.
    logs: async (run: RunRecord, _: unknown, { dataSources }: Context) => run.logs ?? (await dataSources.altostrat.run(run.id)).logs,
  },
  WorkflowExecutionLog: { nodeId: (log: LogRecord) => log.node_id },
};

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: node bench/baseline/dist/server.js <upstream-url>');
const server = new ApolloServer<Context>({ typeDefs, resolvers });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 0), host: '127.0.0.1' },
  context: ({ req }) => Promise.resolve({
    dataSources: { altostrat: new AltostratAPI(`${upstream}/`, req.headers.authorization ?? '', server.cache) },
  }),
});
console.log(`ready at ${url}`);
