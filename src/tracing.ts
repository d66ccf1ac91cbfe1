/**
 * Optional OpenTelemetry tracing (OTEL_TRACING=true; off by default): one span per GraphQL
 * operation and, as its children, one span per upstream call, so a trace shows what each query
 * cost Altostrat. Spans carry the route pattern, status and timing; never a token, header or id.
 * main.ts starts an SDK exporting OTLP over HTTP (OTEL_EXPORTER_OTLP_ENDPOINT and the other
 * standard OTEL_* variables apply); without one registered, the API is a no-op.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { getOperationAST, type DocumentNode, type GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { requestStats } from './logging.js';

const tracer = () => trace.getTracer('altostrat-graphql-gateway');

/** Registers a tracer provider exporting OTLP/HTTP; returns how to flush and stop it. */
export async function startTracing(): Promise<() => Promise<void>> {
  const { NodeTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  provider.register();
  return () => provider.shutdown();
}

/** A span for each executed operation, kept in the request's stats for its upstream calls. */
export function useOperationSpans(): Plugin {
  return {
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const operation = getOperationAST(args.document as DocumentNode, args.operationName as string | null | undefined);
      const name = operation?.name?.value ?? 'anonymous';
      const span = tracer().startSpan(`graphql.${operation?.operation ?? 'query'} ${name}`, {
        kind: SpanKind.SERVER,
        attributes: { 'graphql.operation.name': name, 'graphql.operation.type': operation?.operation ?? 'query' },
      });
      if (request) requestStats(request).span = span;
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result) && result.errors?.length) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (result.errors as GraphQLError[]).map((e) => (typeof e.extensions.code === 'string' ? e.extensions.code : 'ERROR')).join(',') });
          }
          span.end();
        },
      };
    },
  };
}

/** Records a finished upstream call as a child of the operation's span. */
export function recordUpstreamSpan(parent: Span, route: string, status: number | 'error', ms: number): void {
  const end = performance.timeOrigin + performance.now();
  const [method, template] = route.split(' ') as [string, string];
  const span = tracer().startSpan(
    route,
    {
      kind: SpanKind.CLIENT,
      startTime: end - ms,
      attributes: {
        'http.request.method': method,
        'url.template': template,
        ...(status === 'error' ? { 'error.type': 'connection' } : { 'http.response.status_code': status }),
      },
    },
    trace.setSpan(context.active(), parent),
  );
  if (status === 'error' || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end(end);
}
