/**
 * The hand-written readers of the hot records (run page, run, log, workflow) against zod schemas
 * written the way records.ts wrote them before: both must refuse the same bodies and build the same
 * records, whatever a body holds. The reference schemas live here only, as the specification.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { RUN_STATUSES, SCHEDULE_TYPES, logListSchema, newRunSchema, runPageSchema, runSchema, workflowListSchema, workflowSchema } from './records.js';

const timestamp = z.iso.datetime({ offset: true });
const refLog = z
  .object({ id: z.string(), node_id: z.string(), component_id: z.string().nullish(), status: z.string(), output: z.unknown(), created_at: timestamp })
  .transform((l) => ({ id: l.id, nodeId: l.node_id, componentId: l.component_id ?? null, status: l.status, output: l.output ?? null, createdAt: l.created_at }));
const refRun = z
  .object({
    id: z.string(),
    status: z.enum(RUN_STATUSES),
    error_message: z.string().nullish(),
    started_at: timestamp.nullish(),
    completed_at: timestamp.nullish(),
    duration_in_seconds: z.number().nullish(),
    logs: z.array(refLog).optional(),
    workflow: z.object({ id: z.string() }).nullish(),
  })
  .transform((r) => ({
    id: r.id,
    status: r.status,
    errorMessage: r.error_message ?? null,
    startedAt: r.started_at ?? null,
    completedAt: r.completed_at ?? null,
    durationInSeconds: r.duration_in_seconds ?? null,
    logs: r.logs,
    workflowId: r.workflow?.id ?? null,
  }));
const refNewRun = z.object({ new_run: refRun }).transform((a) => ({ newRun: a.new_run }));
const refNode = z
  .object({ id: z.string(), type: z.string(), position: z.object({ x: z.number(), y: z.number() }), data: z.record(z.string(), z.unknown()) })
  .transform((n) => ({ ...n, componentId: typeof n.data.componentId === 'string' ? n.data.componentId : null }));
const refEdge = z
  .object({ id: z.string(), source: z.string(), target: z.string(), sourceHandle: z.string().nullish() })
  .transform((e) => ({ ...e, sourceHandle: e.sourceHandle ?? null }));
const refWorkflow = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullish(),
    nodes: z.array(refNode).optional(),
    edges: z.array(refEdge).optional(),
    schedule_type: z.enum(SCHEDULE_TYPES).nullish(),
    schedule_value: z.string().nullish(),
    next_run_at: timestamp.nullish(),
    is_active: z.boolean(),
    webhook_url: z.string().nullish(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .transform((w) => ({
    id: w.id,
    name: w.name,
    description: w.description ?? null,
    graph: w.nodes && w.edges ? { nodes: w.nodes, edges: w.edges } : undefined,
    scheduleType: w.schedule_type ?? null,
    scheduleValue: w.schedule_value ?? null,
    nextRunAt: w.next_run_at ?? null,
    isActive: w.is_active,
    webhookUrl: w.webhook_url ?? null,
    createdAt: w.created_at,
    updatedAt: w.updated_at,
  }));
const wholeNumber = z.number().int();
const refRunPage = z
  .object({ data: z.array(refRun), meta: z.object({ current_page: wholeNumber.positive(), per_page: wholeNumber.positive(), total: wholeNumber.nonnegative() }) })
  .transform((p) => ({ items: p.data, page: p.meta.current_page, perPage: p.meta.per_page, total: p.meta.total }));

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
const log = fields({ id, node_id: id, component_id: id, status: id, output: fc.jsonValue({ maxDepth: 2 }), created_at: instant, extra: fc.string() });
const run = fields({
  id,
  status: fc.oneof({ arbitrary: fc.constantFrom(...RUN_STATUSES), weight: 9 }, fc.constant('cancelled')),
  error_message: id,
  started_at: instant,
  completed_at: instant,
  duration_in_seconds: fc.oneof(fc.integer(), fc.double({ noNaN: true })),
  logs: fc.array(maybe(log), { maxLength: 3 }),
  workflow: fields({ id }),
});
const node = fields({
  id,
  type: id,
  position: fields({ x: fc.double({ noNaN: true }), y: fc.integer() }),
  data: fc.oneof(fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })), fields({ componentId: id })),
});
const edge = fields({ id, source: id, target: id, sourceHandle: id });
const workflow = fields({
  id,
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

function agrees(schema: z.ZodType, reference: z.ZodType, body: unknown): void {
  const got = schema.safeParse(body);
  const expected = reference.safeParse(body);
  expect(got.success).toBe(expected.success);
  if (expected.success) expect(got.data).toStrictEqual(expected.data);
}

describe('the hand-written record readers', () => {
  const cases: Array<[string, z.ZodType, z.ZodType, fc.Arbitrary<unknown>]> = [
    ['a run page', runPageSchema, refRunPage, page],
    ['a run', runSchema, refRun, run],
    ['a rerun answer', newRunSchema, refNewRun, fields({ new_run: run, message: fc.string() })],
    ['a log list', logListSchema, z.array(refLog), fc.array(maybe(log), { maxLength: 4 })],
    ['a workflow', workflowSchema, refWorkflow, workflow],
    ['a workflow list', workflowListSchema, z.array(refWorkflow), fc.array(maybe(workflow), { maxLength: 3 })],
  ];
  for (const [name, schema, reference, body] of cases) {
    it(`accept and build exactly what zod did, and refuse what it refused, for ${name}`, () => {
      fc.assert(fc.property(body.map(asParsed), (value) => agrees(schema, reference, value)), { numRuns: 400 });
    });
  }

  const goodRun = { id: 'fl_run_1', status: 'completed', started_at: '2025-01-02T03:04:05.123456Z', logs: [] };
  const goodPage = { data: [goodRun], meta: { current_page: 1, per_page: 15, total: 1 } };

  it('read a well-formed page into camelCase records, dropping unknown keys', () => {
    const parsed = runPageSchema.safeParse({ ...goodPage, links: {}, data: [{ ...goodRun, secret: 'x' }] });
    expect(parsed.success && parsed.data).toStrictEqual({
      items: [{ id: 'fl_run_1', status: 'completed', errorMessage: null, startedAt: '2025-01-02T03:04:05.123456Z', completedAt: null, durationInSeconds: null, logs: [], workflowId: null }],
      page: 1,
      perPage: 15,
      total: 1,
    });
  });

  it.each([
    ['a run without an id', { ...goodPage, data: [{ ...goodRun, id: undefined }] }],
    ['a run with an unknown status', { ...goodPage, data: [{ ...goodRun, status: 'cancelled' }] }],
    ['a timestamp that is not RFC 3339', { ...goodPage, data: [{ ...goodRun, started_at: '2025-01-02 03:04:05' }] }],
    ['logs that are null rather than absent', { ...goodPage, data: [{ ...goodRun, logs: null }] }],
    ['a log entry that is a string', { ...goodPage, data: [{ ...goodRun, logs: ['x'] }] }],
    ['a page size of zero', { ...goodPage, meta: { ...goodPage.meta, per_page: 0 } }],
    ['a total that is not whole', { ...goodPage, meta: { ...goodPage.meta, total: 1.5 } }],
    ['data that is an object', { ...goodPage, data: {} }],
    ['an array instead of the page', [goodPage]],
    ['a null body', null],
  ])('refuse %s (the client answers UPSTREAM_ERROR)', (_, body) => {
    expect(runPageSchema.safeParse(asParsed(body)).success).toBe(false);
  });

  it('refuse no body at all, and a number JSON.parse made infinite (1e400)', () => {
    expect(runPageSchema.safeParse(undefined).success).toBe(false);
    const text = JSON.stringify({ ...goodPage, data: [{ ...goodRun, duration_in_seconds: 7 }] });
    expect(runPageSchema.safeParse(JSON.parse(text)).success).toBe(true);
    expect(runPageSchema.safeParse(JSON.parse(text.replace('"duration_in_seconds":7', '"duration_in_seconds":1e400'))).success).toBe(false);
  });

  it('refuse a workflow whose is_active is a string, or whose node has no position', () => {
    const good = { id: 'fl_1', name: 'n', is_active: true, created_at: '2025-01-02T03:04:05Z', updated_at: '2025-01-02T03:04:05Z' };
    expect(workflowSchema.safeParse(good).success).toBe(true);
    expect(workflowSchema.safeParse({ ...good, is_active: 'true' }).success).toBe(false);
    expect(workflowSchema.safeParse({ ...good, nodes: [{ id: 'n1', type: 't', data: {} }], edges: [] }).success).toBe(false);
  });
});
