/**
 * A socket's memory does not grow with the operations it has run: an operation holds its
 * stand-in request only while it runs, and the socket has one close listener whatever it ran.
 * Thousands of operations on one socket leave the heap (after collection) within a bound far
 * below what a few hundred bytes kept per operation would add, and Node never warns of a listener
 * leak.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { bearer, DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';
import { run, wsClient } from '../support/websocket.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const OPERATIONS = 6_000;
const BATCH = 50;
let stack: Stack;
let client: Client;
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.name);

beforeAll(async () => {
  stack = await startStack();
  client = wsClient(stack.url, { authorization: bearer(DEMO_TOKENS.acme) });
  process.on('warning', onWarning);
});
afterAll(async () => {
  process.off('warning', onWarning);
  await client.dispose();
  await stack.close();
});

async function operations(count: number): Promise<void> {
  for (let done = 0; done < count; done += BATCH) {
    const outcomes = await Promise.all(Array.from({ length: BATCH }, () => run(client, { query: 'query Ping { __typename }' })));
    expect(outcomes.every((o) => o.results.length === 1 && o.errors === undefined)).toBe(true);
  }
}

async function heapAfterCollection(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

describe('memory per WebSocket operation', () => {
  it(`stays flat over ${OPERATIONS} operations on one socket, with no listener-leak warning`, async () => {
    await operations(3_000); // caches, compiled documents, pools, JIT: what the first operations build
    const before = await heapAfterCollection();
    await operations(OPERATIONS);
    const after = await heapAfterCollection();
    // Keeping even 500 bytes per operation would add 3 MB.
    expect(after - before).toBeLessThan(1.5 * 1024 * 1024);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  }, 120_000);
});
