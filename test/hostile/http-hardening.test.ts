/**
 * The gateway as `npm start` runs it (dist/main.js) in front of a simulator: a separate metrics
 * port, a connection cap, a client that stops reading its answers, and an upstream body over the
 * cap announced by its Content-Length, which must leave the process alive and healthy.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type RecordedCall, type Simulator } from '../../src/demo/simulator.js';
import { DEMO_TOKENS } from '../../src/demo/seed.js';
import { freePort } from '../support/ports.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { until } from '../support/wait.js';

const running: GatewayProcess[] = [];
const simulators: Simulator[] = [];
afterEach(async () => {
  for (const gateway of running.splice(0)) gateway.kill();
  for (const simulator of simulators.splice(0)) await simulator.close();
});

async function startGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const gateway = await spawnGateway(env);
  running.push(gateway);
  return gateway;
}

const query = (url: string, body: string, token: string = DEMO_TOKENS.acme) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: body }) });

describe('METRICS_PORT', () => {
  it('serves /metrics on its own port only: the GraphQL port answers 404 for it', async () => {
    const simulator = await startSimulator();
    simulators.push(simulator);
    const metricsPort = await freePort();
    const { child, url } = await startGateway({ ALTOSTRAT_API_URL: simulator.url, METRICS_PORT: String(metricsPort) });

    expect((await query(url, 'query Dashboard { workflows(first: 1) { nodes { id } } }')).status).toBe(200);
    const onMain = await fetch(url.replace('/graphql', '/metrics'));
    expect(onMain.status).toBe(404);
    expect(await onMain.text()).not.toContain('graphql_requests_total');
    const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(own.status).toBe(200);
    expect(await own.text()).toMatch(/^graphql_requests_total\{operation="Dashboard"\} 1$/m);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/graphql`)).status).toBe(404);

    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);
  });
});

describe('MAX_CONNECTIONS', () => {
  it('refuses connections beyond the cap while the first ones stay open', async () => {
    const { child, url } = await startGateway({ MAX_CONNECTIONS: '2', GRAPHIQL: 'false' });
    const { port } = new URL(url);
    const held = await Promise.all(
      [0, 1].map(async () => {
        const socket = connect(Number(port), '127.0.0.1').on('error', () => undefined);
        await once(socket, 'connect');
        return socket;
      }),
    );
    try {
      // Node closes a connection over maxConnections as soon as it is accepted.
      const third = connect(Number(port), '127.0.0.1').on('error', () => undefined);
      third.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      let answer = '';
      third.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      await new Promise((resolve) => third.once('close', resolve));
      expect(answer).toBe('');
    } finally {
      for (const socket of held) socket.destroy();
    }
    // Once they are gone, the gateway answers again.
    let health = 0;
    for (let i = 0; i < 50 && health !== 200; i++) health = await fetch(url.replace('/graphql', '/health')).then((r) => r.status, () => 0);
    expect(health).toBe(200);
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);
  });
});

describe('HTTP_WRITE_STALL_TIMEOUT_MS', () => {
  it('cuts a connection whose client stops reading its answers, counts it, and serves the others meanwhile', async () => {
    const simulator = await startSimulator({ pageSize: 20 });
    simulators.push(simulator);
    const { url, metricsUrl } = await startGateway({ ALTOSTRAT_API_URL: simulator.url, HTTP_WRITE_STALL_TIMEOUT_MS: '1000' });
    const cuts = async () => Number(/^http_stalled_connections_cut_total (\d+)$/m.exec(await (await fetch(metricsUrl)).text())![1]);
    const workflowId = simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
    const body = JSON.stringify({ query: `{ workflow(id: "${workflowId}") { executions(first: 20) { nodes { id status logs { id nodeId output createdAt } } } } }` });
    const request =
      `POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${DEMO_TOKENS.acme}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    // Far more answers than a loopback socket's buffers hold (about 10 KB each), all asked for at
    // once on one connection (HTTP/1.1 pipelining), and none read: what does not fit waits in the
    // gateway's memory, and its writes stall.
    const asked = 1_000;
    const socket = connect(Number(new URL(url).port), '127.0.0.1').on('error', () => undefined);
    await once(socket, 'connect');
    socket.pause();
    socket.write(request.repeat(asked));
    let closed = false;
    socket.once('close', () => (closed = true));

    // Meanwhile another client is served.
    expect((await query(url, '{ workflows(first: 1) { nodes { id } } }')).status).toBe(200);
    await until('the gateway cut the connection that reads nothing', async () => (await cuts()) === 1, { timeoutMs: 30_000, everyMs: 200 });
    // What the client reads now ends before the answers it asked for.
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.resume();
    await until('the connection ends', () => closed);
    const answered = received.split('HTTP/1.1 200 OK').length - 1;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(asked);
    expect(await cuts()).toBe(1);
  });
});

describe('an upstream body over UPSTREAM_MAX_BODY_BYTES announced by its Content-Length', () => {
  // A body refused by its Content-Length is dropped before anything reads it, even when it all
  // came in with the headers: an error of the dropped body must find a listener, or it would end
  // the process for every tenant.
  it('is UPSTREAM_ERROR, made once, and the process stays up and healthy', async () => {
    const isRunFetch = (call: RecordedCall) => call.path.startsWith('/workflows/runs/');
    const simulator = await startSimulator({
      fault: (call) => (isRunFetch(call) ? { kind: 'huge', bytes: 50_000, contentLength: true } : undefined),
    });
    simulators.push(simulator);
    const { child, url } = await startGateway({ ALTOSTRAT_API_URL: simulator.url, UPSTREAM_MAX_BODY_BYTES: '10000' });
    const [workflow] = simulator.workflowsOf(DEMO_TOKENS.acme);
    const runId = simulator.runsOf(workflow!.id)[0]!.id;

    const answer = await query(url, `{ execution(id: "${runId}") { status logs { output } } }`).then(
      async (r) => (await r.json()) as { errors?: Array<{ extensions?: { code?: string } }> },
      (error: unknown) => ({ failed: String(error) }),
    );
    expect(answer).toMatchObject({ errors: [{ extensions: { code: 'UPSTREAM_ERROR' } }] });
    expect(simulator.calls.filter(isRunFetch)).toHaveLength(1);

    const health = await fetch(url.replace('/graphql', '/health')).then((r) => r.status, () => 0);
    expect(health).toBe(200);
    expect(child.exitCode).toBeNull();
    const honest = await query(url, '{ workflows(first: 1) { nodes { id } } }', DEMO_TOKENS.globex).then((r) => r.status, () => 0);
    expect(honest).toBe(200);
  });
});
