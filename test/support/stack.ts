/**
 * A gateway in front of a simulator, both on 127.0.0.1 free ports, and the few helpers that keep a
 * test a screen long: gql() sends a query over HTTP as a client would, post() sends any body,
 * listen() serves on a free port, stackWorld() gives a file or describe block a stack of its own,
 * expectCode() reads errors, busiestWorkflow() picks the workflow with the most runs,
 * overlapped() reads the simulator's call timing (bounded waits: wait.ts).
 */
import type { Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import type { DestinationStream } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { createGateway } from '../../src/server.js';
import { createPublicServer } from '../../src/http-server.js';
import { serveMetrics } from '../../src/metrics.js';
import { startSimulator, type RecordedCall, type Simulator, type SimulatorOptions } from '../../src/demo/simulator.js';
import { DEMO_TOKENS } from '../../src/demo/seed.js';

export { DEMO_TOKENS };
export { maxInFlight } from '../../src/demo/simulator.js';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

export interface Stack {
  url: string;
  /** /metrics, on a port of its own as main.ts serves it (or on the main port with METRICS_ON_MAIN_PORT). */
  metricsUrl: string;
  simulator: Simulator;
  /** Sends a query with Acme's token; `authorization` null sends no Authorization header, a string is sent as given. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { authorization?: string | null }): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export const bearer = (token: string): string => `Bearer ${token}`;

/** Serves `server` on a free port of 127.0.0.1 and returns its /graphql URL. */
export async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

/**
 * POSTs `body` to `url` as a client would: JSON with Acme's token unless `headers` says otherwise
 * (a header given as null is left out). A string body is sent as it is, anything else as JSON.
 */
export function post(url: string, body: unknown, headers: Record<string, string | null> = {}): Promise<Response> {
  const merged: Record<string, string | null> = { 'content-type': 'application/json', authorization: bearer(DEMO_TOKENS.acme), ...headers };
  return fetch(url, {
    method: 'POST',
    headers: Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== null)),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Starts a simulator and a gateway in front of it; the gateway logs nothing unless LOG_LEVEL says. */
export async function startStack(
  simulatorOptions: SimulatorOptions = {},
  env: Record<string, string> = {},
  logDestination?: DestinationStream,
): Promise<Stack> {
  const simulator = await startSimulator(simulatorOptions);
  const config: Config = loadConfig({ GRAPHIQL: 'true', LOG_LEVEL: 'silent', UPSTREAM_TRACE: 'false', METRICS_PORT: '0', ...env });
  const gateway = createGateway({ config, upstreamUrl: simulator.url, ...(logDestination && { logDestination }) });
  const { server, sockets } = createPublicServer(gateway, config);
  const url = await listen(server);
  const metricsServer = config.metricsOnMainPort ? undefined : await serveMetrics(gateway.metrics.registry, 0, '127.0.0.1');
  const metricsUrl = metricsServer ? `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics` : url.replace(/graphql$/, 'metrics');

  return {
    url,
    metricsUrl,
    simulator,
    async gql(query, variables, { authorization = bearer(DEMO_TOKENS.acme) } = {}) {
      const response = await post(url, { query, variables }, { authorization });
      return { status: response.status, ...((await response.json()) as object) };
    },
    async close() {
      await gateway.closeStreams();
      await sockets.close(Date.now() + 1_000);
      server.closeAllConnections();
      server.close();
      metricsServer?.close();
      await gateway.close();
      await simulator.close();
    },
  };
}

export interface StackWorld {
  stack: Stack;
  /** Acme's first workflow. */
  workflowId: string;
}

/**
 * Registers, where it is called (a file or a describe block), a beforeAll that starts a stack as
 * startStack() does and an afterAll that closes it. The world's fields are set once beforeAll has run.
 */
export function stackWorld(simulatorOptions: SimulatorOptions = {}, env: Record<string, string> = {}): StackWorld {
  const world = {} as StackWorld;
  beforeAll(async () => {
    world.stack = await startStack(simulatorOptions, env);
    world.workflowId = world.stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
  });
  afterAll(() => world.stack.close());
  return world;
}

/** Asserts that the response has an error with `code` (at `path`, when given) and returns it. */
export function expectCode(response: GraphQLResponse, code: string, path?: Array<string | number>) {
  const error = response.errors?.find((e) => e.extensions?.code === code && (!path || JSON.stringify(e.path) === JSON.stringify(path)));
  expect(error, `expected a ${code} error${path ? ` at ${path.join('.')}` : ''}, got ${JSON.stringify(response.errors)}`).toBeDefined();
  return error!;
}

/** The token's workflow ids, the one with the most runs first (ties keep the upstream's order). */
export function workflowsByRuns(simulator: Simulator, token: string = DEMO_TOKENS.acme): string[] {
  return simulator
    .workflowsOf(token)
    .map((w) => ({ id: w.id, runs: simulator.runsOf(w.id).length }))
    .sort((a, b) => b.runs - a.runs)
    .map((w) => w.id);
}

/** The token's workflow with the most runs: the one whose executions span the most pages. */
export function busiestWorkflow(simulator: Simulator, token: string = DEMO_TOKENS.acme): string {
  const [busiest] = workflowsByRuns(simulator, token);
  if (busiest === undefined) throw new Error('the token has no workflows');
  return busiest;
}

/**
 * Whether two recorded calls were in flight at the same time. The simulator runs in the test's
 * process, so its clock is the test's: a call still in flight overlaps everything after its start.
 */
export function overlapped(a: RecordedCall, b: RecordedCall): boolean {
  return a.startedAt < (b.endedAt ?? Number.POSITIVE_INFINITY) && b.startedAt < (a.endedAt ?? Number.POSITIVE_INFINITY);
}

/** The simulator's calls of one route pattern, e.g. 'executions' or 'runs'. */
export function callsTo(simulator: Simulator, kind: 'workflows' | 'workflow' | 'executions' | 'runs') {
  const patterns = {
    workflows: /^\/workflows$/,
    workflow: /^\/workflows\/(?!runs\/)[^/]+$/,
    executions: /^\/workflows\/[^/]+\/executions$/,
    runs: /^\/workflows\/runs\/[^/]+$/,
  };
  return simulator.calls.filter((c) => patterns[kind].test(c.path));
}
