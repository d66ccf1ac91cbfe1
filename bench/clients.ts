/**
 * The clients the benchmarks load servers with: autocannon sending a list of bodies once each (the
 * cold scenarios, whose pages must not be asked for twice), and the floor's keep-alive client of
 * the upstream, which only fetches and parses. Shared by `bench/run.ts`, `bench/ab-cold.ts` and
 * `bench/profile.ts`.
 */
import { Agent, get } from 'node:http';
import autocannon from 'autocannon';
import type { Server } from './processes.js';
import { AUTHORIZATION, type Fixture } from './scenarios.js';

/** Sends each body once over `connections`, each answer read for errors: every answer's latency (ms), and when the last one came. */
export async function sendEach(server: Server, bodies: string[], connections: number): Promise<{ latencies: number[]; lastAt: number }> {
  let next = 0;
  let lastAt = performance.now();
  const latencies: number[] = [];
  // The typings return a bare promise without a callback; the object is also the event emitter.
  const run = autocannon({
    url: server.url,
    connections,
    amount: bodies.length,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: AUTHORIZATION },
    requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: bodies[next++] }) }],
    verifyBody: (answer?: string | Buffer) => !String(answer).includes('"errors"'),
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  // autocannon notices the last answer only at its next tick: the time of each answer is taken here.
  void run.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    lastAt = performance.now();
  });
  const result = await run;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.mismatches > 0) throw new Error(`${server.name}: failures under load`);
  return { latencies, lastAt };
}

/** The upstream's records as a list answer carries them. */
export interface Listed {
  data: Array<{ id: string }>;
}

/** A keep-alive client of the upstream that costs nothing but the fetch and the parse: the floor's. */
export function upstreamClient(f: Fixture): { getJson(path: string): Promise<Listed>; close(): void } {
  const agent = new Agent({ keepAlive: true });
  return {
    getJson: (path) =>
      new Promise<Listed>((resolve, reject) => {
        get(`${f.url}${path}`, { agent, headers: { authorization: AUTHORIZATION } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Listed));
        }).on('error', reject);
      }),
    close: () => agent.destroy(),
  };
}
