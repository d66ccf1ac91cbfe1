/** OTEL_TRACING: a span per operation, with each upstream call as its child; nothing when off. */
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_TOKENS, startStack, type Stack } from '../support/stack.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

let traced: Stack;
let plain: Stack;
beforeAll(async () => {
  [traced, plain] = await Promise.all([startStack({ inlineLogs: false }, { OTEL_TRACING: 'true' }), startStack()]);
});
afterAll(async () => {
  await Promise.all([traced.close(), plain.close()]);
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

const QUERY = `query Runs($id: ID!) { workflow(id: $id) { name executions(first: 2) { nodes { logs { id } } } } }`;

describe('tracing', () => {
  it('links the GraphQL operation to each upstream call it made', async () => {
    const id = traced.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
    traced.simulator.clearCalls();
    expect((await traced.gql(QUERY, { id })).errors).toBeUndefined();
    const spans = exporter.getFinishedSpans();
    const operation = spans.find((s) => s.name === 'graphql.query Runs')!;
    expect(operation).toBeDefined();
    const calls = spans.filter((s) => s.parentSpanContext?.spanId === operation.spanContext().spanId);
    expect(calls).toHaveLength(traced.simulator.calls.length);
    expect(calls.map((s) => s.name).sort()).toEqual([
      'GET /workflows/runs/{id}',
      'GET /workflows/runs/{id}',
      'GET /workflows/{id}',
      'GET /workflows/{id}/executions',
    ]);
    expect(calls.every((s) => s.attributes['http.response.status_code'] === 200)).toBe(true);
    expect(calls.every((s) => s.spanContext().traceId === operation.spanContext().traceId)).toBe(true);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(DEMO_TOKENS.acme);
  });

  it('is off by default', async () => {
    const id = plain.simulator.workflowsOf(DEMO_TOKENS.acme)[0]!.id;
    await plain.gql(QUERY, { id });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
