/**
 * Fixture-style tests of slicing a whole list, in the manner of graphql-relay-js's arrayConnection
 * tests: a five-letter list, each case naming its arguments and the letters it must return.
 */
import { describe, expect, it } from 'vitest';
import { CursorCodec } from './cursor.js';
import { sliceWholeList, wholeListRequest } from './whole-list.js';
import type { PageArgs } from './plan.js';

const codec = new CursorCodec({ current: 'whole-list-test-key-0123456789abcdef', previous: [] });
const letters = ['A', 'B', 'C', 'D', 'E'].map((id) => ({ id }));
const cursorOf = (id: string, index: number) => codec.encodeItem({ itemId: id, index });

function slice(list: Array<{ id: string }>, args: PageArgs) {
  const connection = sliceWholeList(list, wholeListRequest(args, codec), codec);
  return { ids: connection.edges.map((e) => e.node.id).join(''), pageInfo: connection.pageInfo, totalCount: connection.totalCount };
}

describe('sliceWholeList', () => {
  it('returns all items with no arguments beyond the default size', () => {
    expect(slice(letters, {})).toMatchObject({ ids: 'ABCDE', totalCount: 5, pageInfo: { hasNextPage: false, hasPreviousPage: false } });
  });

  it('respects a smaller first', () => {
    expect(slice(letters, { first: 2 })).toMatchObject({ ids: 'AB', pageInfo: { hasNextPage: true, hasPreviousPage: false } });
  });

  it('respects a larger first', () => {
    expect(slice(letters, { first: 10 })).toMatchObject({ ids: 'ABCDE', pageInfo: { hasNextPage: false } });
  });

  it('respects a smaller last', () => {
    expect(slice(letters, { last: 2 })).toMatchObject({ ids: 'DE', pageInfo: { hasNextPage: false, hasPreviousPage: true } });
  });

  it('pages forward with first and after', () => {
    expect(slice(letters, { first: 2, after: cursorOf('A', 0) })).toMatchObject({
      ids: 'BC',
      pageInfo: { hasNextPage: true, hasPreviousPage: true },
    });
  });

  it('pages backward with last and before', () => {
    expect(slice(letters, { last: 2, before: cursorOf('D', 3) })).toMatchObject({
      ids: 'BC',
      pageInfo: { hasNextPage: true, hasPreviousPage: true },
    });
  });

  it('returns the items between after and before', () => {
    expect(slice(letters, { after: cursorOf('A', 0), before: cursorOf('E', 4) }).ids).toBe('BCD');
  });

  it('returns nothing for first 0, with the right pageInfo', () => {
    expect(slice(letters, { first: 0 })).toMatchObject({ ids: '', pageInfo: { hasNextPage: true, startCursor: null, endCursor: null } });
  });

  it('finds the after item by id when items were added before it', () => {
    expect(slice([{ id: 'Z' }, ...letters], { first: 2, after: cursorOf('B', 1) }).ids).toBe('CD');
  });

  it('after an item that was deleted, starts at the item that moved into its place', () => {
    const withoutB = letters.filter((l) => l.id !== 'B');
    expect(slice(withoutB, { first: 2, after: cursorOf('B', 1) }).ids).toBe('CD');
  });

  it('before an item that was deleted, ends at the item that was before it', () => {
    const withoutD = letters.filter((l) => l.id !== 'D');
    expect(slice(withoutD, { last: 2, before: cursorOf('D', 3) }).ids).toBe('BC');
  });

  it('after a deleted last item, returns nothing and no next page', () => {
    expect(slice(letters.slice(0, 4), { first: 2, after: cursorOf('E', 4) })).toMatchObject({
      ids: '',
      pageInfo: { hasNextPage: false },
    });
  });
});
