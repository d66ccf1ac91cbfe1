/**
 * The process: read the config, start the embedded demo upstream when no ALTOSTRAT_API_URL is set,
 * listen, and on SIGTERM/SIGINT stop accepting, drain in-flight requests and exit 0.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createGateway } from './server.js';
import { startSimulator } from './demo/simulator.js';
import { DEMO_TOKENS } from './demo/seed.js';
import { startTracing } from './tracing.js';

const DRAIN_TIMEOUT_MS = 10_000;

async function main(config: Config): Promise<void> {
  const stopTracing = config.otelTracing ? await startTracing() : undefined;
  const demo = config.altostratApiUrl === undefined ? await startSimulator() : undefined;
  const demoAuthorization = `Bearer ${DEMO_TOKENS.acme}`;
  const gateway = createGateway({
    config,
    upstreamUrl: config.altostratApiUrl ?? demo!.url,
    ...(demo && { graphiqlHeaders: { Authorization: demoAuthorization } }),
  });
  const server = createServer(gateway.yoga);
  server.listen(config.port, config.host);
  await once(server, 'listening');

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/graphql`;
  const lines = [`Altostrat GraphQL gateway ready at ${url}`];
  if (demo) {
    lines.push(
      `Upstream: the embedded demo Altostrat API at ${demo.url} (set ALTOSTRAT_API_URL for a real one).`,
      `Demo token (organisation "Acme Networks"): ${DEMO_TOKENS.acme}`,
      `Open GraphiQL, with the token already in its headers tab: ${url}`,
      `Or: curl -s ${url} -H 'content-type: application/json' -H 'authorization: ${demoAuthorization}' \\`,
      `       -d '{"query":"{ workflows(first: 3) { nodes { name executions(first: 2) { nodes { id status } } } } }"}'`,
    );
  }
  // One write, so that a reader of the first line has the rest too.
  console.log(lines.join('\n'));

  const stop = async (signal: string) => {
    console.log(`${signal}: draining in-flight requests`);
    const force = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
    // close() stops accepting and closes idle keep-alive connections; one that goes idle after
    // its answer would otherwise be kept until its keep-alive timeout.
    server.close();
    const sweep = setInterval(() => server.closeIdleConnections(), 50).unref();
    await once(server, 'close');
    clearInterval(sweep);
    clearTimeout(force);
    await gateway.close();
    await demo?.close();
    await stopTracing?.();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

try {
  await main(loadConfig());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration error: ${error.message}`);
  process.exit(1);
}
