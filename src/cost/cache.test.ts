import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { EstimateCache } from './cache.js';

const document = parse('query Runs($id: ID!, $first: Int, $withLogs: Boolean!) { workflow(id: $id) { id } }');

/** An estimate that reads `first`, and `logs` only when `withLogs` is true, as @include would. */
function counted() {
  const calls: number[] = [];
  const estimate = (variables: Record<string, unknown>): number => {
    calls.push(calls.length);
    const first = typeof variables.first === 'number' ? variables.first : 10;
    return variables.withLogs === true ? first * (typeof variables.logs === 'number' ? variables.logs : 1) : first;
  };
  return { calls, estimate };
}

describe('EstimateCache', () => {
  it('serves the estimate again for variables it never read (the ids asked about), and estimates again when one it read changes', () => {
    const cache = new EstimateCache();
    const { calls, estimate } = counted();
    expect(cache.get(document, 'Runs|20', { id: 'a', first: 5, withLogs: false }, estimate)).toBe(5);
    expect(cache.get(document, 'Runs|20', { id: 'b', first: 5, withLogs: false }, estimate)).toBe(5);
    expect(calls).toHaveLength(1);
    expect(cache.get(document, 'Runs|20', { id: 'b', first: 7, withLogs: false }, estimate)).toBe(7);
    expect(calls).toHaveLength(2);
  });

  it('follows what a value it read makes it read next', () => {
    const cache = new EstimateCache();
    const { calls, estimate } = counted();
    expect(cache.get(document, 's', { first: 5, withLogs: false, logs: 3 }, estimate)).toBe(5);
    // `logs` was not read while withLogs was false: another value of it is the same estimate.
    expect(cache.get(document, 's', { first: 5, withLogs: false, logs: 9 }, estimate)).toBe(5);
    expect(calls).toHaveLength(1);
    // withLogs true reads `logs` too: each value of it is an estimate of its own.
    expect(cache.get(document, 's', { first: 5, withLogs: true, logs: 3 }, estimate)).toBe(15);
    expect(cache.get(document, 's', { first: 5, withLogs: true, logs: 9 }, estimate)).toBe(45);
    expect(cache.get(document, 's', { first: 5, withLogs: true, logs: 3 }, estimate)).toBe(15);
    expect(calls).toHaveLength(3);
  });

  it('tells an absent variable from a null one, and one shape from another', () => {
    const cache = new EstimateCache();
    const estimate = (variables: Record<string, unknown>) => ('first' in variables ? (variables.first === null ? 1 : 2) : 3);
    expect(cache.get(document, 's', {}, estimate)).toBe(3);
    expect(cache.get(document, 's', { first: null }, estimate)).toBe(1);
    expect(cache.get(document, 's', { first: 4 }, estimate)).toBe(2);
    expect(cache.get(document, 't', {}, () => 8)).toBe(8);
  });

  it('compares every variable when the estimate enumerated them', () => {
    const cache = new EstimateCache();
    const estimate = (variables: Record<string, unknown>) => Object.keys(variables).length;
    expect(cache.get(document, 's', { id: 'a' }, estimate)).toBe(1);
    expect(cache.get(document, 's', { id: 'a', other: 1 }, estimate)).toBe(2);
    expect(cache.get(document, 's', { id: 'b' }, estimate)).toBe(1);
  });

  it('keeps no estimate whose values read are longer than VALUES_MAX_LENGTH: a caller’s padding is not held', () => {
    const cache = new EstimateCache();
    let made = 0;
    const estimate = (variables: Record<string, unknown>) => (made++, String(variables.first).length);
    const padded = 'x'.repeat(EstimateCache.VALUES_MAX_LENGTH);
    expect(cache.get(document, 's', { first: padded }, estimate)).toBe(padded.length);
    expect(cache.get(document, 's', { first: padded }, estimate)).toBe(padded.length);
    expect(made).toBe(2);
    cache.get(document, 's', { first: 'short' }, estimate);
    cache.get(document, 's', { first: 'short' }, estimate);
    expect(made).toBe(3);
  });

  it('keeps at most PER_DOCUMENT estimates per document', () => {
    const cache = new EstimateCache();
    let made = 0;
    const estimate = (variables: Record<string, unknown>) => (made++, variables.first as number);
    for (let first = 0; first <= EstimateCache.PER_DOCUMENT; first++) cache.get(document, 's', { first }, estimate);
    expect(made).toBe(EstimateCache.PER_DOCUMENT + 1);
    cache.get(document, 's', { first: 0 }, estimate); // the oldest went
    cache.get(document, 's', { first: EstimateCache.PER_DOCUMENT }, estimate); // the newest stayed
    expect(made).toBe(EstimateCache.PER_DOCUMENT + 2);
  });
});
