/**
 * A TCP proxy on 127.0.0.1 in front of a local server, for network faults that a real server
 * cannot show: a connection whose packets stop in both directions, with no reset, as when a host
 * vanishes. Each connection is forwarded as is; `silence` stops the ones chosen by the first bytes
 * their client sent (a Redis client names itself with CLIENT SETNAME there). Later connections
 * are forwarded again.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  server: Socket;
  /** The first bytes the client sent. */
  hello: string;
}

export interface TcpProxy {
  port: number;
  /** Stops forwarding, both ways, on each open connection whose client's first bytes contain `text`; returns how many. */
  silence(text: string): number;
  close(): Promise<void>;
}

const HELLO_BYTES = 512;

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const proxy = createServer((client) => {
    const server = connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, server, hello: '' };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      if (pair.hello.length < HELLO_BYTES) pair.hello += chunk.toString('latin1');
    });
    client.pipe(server);
    server.pipe(client);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    for (const socket of [client, server]) socket.on('error', drop).on('close', drop);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    port: (proxy.address() as AddressInfo).port,
    silence(text) {
      let silenced = 0;
      for (const { client, server, hello } of pairs) {
        if (!hello.includes(text)) continue;
        client.unpipe(server);
        server.unpipe(client);
        client.pause();
        server.pause();
        silenced++;
      }
      return silenced;
    },
    async close() {
      for (const { client, server } of pairs) {
        client.destroy();
        server.destroy();
      }
      proxy.close();
      await once(proxy, 'close');
    },
  };
}
