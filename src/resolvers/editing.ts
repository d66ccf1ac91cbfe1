/**
 * Editing, checking and running workflows outside the live section: thin over the upstream client
 * (which translates the inputs, src/upstream/inputs.ts) and the loaders' write rules
 * (`workflowWritten`, `workflowDeleted`, `runStarted`), so that later fields of the same request
 * see what was written.
 */
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors.js';
import type { MutationResolvers, QueryResolvers } from '../generated/resolvers-types.js';
import { runStarted, workflowDeleted, workflowWritten } from '../loaders.js';
import { checkInputId, isIdOf, notAnId } from '../upstream/ids.js';
import { nodeTestBody, workflowBody } from '../upstream/inputs.js';
import type { UpstreamInput } from '../upstream/transport.js';
import { orNotFound } from './found.js';

export const editingQueries: QueryResolvers = {
  triggerableWorkflows: (_, __, { loaders }) => loaders.triggerableWorkflows.load(),
  validateWorkflow: (_, { input }, { upstream }) => {
    // What the gateway refuses itself (a malformed id, a node's `data` that is not an object) never
    // leaves it; it makes the definition invalid, like any other fault.
    if (!isIdOf('authorization', input.authorizationId)) {
      return { valid: false, errors: [`authorizationId: ${notAnId('authorization')}`] };
    }
    let body: UpstreamInput;
    try {
      body = workflowBody(input);
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.BAD_USER_INPUT) return { valid: false, errors: [error.message] };
      throw error;
    }
    return upstream.validateWorkflow(body);
  },
};

export const editingMutations: MutationResolvers = {
  createWorkflow: async (_, { input }, { upstream, loaders }) => {
    checkInputId('authorization', input.authorizationId, 'authorizationId');
    const workflow = await upstream.createWorkflow(workflowBody(input));
    workflowWritten(loaders, workflow);
    return { workflow };
  },
  updateWorkflow: async (_, { input: { id, ...changes } }, { upstream, loaders }) => {
    checkInputId('authorization', changes.authorizationId, 'authorizationId');
    const workflow = orNotFound(await upstream.updateWorkflow(id, workflowBody(changes)), `workflow ${id}`);
    workflowWritten(loaders, workflow);
    return { workflow };
  },
  deleteWorkflow: async (_, { input: { id } }, { upstream, loaders }) => {
    orNotFound(await upstream.deleteWorkflow(id), `workflow ${id}`);
    workflowDeleted(loaders, id);
    return { deletedWorkflowId: id };
  },
  rerunExecution: async (_, { input: { executionId, idempotencyKey } }, { upstream, loaders }) => {
    const execution = orNotFound(await upstream.rerunRun(executionId, idempotencyKey ?? undefined), `execution ${executionId}`);
    runStarted(loaders, { run: execution, keyed: idempotencyKey != null, from: executionId });
    return { execution, rerunOf: { id: executionId } };
  },
  runWorkflowSync: async (_, { input: { workflowId, payload } }, { upstream, loaders }) => {
    const answer = orNotFound(await upstream.runWorkflowSync(workflowId, payload), `workflow ${workflowId}`);
    runStarted(loaders);
    return answer;
  },
  testWorkflowNode: (_, { input }, { upstream }) => {
    checkInputId('authorization', input.authorizationId, 'authorizationId');
    return upstream.testNode(nodeTestBody(input));
  },
};
