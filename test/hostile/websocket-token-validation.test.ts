/**
 * The `authorization` of `connection_init` is checked as HTTP checks its header, before anything
 * is built from it: a value with a line break, a NUL or any other byte a bearer token cannot hold
 * closes the socket with 4401, and nothing of it reaches the process's output (no stack trace, no
 * forged log line). Against the gateway process, whose stdout and stderr are read whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { DEMO_TOKENS } from '../../src/demo/seed.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { initSocket, run, wsClient } from '../support/websocket.js';

let simulator: Simulator;
let gateway: GatewayProcess;
beforeAll(async () => {
  simulator = await startSimulator();
  gateway = await spawnGateway({ ALTOSTRAT_API_URL: simulator.url, LOG_LEVEL: 'debug' });
});
afterAll(async () => {
  gateway.kill();
  await simulator.close();
});

const FORGED = '{"level":30,"msg":"forged-line-marker"}';
const HOSTILE = [
  `Bearer ${DEMO_TOKENS.acme}\n${FORGED}`,
  `Bearer secret-before-nul\u0000secret-after-nul`,
  `Bearer secret-with-cr\r\nx-injected: secret-header`,
  `Bearer secret-with-space and-more`,
];

describe('the connection_init token', () => {
  it.each(HOSTILE)('is refused with 4401 when it is not a bearer token HTTP would accept: %j', async (authorization) => {
    const { acked, closed } = await initSocket(gateway.url, { authorization });
    expect(acked).toBe(false);
    expect((await closed).code).toBe(4401);
  });

  it('is refused with 4401 when two spellings of its name disagree', async () => {
    const { acked, closed } = await initSocket(gateway.url, { authorization: `Bearer ${DEMO_TOKENS.acme}`, Authorization: `Bearer ${DEMO_TOKENS.globex}` });
    expect(acked).toBe(false);
    expect((await closed).code).toBe(4401);
  });

  it('leaves no trace of what was sent in the output, and upstream saw nothing', async () => {
    // Let the process write whatever it would have written.
    await fetch(gateway.url.replace('/graphql', '/health'));
    const output = gateway.output();
    for (const fragment of ['forged-line-marker', 'secret-before-nul', 'secret-after-nul', 'secret-with-cr', 'secret-header', 'and-more', DEMO_TOKENS.acme]) {
      expect(output, `the output holds ${fragment}`).not.toContain(fragment);
    }
    expect(output).not.toMatch(/Internal error|MaxListeners|at .*node_modules/);
    expect(simulator.calls).toHaveLength(0);
  });

  it.each(['authorization', 'Authorization', 'AUTHORIZATION'])('is accepted when valid, named %s as an HTTP header may be, and its operations run with it', async (name) => {
    const client = wsClient(gateway.url, { [name]: `Bearer ${DEMO_TOKENS.acme}` });
    const outcome = await run(client, { query: '{ workflows(first: 1) { totalCount } }' });
    await client.dispose();
    expect(outcome.errors).toBeUndefined();
    expect(simulator.calls.at(-1)!.authorization).toBe(`Bearer ${DEMO_TOKENS.acme}`);
    // The same malformed header over HTTP is UNAUTHENTICATED, as before.
    const http = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret-with-space and-more' },
      body: JSON.stringify({ query: '{ workflows(first: 1) { totalCount } }' }),
    });
    expect(((await http.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });
});
