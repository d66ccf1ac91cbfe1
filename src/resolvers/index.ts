/** All resolvers, typed against the SDL by graphql-codegen. */
import type { Resolvers } from '../generated/resolvers-types.js';
import { typeOfId } from '../upstream/ids.js';
import { Query } from './Query.js';
import { runMutations } from './Mutation.js';
import { Subscription } from './Subscription.js';
import { Workflow } from './Workflow.js';
import { WorkflowExecution, WorkflowExecutionLog } from './WorkflowExecution.js';
import { DateTime, JSON } from './scalars.js';

export const resolvers: Resolvers = {
  Query,
  Mutation: { ...runMutations },
  Subscription,
  Workflow,
  WorkflowExecution,
  WorkflowExecutionLog,
  WorkflowConnection: { nodes: (connection) => connection.edges.map((edge) => edge.node) },
  WorkflowExecutionConnection: { nodes: (connection) => connection.edges.map((edge) => edge.node) },
  Node: {
    // A reference has only its id, so the type comes from the id's shape, as for Query.node.
    __resolveType: (node) => (typeOfId(node.id) === 'run' ? 'WorkflowExecution' : 'Workflow'),
  },
  DateTime,
  JSON,
  WorkflowExecutionStatus: {
    PENDING: 'pending',
    RUNNING: 'running',
    COMPLETED: 'completed',
    FAILED: 'failed',
    AWAITING_UI_INTERACTION: 'awaiting_ui_interaction',
  },
  WorkflowScheduleType: {
    MANUAL: 'manual',
    INTERVAL: 'interval',
    CRON: 'cron',
    DAILY: 'daily',
    WEEKLY: 'weekly',
    MONTHLY: 'monthly',
  },
};
