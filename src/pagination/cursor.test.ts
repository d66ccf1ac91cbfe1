import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { CursorCodec } from './cursor.js';

const id = fc.string({ minLength: 1, maxLength: 40 });
const codec = new CursorCodec({ current: 'k'.repeat(32), previous: [] });

/** What decoding does with a string: the code of the error it throws, or `accepted`. */
function outcome(decode: () => unknown): string {
  try {
    decode();
    return 'accepted';
  } catch (error) {
    return error instanceof GraphQLError ? String(error.extensions.code) : 'crashed';
  }
}

describe('cursors', () => {
  it('round-trip rank cursors', () => {
    fc.assert(
      fc.property(id, fc.nat(10_000), fc.nat(10_000), fc.integer({ min: 1, max: 500 }), id, (listId, rank, extra, perPage, itemId) => {
        const cursor = { listId, rank, total: rank + 1 + extra, perPage, itemId };
        expect(codec.decodeRank(codec.encodeRank(cursor), 'after', listId)).toEqual(cursor);
      }),
    );
  });

  it('round-trip item cursors', () => {
    fc.assert(
      fc.property(id, fc.nat(10_000), (itemId, index) => {
        expect(codec.decodeItem(codec.encodeItem({ itemId, index }), 'after')).toEqual({ itemId, index });
      }),
    );
  });

  it('reject every string they did not make with BAD_USER_INPUT, never accepting or crashing', () => {
    const unsigned = fc.json().map((j) => `${Buffer.from(`r1:${j}`).toString('base64url')}.${'A'.repeat(22)}`);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), unsigned), (s) => {
        expect(outcome(() => codec.decodeRank(s, 'after', 'fl_a'))).toBe('BAD_USER_INPUT');
        expect(outcome(() => codec.decodeItem(s, 'after'))).toBe('BAD_USER_INPUT');
      }),
    );
  });

  it('reject a cursor whose figures were changed, even with its old signature', () => {
    const cursor = codec.encodeRank({ listId: 'fl_a', rank: 3, total: 97, perPage: 15, itemId: 'fl_run_x' });
    const [payload, mac] = cursor.split('.') as [string, string];
    const forged = Buffer.from(Buffer.from(payload, 'base64url').toString().replace(',15,', ',1,')).toString('base64url');
    expect(forged).not.toBe(payload);
    expect(outcome(() => codec.decodeRank(`${forged}.${mac}`, 'after', 'fl_a'))).toBe('BAD_USER_INPUT');
  });

  it('accept one spelling of a cursor: its signature’s unused last bits changed is another string, refused', () => {
    const cursor = codec.encodeItem({ itemId: 'fl_a', index: 2 });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(cursor.at(-1)!);
    // The last character's four low bits are padding: these spell the same 16 bytes.
    const respelled = [1, 2, 3].map((low) => `${cursor.slice(0, -1)}${alphabet[(last & ~15) | ((last + low) & 15)]}`);
    for (const other of respelled) {
      expect(Buffer.from(other.split('.')[1]!, 'base64url')).toEqual(Buffer.from(cursor.split('.')[1]!, 'base64url'));
      expect(outcome(() => codec.decodeItem(other, 'after'))).toBe('BAD_USER_INPUT');
    }
  });

  it('accept cursors signed with a previous key after a rotation, and refuse those of a dropped key', () => {
    const old = new CursorCodec({ current: 'o'.repeat(32), previous: [] });
    const cursor = old.encodeItem({ itemId: 'fl_a', index: 2 });
    const rotated = new CursorCodec({ current: 'n'.repeat(32), previous: ['o'.repeat(32)] });
    expect(rotated.decodeItem(cursor, 'after')).toEqual({ itemId: 'fl_a', index: 2 });
    expect(outcome(() => codec.decodeItem(cursor, 'after'))).toBe('BAD_USER_INPUT');
  });

  it('reject a cursor of another list, naming both', () => {
    const cursor = codec.encodeRank({ listId: 'fl_a', rank: 1, total: 5, perPage: 15, itemId: 'fl_run_x' });
    expect(() => codec.decodeRank(cursor, 'after', 'fl_b')).toThrow(/cursor of fl_a's list, not of fl_b's/);
  });

  it('reject an item cursor where a rank cursor is expected', () => {
    const cursor = codec.encodeItem({ itemId: 'fl_a', index: 0 });
    expect(() => codec.decodeRank(cursor, 'before', 'fl_a')).toThrow(/`before` is not a cursor of this list/);
  });
});
