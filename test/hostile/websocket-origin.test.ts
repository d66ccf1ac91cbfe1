/**
 * A browser page can open a WebSocket to any host, sending its Origin: the upgrade is refused
 * (403 FORBIDDEN) from an Origin that is neither the gateway's own nor in CORS_ORIGINS, as CORS
 * refuses it over HTTP. No Origin header is a client that is not a browser, and is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { initSocket, openSocket } from '../support/websocket.js';

const ALLOWED = 'https://app.example.com';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({}, { CORS_ORIGINS: ALLOWED });
});
afterAll(() => stack.close());

async function upgrade(headers: Record<string, string>) {
  const opened = await openSocket(stack.url, headers);
  if (opened.kind === 'open') {
    opened.socket.close();
    await opened.closed;
  }
  return opened;
}

describe('WebSocket origins', () => {
  it.each(['https://evil.example', 'https://app.example.com.evil.example', 'null'])('refuses the upgrade from %s with 403 FORBIDDEN', async (origin) => {
    const refused = await upgrade({ origin });
    expect(refused.kind).toBe('refused');
    if (refused.kind !== 'refused') return;
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('upgrades from an allowed origin, from the gateway’s own, and with no Origin at all', async () => {
    const own = new URL(stack.url).origin;
    for (const headers of [{ origin: ALLOWED }, { origin: own }, {}] as Array<Record<string, string>>) expect((await upgrade(headers)).kind).toBe('open');
    const { acked, socket } = await initSocket(stack.url, { authorization: bearer(DEMO_TOKENS.acme) });
    expect(acked).toBe(true);
    socket.close();
  });

  it('leaves HTTP’s CORS as it was: the allowed origin gets its header, another none', async () => {
    const preflight = (origin: string) =>
      fetch(stack.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    expect((await preflight(ALLOWED)).headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
