/**
 * Live updates, from the shared pollers of the live hub (src/live/, src/watch.ts). Each event is
 * resolved as a request of its own, in the context `forEvent` makes (src/subscription-events.ts):
 * a fresh deadline, call budget and loader cache.
 * The hub's endings become coded errors: its code for a refused token or a missing object, and
 * RATE_LIMITED when the caller has too many subscriptions open.
 */
import { codedError, ErrorCode } from '../errors.js';
import type { SubscriptionResolvers } from '../generated/resolvers-types.js';
import { LiveEnd, LiveLimitError } from '../live/index.js';
import type { RunRecord } from '../upstream/records.js';
import { checkedId } from '../upstream/ids.js';
import { newRunsSource, RUN_STATES, RUNS_STARTED, runSource } from '../watch.js';

function asCoded(error: unknown): unknown {
  if (error instanceof LiveEnd) return codedError(error.code as ErrorCode, error.message);
  if (error instanceof LiveLimitError) {
    return codedError(ErrorCode.RATE_LIMITED, 'Too many subscriptions are open for this token; close some before opening more.');
  }
  return error;
}

/**
 * Opens the hub's stream now, so a refusal is an error before the stream starts, and codes its
 * endings. A plain iterator, not an async generator: a generator waiting for the next event
 * queues `return()` behind it, so a client that unsubscribes from a run that does not change
 * would keep its poller and its place in the limits.
 */
function coded(open: () => AsyncIterableIterator<RunRecord>): AsyncIterableIterator<RunRecord> {
  let stream: AsyncIterableIterator<RunRecord>;
  try {
    stream = open();
  } catch (error) {
    throw asCoded(error);
  }
  const iterator: AsyncIterableIterator<RunRecord> = {
    next: () =>
      stream.next().catch((error: unknown) => {
        throw asCoded(error);
      }),
    return: (value?: unknown) => stream.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** The event is the field's value: the hub's stream yields the run itself. */
const eachEvent = (event: RunRecord): RunRecord => event;

export const Subscription: SubscriptionResolvers = {
  executionUpdated: {
    subscribe: (_, { id }, { live }) => {
      const runId = checkedId('run', id);
      return coded(() => live.subscribe(`run:${runId}`, (clientFor) => runSource(runId, clientFor), RUN_STATES));
    },
    resolve: eachEvent,
  },
  executionStarted: {
    subscribe: (_, { workflowId }, { live }) => {
      const id = checkedId('workflow', workflowId);
      return coded(() => live.subscribe(`workflow:${id}`, (clientFor) => newRunsSource(id, clientFor), RUNS_STARTED));
    },
    resolve: eachEvent,
  },
};
