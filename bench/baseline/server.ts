/**
 * The gateway a team would build by hand: Apollo Server 5 with @apollo/datasource-rest, serving
 * `workflow(id) { executions(first) { edges { node { ... logs } } } }` over the same upstream.
 * Kept minimal and idiomatic: one RESTDataSource per request (its GETs de-duplicated), page 1
 * first to learn per_page, then the other pages, then each run's logs when the list has none.
 * Run: `tsx bench/baseline/server.ts <upstream-url>`; prints "ready at <url>".
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { RESTDataSource, type AugmentedRequest } from '@apollo/datasource-rest';

interface Run {
  id: string;
  status: string;
  started_at: string | null;
  logs?: Array<{ id: string; status: string }>;
}
interface Page {
  data: Run[];
  meta: { per_page: number; total: number };
}

class Altostrat extends RESTDataSource {
  constructor(
    override baseURL: string,
    private readonly authorization: string,
  ) {
    super();
  }
  override willSendRequest(_path: string, request: AugmentedRequest) {
    request.headers.authorization = this.authorization;
  }
  page(workflowId: string, page: number) {
    return this.get<Page>(`workflows/${encodeURIComponent(workflowId)}/executions`, { params: { page: String(page) } });
  }
  run(id: string) {
    return this.get<Run>(`workflows/runs/${encodeURIComponent(id)}`);
  }
}

interface Context {
  api: Altostrat;
}

const typeDefs = `#graphql
  type Query { workflow(id: ID!): Workflow }
  type Workflow { id: ID! executions(first: Int): WorkflowExecutionConnection! }
  type WorkflowExecutionConnection { edges: [WorkflowExecutionEdge!]! }
  type WorkflowExecutionEdge { cursor: String! node: WorkflowExecution! }
  type WorkflowExecution { id: ID! status: String! startedAt: String logs: [WorkflowExecutionLog!]! }
  type WorkflowExecutionLog { id: ID! status: String! }
`;

const resolvers = {
  Query: { workflow: (_: unknown, { id }: { id: string }) => ({ id }) },
  Workflow: {
    executions: async ({ id }: { id: string }, { first = 20 }: { first?: number }, { api }: Context) => {
      const head = await api.page(id, 1);
      const pages = Math.ceil(first / head.meta.per_page);
      const rest = await Promise.all(Array.from({ length: Math.max(0, pages - 1) }, (_, i) => api.page(id, i + 2)));
      const runs = [head, ...rest].flatMap((p) => p.data).slice(0, first);
      return { edges: runs.map((node, i) => ({ cursor: Buffer.from(String(i)).toString('base64'), node })) };
    },
  },
  WorkflowExecution: {
    startedAt: (run: Run) => run.started_at,
    logs: async (run: Run, _: unknown, { api }: Context) => run.logs ?? (await api.run(run.id)).logs ?? [],
  },
};

const upstream = process.argv[2]!;
const server = new ApolloServer<Context>({ typeDefs, resolvers });
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  context: async ({ req }) => ({ api: new Altostrat(`${upstream}/`, String(req.headers.authorization ?? '')) }),
});
console.log(`ready at ${url}`);
