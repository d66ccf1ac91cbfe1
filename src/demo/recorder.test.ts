// The call log's timing and write fields, read the way tests of the gateway read them: calls that
// overlapped, how many were in flight at once, what a write sent.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { maxInFlight } from './recorder.js';
import { DEMO_TOKENS, startSimulator } from './simulator.js';
import type { Simulator } from './simulator.js';

describe('maxInFlight', () => {
  it.each([
    { what: 'no calls', calls: [], max: 0 },
    { what: 'calls one after the other', calls: [{ startedAt: 0, endedAt: 5 }, { startedAt: 6, endedAt: 9 }], max: 1 },
    { what: 'a call starting as another ends', calls: [{ startedAt: 0, endedAt: 5 }, { startedAt: 5, endedAt: 9 }], max: 1 },
    { what: 'three calls, two overlapping', calls: [{ startedAt: 0, endedAt: 5 }, { startedAt: 1, endedAt: 3 }, { startedAt: 4, endedAt: 9 }], max: 2 },
    { what: 'a call still in flight', calls: [{ startedAt: 0, endedAt: undefined }, { startedAt: 100, endedAt: 101 }], max: 2 },
  ])('counts $max for $what', ({ calls, max }) => {
    expect(maxInFlight(calls)).toBe(max);
  });
});

describe('recorded calls', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ stepMs: 1 });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.configure({ latencyMs: undefined });
    sim.clearCalls();
  });

  const get = (path: string) => fetch(sim.url + path, { headers: { authorization: `Bearer ${DEMO_TOKENS.acme}` } }).then((res) => res.text());

  it('mark when each call started and ended, so calls sent together are seen overlapping', async () => {
    sim.configure({ latencyMs: 30 });
    await Promise.all([get('/workflows'), get('/workflows/authorization'), get('/workflows/vault')]);
    expect(sim.calls).toHaveLength(3);
    for (const call of sim.calls) expect(call.endedAt).toBeGreaterThan(call.startedAt);
    expect(maxInFlight(sim.calls)).toBe(3);
  });

  it('show calls made one after the other as never in flight together, the later starting after the earlier ended', async () => {
    await get('/workflows');
    await get('/workflows/vault');
    const [first, second] = sim.calls;
    expect(maxInFlight(sim.calls)).toBe(1);
    expect(second!.startedAt).toBeGreaterThanOrEqual(first!.endedAt!);
  });

  it('keep a write’s JSON body, or its raw text when it is not JSON, and its Idempotency-Key', async () => {
    const wan = sim.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
    const post = (body: string, key?: string) =>
      fetch(`${sim.url}/workflows/${wan}/execute`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEMO_TOKENS.acme}`, 'content-type': 'application/json', ...(key && { 'idempotency-key': key }) },
        body,
      }).then((res) => res.text());
    await post('{"context":{"site":"leeds"}}', 'key-1');
    await post('not json');
    await get('/workflows');
    expect(sim.calls.map(({ body, idempotencyKey }) => ({ body, idempotencyKey }))).toEqual([
      { body: { context: { site: 'leeds' } }, idempotencyKey: 'key-1' },
      { body: 'not json', idempotencyKey: undefined },
      { body: undefined, idempotencyKey: undefined },
    ]);
    expect(sim.calls[2]).not.toHaveProperty('body');
  });
});
