/**
 * How a subscription runs: graphql-js's own steps (docs/guarantees.md, "Live subscriptions"), the
 * source stream from the field's `subscribe`, then one execution per event, each in a context of
 * its own (`forEvent`: a fresh deadline, call budget and loader cache), as graphql-js's
 * `subscribe` does but with a new context for every event. graphql-jit does not run
 * subscriptions: it took the subscription field's arguments from the operation's variables.
 */
import { createSourceEventStream, execute, type ExecutionArgs } from 'graphql';
import { mapAsyncIterator } from '@graphql-tools/utils';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { GatewayContext } from './context.js';

async function subscribeWithFreshContexts(args: ExecutionArgs) {
  const stream = await createSourceEventStream(args);
  if (!isAsyncIterable(stream)) return stream; // the errors of `subscribe`
  const context = args.contextValue as GatewayContext;
  return mapAsyncIterator(stream, (event) => execute({ ...args, rootValue: event, contextValue: context.forEvent() }));
}

/** Listed after graphql-jit, whose subscribe it replaces. */
export function useFreshContextPerEvent(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribeWithFreshContexts as never);
    },
  };
}
