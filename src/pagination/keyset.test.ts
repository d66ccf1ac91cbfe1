import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CursorCodec } from './cursor.js';
import { compareNewestFirst, inRange, instantKey, instantRange, keysetRequest, sliceKeyset, type KeysetItem } from './keyset.js';
import type { PageArgs } from './plan.js';

const codec = new CursorCodec({ current: 'test-key', previous: [] });
const at = (second: number, fraction = '') => `2025-10-31T12:00:${String(second).padStart(2, '0')}${fraction}Z`;
const page = (items: KeysetItem[], args: PageArgs, listId = 'fl_a') => sliceKeyset(items, keysetRequest(listId, args, codec), codec);
const ids = (connection: ReturnType<typeof page>) => connection.edges.map((e) => e.node.id);

describe('instantKey', () => {
  it('orders timestamps by instant whatever their fraction or offset', () => {
    const sorted = ['2025-10-31T12:00:00Z', '2025-10-31T12:00:00.000001Z', '2025-10-31T12:00:00.5Z', '2025-10-31T13:00:01+01:00', '2025-10-31T12:00:02.000000Z'];
    expect([...sorted].reverse().sort((a, b) => (instantKey(a) < instantKey(b) ? -1 : 1))).toEqual(sorted);
    expect(instantKey('2025-10-31T12:00:00.000000Z')).toBe(instantKey('2025-10-31T12:00:00Z'));
    expect(() => instantKey('yesterday')).toThrow(RangeError);
  });
});

describe('sliceKeyset', () => {
  const items = [
    { id: 'fl_log_b', createdAt: at(1) },
    { id: 'fl_log_a', createdAt: at(1) },
    { id: 'fl_log_c', createdAt: at(3, '.000000') },
    { id: 'fl_log_d', createdAt: at(2) },
  ];

  it('orders newest first, ties by id, and pages forward with endCursor', () => {
    const first = page(items, { first: 2 });
    expect(ids(first)).toEqual(['fl_log_c', 'fl_log_d']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = page(items, { first: 2, after: first.pageInfo.endCursor });
    expect(ids(second)).toEqual(['fl_log_b', 'fl_log_a']);
    expect([first.totalCount, second.totalCount]).toEqual([4, 4]);
    expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('pages backward with last and before', () => {
    expect(ids(page(items, { last: 3 }))).toEqual(['fl_log_d', 'fl_log_b', 'fl_log_a']);
    const end = page(items, { first: 3 }).pageInfo.endCursor;
    const back = page(items, { last: 1, before: end });
    expect(ids(back)).toEqual(['fl_log_d']);
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  });

  it('defaults to the first 20 and refuses more than 100, both directions at once, or another list’s cursor', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ id: `fl_log_${i}`, createdAt: at(i) }));
    expect(page(many, {}).edges).toHaveLength(20);
    expect(() => page(many, { first: 101 })).toThrow(/between 0 and 100/);
    expect(() => page(many, { first: 1, last: 1 })).toThrow(/not both/);
    const cursor = page(many, { first: 1 }, 'fl_a').pageInfo.endCursor!;
    expect(() => page(many, { after: cursor }, 'fl_b')).toThrow(/not a cursor of this list/);
    expect(() => page(many, { after: 'made-up' })).toThrow(/not a cursor of this list/);
  });

  it('says what lies beyond each cursor when `after` is at or past `before`, the window empty', () => {
    const cursors = page(items, { first: 4 }).edges.map((edge) => edge.cursor); // c, d, b, a
    for (const [afterAt, beforeAt] of [[3, 0], [2, 1], [3, 3], [1, 0]] as const) {
      const empty = page(items, { last: 2, after: cursors[afterAt], before: cursors[beforeAt] });
      expect(empty.edges).toEqual([]);
      // `before` names an entry, so entries follow the window; `after` names one, so entries precede it.
      expect(empty.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
      expect(page(items, { first: 2, after: cursors[afterAt], before: cursors[beforeAt] }).pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    }
  });

  it('keeps its place when the cursor’s own entry is gone', () => {
    const cursor = page(items, { first: 2 }).pageInfo.endCursor; // fl_log_d
    const without = items.filter((item) => item.id !== 'fl_log_d');
    expect(ids(page(without, { first: 5, after: cursor }))).toEqual(['fl_log_b', 'fl_log_a']);
  });

  it('yields every entry exactly once in a walk while new entries arrive between pages', () => {
    const entry = fc.record({ second: fc.integer({ min: 0, max: 59 }), id: fc.stringMatching(/^[a-z0-9]{1,6}$/) });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.id, maxLength: 40 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 5 }), (seed, size, arrivals) => {
        const list: KeysetItem[] = seed.map((e) => ({ id: `fl_log_${e.id}`, createdAt: at(e.second) }));
        const original = [...list].sort(compareNewestFirst).map((e) => e.id);
        const seen: string[] = [];
        let after: string | null | undefined;
        for (let round = 0; round <= list.length + 1; round++) {
          const connection = page(list, { first: size, after });
          seen.push(...ids(connection));
          // Newer entries land at the head between pages, as new logs do.
          for (let n = 0; n < arrivals; n++) list.push({ id: `fl_log_new${round}x${n}`, createdAt: `2025-10-31T12:01:${String(round % 60).padStart(2, '0')}Z` });
          if (!connection.pageInfo.hasNextPage) break;
          after = connection.pageInfo.endCursor;
        }
        expect(seen).toEqual(original);
      }),
    );
  });
});

describe('instantRange', () => {
  it('keeps since inclusive and until exclusive, and refuses a bound that is no timestamp', () => {
    const range = instantRange({ since: at(1), until: at(3) });
    expect([at(0), at(1), at(2, '.999999'), at(3)].map((t) => inRange(t, range))).toEqual([false, true, true, false]);
    expect(() => instantRange({ since: 'soon' })).toThrow(/filter.since/);
  });
});
