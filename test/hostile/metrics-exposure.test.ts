/**
 * /metrics is not public by default: the process serves it on METRICS_PORT (9464 unless set), and
 * the public port answers 404 for it, unless METRICS_ON_MAIN_PORT=true asks for it there. Operation
 * names become labels only up to a quota per tenant, so one token cannot take every label slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { OPERATION_NAMES_PER_TENANT } from '../../src/metrics.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

const labelled = (text: string) => [...text.matchAll(/^graphql_requests_total\{operation="([^"]+)"\} \d+$/gm)].map((m) => m[1]);

describe('where /metrics is served', () => {
  let simulator: Simulator;
  let gateway: GatewayProcess;
  let onMain: Stack;
  beforeAll(async () => {
    simulator = await startSimulator();
    [gateway, onMain] = await Promise.all([spawnGateway({ ALTOSTRAT_API_URL: simulator.url }), startStack({}, { METRICS_ON_MAIN_PORT: 'true' })]);
  });
  afterAll(async () => {
    gateway.kill();
    await Promise.all([onMain.close(), simulator.close()]);
  });

  it('is off the public port by default, on a port of its own', async () => {
    const query = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(DEMO_TOKENS.acme) },
      body: JSON.stringify({ query: 'query Dashboard { workflows(first: 1) { totalCount } }' }),
    });
    expect(query.status).toBe(200);
    const publicMetrics = await fetch(gateway.url.replace(/graphql$/, 'metrics'));
    expect(publicMetrics.status).toBe(404);
    expect(await publicMetrics.text()).not.toContain('graphql_requests_total');
    expect(new URL(gateway.metricsUrl).port).not.toBe(new URL(gateway.url).port);
    const own = await fetch(gateway.metricsUrl);
    expect(own.status).toBe(200);
    expect(labelled(await own.text())).toContain('Dashboard');
  });

  it('is on the public port with METRICS_ON_MAIN_PORT=true', async () => {
    expect(onMain.metricsUrl).toBe(onMain.url.replace(/graphql$/, 'metrics'));
    const response = await fetch(onMain.metricsUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('graphql_requests_total');
  });
});

describe('operation-name labels', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  const send = (name: string, token: string) => stack.gql(`query ${name} { workflows(first: 1) { totalCount } }`, {}, { authorization: bearer(token) });

  it(`are given to one tenant for ${OPERATION_NAMES_PER_TENANT} names at most; another tenant still gets its own`, async () => {
    for (let i = 0; i < OPERATION_NAMES_PER_TENANT + 5; i++) await send(`Greedy${i}`, DEMO_TOKENS.acme);
    await send('Honest', DEMO_TOKENS.globex);
    // A name already a label stays one, whoever sends it.
    await send('Greedy0', DEMO_TOKENS.globex);
    const labels = labelled(await (await fetch(stack.metricsUrl)).text());
    expect(labels.filter((l) => l!.startsWith('Greedy'))).toHaveLength(OPERATION_NAMES_PER_TENANT);
    expect(labels).toContain('Honest');
    expect(labels).toContain('other');
  });
});
