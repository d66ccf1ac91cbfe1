/**
 * A gateway in front of a simulator, both on 127.0.0.1 free ports, and the few helpers that keep a
 * test a screen long: gql() sends a query over HTTP as a client would, expectCode() reads errors.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { DestinationStream } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { createGateway } from '../../src/server.js';
import { attachWebSockets } from '../../src/websocket.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/demo/simulator.js';
import { DEMO_TOKENS } from '../../src/demo/seed.js';

export { DEMO_TOKENS };

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }>;
}

export interface Stack {
  url: string;
  simulator: Simulator;
  /** Sends a query; `token` null sends no Authorization header, a string starting "Bearer" or not is sent as given. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { authorization?: string | null }): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export const bearer = (token: string): string => `Bearer ${token}`;

/** Starts a simulator and a gateway in front of it; the gateway logs nothing unless LOG_LEVEL says. */
export async function startStack(
  simulatorOptions: SimulatorOptions = {},
  env: Record<string, string> = {},
  logDestination?: DestinationStream,
): Promise<Stack> {
  const simulator = await startSimulator(simulatorOptions);
  const config: Config = loadConfig({ GRAPHIQL: 'true', LOG_LEVEL: 'silent', UPSTREAM_TRACE: 'false', ...env });
  const gateway = createGateway({ config, upstreamUrl: simulator.url, ...(logDestination && { logDestination }) });
  const server: Server = createServer(gateway.yoga);
  const sockets = attachWebSockets(server, gateway);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

  return {
    url,
    simulator,
    async gql(query, variables, { authorization = bearer(DEMO_TOKENS.acme) } = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization === null ? {} : { authorization }),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    async close() {
      await gateway.closeStreams();
      await sockets.close();
      server.closeAllConnections();
      server.close();
      await gateway.close();
      await simulator.close();
    },
  };
}

/** Asserts that the response has an error with `code` (at `path`, when given) and returns it. */
export function expectCode(response: GraphQLResponse, code: string, path?: Array<string | number>) {
  const error = response.errors?.find((e) => e.extensions?.code === code && (!path || JSON.stringify(e.path) === JSON.stringify(path)));
  expect(error, `expected a ${code} error${path ? ` at ${path.join('.')}` : ''}, got ${JSON.stringify(response.errors)}`).toBeDefined();
  return error!;
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
