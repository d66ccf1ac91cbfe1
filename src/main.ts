/**
 * The process: read the config, start the embedded demo upstream when no ALTOSTRAT_API_URL is set,
 * listen (HTTP, Server-Sent Events and WebSocket on one port), and on SIGTERM/SIGINT complete
 * the subscriptions, stop accepting, drain in-flight requests and exit 0.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig, unknownVariables, type Config } from './config.js';
import { createGateway } from './server.js';
import { createPublicServer } from './http-server.js';
import { serveMetrics } from './metrics.js';
import { startTracing } from './tracing.js';

const DRAIN_TIMEOUT_MS = 10_000;
/** What the last steps (Redis leases given up, traces and logs flushed) get past the drain's end before the process exits regardless. */
const EXIT_GRACE_MS = 2_000;

/** Whether Node runs with the heap flag `npm start` gives it (docs/operations.md, "Memory"); NODE_OPTIONS cannot carry it. */
const heapBounded = (): boolean => process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'));

/** The embedded demo, loaded (its seed and its data) only in demo mode: in front of a real API nothing needs it. */
async function startDemo() {
  const { DEMO_SIMULATOR_OPTIONS, DEMO_TOKENS, startSimulator } = await import('./demo/simulator.js');
  const simulator = await startSimulator(DEMO_SIMULATOR_OPTIONS);
  // GraphiQL's tabs start a run of this workflow, and watch a run of it that never ends.
  const workflowId = simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active)?.id;
  return { simulator, token: DEMO_TOKENS.acme, authorization: `Bearer ${DEMO_TOKENS.acme}`, workflowId };
}

async function main(config: Config): Promise<void> {
  const stopTracing = config.otelTracing ? await startTracing() : undefined;
  const demo = config.altostratApiUrl === undefined ? await startDemo() : undefined;
  const gateway = createGateway({
    config,
    upstreamUrl: config.altostratApiUrl ?? demo!.simulator.url,
    ...(demo && {
      graphiqlHeaders: { Authorization: demo.authorization },
      graphiqlWorkflowId: demo.workflowId,
      graphiqlExecutionId: demo.workflowId && demo.simulator.startEndlessRun(demo.workflowId).id,
    }),
  });
  if (gateway.cursorKeyGenerated && !demo) {
    gateway.logger.warn(
      'CURSOR_SECRET is not set: cursors are signed with a key made for this process, so they stop working when it ' +
        'restarts and are not accepted by other replicas. Set CURSOR_SECRET (32+ characters, the same on every replica).',
    );
  }
  for (const name of unknownVariables(process.env)) {
    gateway.logger.warn(`${name} is set but is no setting of this gateway: left out. Is it misspelt? (README.md, "Configuration")`);
  }
  if (!heapBounded()) {
    gateway.logger.warn(
      'Node runs without --heap-growing-percent=50, the flag `npm start` gives it: under load the process may hold far ' +
        'more memory than it uses. Start it with `npm start`, or keep the flag in the command that starts it (docs/operations.md, "Memory").',
    );
  }
  const { server, sockets } = createPublicServer(gateway, config);
  server.listen(config.port, config.host);
  await once(server, 'listening');
  // /metrics off the public port, for a scraper the public cannot reach, unless asked otherwise.
  const metricsServer = config.metricsOnMainPort ? undefined : await serveMetrics(gateway.metrics.registry, config.metricsPort, config.host);

  const hostname = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostname}:${(server.address() as AddressInfo).port}/graphql`;
  const metricsUrl = metricsServer ? `http://${hostname}:${(metricsServer.address() as AddressInfo).port}/metrics` : url.replace(/graphql$/, 'metrics');
  const lines = [`Altostrat GraphQL gateway ready at ${url}`, `Metrics at ${metricsUrl}`];
  if (demo) {
    lines.push(
      `Upstream: the embedded demo Altostrat API at ${demo.simulator.url} (set ALTOSTRAT_API_URL for a real one).`,
      `Demo token (organisation "Acme Networks"): ${demo.token}`,
      `Open GraphiQL, with the token already in its headers tab: ${url}`,
      `Or: curl -s ${url} -H 'content-type: application/json' -H 'authorization: ${demo.authorization}' \\`,
      `       -d '{"query":"{ workflows(first: 3) { nodes { name executions(first: 2) { nodes { id status } } } } }"}'`,
    );
  }
  // Before the ready line: whoever reads it may signal at once, and Node's default for a signal
  // nobody handles yet is to die without draining.
  let stopping = false;
  const stop = async (signal: string) => {
    // A signal repeated during the drain (an operator's second `kill`) does not cut it short.
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining in-flight requests`);
    const drainEndsAt = Date.now() + DRAIN_TIMEOUT_MS;
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
    // Nothing holds the exit long past the drain's end: not a Redis that stopped answering (its
    // commands time out one after another), nor a collector that takes no spans.
    setTimeout(() => {
      gateway.logger.warn('shutdown did not end within its time: exiting');
      gateway.logger.flush(() => process.exit(0));
    }, DRAIN_TIMEOUT_MS + EXIT_GRACE_MS).unref();
    // close() stops accepting at once and closes idle keep-alive connections; one that goes idle
    // after its answer would otherwise be kept until its keep-alive timeout.
    const closed = once(server, 'close');
    server.close();
    const sweep = setInterval(() => server.closeIdleConnections(), 50).unref();
    // Subscriptions complete (SSE responses end, WebSocket operations complete) and their pollers
    // stop, so those connections drain like the others; WebSocket queries still running are
    // answered, and a socket that does not close in time is cut at the drain's end.
    await Promise.all([gateway.closeStreams(), sockets.close(drainEndsAt)]);
    await closed;
    clearInterval(sweep);
    clearTimeout(force);
    metricsServer?.close();
    await gateway.close();
    await demo?.simulator.close();
    // Spans that cannot reach their collector are lost, not the exit: the drain is done.
    await stopTracing?.().catch((error: unknown) => gateway.logger.warn({ err: error }, 'flushing traces at shutdown'));
    await new Promise<void>((resolve) => gateway.logger.flush(() => resolve()));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  // One write, so that a reader of the first line has the rest too.
  console.log(lines.join('\n'));
}

try {
  await main(loadConfig());
} catch (error) {
  const { code, address, hostname, port } = error as { code?: string; address?: string; hostname?: string; port?: number };
  if (code === 'EADDRINUSE') {
    console.error(`Configuration error: ${address}:${port} is in use. Set PORT, and METRICS_PORT (default 9464; 0 for any free port), to free ports.`);
  } else if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    console.error(`Configuration error: HOST "${address ?? hostname}" is not an address of this machine (${code}). Set HOST to one, e.g. 127.0.0.1, or 0.0.0.0 for all interfaces.`);
  } else if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
  } else {
    throw error;
  }
  process.exit(1);
}
