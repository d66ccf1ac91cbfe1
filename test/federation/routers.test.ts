/**
 * The gateway as an Apollo Federation v2 subgraph inside a real supergraph, composed with a small
 * second subgraph (owners of workflows, audits of runs) and served by two real routers, each with
 * the client's Authorization header propagated: Hive Gateway's runtime (the Guild's composition)
 * and Apollo Gateway 2 under Apollo Server (Apollo's composition). A client behind either router
 * must see the codes a direct client sees, and the other subgraph's data where the schema allows.
 */
import { createServer, type Server } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bearer, callsTo, DEMO_TOKENS, listen, startStack, type Stack } from '../support/stack.js';

const OWNERS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])
  type Workflow @key(fields: "id") { id: ID! owner: Owner! }
  "A Relay connection of this subgraph's own, with the PageInfo every such subgraph declares."
  type PageInfo @shareable { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  type WorkflowReference { id: ID! workflow: Workflow! }
  type WorkflowReferenceEdge { cursor: String! node: WorkflowReference! }
  type WorkflowReferenceConnection { edges: [WorkflowReferenceEdge!]! pageInfo: PageInfo! }
  type WorkflowExecution @key(fields: "id", resolvable: false) { id: ID! }
  type Owner { name: String! team: String! }
  type Query {
    "The team's name: data of this subgraph alone, which must arrive whatever the other subgraph says."
    teamName: String!
    "Workflows this team watches, as references to the workflows subgraph (an entry is null when it fails)."
    watchedWorkflows: [Workflow]!
    "Runs someone audited, as references."
    auditedRuns: [WorkflowExecution!]!
    "Watched workflows as a connection: its PageInfo is this subgraph's."
    watchedPage(first: Int!): WorkflowReferenceConnection!
  }
`;

let stack: Stack;
let owners: Server;
let router: Server;
let runtime: ReturnType<typeof createGatewayRuntime>;
let routerUrl: string;
let apollo: ApolloServer<{ authorization?: string }>;
let apolloUrl: string;
let watched: string[];
let audited: string[];

beforeAll(async () => {
  stack = await startStack({ pageSize: 15, inlineLogs: false });
  const workflows = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
  watched = workflows.slice(0, 2).map((w) => w.id);
  audited = stack.simulator.runsOf(workflows[0]!.id).slice(5, 8).map((r) => r.id);

  const ownersSchema = buildSubgraphSchema({
    typeDefs: parse(OWNERS_SDL),
    resolvers: {
      Query: {
        teamName: () => 'netops',
        watchedWorkflows: () => watched.map((id) => ({ id })),
        auditedRuns: () => audited.map((id) => ({ id })),
        watchedPage: (_: unknown, { first }: { first: number }) => ({
          edges: watched.slice(0, first).map((id) => ({ cursor: `w:${id}`, node: { id: `ref-${id}`, workflow: { id } } })),
          pageInfo: { hasNextPage: first < watched.length, hasPreviousPage: false, startCursor: `w:${watched[0]}`, endCursor: `w:${watched[first - 1]}` },
        }),
      },
      Workflow: { owner: ({ id }: { id: string }) => ({ name: `owner of ${id}`, team: 'netops' }) },
    },
  });
  const ownersYoga = createYoga({ schema: ownersSchema, logging: false });
  owners = createServer((req, res) => void ownersYoga(req, res));
  const ownersUrl = await listen(owners);

  // The SDL a registry or router would get: asked of the running gateway, without a token.
  const sdl = (await stack.gql('{ _service { sdl } }', {}, { authorization: null })).data._service.sdl as string;
  const composition = composeServices([
    { name: 'workflows', typeDefs: parse(sdl), url: stack.url },
    { name: 'owners', typeDefs: parse(OWNERS_SDL), url: ownersUrl },
  ]);
  if (composition.errors) throw new Error(`composition failed:\n${composition.errors.map((e) => e.message).join('\n')}`);

  runtime = createGatewayRuntime({
    supergraph: composition.supergraphSdl,
    logging: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
    },
  });
  router = createServer((req, res) => void runtime(req, res));
  routerUrl = await listen(router);

  // Apollo Gateway composes the two subgraphs itself, from their `_service { sdl }`.
  apollo = new ApolloServer({
    gateway: new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({
        subgraphs: [
          { name: 'workflows', url: stack.url },
          { name: 'owners', url: ownersUrl },
        ],
      }),
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          willSendRequest({ request, context }) {
            if (context.authorization) request.http?.headers.set('authorization', context.authorization);
          },
        }),
    }),
  });
  ({ url: apolloUrl } = await startStandaloneServer(apollo, {
    listen: { port: 0, host: '127.0.0.1' },
    context: ({ req }) => Promise.resolve({ ...(req.headers.authorization && { authorization: req.headers.authorization }) }),
  }));
});

afterAll(async () => {
  await apollo?.stop();
  router?.close();
  await runtime?.[Symbol.asyncDispose]();
  owners?.close();
  await stack?.close();
});

beforeEach(() => stack.simulator.clearCalls());

interface RouterAnswer {
  data?: any;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

async function throughRouter(query: string, authorization: string | null = bearer(DEMO_TOKENS.acme), url = routerUrl): Promise<RouterAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as RouterAnswer;
}

describe.each([
  ['Hive Gateway', () => routerUrl],
  ['Apollo Gateway', () => apolloUrl],
])('error codes through %s', (_, url) => {
  const QUERY = `{ teamName watchedWorkflows { id name executions(first: 2) { nodes { id status } } } }`;
  const codesOf = (answer: RouterAnswer) => [...new Set(answer.errors?.map((e) => e.extensions?.code))];

  afterAll(() => stack.simulator.configure({ fault: undefined }));

  it.each([
    ['UNAUTHENTICATED', 'a token Altostrat refuses', bearer('not-a-known-token'), undefined],
    ['FORBIDDEN', 'a suspended organisation', bearer(DEMO_TOKENS.suspended), undefined],
    ['RATE_LIMITED', 'Altostrat rate-limiting the token', bearer(DEMO_TOKENS.acme), { status: 429, headers: { 'retry-after': '60' } }],
    ['UPSTREAM_ERROR', 'Altostrat failing', bearer(DEMO_TOKENS.acme), { status: 500 }],
  ] as const)('keeps %s for %s, with the other subgraph’s data', async (code, _why, authorization, fault) => {
    stack.simulator.configure({ fault: fault && (() => fault) });
    const answer = await throughRouter(QUERY, authorization, url());
    stack.simulator.configure({ fault: undefined });
    expect(codesOf(answer)).toEqual([code]);
    expect(answer.errors?.map((e) => e.message).join(' ')).not.toMatch(/Unexpected error/);
    expect(answer.data?.teamName).toBe('netops');
    expect(answer.data?.watchedWorkflows).toEqual(watched.map(() => null));
  });

  it('answers in full with a good token', async () => {
    const answer = await throughRouter(QUERY, bearer(DEMO_TOKENS.acme), url());
    expect(answer.errors).toBeUndefined();
    expect(answer.data.watchedWorkflows.map((w: { id: string }) => w.id)).toEqual(watched);
  });
});

describe('in a supergraph', () => {
  it.each([
    ['Hive Gateway', () => routerUrl],
    ['Apollo Gateway', () => apolloUrl],
  ])('composes beside another Relay subgraph’s own PageInfo, each connection paged by its own subgraph (%s)', async (_, url) => {
    const body = await throughRouter(
      `{ watchedPage(first: 1) { pageInfo { hasNextPage endCursor } edges { node { workflow { id executions(first: 1) { pageInfo { hasNextPage hasPreviousPage } } } } } } }`,
      bearer(DEMO_TOKENS.acme),
      url(),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.watchedPage.pageInfo).toEqual({ hasNextPage: true, endCursor: `w:${watched[0]}` });
    expect(body.data.watchedPage.edges[0].node.workflow).toEqual({ id: watched[0], executions: { pageInfo: { hasNextPage: true, hasPreviousPage: false } } });
  });

  it('answers fields of both subgraphs on one workflow, with executions and logs', async () => {
    const body = await throughRouter(`{
      watchedWorkflows {
        id name owner { team }
        executions(first: 3) { totalCount nodes { id status logs { status } } }
      }
    }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.watchedWorkflows.map((w: any) => w.id)).toEqual(watched);
    const first = body.data.watchedWorkflows[0];
    expect(first.name).toBe(stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.name);
    expect(first.owner.team).toBe('netops');
    expect(first.executions.nodes.map((n: any) => n.id)).toEqual(
      stack.simulator.runsOf(watched[0]!).slice(0, 3).map((r) => r.id),
    );
    expect(first.executions.nodes[0].logs.length).toBeGreaterThan(0);
  });

  it('resolves execution references from the other subgraph, with their logs and workflow', async () => {
    const body = await throughRouter(`{ auditedRuns { id status logs { nodeId } workflow { id owner { name } } } }`);
    expect(body.errors).toBeUndefined();
    expect(body.data.auditedRuns.map((r: any) => r.id)).toEqual(audited);
    const truth = stack.simulator.runsOf(watched[0]!).slice(5, 8);
    expect(body.data.auditedRuns.map((r: any) => r.logs.length)).toEqual(truth.map((r) => r.logs.length));
    expect(body.data.auditedRuns[0].workflow.owner.name).toBe(`owner of ${watched[0]}`);
    // One run fetch per distinct reference, made with the client's token.
    expect(callsTo(stack.simulator, 'runs')).toHaveLength(3);
  });

  it('forwards the client’s token to the upstream, on every call', async () => {
    await throughRouter(`{ watchedWorkflows { name executions(first: 1) { nodes { id } } } }`, bearer(DEMO_TOKENS.globex));
    expect(stack.simulator.calls.length).toBeGreaterThan(0);
    expect(new Set(stack.simulator.calls.map((c) => c.authorization))).toEqual(new Set([bearer(DEMO_TOKENS.globex)]));
  });

  it('answers an unauthenticated client UNAUTHENTICATED and calls nothing upstream', async () => {
    const body = await throughRouter(`{ watchedWorkflows { name } }`, null);
    expect(body.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED')).toBe(true);
    expect(stack.simulator.calls).toHaveLength(0);
  });
});

describe('reference resolution (_entities)', () => {
  const ENTITIES = `query($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Workflow { id name }
      ... on WorkflowExecution { id status }
    }
  }`;

  it('makes one upstream call per distinct id for 50 workflow and 200 execution references', async () => {
    const workflowIds = stack.simulator.workflowsOf(DEMO_TOKENS.acme).map((w) => w.id);
    const runIds = stack.simulator.runsOf(workflowIds[0]!).slice(0, 200).map((r) => r.id);
    const representations = [
      ...Array.from({ length: 50 }, (_, i) => ({ __typename: 'Workflow', id: workflowIds[i % workflowIds.length] })),
      ...runIds.map((id) => ({ __typename: 'WorkflowExecution', id })),
    ];
    const response = await stack.gql(ENTITIES, { representations });
    expect(response.errors).toBeUndefined();
    expect(response.data._entities).toHaveLength(250);
    expect(response.data._entities[4].name).toBe(stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.name);
    expect(callsTo(stack.simulator, 'workflow').map((c) => c.path.split('/').pop()).sort()).toEqual([...workflowIds].sort());
    expect(callsTo(stack.simulator, 'runs')).toHaveLength(200);
    expect(stack.simulator.calls).toHaveLength(workflowIds.length + 200);
  });

  it('makes no call for references asked only for their id', async () => {
    const response = await stack.gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { id } ... on WorkflowExecution { id } } }`,
      { r: [{ __typename: 'Workflow', id: 'fl_a' }, { __typename: 'WorkflowExecution', id: 'fl_run_b' }] },
    );
    expect(response.data._entities).toEqual([{ id: 'fl_a' }, { id: 'fl_run_b' }]);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('resolves a reference Altostrat does not know to null without failing its siblings', async () => {
    const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
    const response = await stack.gql(ENTITIES, {
      representations: [
        { __typename: 'Workflow', id: 'fl_doesnotexist' },
        { __typename: 'Workflow', id: workflow!.id },
        { __typename: 'WorkflowExecution', id: 'fl_run_doesnotexist' },
      ],
    });
    expect(response.errors).toBeUndefined();
    expect(response.data._entities).toEqual([null, { id: workflow!.id, name: workflow!.name }, null]);
  });

  it('answers _service without a token', async () => {
    const response = await stack.gql('{ _service { sdl } }', {}, { authorization: null });
    const sdl: string = response.data._service.sdl;
    expect(sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.[3-9]"/);
    expect(sdl).toMatch(/type Workflow implements Node\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type WorkflowExecution implements Node\s+@key\(fields: "id"\)/);
    expect(stack.simulator.calls).toHaveLength(0);
  });

  it('describes each type in introspection as its `_service { sdl }` does, custom scalars included', async () => {
    const sdl = (await stack.gql('{ _service { sdl } }', {}, { authorization: null })).data._service.sdl as string;
    const written = new Map(
      parse(sdl).definitions.flatMap((d) => ('name' in d && d.name && 'description' in d && d.description ? [[d.name.value, d.description.value] as const] : [])),
    );
    const introspected = (await stack.gql('{ __schema { types { name description } } }')).data.__schema.types as Array<{ name: string; description: string | null }>;
    const described = introspected.filter((type) => written.has(type.name));
    expect(described.map((type) => type.name)).toEqual(expect.arrayContaining(['DateTime', 'JSON', 'Workflow', 'PageInfo']));
    for (const type of described) expect(type.description, type.name).toBe(written.get(type.name));
  });
});

describe('reference resolution (_entities) when Altostrat fails some', () => {
  const failing = new Set<string>();
  let faulty: Stack;
  beforeAll(async () => {
    faulty = await startStack({ fault: (call) => (failing.has(call.path) ? { status: 500, body: '{}' } : undefined) });
  });
  afterAll(() => faulty.close());

  it('answers one item per representation, in their order, the failed ones null with an error each', async () => {
    const [bad, good] = faulty.simulator.workflowsOf(DEMO_TOKENS.acme);
    const [run] = faulty.simulator.runsOf(bad!.id);
    failing.add(`/workflows/${bad!.id}`).add(`/workflows/runs/${run!.id}`);
    const response = await faulty.gql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { id name } ... on WorkflowExecution { id status } } }`,
      {
        r: [
          { __typename: 'Workflow', id: bad!.id },
          { __typename: 'WorkflowExecution', id: run!.id },
          { __typename: 'Workflow', id: good!.id },
        ],
      },
    );
    expect(response.data._entities).toEqual([null, null, { id: good!.id, name: good!.name }]);
    expect(response.errors?.map((e) => e.path)).toEqual(expect.arrayContaining([['_entities', 0], ['_entities', 1]]));
  });
});
