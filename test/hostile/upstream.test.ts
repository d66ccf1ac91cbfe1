/**
 * What an upstream answer can do to the gateway (a body too big, JSON
 * nested too deep), and what one tenant's load can do to another's (fair shares of the upstream
 * slots). Through real HTTP to a gateway in front of the simulator, with its call log as witness.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createGateway } from '../../src/server.js';
import { maxInFlight, type RecordedCall } from '../../src/demo/simulator.js';
import { runBody, startDrippingUpstream } from '../support/hostile-upstream.js';
import { bearer, DEMO_TOKENS, expectCode, startStack, type GraphQLResponse } from '../support/stack.js';
import { until } from '../support/wait.js';

const isRunFetch = (call: RecordedCall) => call.path.startsWith('/workflows/runs/');

describe('upstream bodies over UPSTREAM_MAX_BODY_BYTES', () => {
  // A body over the cap announced by its Content-Length is in http-hardening.test.ts, against the
  // gateway as its own process: the process must stay up.
  it.each([false, true])('are UPSTREAM_ERROR, read once and not retried, and the gateway stays healthy (Content-Length: %s)', async (contentLength) => {
    const stack = await startStack(
      { fault: (call) => (isRunFetch(call) ? { kind: 'huge', bytes: 2_000_000, contentLength } : undefined) },
      { UPSTREAM_MAX_BODY_BYTES: '100000', UPSTREAM_RETRIES: '2' },
    );
    try {
      const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
      const runId = stack.simulator.runsOf(workflow!.id)[0]!.id;
      const response = await stack.gql(`{ execution(id: "${runId}") { status logs { output } } }`);
      expect(response.status).toBe(200);
      expect(expectCode(response, 'UPSTREAM_ERROR', ['execution']).message).toContain('over 100000 bytes');
      expect(response.data.execution).toBeNull();
      expect(stack.simulator.calls.map((c) => c.path)).toEqual([`/workflows/runs/${runId}`]);

      expect((await fetch(stack.url.replace('/graphql', '/health'))).status).toBe(200);
      const honest = await stack.gql(`{ workflows(first: 2) { nodes { name } } }`, {}, { authorization: bearer(DEMO_TOKENS.globex) });
      expect(honest.errors).toBeUndefined();
      expect(honest.data.workflows.nodes).toHaveLength(2);
    } finally {
      await stack.close();
    }
  });

  it('lets a body under the cap through whole', async () => {
    const stack = await startStack(
      { fault: (call) => (isRunFetch(call) ? { kind: 'huge', bytes: 50_000, contentLength: false } : undefined) },
      { UPSTREAM_MAX_BODY_BYTES: '100000' },
    );
    try {
      const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
      const runId = stack.simulator.runsOf(workflow!.id)[0]!.id;
      const response = await stack.gql(`{ execution(id: "${runId}") { logs { output } } }`);
      expect(response.errors).toBeUndefined();
      expect((response.data.execution.logs[0].output as string).length).toBeGreaterThan(40_000);
    } finally {
      await stack.close();
    }
  });
});

describe('an upstream body that drips in', () => {
  /** A gateway in front of `upstreamUrl` (not the simulator), asked one query. */
  async function askThrough(upstreamUrl: string, query: string, env: Record<string, string>): Promise<{ response: GraphQLResponse; close: () => Promise<void> }> {
    const gateway = createGateway({ config: loadConfig({ LOG_LEVEL: 'silent', ...env }), upstreamUrl });
    const server = createServer((req, res) => gateway.handle(req, res)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(DEMO_TOKENS.acme) },
      body: JSON.stringify({ query }),
    });
    const response = { status: answer.status, ...((await answer.json()) as object) };
    return {
      response,
      close: async () => {
        server.closeAllConnections();
        server.close();
        await gateway.close();
      },
    };
  }

  const env = { REQUEST_TIMEOUT_MS: '1000', UPSTREAM_TIMEOUT_MS: '1000', UPSTREAM_RETRIES: '0' };
  const query = `{ execution(id: "fl_run_01k8x246q8q8e4mzfw3045a8ch") { status } }`;
  // A run of about 220 bytes, one every 25 ms: five seconds of body, every gap far shorter than the 1 s timeout.
  const body = runBody(0);

  it('is cut at the request’s deadline when sent chunked: UPSTREAM_ERROR before the body is done', async () => {
    const upstream = await startDrippingUpstream({ body, gapMs: 25, contentLength: false });
    const { response, close } = await askThrough(upstream.url, query, env);
    try {
      const sentByAnswer = upstream.calls[0]!.bytesSent;
      expectCode(response, 'UPSTREAM_ERROR', ['execution']);
      expect(upstream.calls).toHaveLength(1);
      expect(sentByAnswer).toBeLessThan(body.length);
    } finally {
      await close();
      await upstream.close();
    }
  });

  // A body announced by Content-Length is read chunk by chunk with the deadline checked at each,
  // like a chunked one: the call's timeout bounds only the gap between two chunks.
  it('is cut at the request’s deadline when announced by Content-Length too', async () => {
    const upstream = await startDrippingUpstream({ body, gapMs: 25, contentLength: true });
    const { response, close } = await askThrough(upstream.url, query, env);
    try {
      const sentByAnswer = upstream.calls[0]!.bytesSent;
      expectCode(response, 'UPSTREAM_ERROR', ['execution']);
      expect(sentByAnswer).toBeLessThan(body.length);
    } finally {
      await close();
      await upstream.close();
    }
  });

  // A body that stops halfway. The call's timeout (3 s) is shorter than the request's deadline
  // (4 s), so the wait after each chunk is the whole timeout until the deadline comes nearer: then
  // it is what is left of it.
  it('is cut at the request’s deadline when it stops halfway, not a whole call timeout after its last chunk', async () => {
    const [deadlineMs, timeoutMs, gapMs] = [4_000, 3_000, 50];
    // The last byte goes out 200 ms before the deadline; then nothing comes.
    const upstream = await startDrippingUpstream({ body: runBody(0), gapMs, contentLength: false, stallAfter: (deadlineMs - 200) / gapMs });
    const started = performance.now();
    const { response, close } = await askThrough(upstream.url, query, {
      REQUEST_TIMEOUT_MS: String(deadlineMs),
      UPSTREAM_TIMEOUT_MS: String(timeoutMs),
      UPSTREAM_RETRIES: '0',
    });
    const elapsed = performance.now() - started;
    try {
      expectCode(response, 'UPSTREAM_ERROR', ['execution']);
      await until('the gateway hung up on the call', () => upstream.calls[0]!.outcome === 'cut');
      // Cut by the deadline, not 200 ms + 3 s after it: the bound is halfway between the two.
      expect(elapsed).toBeLessThan(deadlineMs + timeoutMs / 2);
    } finally {
      await close();
      await upstream.close();
    }
  });
});

describe('what a hostile upstream answer cannot do', () => {
  it('cannot redirect the caller’s token elsewhere: a 3xx is not followed, and is UPSTREAM_ERROR', async () => {
    const elsewhere = await startStack();
    const target = elsewhere.simulator.url;
    const stack = await startStack({
      fault: (call) => (isRunFetch(call) ? { status: 307, headers: { location: `${target}${call.path}` } } : undefined),
    });
    try {
      const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
      const runId = stack.simulator.runsOf(workflow!.id)[0]!.id;
      const response = await stack.gql(`{ execution(id: "${runId}") { status } }`);
      expectCode(response, 'UPSTREAM_ERROR', ['execution']);
      expect(stack.simulator.calls).toHaveLength(1);
      expect(elsewhere.simulator.calls).toHaveLength(0);
    } finally {
      await stack.close();
      await elsewhere.close();
    }
  });

  it('cannot make the gateway relay its error bodies: nothing of them reaches the client', async () => {
    const leak = `Bearer ${DEMO_TOKENS.globex} internal-stack-trace-at-altostrat`;
    const statuses = [400, 409, 418, 500, 502];
    let next = 0;
    const stack = await startStack(
      { fault: (call) => (isRunFetch(call) ? { status: statuses[next++ % statuses.length]!, body: JSON.stringify({ message: leak, errors: { id: [leak] } }) } : undefined) },
      { UPSTREAM_RETRIES: '0' },
    );
    try {
      const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
      const runIds = stack.simulator.runsOf(workflow!.id).slice(0, statuses.length).map((r) => r.id);
      for (const runId of runIds) {
        const response = await stack.gql(`{ execution(id: "${runId}") { status } }`);
        expectCode(response, 'UPSTREAM_ERROR', ['execution']);
        expect(JSON.stringify(response)).not.toContain('internal-stack-trace');
        expect(JSON.stringify(response)).not.toContain(DEMO_TOKENS.globex);
      }
    } finally {
      await stack.close();
    }
  });
});

describe('upstream JSON nested too deep', () => {
  it.each([10_000, 200_000])('nulls only the `output` nested %i levels deep, with UPSTREAM_ERROR, and the rest arrives', async (depth) => {
    const stack = await startStack(
      { fault: (call) => (isRunFetch(call) ? { kind: 'deep', depth } : undefined) },
      { UPSTREAM_MAX_BODY_BYTES: String(20 * depth + 10_000) },
    );
    try {
      const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
      const runId = stack.simulator.runsOf(workflow!.id)[0]!.id;
      const response = await stack.gql(`{ execution(id: "${runId}") { id status logs { id status output } } }`);
      expect(response.status).toBe(200);
      expectCode(response, 'UPSTREAM_ERROR', ['execution', 'logs', 0, 'output']);
      expect(response.errors).toHaveLength(1);
      expect(response.data.execution).toMatchObject({ id: runId, status: 'COMPLETED' });
      expect(response.data.execution.logs[0]).toMatchObject({ id: expect.stringMatching(/^fl_log_/), status: expect.any(String), output: null });
      expect(stack.simulator.calls).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });
});

describe('upstream JSON nested too deep in a workflow graph node’s `data`', () => {
  // Every JSON field, not only a log entry's output, fails alone when it holds the marker of a
  // subtree cut for being nested too deep: the marker never reaches a client as data.
  it('fails that `data` with UPSTREAM_ERROR, and never relays the gateway’s marker', async () => {
    let body = '';
    const isWorkflowFetch = (call: RecordedCall) => /^\/workflows\/fl_[A-Za-z0-9]+$/.test(call.path);
    const stack = await startStack({ fault: (call) => (isWorkflowFetch(call) ? { status: 200, body } : undefined) });
    try {
      const [workflow] = stack.simulator.workflowsOf(DEMO_TOKENS.acme);
      const depth = 10_000;
      const text = JSON.stringify({ ...workflow!, nodes: workflow!.nodes.map((node, i) => (i === 0 ? { ...node, data: 'DEEP' } : node)) });
      body = text.replace('"DEEP"', `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
      const response = await stack.gql(`{ workflow(id: "${workflow!.id}") { name graph { nodes { id data } } } }`);
      expect(response.status).toBe(200);
      expect(JSON.stringify(response)).not.toContain('$gatewayTooDeep');
      // `data` is non-null, so its error nulls the workflow up to the nearest nullable field.
      expectCode(response, 'UPSTREAM_ERROR', ['workflow', 'graph', 'nodes', 0, 'data']);
    } finally {
      await stack.close();
    }
  });
});

describe('fair shares of the upstream slots', () => {
  // With capacity 2 the flooder's share is every slot: the other tenant gets the next one freed.
  it.each([4, 2])('answers another tenant without error while one tenant floods (%i slots), and holds the flooder to its share', async (capacity) => {
    const perToken = 2;
    const stack = await startStack(
      { latencyMs: 50 },
      { UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN: String(perToken), UPSTREAM_MAX_IN_FLIGHT: String(capacity), UPSTREAM_CONCURRENCY: '8' },
    );
    try {
      const acme = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
      const runIds = stack.simulator.runsOf(acme).slice(0, 40).map((r) => r.id);
      // 40 requests of two run fetches each: 80 calls of 50 ms, two at a time, if the share holds.
      const flood = Array.from({ length: 40 }, (_, i) =>
        stack.gql(`{ a: execution(id: "${runIds[i]}") { status } b: execution(id: "${runIds[(i + 1) % 40]}") { status } }`),
      );
      // The other tenant asks once the flood has filled its share.
      for (let i = 0; i < 200 && stack.simulator.calls.length < perToken; i++) await new Promise((r) => setTimeout(r, 5));
      const other = await stack.gql(`{ workflows(first: 1) { nodes { name } } }`, {}, { authorization: bearer(DEMO_TOKENS.globex) });
      const flooded = await Promise.all(flood);

      expect(other.errors).toBeUndefined();
      expect(other.data.workflows.nodes).toHaveLength(1);
      for (const answer of flooded) expect(answer.errors).toBeUndefined();

      const ofAcme = stack.simulator.calls.filter((c) => c.authorization === bearer(DEMO_TOKENS.acme));
      const ofGlobex = stack.simulator.calls.filter((c) => c.authorization === bearer(DEMO_TOKENS.globex));
      expect(ofAcme).toHaveLength(80);
      expect(ofGlobex).toHaveLength(1);
      expect(maxInFlight(ofAcme)).toBeLessThanOrEqual(perToken);
      expect(maxInFlight(stack.simulator.calls)).toBeLessThanOrEqual(capacity);
      // Not queued behind the flood: most of it was still to come when the other tenant was served.
      expect(ofAcme.filter((c) => c.startedAt > ofGlobex[0]!.endedAt!).length).toBeGreaterThan(40);
    } finally {
      await stack.close();
    }
  });

  // A token is taken at its word until Altostrat answers one of its calls: made-up tokens, each
  // refused upstream, would otherwise each bring a whole share of the slots.
  it('holds tokens Altostrat never answered to a quarter of the slots together, however many, beside a known tenant', async () => {
    const stack = await startStack({ latencyMs: 100 }, { UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN: '8', UPSTREAM_MAX_IN_FLIGHT: '16', UPSTREAM_CONCURRENCY: '8' });
    try {
      const acme = bearer(DEMO_TOKENS.acme);
      const eight = Array.from({ length: 8 }, (_, i) => `w${i}: workflow(id: "fl_${i}x") { name }`).join(' ');
      expect((await stack.gql(`{ workflows(first: 1) { nodes { id } } }`, {}, { authorization: acme })).errors).toBeUndefined();
      stack.simulator.clearCalls();
      const madeUp = Array.from({ length: 40 }, (_, i) => stack.gql(`{ ${eight} }`, {}, { authorization: `Bearer made-up-token-${i}` }));
      const known = Array.from({ length: 4 }, () => stack.gql(`{ ${eight} }`, {}, { authorization: acme }));
      await Promise.all([...madeUp, ...known]);

      const ofAcme = stack.simulator.calls.filter((c) => c.authorization === acme);
      const ofOthers = stack.simulator.calls.filter((c) => c.authorization !== acme);
      expect(ofOthers).toHaveLength(320);
      expect(maxInFlight(ofOthers)).toBeLessThanOrEqual(4);
      expect(maxInFlight(ofAcme)).toBe(8);
    } finally {
      await stack.close();
    }
  });

  // A call that waited in its tenant's fair-share queue until its request's deadline was spent ends
  // as a `deadline` fault (or leaves the queue at its deadline), which the breaker does not count:
  // one tenant sending more than its share can serve must not open the breaker for every tenant.
  it('does not let one tenant open the circuit breaker by queueing past its requests’ deadlines', async () => {
    const stack = await startStack(
      { latencyMs: 300 },
      {
        REQUEST_TIMEOUT_MS: '1000',
        UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN: '1',
        UPSTREAM_BREAKER_THRESHOLD: '3',
        UPSTREAM_BREAKER_COOLDOWN_MS: '600000',
      },
    );
    try {
      const acme = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
      // Twelve ordinary one-call requests, served one at a time, 300 ms each: the later ones wait past 1 s.
      const ids = stack.simulator.runsOf(acme).slice(0, 12).map((r) => r.id);
      await Promise.all(ids.map((id) => stack.gql(`{ execution(id: "${id}") { status } }`)));
      expect(stack.simulator.calls.length).toBeLessThan(12); // some never got a call in time

      stack.simulator.configure({ latencyMs: 0 });
      const other = await stack.gql(`{ workflows(first: 1) { nodes { name } } }`, {}, { authorization: bearer(DEMO_TOKENS.globex) });
      expect(other.errors).toBeUndefined();
      expect(stack.simulator.calls.filter((c) => c.authorization === bearer(DEMO_TOKENS.globex))).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });

  // The auth scheme is case-insensitive (RFC 9110, 11.1): `Bearer T`, `bearer T`, `BEARER T` are
  // one token to Altostrat, and one tenant here, with one fair share.
  it('holds one token to its share however its `Bearer` scheme is spelled', async () => {
    const perToken = 2;
    const stack = await startStack({ latencyMs: 100 }, { UPSTREAM_MAX_IN_FLIGHT_PER_TOKEN: String(perToken), UPSTREAM_MAX_IN_FLIGHT: '64' });
    try {
      const acme = stack.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
      const runIds = stack.simulator.runsOf(acme).map((r) => r.id);
      const schemes = ['Bearer', 'bearer', 'BEARER', 'bEARER', 'BeArEr', 'bEaReR', 'BEARer', 'beaRER'];
      const answers = await Promise.all(
        schemes.map((scheme, i) =>
          stack.gql(`{ a: execution(id: "${runIds[2 * i]}") { status } b: execution(id: "${runIds[2 * i + 1]}") { status } }`, {}, {
            authorization: `${scheme} ${DEMO_TOKENS.acme}`,
          }),
        ),
      );
      for (const answer of answers) expect(answer.errors).toBeUndefined();
      expect(stack.simulator.calls).toHaveLength(16);
      expect(maxInFlight(stack.simulator.calls)).toBeLessThanOrEqual(perToken);
    } finally {
      await stack.close();
    }
  });
});
