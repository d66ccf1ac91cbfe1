import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { HeldBytes } from './held-bytes.js';
import { UpstreamFault } from './resilience.js';

const codeOf = (refused: unknown) => (refused instanceof GraphQLError ? refused.extensions.code : refused);

describe('HeldBytes', () => {
  it('refuses a request past its own bound with BAD_USER_INPUT, and counts nothing of what it refused', () => {
    const held = new HeldBytes({ perRequest: 1_000, total: 100_000 });
    const request = held.forRequest('a');
    expect(request.take(600)).toBeUndefined();
    expect(request.take(400)).toBeUndefined();
    expect(codeOf(request.take(1))).toBe('BAD_USER_INPUT');
    expect(held.bytes).toBe(1_000);
    // Another request of the same tenant has a bound of its own.
    expect(held.forRequest('a').take(1_000)).toBeUndefined();
    expect(held.bytes).toBe(2_000);
  });

  it("holds a tenant's requests together to a quarter of the total, and gives it back as they end", () => {
    const held = new HeldBytes({ perRequest: 1_000, total: 4_000 });
    const requests = [held.forRequest('a'), held.forRequest('a')];
    expect(requests[0]!.take(600)).toBeUndefined();
    expect(requests[1]!.take(400)).toBeUndefined();
    expect(codeOf(held.forRequest('a').take(1))).toBe('RATE_LIMITED');
    // Other tenants are not held to the first one's count.
    expect(held.forRequest('b').take(1_000)).toBeUndefined();
    requests[0]!.end();
    expect(held.bytes).toBe(1_400);
    const third = held.forRequest('a');
    expect(third.take(600)).toBeUndefined();
    expect(codeOf(third.take(1))).toBe('RATE_LIMITED');
  });

  it('past the total, refuses only the tenants holding more than an equal share', () => {
    const held = new HeldBytes({ perRequest: 1_000, total: 4_000 });
    // Four tenants fill the process; each holds an equal share.
    for (const tenant of ['a', 'b', 'c', 'd']) expect(held.forRequest(tenant).take(1_000)).toBeUndefined();
    expect(held.bytes).toBe(4_000);
    // A fifth, holding nothing, is under its share (4000 / 5) and is let through...
    const small = held.forRequest('e');
    expect(small.take(500)).toBeUndefined();
    // ...up to that share, past which it is refused like the others.
    expect(codeOf(small.take(400))).toBe('RATE_LIMITED');
    expect(codeOf(held.forRequest('a').take(1))).toBe('RATE_LIMITED');
    expect(held.bytes).toBe(4_500);
  });

  it('admits no read of a request or tenant that holds all it may, and admits it again once there is room', () => {
    const held = new HeldBytes({ perRequest: 1_000, total: 4_000 });
    const request = held.forRequest('a');
    expect(request.admit()).toBeUndefined();
    expect(request.take(1_000)).toBeUndefined();
    expect(codeOf(request.admit())).toBe('BAD_USER_INPUT');
    const sibling = held.forRequest('a');
    expect(codeOf(sibling.admit())).toBe('RATE_LIMITED');
    expect(held.forRequest('b').admit()).toBeUndefined();
    request.end();
    expect(request.admit()).toBeUndefined();
    // A request refused once stays refused: its answer is partial already.
    expect(codeOf(sibling.admit())).toBe('RATE_LIMITED');
    expect(held.forRequest('a').admit()).toBeUndefined();
    expect(held.bytes).toBe(0);
  });

  it('never holds more than twice the total, however many tokens each hold less than an equal share', () => {
    const held = new HeldBytes({ perRequest: 1_000, total: 4_000 });
    for (const tenant of ['a', 'b', 'c', 'd']) expect(held.forRequest(tenant).take(1_000)).toBeUndefined();
    // Each new tenant takes its equal share: 4000/5, 4000/6, ... which would add up without end.
    const refused = Array.from({ length: 56 }, (_, i) => codeOf(held.forRequest(`t${i}`).take(Math.floor(4_000 / (i + 5)))));
    expect(refused.slice(0, 5)).toEqual(Array(5).fill(undefined));
    expect(refused.at(-1)).toBe('RATE_LIMITED');
    expect(held.bytes).toBeLessThanOrEqual(8_000);
    expect(held.bytes).toBeGreaterThan(7_500);
  });

  it('gives back an answer dropped before its request ends, and only once', () => {
    const held = new HeldBytes({ perRequest: 1_000, total: 4_000 });
    const request = held.forRequest('a');
    expect(request.take(800)).toBeUndefined();
    request.give(800); // a 503's body, say: its attempt is retried
    expect(held.bytes).toBe(0);
    expect(request.take(900)).toBeUndefined();
    request.end();
    request.give(900);
    expect(held.bytes).toBe(0);
  });

  it('gives back once, and cuts an answer that arrives after its request ended', () => {
    const held = new HeldBytes({ perRequest: 1_000, total: 4_000 });
    const request = held.forRequest('a');
    expect(request.take(700)).toBeUndefined();
    request.end();
    request.end();
    expect(held.bytes).toBe(0);
    const late = request.take(10);
    expect(late).toBeInstanceOf(UpstreamFault);
    expect((late as UpstreamFault).kind).toBe('cancelled');
    expect(held.bytes).toBe(0);
    // The tenant holds nothing: it may take its whole quarter again.
    expect(held.forRequest('a').take(1_000)).toBeUndefined();
  });
});
