/**
 * WebSockets cannot hold the server's connections: a socket without a valid token is closed at
 * `connection_init` (4401), one with no operation running is closed after WS_IDLE_TIMEOUT_MS
 * (4408), a token holds at most WS_MAX_CONNECTIONS_PER_TOKEN sockets (4429) and an address at most
 * WS_MAX_CONNECTIONS_PER_ADDRESS (the upgrade answers 429). Against the gateway process, whose
 * MAX_CONNECTIONS is real: honest HTTP requests are still served after a flood of sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { DEMO_TOKENS } from '../../src/demo/seed.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { initSocket, openSocket, run, wsClient } from '../support/websocket.js';
import { EXECUTION_STARTED } from '../support/live.js';

const acme = `Bearer ${DEMO_TOKENS.acme}`;
const globex = `Bearer ${DEMO_TOKENS.globex}`;
const IDLE_MS = 300;
let simulator: Simulator;
let gateway: GatewayProcess;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  simulator = await startSimulator({ stepMs: 60_000 });
  gateway = await spawnGateway({
    ALTOSTRAT_API_URL: simulator.url,
    MAX_CONNECTIONS: '30',
    WS_MAX_CONNECTIONS_PER_TOKEN: '3',
    WS_MAX_CONNECTIONS_PER_ADDRESS: '8',
    WS_IDLE_TIMEOUT_MS: String(IDLE_MS),
    LIVE_POLL_INTERVAL_MS: '50',
  });
});
afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  gateway.kill();
  await simulator.close();
});

const query = (token: string) =>
  fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: token }, body: JSON.stringify({ query: '{ workflows(first: 1) { totalCount } }' }) });

describe('WebSocket connections', () => {
  it('refuses the upgrade with 429 RATE_LIMITED past WS_MAX_CONNECTIONS_PER_ADDRESS sockets from one address', async () => {
    // With no proxy trusted (TRUSTED_PROXY_HOPS 0), what a client writes in X-Forwarded-For is not read.
    const forwardedFor = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });
    const opened = await Promise.all(Array.from({ length: 8 }, (_, i) => openSocket(gateway.url, i % 2 ? forwardedFor(i) : {})));
    for (const socket of opened) if (socket.kind === 'open') sockets.push(socket.socket);
    expect(opened.every((o) => o.kind === 'open')).toBe(true);
    const refused = await openSocket(gateway.url, forwardedFor(9));
    expect(refused.kind).toBe('refused');
    if (refused.kind !== 'refused') return;
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('RATE_LIMITED');
    // HTTP from the same address is not a WebSocket: still served.
    expect((await query(acme)).status).toBe(200);
    for (const o of opened) {
      if (o.kind !== 'open') continue;
      o.socket.close();
      await o.closed;
    }
  });

  it('closes sockets that bring no valid token with 4401, so a flood of them leaves HTTP served', async () => {
    // More sockets than MAX_CONNECTIONS, in waves well under the per-address cap.
    for (let wave = 0; wave < 8; wave++) {
      const opened = await Promise.all(
        [{}, { authorization: 'Bearer' }, { authorization: 42 }, { authorization: 'Basic dXNlcjpwYXNz' }, { authorization: `${acme} extra` }].map((payload) =>
          initSocket(gateway.url, payload),
        ),
      );
      for (const { acked, closed } of opened) {
        expect(acked).toBe(false);
        expect((await closed).code).toBe(4401);
      }
    }
    const honest = await query(acme);
    expect(honest.status).toBe(200);
    expect(((await honest.json()) as { errors?: unknown }).errors).toBeUndefined();
  });

  it('closes a socket that runs no operation after WS_IDLE_TIMEOUT_MS with 4408, but not one whose subscription runs', async () => {
    const idle = await initSocket(gateway.url, { authorization: acme });
    expect(idle.acked).toBe(true);
    sockets.push(idle.socket);
    expect((await idle.closed).code).toBe(4408);

    const busy = await initSocket(gateway.url, { authorization: acme });
    sockets.push(busy.socket);
    const workflowId = simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
    busy.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: EXECUTION_STARTED, variables: { workflowId } } }));
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 4));
    expect(busy.socket.readyState).toBe(busy.socket.OPEN);
    // Its operation ended: the idle clock starts again.
    busy.socket.send(JSON.stringify({ id: '1', type: 'complete' }));
    expect((await busy.closed).code).toBe(4408);
  });

  it('lets a token hold WS_MAX_CONNECTIONS_PER_TOKEN sockets; the next is closed with 4429, and another token is not affected', async () => {
    const held = await Promise.all([1, 2, 3].map(() => initSocket(gateway.url, { authorization: acme })));
    sockets.push(...held.map((h) => h.socket));
    expect(held.every((h) => h.acked)).toBe(true);
    // The same token, its scheme spelled otherwise: the same tenant.
    const extra = await initSocket(gateway.url, { authorization: `bearer ${DEMO_TOKENS.acme}` });
    expect(extra.acked).toBe(false);
    expect((await extra.closed).code).toBe(4429);
    const other = wsClient(gateway.url, { authorization: globex });
    const outcome = await run(other, { query: '{ workflows(first: 1) { totalCount } }' });
    expect(outcome.errors).toBeUndefined();
    expect(outcome.results).toHaveLength(1);
    await other.dispose();
    // A socket closed gives its place back (once the server has seen it close: tried a bounded number of times).
    held[0]!.socket.close();
    await held[0]!.closed;
    let again = await initSocket(gateway.url, { authorization: acme });
    for (let tries = 0; !again.acked && tries < 20; tries++) again = await initSocket(gateway.url, { authorization: acme });
    sockets.push(again.socket);
    expect(again.acked).toBe(true);
    for (const socket of [...held.map((h) => h.socket), again.socket]) socket.close();
    await Promise.all([...held.map((h) => h.closed), again.closed]);
  });
});

describe('WebSocket connections behind a trusted proxy (TRUSTED_PROXY_HOPS=1)', () => {
  it('count each forwarded client address on its own, whatever the client wrote before it', async () => {
    const behindProxy = await spawnGateway({ ALTOSTRAT_API_URL: simulator.url, WS_MAX_CONNECTIONS_PER_ADDRESS: '2', TRUSTED_PROXY_HOPS: '1' });
    const held: WebSocket[] = [];
    try {
      // All come from 127.0.0.1, the "proxy"; the proxy says who called it.
      const open = async (forwardedFor: string) => {
        const opened = await openSocket(behindProxy.url, { 'x-forwarded-for': forwardedFor });
        if (opened.kind === 'open') held.push(opened.socket);
        return opened.kind === 'open' ? 200 : opened.status;
      };
      expect(await open('198.51.100.1')).toBe(200);
      expect(await open('203.0.113.9, 198.51.100.1')).toBe(200);
      // A third from 198.51.100.1, whatever it put in front of the proxy's entry.
      expect(await open('203.0.113.10, 198.51.100.1')).toBe(429);
      expect(await open('198.51.100.1')).toBe(429);
      // Another client behind the same proxy has an allowance of its own.
      expect(await open('198.51.100.2')).toBe(200);
    } finally {
      for (const socket of held) socket.terminate();
      behindProxy.kill();
    }
  });
});

describe('X-Forwarded-For with no proxy declared (TRUSTED_PROXY_HOPS=0)', () => {
  it('is said once in the log, for the operator: every client behind a proxy would share its allowance', async () => {
    const undeclared = await spawnGateway({ ALTOSTRAT_API_URL: simulator.url });
    const held: WebSocket[] = [];
    for (const forwardedFor of ['198.51.100.1', '198.51.100.2']) {
      const opened = await openSocket(undeclared.url, { 'x-forwarded-for': forwardedFor });
      if (opened.kind === 'open') held.push(opened.socket);
    }
    expect(held).toHaveLength(2);
    for (const socket of held) socket.terminate();
    undeclared.child.kill('SIGTERM');
    expect(await undeclared.exited).toBe(0);
    // Log lines are written in batches: read once the process has flushed them and exited.
    expect(undeclared.output().match(/X-Forwarded-For while TRUSTED_PROXY_HOPS is 0/g)).toHaveLength(1);
  });
});
