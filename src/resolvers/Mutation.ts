/**
 * Starting and resuming runs (docs/upstream.md, "Runs"). Thin: the client sends each write once,
 * or retries it only with the caller's idempotency key, and maps Altostrat's answers to codes. A
 * payload shows the run as Altostrat answered the write; what the write changed is dropped from
 * the request's loaders, so later fields of the same request read it afresh.
 */
import { badInput, codedError, ErrorCode } from '../errors.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import type { Loaders } from '../loaders.js';

/** Idempotency keys go upstream in a header: printable ASCII, of a sensible length. */
function checkedKey(key: string | null | undefined): string | undefined {
  if (key === null || key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw badInput('`idempotencyKey` must be 1 to 255 printable ASCII characters without spaces (a UUID, say).');
  }
  return key;
}

const notFound = (what: string) => codedError(ErrorCode.NOT_FOUND, `Altostrat has no ${what} for this token.`);

/** A new run sits at the head of its workflow's list: every cached page and connection is stale. */
function forgetRuns(loaders: Loaders): void {
  loaders.runPage.clearAll();
  loaders.executions.clearAll();
}

export const runMutations: Pick<MutationResolvers, 'executeWorkflow' | 'resumeExecution'> = {
  executeWorkflow: async (_, { input }, { upstream, loaders }) => {
    const run = await upstream.executeWorkflow(input.workflowId, {
      ...(input.context !== null && input.context !== undefined && { context: input.context }),
      idempotencyKey: checkedKey(input.idempotencyKey),
    });
    if (run === null) throw notFound(`workflow ${input.workflowId}`);
    forgetRuns(loaders);
    loaders.run.clear(run.id);
    return { execution: run };
  },
  resumeExecution: async (_, { input }, { upstream, loaders }) => {
    const run = await upstream.resumeRun(input.executionId, input.fromNodeId, checkedKey(input.idempotencyKey));
    if (run === null) throw notFound(`execution ${input.executionId}`);
    forgetRuns(loaders);
    loaders.run.clear(run.id);
    return { execution: run, resumedFrom: { id: input.executionId } };
  },
};
