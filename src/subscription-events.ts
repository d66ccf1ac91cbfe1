/**
 * How a subscription runs: graphql-js's own steps (docs/guarantees.md, "Live subscriptions"), the
 * source stream from the field's `subscribe`, then one execution per event, each in a context of
 * its own (`forEvent`: a fresh deadline, call budget and loader cache), as graphql-js's
 * `subscribe` does but with a new context for every event. graphql-jit does not run
 * subscriptions: it took the subscription field's arguments from the operation's variables.
 *
 * An open subscription holds only its `EventStream`: the source, the parsed document, the
 * variables and `forEvent`; nothing of the request that opened it (the SSE writer, sse.ts, takes
 * the stream from here and lets Yoga's request go).
 */
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { GatewayContext } from './context.js';
import type { EventStreams } from './sse.js';

/** Both transports ping an open connection this often: SSE a comment, WebSocket a ping frame (docs/guarantees.md, "Live subscriptions"). */
export const KEEP_ALIVE_MS = 15_000;

type Execution = Pick<ExecutionArgs, 'schema' | 'document' | 'variableValues' | 'operationName' | 'fieldResolver' | 'typeResolver'>;

/** The source's events, each executed in a fresh context; `return()` leaves the source at once, even while an event is awaited. */
export class EventStream implements AsyncIterableIterator<ExecutionResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly execution: Execution,
    private readonly forEvent: () => GatewayContext,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const step = await this.source.next();
    if (step.done) return { done: true, value: undefined };
    const context = this.forEvent();
    try {
      return { done: false, value: await execute({ ...this.execution, rootValue: step.value, contextValue: context }) };
    } finally {
      context.upstream.end();
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  throw(): Promise<IteratorResult<ExecutionResult>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Replaces Yoga's subscribe (graphql-jit runs no subscription: compiled-execution.ts). Offers each stream to `streams`, for SSE. */
export function useFreshContextPerEvent(streams: EventStreams): Plugin {
  const subscribe = async (args: ExecutionArgs) => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source; // the errors of `subscribe`
    const { schema, document, variableValues, operationName, fieldResolver, typeResolver, contextValue } = args;
    const context = contextValue as GatewayContext & { request?: Request };
    const events = new EventStream(source[Symbol.asyncIterator](), { schema, document, variableValues, operationName, fieldResolver, typeResolver }, context.forEvent);
    if (context.request) streams.offer(context.request, events);
    return events;
  };
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe as never);
    },
  };
}
