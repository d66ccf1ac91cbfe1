/**
 * The hand-written readers of the hot records (run page, run, log, workflow): whatever a body
 * holds, a reader builds its record or refuses it with RecordRefused, never another error; and
 * the shapes the docs describe are read, or refused, as the examples below show.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  RUN_STATUSES,
  SCHEDULE_TYPES,
  RecordRefused,
  readAuthorizationList,
  readCreatedVaultItem,
  readLogList,
  readNewRun,
  readRunPage,
  readStats,
  readRun,
  readTriggerableList,
  readVaultItem,
  readWorkflowList,
  readWorkflow,
  type Reader,
} from './records.js';

// Bodies: each key mostly valid, sometimes absent, null or of another JSON type (what a wrong
// upstream sends), so that both accepted and refused bodies are common.
const ABSENT = Symbol('absent');
const wrong = fc.oneof(fc.constant(ABSENT), fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 4 }), fc.constant([]), fc.constant({}));
const maybe = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 30 }, { arbitrary: wrong, weight: 1 });
const fields = (shape: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, maybe(v)]))).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ABSENT)));
const instant = fc.oneof(
  { arbitrary: fc.constantFrom('2026-11-29T20:46:24.381000Z', '2025-01-02T03:04:05Z', '2024-02-29T00:00:00+01:00'), weight: 4 },
  { arbitrary: fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), weight: 4 },
  { arbitrary: fc.constantFrom('2023-02-29T00:00:00Z', '2025-13-01T00:00:00Z', '2025-01-01 00:00:00', '2025-01-01T00:00:00'), weight: 1 },
);
const id = fc.string({ minLength: 1, maxLength: 6 });
/** Mostly an id of Altostrat's shape for its kind, now and then any string. */
const idOf = (prefix: string) =>
  fc.oneof({ arbitrary: fc.stringMatching(/^[A-Za-z0-9]{1,8}$/).map((body) => `${prefix}${body}`), weight: 9 }, { arbitrary: id, weight: 1 });
const log = fields({ id, node_id: id, component_id: id, status: id, output: fc.jsonValue({ maxDepth: 2 }), created_at: instant, extra: fc.string() });
const run = fields({
  id: idOf('fl_run_'),
  status: fc.oneof({ arbitrary: fc.constantFrom(...RUN_STATUSES), weight: 9 }, fc.constant('cancelled')),
  error_message: id,
  started_at: instant,
  completed_at: instant,
  duration_in_seconds: fc.oneof(fc.integer(), fc.double({ noNaN: true })),
  logs: fc.array(maybe(log), { maxLength: 3 }),
  workflow: fields({ id: idOf('fl_') }),
});
const node = fields({
  id,
  type: id,
  position: fields({ x: fc.double({ noNaN: true }), y: fc.integer() }),
  data: fc.oneof(fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })), fields({ componentId: id })),
});
const edge = fields({ id, source: id, target: id, sourceHandle: id });
const workflow = fields({
  id: idOf('fl_'),
  name: id,
  description: id,
  nodes: fc.array(maybe(node), { maxLength: 3 }),
  edges: fc.array(maybe(edge), { maxLength: 3 }),
  schedule_type: fc.oneof({ arbitrary: fc.constantFrom(...SCHEDULE_TYPES), weight: 9 }, fc.constant('hourly')),
  schedule_value: id,
  next_run_at: instant,
  is_active: fc.boolean(),
  webhook_url: id,
  created_at: instant,
  updated_at: instant,
});
const page = fields({
  data: fc.array(maybe(run), { maxLength: 3 }),
  meta: fields({ current_page: fc.integer({ min: -1, max: 3 }), per_page: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(2 ** 60)), total: fc.integer({ min: -1, max: 50 }) }),
});

// A body as the client hands it over: what JSON.parse made of the text.
const asParsed = (value: unknown) => JSON.parse(JSON.stringify(value) ?? 'null') as unknown;

/** Whether a reader accepts a body; any error but a refusal fails the test. */
function accepts(read: Reader<unknown>, body: unknown): boolean {
  try {
    read(body);
    return true;
  } catch (error) {
    if (error instanceof RecordRefused) return false;
    throw error;
  }
}

describe('the hand-written record readers', () => {
  const cases: Array<[string, Reader<unknown>, fc.Arbitrary<unknown>]> = [
    ['a run page', readRunPage, page],
    ['a run', readRun, run],
    ['a rerun answer', readNewRun, fields({ new_run: run, message: fc.string() })],
    ['a log list', readLogList, fc.array(maybe(log), { maxLength: 4 })],
    ['a workflow', readWorkflow, workflow],
    ['a workflow list', readWorkflowList, fc.array(maybe(workflow), { maxLength: 3 })],
  ];
  for (const [name, read, body] of cases) {
    it(`read or refuse any body, never failing otherwise, for ${name}`, () => {
      const outcomes = { read: 0, refused: 0 };
      fc.assert(fc.property(body.map(asParsed), (value) => void outcomes[accepts(read, value) ? 'read' : 'refused']++), { numRuns: 400 });
      // Bodies are mostly well-formed, with a wrong key now and then: both outcomes are exercised.
      expect(outcomes.read).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(0);
    });
  }

  const goodRun = { id: 'fl_run_1', status: 'completed', started_at: '2025-01-02T03:04:05.123456Z', logs: [] };
  const goodPage = { data: [goodRun], meta: { current_page: 1, per_page: 15, total: 1 } };
  const logAt = (createdAt: string) => ({ id: 'fl_log_1', node_id: 'n1', status: 'success', output: null, created_at: createdAt });

  it('read a well-formed page into camelCase records, dropping unknown keys', () => {
    expect(readRunPage({ ...goodPage, links: {}, data: [{ ...goodRun, secret: 'x' }] })).toStrictEqual({
      items: [{ id: 'fl_run_1', status: 'completed', errorMessage: null, startedAt: '2025-01-02T03:04:05.123456Z', completedAt: null, durationInSeconds: null, logs: [], workflowId: null }],
      page: 1,
      perPage: 15,
      total: 1,
    });
  });

  it.each([
    ['a run without an id', { ...goodPage, data: [{ ...goodRun, id: undefined }] }],
    ['a run id not of a run’s shape', { ...goodPage, data: [{ ...goodRun, id: 'run-123' }] }],
    ['a workflow id not of a workflow’s shape', { ...goodPage, data: [{ ...goodRun, workflow: { id: 'fl_run_1' } }] }],
    ['a run with an unknown status', { ...goodPage, data: [{ ...goodRun, status: 'cancelled' }] }],
    ['a log’s time that is not RFC 3339', { ...goodPage, data: [{ ...goodRun, logs: [logAt('2025-01-02 03:04:05')] }] }],
    ['a log’s time finer than nanoseconds', { ...goodPage, data: [{ ...goodRun, logs: [logAt('2025-01-02T03:04:05.1234567890Z')] }] }],
    ['logs that are null rather than absent', { ...goodPage, data: [{ ...goodRun, logs: null }] }],
    ['a log entry that is a string', { ...goodPage, data: [{ ...goodRun, logs: ['x'] }] }],
    ['a page size of zero', { ...goodPage, meta: { ...goodPage.meta, per_page: 0 } }],
    ['a total that is not whole', { ...goodPage, meta: { ...goodPage.meta, total: 1.5 } }],
    ['a total past what a GraphQL Int holds', { ...goodPage, meta: { ...goodPage.meta, total: 2 ** 31 } }],
    ['data that is an object', { ...goodPage, data: {} }],
    ['an array instead of the page', [goodPage]],
    ['a null body', null],
  ])('refuse %s (the client answers UPSTREAM_ERROR)', (_, body) => {
    expect(accepts(readRunPage, asParsed(body))).toBe(false);
  });

  it('read counts up to what a GraphQL Int holds, and refuse one past it (the client answers UPSTREAM_ERROR)', () => {
    const stats = (n: number) => asParsed({ log_statuses: { success: n }, recent_runs: {}, total_runs: n, success_rate: null });
    expect(accepts(readStats, stats(2 ** 31 - 1))).toBe(true);
    expect(accepts(readStats, stats(2 ** 31))).toBe(false);
    expect(accepts(readStats, asParsed({ log_statuses: { success: 2 ** 33 }, recent_runs: {}, total_runs: 1 }))).toBe(false);
  });

  it('refuse no body at all; keep a lenient leaf of another type as sent, for its field alone to fail', () => {
    expect(accepts(readRunPage, undefined)).toBe(false);
    const text = JSON.stringify({ ...goodPage, data: [{ ...goodRun, duration_in_seconds: 7 }] });
    expect(readRunPage(JSON.parse(text)).items[0]!.durationInSeconds).toBe(7);
    // A number JSON.parse made infinite (1e400), which GraphQL's Float cannot serialise.
    expect(readRunPage(JSON.parse(text.replace('"duration_in_seconds":7', '"duration_in_seconds":1e400'))).items[0]!.durationInSeconds).toBe(Infinity);
    // A run's times are leaves too (the log lists' times, which their keyset orders by, are not).
    expect(readRunPage({ ...goodPage, data: [{ ...goodRun, started_at: '2025-01-02 03:04:05' }] }).items[0]!.startedAt).toBe('2025-01-02 03:04:05');
    // A key that is not lenient still refuses the whole body.
    expect(accepts(readRunPage, JSON.parse(text.replace('"status":"completed"', '"status":"cancelled"')))).toBe(false);
  });

  it('refuse a workflow whose is_active is a string, or whose node has no position', () => {
    const good = { id: 'fl_1', name: 'n', is_active: true, created_at: '2025-01-02T03:04:05Z', updated_at: '2025-01-02T03:04:05Z' };
    expect(accepts(readWorkflow, good)).toBe(true);
    expect(accepts(readWorkflow, { ...good, is_active: 'true' })).toBe(false);
    expect(accepts(readWorkflow, { ...good, nodes: [{ id: 'n1', type: 't', data: {} }], edges: [] })).toBe(false);
  });
});

describe('the tolerant record readers', () => {
  it('take a nullable key left out as null (an older revision’s authorization, an item that never expires), and keep an absent description absent', () => {
    expect(readAuthorizationList([{ id: 'auth_1', email: 'someone@example.com' }])).toEqual([{ id: 'auth_1', userId: null, provider: null, status: null, createdAt: null }]);
    expect(readVaultItem({ id: 'vlt_1', name: 'key', created_at: '2026-01-02T03:04:05Z' })).toEqual({ id: 'vlt_1', name: 'key', createdAt: '2026-01-02T03:04:05Z', expiresAt: null });
    expect(readCreatedVaultItem({ id: 'vlt_1', name: 'key', created_at: '2026-01-02T03:04:05Z' })).toMatchObject({ apiKey: null });
    expect(readStats({ log_statuses: {}, recent_runs: {}, total_runs: 0 })).toMatchObject({ successRate: null });
    expect(readTriggerableList([{ id: 'fl_1', name: 'x' }])).toStrictEqual([{ id: 'fl_1', name: 'x' }]);
  });

  it('refuse an item without its id, or with an id not of its kind’s shape', () => {
    expect(accepts(readTriggerableList, [{ name: 'x' }])).toBe(false);
    expect(accepts(readTriggerableList, [{ id: 'fl_not-an-id', name: 'x' }])).toBe(false);
    expect(accepts(readVaultItem, { id: 'auth_1', name: 'key', created_at: '2026-01-02T03:04:05Z' })).toBe(false);
    expect(accepts(readAuthorizationList, [{ user_id: 'u' }])).toBe(false);
  });
});
