/**
 * Where the ArrayBuffers of a busy gateway come from, measured apart from the gateway: a client
 * reads a page of about 36 KB (the simulator's S1 page) from a local HTTP server in another
 * process, over and over, with 64 requests in flight, and this process's `arrayBuffers`
 * (process.memoryUsage) is read at every collection. Each client stands for one way of reading
 * the upstream:
 *
 * - `undici`: the way the gateway read the upstream before (the bench's ceiling still does): an
 *   Agent's `request`, the body read from its `data` events, then parsed;
 * - `node:http`: the gateway's way now (src/upstream/connections.ts): a keep-alive Agent of Node's
 *   own, the body read the same way;
 * - `sockets`: the same bytes read from plain keep-alive sockets, for comparison.
 *
 * Printed: how much of `arrayBuffers` full collections freed, per request: what the young
 * generation's collections (scavenges) left alive although nothing used it any more. RESULTS.md
 * ("Peak RSS") says what it shows.
 *
 *   npx tsx bench/socket-buffers.ts
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Agent as HttpAgent, createServer as createHttpServer, request as httpRequest } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';

const REQUESTS = 20_000;
/** As at S1's saturation in `npm run bench`. */
const IN_FLIGHT = 64;
const PAGE = JSON.stringify({
  data: Array.from({ length: 20 }, (_, run) => ({ id: `run-${run}`, status: 'completed', logs: Array.from({ length: 8 }, (_, log) => ({ id: log, output: 'x'.repeat(200) })) })),
});
const RESPONSE = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(PAGE)}\r\nconnection: keep-alive\r\n\r\n${PAGE}`);

if (process.argv[2] === 'server') {
  // Answers each request (one line of bytes here, or an HTTP request) with the page.
  const http = createHttpServer((_request, response) => response.setHeader('content-type', 'application/json').end(PAGE)).listen(0, '127.0.0.1');
  const raw = createServer((socket) => socket.on('data', () => socket.write(RESPONSE))).listen(0, '127.0.0.1');
  await Promise.all([once(http, 'listening'), once(raw, 'listening')]);
  process.send!({ http: (http.address() as AddressInfo).port, raw: (raw.address() as AddressInfo).port });
} else {
  const server = fork(fileURLToPath(import.meta.url), ['server'], { execArgv: process.execArgv });
  const [ports] = (await once(server, 'message')) as [{ http: number; raw: number }];

  /**
   * What a query does once its page is in: parse it, and allocate about what the rest of an S1
   * query allocates (some 300 KB in all), so that scavenges come as often per query as in the gateway.
   */
  const work = (text: string) => {
    const { data } = JSON.parse(text) as { data: unknown[] };
    return Array.from({ length: 4_000 }, (_, i) => ({ run: data[i % data.length], at: i }));
  };

  const viaUndici = (inFlight: number) => {
    const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 128 });
    const one = async () => {
      const { body } = await dispatcher.request({ origin: `http://127.0.0.1:${ports.http}`, path: '/page', method: 'GET' });
      const chunks: Buffer[] = [];
      body.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(body, 'end');
      work(Buffer.concat(chunks).toString('utf8'));
    };
    return run(inFlight, one, () => dispatcher.close());
  };

  const viaHttp = (inFlight: number) => {
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 128 });
    const one = () =>
      new Promise<void>((resolve, reject) => {
        httpRequest({ agent, hostname: '127.0.0.1', port: ports.http, path: '/page', method: 'GET' }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk)).once('end', () => resolve(void work(Buffer.concat(chunks).toString('utf8'))));
        })
          .once('error', reject)
          .end();
      });
    return run(inFlight, one, () => agent.destroy());
  };

  const viaSockets = (inFlight: number) => {
    const waiting: Array<() => void> = [];
    const sockets = Array.from({ length: inFlight }, () => connect(ports.raw, '127.0.0.1'));
    const one = (socket = sockets.pop()!) =>
      new Promise<void>((resolve) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const onData = (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size < RESPONSE.length) return;
          socket.off('data', onData);
          const text = Buffer.concat(chunks).toString('utf8');
          work(text.slice(text.indexOf('\r\n\r\n') + 4));
          sockets.push(socket);
          waiting.shift()?.();
          resolve();
        };
        socket.on('data', onData).write('page\n');
      });
    return run(inFlight, () => (sockets.length > 0 ? one() : new Promise<void>((resume) => waiting.push(resume)).then(() => one())), () => sockets.forEach((s) => s.destroy()));
  };

  /** REQUESTS requests, `inFlight` at a time, with arrayBuffers (MB) read at each collection. */
  async function run(inFlight: number, one: () => Promise<void>, close: () => unknown) {
    const seen: Array<{ major: boolean; mb: number }> = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as PerformanceEntry & { detail?: { kind: number } }).detail?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MINOR || kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          seen.push({ major: kind === constants.NODE_PERFORMANCE_GC_MAJOR, mb: process.memoryUsage().arrayBuffers / 2 ** 20 });
        }
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    let sent = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => { while (sent++ < REQUESTS) await one(); }));
    await new Promise((resolve) => setImmediate(resolve)); // the observer's last entries
    observer.disconnect();
    await close();
    // What each full collection freed: ArrayBuffers that scavenges had left alive.
    const freedByFull = seen.slice(1).reduce((sum, now, i) => sum + (now.major ? Math.max(0, seen[i]!.mb - now.mb) : 0), 0);
    return { kbPerRequest: (freedByFull * 1024) / REQUESTS, fullCollections: seen.filter((s) => s.major).length };
  }

  console.log(`${REQUESTS} requests of a ${(Buffer.byteLength(PAGE) / 1024).toFixed(0)} KB page each, ${IN_FLIGHT} in flight, per client; process.memoryUsage().arrayBuffers`);
  console.log('| client | KB per request freed only by full collections | full collections |\n| --- | --: | --: |');
  for (const [name, client] of [['undici', viaUndici], ['node:http', viaHttp], ['sockets', viaSockets]] as const) {
    const r = await client(IN_FLIGHT);
    console.log(`| ${name} | ${r.kbPerRequest.toFixed(1)} | ${r.fullCollections} |`);
  }
  server.kill();
}
