import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { pageOfIndex, pagesForIndexes, sliceRanks, sliceSize } from './plan.js';

describe('page arithmetic', () => {
  it('pagesForIndexes returns exactly the pages that hold an index of the range', () => {
    fc.assert(
      fc.property(fc.nat(500), fc.nat(500), fc.integer({ min: 1, max: 60 }), (a, b, perPage) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const expected = new Set<number>();
        for (let i = from; i <= to; i++) expected.add(pageOfIndex(i, perPage));
        expect(pagesForIndexes(from, to, perPage)).toEqual([...expected].sort((x, y) => x - y));
      }),
    );
  });

  it('pageOfIndex puts index 0 on page 1 and a page boundary on the next page', () => {
    expect(pageOfIndex(0, 15)).toBe(1);
    expect(pageOfIndex(14, 15)).toBe(1);
    expect(pageOfIndex(15, 15)).toBe(2);
  });

  it('sliceRanks takes the newest ranks for first and the oldest for last, never past the window', () => {
    fc.assert(
      fc.property(fc.nat(300), fc.nat(300), fc.nat(120), fc.boolean(), (low, width, count, forward) => {
        const window = { low, high: low + width - 1 };
        const slice = sliceRanks(window, { from: forward ? 'first' : 'last', count });
        const size = Math.max(0, slice.high - slice.low + 1);
        expect(size).toBe(Math.min(count, width));
        if (size > 0) {
          expect(slice.low).toBeGreaterThanOrEqual(window.low);
          expect(slice.high).toBeLessThanOrEqual(window.high);
          expect(forward ? slice.high : slice.low).toBe(forward ? window.high : window.low);
        }
      }),
    );
  });
});

describe('sliceSize', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return error instanceof GraphQLError ? error.extensions.code : 'not a GraphQLError';
    }
    return undefined;
  };

  it('defaults to the first 20', () => {
    expect(sliceSize({})).toEqual({ from: 'first', count: 20 });
    expect(sliceSize({ first: null, last: null })).toEqual({ from: 'first', count: 20 });
  });

  it('accepts 0 to 100 and rejects everything else, and first with last, as BAD_USER_INPUT', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.boolean(), (n, forward) => {
        const result = code(() => sliceSize(forward ? { first: n } : { last: n }));
        expect(result).toBe(n >= 0 && n <= 100 ? undefined : 'BAD_USER_INPUT');
      }),
    );
    expect(code(() => sliceSize({ first: 1, last: 1 }))).toBe('BAD_USER_INPUT');
  });

  it('says what was wrong and what is allowed', () => {
    expect(() => sliceSize({ first: 500 })).toThrow('`first` must be between 0 and 100, got 500.');
  });
});
