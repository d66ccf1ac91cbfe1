/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** A new workflow: the same fields as `WorkflowDefinitionInput`. */
export type CreateWorkflowInput = {
  /** The authorization (delegated account) the workflow's runs act as, `auth_...`; see `workflowAuthorizations`. */
  authorizationId: string | number;
  /** What the workflow is for. */
  description?: string | null | undefined;
  /** The steps and their connections. */
  graph: WorkflowGraphInput;
  /** Whether the workflow's trigger is armed; true when left out. */
  isActive?: boolean | null | undefined;
  /** The name shown in Altostrat. */
  name: string;
  /** How the workflow is started; `MANUAL` when left out. */
  scheduleType?: WorkflowScheduleType | null | undefined;
  /** Required for `INTERVAL` (e.g. `5 minutes`) and `CRON` (e.g. `0 4 * * *`). */
  scheduleValue?: string | null | undefined;
};

/** A whole workflow definition, to check with `validateWorkflow`. */
export type WorkflowDefinitionInput = {
  /** The authorization (delegated account) the workflow's runs act as, `auth_...`; see `workflowAuthorizations`. */
  authorizationId: string | number;
  /** What the workflow is for. */
  description?: string | null | undefined;
  /** The steps and their connections. */
  graph: WorkflowGraphInput;
  /** Whether the workflow's trigger is armed; true when left out. */
  isActive?: boolean | null | undefined;
  /** The name shown in Altostrat. */
  name: string;
  /** How the workflow is started; `MANUAL` when left out. */
  scheduleType?: WorkflowScheduleType | null | undefined;
  /** Required for `INTERVAL` (e.g. `5 minutes`) and `CRON` (e.g. `0 4 * * *`). */
  scheduleValue?: string | null | undefined;
};

/** Where an execution is in its life. */
export type WorkflowExecutionStatus =
  /** Paused until someone answers a prompt in Altostrat's UI. */
  | 'AWAITING_UI_INTERACTION'
  /** Finished without error. */
  | 'COMPLETED'
  /** Stopped on an error; see `errorMessage` and the failed step's log. */
  | 'FAILED'
  /** Queued, not started yet. */
  | 'PENDING'
  /** Running now. */
  | 'RUNNING';

/** A connection from one step to the next, as the editor sends it. */
export type WorkflowGraphEdgeInput = {
  /** The edge's id within its workflow; Altostrat makes one when left out. */
  id?: string | null | undefined;
  /** The id of the node the edge leaves. */
  source: string;
  /** Which output of the source node the edge leaves from (e.g. `true` or `false` for a condition). */
  sourceHandle?: string | null | undefined;
  /** The id of the node the edge enters. */
  target: string;
};

/** A workflow's automation graph: its steps and the connections between them. */
export type WorkflowGraphInput = {
  /** The connections between steps. */
  edges: Array<WorkflowGraphEdgeInput>;
  /** The steps: at least one, and exactly one of them a trigger. */
  nodes: Array<WorkflowGraphNodeInput>;
};

/** One step of a workflow, as the editor sends it. */
export type WorkflowGraphNodeInput = {
  /** The component the node runs (e.g. `webhook_trigger`, `http_request`); stored in the node's data. */
  componentId?: string | null | undefined;
  /** The node's configuration, as the component expects it. */
  data?: unknown;
  /** The node's id within its workflow (edges refer to it). */
  id: string;
  /** Where the node is drawn; the top-left corner when left out. */
  position?: WorkflowGraphPositionInput | null | undefined;
  /** The kind of node: exactly one node of a workflow is a `trigger`; others are e.g. `action` or `condition`. */
  type: string;
};

/** A point in the workflow editor's canvas. */
export type WorkflowGraphPositionInput = {
  /** The horizontal coordinate. */
  x: number;
  /** The vertical coordinate. */
  y: number;
};

/** How a workflow is started. */
export type WorkflowScheduleType =
  /** On a cron schedule; `scheduleValue` holds the cron expression. */
  | 'CRON'
  /** Once a day. */
  | 'DAILY'
  /** Every fixed interval; `scheduleValue` says how long, e.g. `5 minutes`. */
  | 'INTERVAL'
  /** Only started by hand (or through its webhook). */
  | 'MANUAL'
  /** Once a month. */
  | 'MONTHLY'
  /** Once a week. */
  | 'WEEKLY';

export type EditorAuthorizationsQueryVariables = Exact<{ [key: string]: never; }>;


export type EditorAuthorizationsQuery = { workflowAuthorizations: Array<{ id: string, status: string | null }> };

export type ValidateDefinitionQueryVariables = Exact<{
  input: WorkflowDefinitionInput;
}>;


export type ValidateDefinitionQuery = { validateWorkflow: { valid: boolean, errors: Array<string> } };

export type CreateWorkflowMutationVariables = Exact<{
  input: CreateWorkflowInput;
}>;


export type CreateWorkflowMutation = { createWorkflow: { workflow: { id: string, name: string, isActive: boolean, graph: { nodes: Array<{ nodeId: string, componentId: string | null }> } } } };

export type RenameWorkflowMutationVariables = Exact<{
  id: string | number;
  name: string;
}>;


export type RenameWorkflowMutation = { updateWorkflow: { workflow: { id: string, name: string, updatedAt: string } } };

export type DeleteWorkflowMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteWorkflowMutation = { deleteWorkflow: { deletedWorkflowId: string } };

export type WorkflowsQueryVariables = Exact<{ [key: string]: never; }>;


export type WorkflowsQuery = { workflows: { nodes: Array<{ id: string, name: string }> } };

export type ExecutionsPageQueryVariables = Exact<{
  id: string | number;
  after?: string | null | undefined;
}>;


export type ExecutionsPageQuery = { workflow: { name: string, executions: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, status: WorkflowExecutionStatus, startedAt: string | null, durationInSeconds: number | null, logs: Array<{ nodeId: string, status: string }> }> } } | null };

export type StartRunMutationVariables = Exact<{
  workflowId: string | number;
  idempotencyKey?: string | null | undefined;
}>;


export type StartRunMutation = { executeWorkflow: { execution: { id: string, status: WorkflowExecutionStatus } } };

export type WatchRunSubscriptionVariables = Exact<{
  id: string | number;
}>;


export type WatchRunSubscription = { executionUpdated: { id: string, status: WorkflowExecutionStatus, errorMessage: string | null, logs: Array<{ nodeId: string, status: string }> } };


export const EditorAuthorizationsDocument = {"__meta__":{"hash":"sha256:ec3447eb79259061bd5b702fa4405a7e3b5e37f34871f44cd0a065fa304e851a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EditorAuthorizations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflowAuthorizations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<EditorAuthorizationsQuery, EditorAuthorizationsQueryVariables>;
export const ValidateDefinitionDocument = {"__meta__":{"hash":"sha256:9c7b7be02f337c05f7425850b9df49ebbba0d3c72e2fa8f159ca7c02ff2f387f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ValidateDefinition"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"WorkflowDefinitionInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"validateWorkflow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"valid"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}}]}}]}}]} as unknown as DocumentNode<ValidateDefinitionQuery, ValidateDefinitionQueryVariables>;
export const CreateWorkflowDocument = {"__meta__":{"hash":"sha256:a72de7e02c090666bfd077468def493d4189fdf29214731033855394e027a7fd"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateWorkflow"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateWorkflowInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createWorkflow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflow"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"isActive"}},{"kind":"Field","name":{"kind":"Name","value":"graph"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodeId"}},{"kind":"Field","name":{"kind":"Name","value":"componentId"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<CreateWorkflowMutation, CreateWorkflowMutationVariables>;
export const RenameWorkflowDocument = {"__meta__":{"hash":"sha256:186fee780f337b51c1ffef98d85993fc3a26abc89fdccd07152b92f9d96848dd"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RenameWorkflow"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateWorkflow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflow"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}}]}}]} as unknown as DocumentNode<RenameWorkflowMutation, RenameWorkflowMutationVariables>;
export const DeleteWorkflowDocument = {"__meta__":{"hash":"sha256:5cf3fe6185359cc001b312bd32901f89f12cefe2e508683e01dd35616b133dfc"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteWorkflow"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteWorkflow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deletedWorkflowId"}}]}}]}}]} as unknown as DocumentNode<DeleteWorkflowMutation, DeleteWorkflowMutationVariables>;
export const WorkflowsDocument = {"__meta__":{"hash":"sha256:cfe3b6b7d7ab3300fcd621767bc5f438b1f4fab804894c98cfe50973fffe270b"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Workflows"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflows"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<WorkflowsQuery, WorkflowsQueryVariables>;
export const ExecutionsPageDocument = {"__meta__":{"hash":"sha256:e628ebfcae84ef39ce9dfd898317391f9574dd93c98cae4a6b4012db8158e2d6"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ExecutionsPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workflow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"executions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"25"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"durationInSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"logs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodeId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ExecutionsPageQuery, ExecutionsPageQueryVariables>;
export const StartRunDocument = {"__meta__":{"hash":"sha256:4b481355e03eec305f404e60428e8f0aedefc38cfb90b89f71c448dae1876611"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"StartRun"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"workflowId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"idempotencyKey"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"executeWorkflow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"workflowId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"workflowId"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"idempotencyKey"},"value":{"kind":"Variable","name":{"kind":"Name","value":"idempotencyKey"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"execution"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<StartRunMutation, StartRunMutationVariables>;
export const WatchRunDocument = {"__meta__":{"hash":"sha256:ded408fb67fc747b8788973eddf6c38eea309ac679dc7f5467086df7d1dd8176"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"WatchRun"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"executionUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"errorMessage"}},{"kind":"Field","name":{"kind":"Name","value":"logs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodeId"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<WatchRunSubscription, WatchRunSubscriptionVariables>;