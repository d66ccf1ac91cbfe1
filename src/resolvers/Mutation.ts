/**
 * Starting and resuming runs (docs/upstream.md, "Runs"). Thin: the client sends each write once,
 * or retries it only with the caller's idempotency key, and maps Altostrat's answers to codes. A
 * payload shows the run as Altostrat answered the write; what the write changed is dropped from
 * the request's loaders, so later fields of the same request read it afresh.
 */
import { codedError, ErrorCode } from '../errors.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { runStarted } from '../loaders.js';

const notFound = (what: string) => codedError(ErrorCode.NOT_FOUND, `Altostrat has no ${what} for this token.`);

export const runMutations: Pick<MutationResolvers, 'executeWorkflow' | 'resumeExecution'> = {
  executeWorkflow: async (_, { input }, { upstream, loaders }) => {
    const run = await upstream.executeWorkflow(input.workflowId, {
      ...(input.context !== null && input.context !== undefined && { context: input.context }),
      idempotencyKey: input.idempotencyKey ?? undefined,
    });
    if (run === null) throw notFound(`workflow ${input.workflowId}`);
    runStarted(loaders, run);
    return { execution: run };
  },
  resumeExecution: async (_, { input }, { upstream, loaders }) => {
    const run = await upstream.resumeRun(input.executionId, input.fromNodeId, input.idempotencyKey ?? undefined);
    if (run === null) throw notFound(`execution ${input.executionId}`);
    runStarted(loaders, run);
    return { execution: run, resumedFrom: { id: input.executionId } };
  },
};
