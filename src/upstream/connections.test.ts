import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connections } from './connections.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A local upstream answering each request with its path, and the connections it was asked on. */
async function upstream() {
  const sockets: Socket[] = [];
  const server = createServer((request, response) => response.end(request.url)).on('connection', (socket: Socket) => sockets.push(socket));
  servers.push(server.listen(0, '127.0.0.1'));
  await once(server, 'listening');
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets };
}

async function get(connections: Connections, origin: string, path: string): Promise<string> {
  const request = connections.request(origin, { method: 'GET', path, headers: {} });
  request.end();
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return text;
}

describe('the upstream connections', () => {
  it('reuse one kept-alive connection for calls one after another', async () => {
    const { origin, sockets } = await upstream();
    const connections = new Connections(8);
    try {
      for (const path of ['/a', '/b', '/c']) expect(await get(connections, origin, path)).toBe(path);
      expect(sockets).toHaveLength(1);
    } finally {
      connections.close();
    }
  });

  it('open more connections for calls at once, and close them all when closed', async () => {
    const { origin, sockets } = await upstream();
    const connections = new Connections(8);
    const answers = await Promise.all(['/a', '/b', '/c'].map((path) => get(connections, origin, path)));
    expect(answers).toEqual(['/a', '/b', '/c']);
    expect(sockets).toHaveLength(3);
    connections.close();
    await Promise.all(sockets.filter((socket) => !socket.closed).map((socket) => once(socket, 'close')));
    expect(sockets.every((socket) => socket.destroyed)).toBe(true);
  });

  it('open no more connections than they were given, whatever is asked at once', async () => {
    const { origin, sockets } = await upstream();
    const connections = new Connections(2);
    try {
      const answers = await Promise.all(['/a', '/b', '/c', '/d', '/e'].map((path) => get(connections, origin, path)));
      expect(answers).toEqual(['/a', '/b', '/c', '/d', '/e']);
      expect(sockets).toHaveLength(2);
    } finally {
      connections.close();
    }
  });

  it('refuse an origin that is not http or https', () => {
    expect(() => new Connections(1).request('ftp://127.0.0.1:21', { method: 'GET', path: '/', headers: {} })).toThrow(/http or https/);
  });
});
