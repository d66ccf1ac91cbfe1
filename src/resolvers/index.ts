/** All resolvers, typed against the SDL by graphql-codegen. */
import type { Resolvers } from '../generated/resolvers-types.js';
import { nodeTypeOf } from '../catalogue/fields.js';
import { Query } from './Query.js';
import { runMutations } from './Mutation.js';
import { Subscription } from './Subscription.js';
import { Workflow } from './Workflow.js';
import { WorkflowExecution } from './WorkflowExecution.js';
import { DateTime, JSON } from './scalars.js';
import { editingMutations, editingQueries } from './editing.js';
import { logQueries, workflowLogFields } from './logs.js';
import { VaultItem, vaultMutations, vaultQueries } from './vault.js';
import { authorizationMutations, authorizationQueries, WorkflowAuthorization } from './authorizations.js';

export const resolvers: Resolvers = {
  Query: { ...Query, ...editingQueries, ...logQueries, ...vaultQueries, ...authorizationQueries },
  Mutation: { ...runMutations, ...editingMutations, ...vaultMutations, ...authorizationMutations },
  Subscription,
  Workflow: { ...Workflow, ...workflowLogFields },
  VaultItem,
  WorkflowAuthorization,
  WorkflowExecution,
  // A graph's node and edge ids are unique within their workflow only (see the schema's `id`).
  WorkflowGraphNode: { nodeId: (node) => node.id },
  WorkflowGraphEdge: { edgeId: (edge) => edge.id },
  WorkflowConnection: { nodes: (connection) => connection.edges.map((edge) => edge.node) },
  WorkflowExecutionConnection: { nodes: (connection) => connection.edges.map((edge) => edge.node) },
  WorkflowLogConnection: { nodes: (connection) => connection.edges.map((edge) => edge.node) },
  Node: {
    // A reference has only its id, so the type comes from the id's shape, as for Query.node.
    __resolveType: (node) => nodeTypeOf(node.id) ?? 'Workflow',
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
