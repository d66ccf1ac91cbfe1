/**
 * Opaque, versioned, tamper-evident cursors (GraphQL Cursor Connections Specification, "Cursor";
 * docs/guarantees.md, "Pagination"). A cursor is `<payload>.<mac>`: base64url of a version tag
 * and a small JSON array, then the first 16 bytes of its HMAC-SHA256 under the gateway's cursor
 * key. Clients must treat it as a string; one they made up or changed fails verification and is
 * BAD_USER_INPUT before anything is fetched, so the figures a cursor carries (made from the
 * upstream's own answers) can be used to plan.
 *
 * Keys rotate without breaking clients mid-walk: cursors are signed with the current key and
 * accepted under it or any previous key still listed.
 *
 * A rank cursor names an item of a newest-first paged list by its *rank*: its position counted
 * from the oldest item (0 = oldest). New items only arrive at the head, so a rank never changes
 * while the item's index from the head shifts by one for each new item. The cursor also keeps the
 * list total and page size it was made under (to plan the next pages before any answer) and the
 * item id (so the position can be confirmed).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { badInput } from '../errors.js';

export interface RankCursor {
  /** The list the cursor belongs to (a workflow's id for its executions). */
  listId: string;
  /** Position from the oldest item: 0 is the oldest. Stable while items arrive at the head. */
  rank: number;
  /** The list's total when the cursor was made. */
  total: number;
  /** The page size when the cursor was made. */
  perPage: number;
  itemId: string;
}

export interface ItemCursor {
  itemId: string;
  /** Index in the whole list when the cursor was made; used only if the item is gone. */
  index: number;
}

/** A position in a list ordered by (createdAt, id): the entry the cursor was made at (keyset.ts). */
export interface KeysetCursor {
  /** The list the cursor belongs to: a workflow's id for its logs, `recent` for the recent logs. */
  listId: string;
  /** The entry's timestamp, as the upstream sent it. */
  createdAt: string;
  id: string;
}

export interface CursorKeys {
  /** Signs new cursors. */
  current: string;
  /** Still accepted, so that cursors made before a rotation keep working. */
  previous: readonly string[];
}

const RANK_TAG = 'r1';
const ITEM_TAG = 'i1';
const KEYSET_TAG = 'k1';
const MAC_BYTES = 16;
const SHAPE = /^[A-Za-z0-9_-]{1,512}\.[A-Za-z0-9_-]{22}$/;

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

export class CursorCodec {
  readonly #keys: Buffer[];

  constructor(keys: CursorKeys) {
    this.#keys = [keys.current, ...keys.previous].map((key) => Buffer.from(key, 'utf8'));
  }

  encodeRank(c: RankCursor): string {
    return this.#encode(RANK_TAG, [c.listId, c.rank, c.total, c.perPage, c.itemId]);
  }

  /** Decodes a rank cursor of `listId`'s list; anything else is BAD_USER_INPUT. */
  decodeRank(cursor: string, argument: string, listId: string): RankCursor {
    const [cursorListId, rank, total, perPage, itemId, ...rest] = this.#decode(RANK_TAG, cursor, argument);
    if (rest.length > 0 || !isId(cursorListId) || !isCount(rank) || !isCount(total) || rank >= total || !isCount(perPage) || perPage === 0 || !isId(itemId)) {
      throw notACursor(argument);
    }
    if (cursorListId !== listId) {
      throw badInput(
        `\`${argument}\` is a cursor of ${cursorListId}'s list, not of ${listId}'s; use cursors only with the list they came from.`,
      );
    }
    return { listId, rank, total, perPage, itemId };
  }

  encodeItem(c: ItemCursor): string {
    return this.#encode(ITEM_TAG, [c.itemId, c.index]);
  }

  decodeItem(cursor: string, argument: string): ItemCursor {
    const [itemId, index, ...rest] = this.#decode(ITEM_TAG, cursor, argument);
    if (rest.length > 0 || !isId(itemId) || !isCount(index)) throw notACursor(argument);
    return { itemId, index };
  }

  encodeKeyset(c: KeysetCursor): string {
    return this.#encode(KEYSET_TAG, [c.listId, c.createdAt, c.id]);
  }

  /** Decodes a keyset cursor of `listId`'s list (keyset.ts); anything else is BAD_USER_INPUT. */
  decodeKeyset(cursor: string, argument: string, listId: string): KeysetCursor {
    const [cursorListId, createdAt, id, ...rest] = this.#decode(KEYSET_TAG, cursor, argument);
    if (rest.length > 0 || !isId(cursorListId) || !isId(createdAt) || !isId(id)) throw notACursor(argument);
    if (cursorListId !== listId) throw notACursor(argument);
    return { listId, createdAt, id };
  }

  #mac(key: Buffer, payload: string): Buffer {
    return createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES);
  }

  #encode(tag: string, fields: unknown[]): string {
    const payload = Buffer.from(`${tag}:${JSON.stringify(fields)}`).toString('base64url');
    return `${payload}.${this.#mac(this.#keys[0]!, payload).toString('base64url')}`;
  }

  #decode(tag: string, cursor: string, argument: string): unknown[] {
    if (!SHAPE.test(cursor)) throw notACursor(argument);
    const [payload, mac] = cursor.split('.') as [string, string];
    const given = Buffer.from(mac, 'base64url');
    // 22 characters carry 132 bits for the MAC's 128: only the spelling that encodes back is one.
    if (given.toString('base64url') !== mac) throw notACursor(argument);
    if (!this.#keys.some((key) => timingSafeEqual(this.#mac(key, payload), given))) throw notACursor(argument);
    const text = Buffer.from(payload, 'base64url').toString('utf8');
    if (!text.startsWith(`${tag}:`)) throw notACursor(argument);
    let fields: unknown;
    try {
      fields = JSON.parse(text.slice(tag.length + 1));
    } catch {
      throw notACursor(argument);
    }
    if (!Array.isArray(fields)) throw notACursor(argument);
    return fields;
  }
}

const notACursor = (argument: string) =>
  badInput(
    `\`${argument}\` is not a cursor of this list; pass an \`endCursor\`, \`startCursor\` or edge \`cursor\` ` +
      'from an earlier answer for the same list, or leave it out to start at the beginning.',
  );
