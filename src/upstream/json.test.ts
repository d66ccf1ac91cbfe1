import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { containsTooDeep, cutDeepJson, TOO_DEEP_KEY } from './json.js';

const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const depthOf = (value: unknown): number =>
  value !== null && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;

describe('cutDeepJson', () => {
  it('returns the same text when nothing is deeper than the limit', () => {
    const text = JSON.stringify({ data: [{ id: 'x', logs: [{ output: { a: [1, { b: 2 }] } }] }] });
    expect(cutDeepJson(text, 8)).toBe(text);
  });

  it('cuts a subtree deeper than the limit and keeps its siblings', () => {
    const text = `{"logs":[{"id":"a","output":${nested(200)}},{"id":"b","output":{"ok":true}}]}`;
    const parsed = JSON.parse(cutDeepJson(text, 10));
    expect(parsed.logs[1]).toEqual({ id: 'b', output: { ok: true } });
    expect(parsed.logs[0].id).toBe('a');
    expect(containsTooDeep(parsed.logs[0].output)).toBe(true);
    expect(containsTooDeep(parsed.logs[1].output)).toBe(false);
    expect(depthOf(parsed)).toBeLessThanOrEqual(11);
  });

  it('ignores brackets and escaped quotes inside strings', () => {
    const text = JSON.stringify({ s: '[[[[[[[[[[{{{{{{{{ \\" ]]]', t: [[1]] });
    expect(cutDeepJson(text, 3)).toBe(text);
  });

  it('skips strings whole, escaped quotes and backslashes included', () => {
    const ending = JSON.stringify({ a: 'x\\', b: '[[[[' });
    expect(cutDeepJson(ending, 3)).toBe(ending);
    const text = JSON.stringify({ a: 'x\\', b: '\\"[[[[', c: [[[[1]]]] });
    expect(JSON.parse(cutDeepJson(text, 3))).toEqual({ a: 'x\\', b: '\\"[[[[', c: [[{ [TOO_DEEP_KEY]: true }]] });
  });

  it('cuts a million levels in one pass without recursion', () => {
    const text = `{"output":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    const parsed = JSON.parse(cutDeepJson(text, 64));
    expect(parsed.output[0][0]).toBeDefined();
    expect(containsTooDeep(parsed)).toBe(true);
  });

  it('leaves every value at most limit + 1 deep, and valid JSON, for any input', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 1, max: 8 }), (value, limit) => {
        const cut = JSON.parse(cutDeepJson(JSON.stringify(value), limit));
        expect(depthOf(cut)).toBeLessThanOrEqual(limit + 1);
        // Compared with the value as JSON carries it (-0 is written as 0).
        if (depthOf(value) <= limit) expect(cut).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('marks only with its own key', () => {
    expect(containsTooDeep({ [TOO_DEEP_KEY]: false })).toBe(false);
  });
});
