/**
 * Starting and resuming runs (docs/upstream.md, "Runs"). Thin: the client sends each write once,
 * or retries it only with the caller's idempotency key, and maps Altostrat's answers to codes. A
 * payload shows the run as Altostrat answered the write; what the write changed is dropped from
 * the request's loaders, so later fields of the same request read it afresh. (Re-runs, sync runs
 * and node tests are with the editing mutations, in editing.ts.)
 */
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { runStarted } from '../loaders.js';
import { orNotFound } from './found.js';

export const runMutations: Pick<MutationResolvers, 'executeWorkflow' | 'resumeExecution'> = {
  executeWorkflow: async (_, { input }, { upstream, loaders }) => {
    // Verbatim: left out, no `context`; given, even as null, sent as given.
    const run = orNotFound(
      await upstream.executeWorkflow(input.workflowId, { context: input.context, idempotencyKey: input.idempotencyKey ?? undefined }),
      `workflow ${input.workflowId}`,
    );
    runStarted(loaders, { run, keyed: input.idempotencyKey != null });
    return { execution: run };
  },
  resumeExecution: async (_, { input }, { upstream, loaders }) => {
    const run = orNotFound(
      await upstream.resumeRun(input.executionId, input.fromNodeId, input.idempotencyKey ?? undefined),
      `execution ${input.executionId}`,
    );
    runStarted(loaders, { run, keyed: input.idempotencyKey != null, from: input.executionId });
    return { execution: run, resumedFrom: { id: input.executionId } };
  },
};
