/** All resolvers, typed against the SDL by graphql-codegen. */
import type { Resolvers } from '../generated/resolvers-types.js';
import { Query } from './Query.js';
import { Workflow, WorkflowGraphNode } from './Workflow.js';
import { WorkflowExecution } from './WorkflowExecution.js';
import { DateTime, JSON } from './scalars.js';

export const resolvers: Resolvers = {
  Query,
  Workflow,
  WorkflowGraphNode,
  WorkflowExecution,
  WorkflowConnection: { nodes: (connection) => connection.edges.map((edge) => edge.node) },
  WorkflowExecutionConnection: { nodes: (connection) => connection.edges.map((edge) => edge.node) },
  Node: {
    // A reference has only its id, so the type comes from the id's prefix, as for Query.node.
    __resolveType: (node) => (node.id.startsWith('fl_run_') ? 'WorkflowExecution' : 'Workflow'),
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
