import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import {
  decodeExecutionCursor,
  decodeWorkflowCursor,
  encodeExecutionCursor,
  encodeWorkflowCursor,
} from './cursor.js';

const id = fc.string({ minLength: 1, maxLength: 40 });

describe('cursors', () => {
  it('round-trip execution cursors', () => {
    fc.assert(
      fc.property(id, fc.nat(10_000), fc.nat(10_000), fc.integer({ min: 1, max: 500 }), id, (w, rank, extra, perPage, runId) => {
        const cursor = { workflowId: w, rank, total: rank + 1 + extra, perPage, runId };
        expect(decodeExecutionCursor(encodeExecutionCursor(cursor), 'after', w)).toEqual(cursor);
      }),
    );
  });

  it('round-trip workflow cursors', () => {
    fc.assert(
      fc.property(id, fc.nat(10_000), (workflowId, index) => {
        expect(decodeWorkflowCursor(encodeWorkflowCursor({ workflowId, index }), 'after')).toEqual({ workflowId, index });
      }),
    );
  });

  it('reject any other string with BAD_USER_INPUT and nothing else', () => {
    const attempt = (f: () => unknown) => {
      try {
        f();
        return 'accepted';
      } catch (error) {
        return error instanceof GraphQLError ? String(error.extensions.code) : 'crashed';
      }
    };
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String(), fc.json().map((j) => Buffer.from(`x1:${j}`).toString('base64url'))), (s) => {
        expect(['accepted', 'BAD_USER_INPUT']).toContain(attempt(() => decodeExecutionCursor(s, 'after', 'fl_a')));
        expect(['accepted', 'BAD_USER_INPUT']).toContain(attempt(() => decodeWorkflowCursor(s, 'after')));
      }),
    );
  });

  it('reject a cursor of another workflow, naming both', () => {
    const cursor = encodeExecutionCursor({ workflowId: 'fl_a', rank: 1, total: 5, perPage: 15, runId: 'fl_run_x' });
    expect(() => decodeExecutionCursor(cursor, 'after', 'fl_b')).toThrow(/workflow fl_a's executions, not of fl_b's/);
  });

  it('reject a workflow cursor where an execution cursor is expected', () => {
    const cursor = encodeWorkflowCursor({ workflowId: 'fl_a', index: 0 });
    expect(() => decodeExecutionCursor(cursor, 'before', 'fl_a')).toThrow(/`before` is not a cursor of this list/);
  });
});
