/**
 * WorkflowExecution fields. An execution arrives as a list item (logs inline or not), a whole run
 * (GET /workflows/runs/{id}) or a reference (id only); each field takes what the object carries
 * and loads the rest through the run loader (catalogue/fields.ts says which), which batches every
 * execution of the response into concurrent calls.
 */
import { carriedFrom, seen } from './carried.js';
import { codedError, ErrorCode } from '../errors.js';
import type { WorkflowExecutionResolvers } from '../generated/resolvers-types.js';
import { isIdOf } from '../upstream/ids.js';
import { asEntity, findExecution } from './lookup.js';

/** The whole run, fetched once per request. */
const carried = carriedFrom(async (id, { loaders }) => seen(await loaders.run.load(id), `execution ${id}`));

export const WorkflowExecution: WorkflowExecutionResolvers = {
  // Federation: a reference `{ __typename, id }` from another subgraph; null when Altostrat says 404,
  // and, with no call, when the id is not an execution id at all.
  __resolveReference: (reference, context, info) =>
    isIdOf('run', reference.id) ? asEntity(findExecution(reference.id, context, info)) : null,
  status: carried('status'),
  errorMessage: carried('errorMessage'),
  startedAt: carried('startedAt'),
  completedAt: carried('completedAt'),
  durationInSeconds: carried('durationInSeconds'),
  logs: async (e, args, context) => {
    const logs = await carried('logs')(e, args, context);
    if (!logs) throw codedError(ErrorCode.UPSTREAM_ERROR, `Altostrat sent execution ${e.id} without its logs.`);
    return logs;
  },
  workflow: async (e, args, context) => {
    const workflowId = await carried('workflowId')(e, args, context);
    if (workflowId === null) return null;
    // Reached through a listed workflow: its record answers what the list carries, with no call.
    return context.loaders.listedWorkflow(workflowId) ?? { id: workflowId };
  },
};
