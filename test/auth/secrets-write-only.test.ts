/**
 * Secrets are write-only (docs/guarantees.md, "Writes"): vault secrets are written through every path a
 * write can take (create, replace, a 422 that echoes the input, an upstream 5xx whose page echoes
 * it, a lost answer), a generated API key is shown once, and then everything the gateway emitted
 * is searched for them: every log line (at debug level), every response body, /metrics, and every
 * span the trace exporter received.
 */
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WITHHELD_MESSAGE } from '../../src/upstream/transport.js';
import { DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

const lines: string[] = [];
const bodies: string[] = [];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({}, { LOG_LEVEL: 'debug', OTEL_TRACING: 'true' }, { write: (line: string) => void lines.push(line) });
});
afterAll(async () => {
  await stack.close();
  await provider.shutdown();
});

async function send(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEMO_TOKENS.acme}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  bodies.push(text);
  return JSON.parse(text);
}

const CREATE = 'mutation($input: CreateVaultItemInput!) { createVaultItem(input: $input) { apiKey vaultItem { id name createdAt expiresAt } } }';
const UPDATE = 'mutation($input: UpdateVaultItemInput!) { updateVaultItem(input: $input) { vaultItem { id name expiresAt } } }';
const READ = 'query($id: ID!) { vaultItem(id: $id) { id name createdAt expiresAt } vaultItems { id name } node(id: $id) { id ... on VaultItem { name } } }';

/** Each path gets its own secret, so that a leak names the path it came through. */
const secrets = {
  created: 'sEcReT-created-7f3a9c',
  replaced: 'sEcReT-replaced-2b8d41',
  echoed422: 'sEcReT-echoed-422-e5c0d7',
  echoedLaravel: 'sEcReT-echoed-laravel-91aa0f',
  page5xx: 'sEcReT-5xx-page-44b1e2',
  lost: 'sEcReT-lost-answer-c3d9f8',
};

describe('write-only secrets', () => {
  it('never leave the gateway once written, whatever path the write took', async () => {
    // Create and replace: the simulator keeps each secret (the positive control).
    const created = await send(CREATE, { input: { name: 'router-ssh', secret: secrets.created } });
    const id = created.data.createVaultItem.vaultItem.id as string;
    expect(stack.simulator.secretOf(id)).toBe(secrets.created);
    await send(UPDATE, { input: { id, name: 'router-ssh', secret: secrets.replaced } });
    expect(stack.simulator.secretOf(id)).toBe(secrets.replaced);

    // A 422 that quotes the input back, in both error shapes the docs show.
    stack.simulator.configure({
      fault: (call) =>
        call.method === 'POST'
          ? { status: 422, body: JSON.stringify({ type: 'invalid_request_error', code: 'weak', param: 'secret', message: `The secret ${(call.body as { secret: string }).secret} is too weak.` }) }
          : undefined,
    });
    const weak = await send(CREATE, { input: { name: 'weak-one', secret: secrets.echoed422 } });
    expect(weak.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fieldErrors: { secret: ['The secret [redacted] is too weak.'] } });
    stack.simulator.configure({
      fault: (call) => {
        const secret = (call.body as { secret?: string } | undefined)?.secret ?? '';
        return call.method === 'PUT' ? { status: 422, body: JSON.stringify({ message: `Invalid: ${secret}`, errors: { secret: [`${secret} was used before.`], name: [`not ${secret}`] } }) } : undefined;
      },
    });
    const reused = await send(UPDATE, { input: { id, name: 'router-ssh', secret: secrets.echoedLaravel } });
    expect(reused.errors[0].extensions.fieldErrors).toEqual({ secret: ['[redacted] was used before.'], name: ['not [redacted]'] });

    // An upstream 5xx whose error page quotes the request, and a write whose answer is lost.
    stack.simulator.configure({ fault: (call) => (call.method === 'POST' ? { status: 500, body: `<html>POST ${JSON.stringify(call.body)}</html>` } : undefined) });
    expect((await send(CREATE, { input: { name: 'page-one', secret: secrets.page5xx } })).errors[0].extensions.code).toBe('UPSTREAM_ERROR');
    stack.simulator.configure({ fault: (call) => (call.method === 'POST' ? { kind: 'reset' } : undefined) });
    expect((await send(CREATE, { input: { name: 'lost-one', secret: secrets.lost } })).errors[0].extensions.outcomeUnknown).toBe(true);
    stack.simulator.configure({ fault: undefined });

    // A generated key: shown once, in its payload.
    const generated = await send(CREATE, { input: { name: 'api-key:billing' } });
    const apiKey = generated.data.createVaultItem.apiKey as string;
    expect(apiKey).toMatch(/^wfk_/);
    const revealedIn = bodies.length - 1;

    // Later reads, of the same items and of everything.
    await send(READ, { id });
    await send(READ, { id: generated.data.createVaultItem.vaultItem.id });
    const metrics = await (await fetch(stack.metricsUrl)).text();
    const spans = JSON.stringify(
      exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status, links: s.links })),
    );

    // Every path reached the simulator with its secret (so the searches below could find one).
    const sent = JSON.stringify(stack.simulator.calls.map((c) => c.body));
    for (const secret of Object.values(secrets)) expect(sent).toContain(secret);
    expect(lines.length).toBeGreaterThan(5);
    expect(exporter.getFinishedSpans().length).toBeGreaterThan(5);

    for (const secret of [...Object.values(secrets), apiKey]) {
      expect(lines.filter((l) => l.includes(secret)), `a log line holds ${secret}`).toEqual([]);
      expect(metrics.includes(secret), `/metrics holds ${secret}`).toBe(false);
      expect(spans.includes(secret), `a span holds ${secret}`).toBe(false);
    }
    for (const secret of Object.values(secrets)) expect(bodies.filter((b) => b.includes(secret)), `a response holds ${secret}`).toEqual([]);
    expect(bodies.map((b, i) => (b.includes(apiKey) ? i : -1)).filter((i) => i >= 0)).toEqual([revealedIn]);
  });

  it('are not quoted back when sent as the wrong JSON type, nor spelt out by a message they are part of', async () => {
    for (const secret of [918273645, ['hunter2-in-a-list'], { pin: 'hunter2-in-an-object' }]) {
      const response = await send(CREATE, { input: { name: 'router-pin', secret } });
      expect(response.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(response.errors[0].message).toMatch(/^Variable "\$input" got an invalid value at "input.secret": String cannot represent a non string value/);
      expect(JSON.stringify(response)).not.toMatch(/918273645|hunter2/);
    }
    // A value that holds what the message's own parts are made of (`; `, ` at "`) gives none of it away.
    for (const secret of [{ pin: 'hunter2; tail-of-the-secret' }, ['x at "input.secret"; tail-of-the-secret']]) {
      const response = await send(CREATE, { input: { name: 'router-pin', secret } });
      expect(response.errors[0].message).toMatch(/^Variable "\$input" got an invalid value at "input.secret": String cannot represent a non string value/);
      expect(JSON.stringify(response)).not.toMatch(/hunter2|tail-of-the-secret/);
    }
    // Nor does a date-time that is none, where a secret may have been pasted by mistake.
    const expiry = await send(CREATE, { input: { name: 'router-pin', secret: 'correct-horse-battery', expiresAt: 'correct-horse-battery' } });
    expect(expiry.errors[0].message).toBe('Variable "$input" got an invalid value at "input.expiresAt": Expected type "DateTime". DateTime must be an RFC 3339 string such as 2025-10-31T12:00:00Z.');
    expect(JSON.stringify(expiry)).not.toContain('correct-horse-battery');
    // Altostrat's 422 for a short name, with a short secret: nothing of it is masked into the sentence.
    const short = await send(CREATE, { input: { name: 'ab', secret: 'e' } });
    expect(short.errors[0].extensions.fieldErrors).toEqual({ name: [WITHHELD_MESSAGE] });
  });
});
