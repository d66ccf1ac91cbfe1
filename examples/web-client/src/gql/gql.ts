/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query EditorAuthorizations {\n    workflowAuthorizations {\n      id\n      status\n    }\n  }\n": typeof types.EditorAuthorizationsDocument,
    "\n  query ValidateDefinition($input: WorkflowDefinitionInput!) {\n    validateWorkflow(input: $input) {\n      valid\n      errors\n    }\n  }\n": typeof types.ValidateDefinitionDocument,
    "\n  mutation CreateWorkflow($input: CreateWorkflowInput!) {\n    createWorkflow(input: $input) {\n      workflow {\n        id\n        name\n        isActive\n        graph {\n          nodes {\n            nodeId\n            componentId\n          }\n        }\n      }\n    }\n  }\n": typeof types.CreateWorkflowDocument,
    "\n  mutation RenameWorkflow($id: ID!, $name: String!) {\n    updateWorkflow(input: { id: $id, name: $name }) {\n      workflow {\n        id\n        name\n        updatedAt\n      }\n    }\n  }\n": typeof types.RenameWorkflowDocument,
    "\n  mutation DeleteWorkflow($id: ID!) {\n    deleteWorkflow(input: { id: $id }) {\n      deletedWorkflowId\n    }\n  }\n": typeof types.DeleteWorkflowDocument,
    "\n  query Workflows {\n    workflows(first: 10) {\n      nodes {\n        id\n        name\n      }\n    }\n  }\n": typeof types.WorkflowsDocument,
    "\n  query ExecutionsPage($id: ID!, $after: String) {\n    workflow(id: $id) {\n      name\n      executions(first: 25, after: $after) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          id\n          status\n          startedAt\n          durationInSeconds\n          logs {\n            nodeId\n            status\n          }\n        }\n      }\n    }\n  }\n": typeof types.ExecutionsPageDocument,
    "\n  mutation StartRun($workflowId: ID!, $idempotencyKey: String) {\n    executeWorkflow(input: { workflowId: $workflowId, idempotencyKey: $idempotencyKey }) {\n      execution {\n        id\n        status\n      }\n    }\n  }\n": typeof types.StartRunDocument,
    "\n  subscription WatchRun($id: ID!) {\n    executionUpdated(id: $id) {\n      id\n      status\n      errorMessage\n      logs {\n        nodeId\n        status\n      }\n    }\n  }\n": typeof types.WatchRunDocument,
};
const documents: Documents = {
    "\n  query EditorAuthorizations {\n    workflowAuthorizations {\n      id\n      status\n    }\n  }\n": types.EditorAuthorizationsDocument,
    "\n  query ValidateDefinition($input: WorkflowDefinitionInput!) {\n    validateWorkflow(input: $input) {\n      valid\n      errors\n    }\n  }\n": types.ValidateDefinitionDocument,
    "\n  mutation CreateWorkflow($input: CreateWorkflowInput!) {\n    createWorkflow(input: $input) {\n      workflow {\n        id\n        name\n        isActive\n        graph {\n          nodes {\n            nodeId\n            componentId\n          }\n        }\n      }\n    }\n  }\n": types.CreateWorkflowDocument,
    "\n  mutation RenameWorkflow($id: ID!, $name: String!) {\n    updateWorkflow(input: { id: $id, name: $name }) {\n      workflow {\n        id\n        name\n        updatedAt\n      }\n    }\n  }\n": types.RenameWorkflowDocument,
    "\n  mutation DeleteWorkflow($id: ID!) {\n    deleteWorkflow(input: { id: $id }) {\n      deletedWorkflowId\n    }\n  }\n": types.DeleteWorkflowDocument,
    "\n  query Workflows {\n    workflows(first: 10) {\n      nodes {\n        id\n        name\n      }\n    }\n  }\n": types.WorkflowsDocument,
    "\n  query ExecutionsPage($id: ID!, $after: String) {\n    workflow(id: $id) {\n      name\n      executions(first: 25, after: $after) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          id\n          status\n          startedAt\n          durationInSeconds\n          logs {\n            nodeId\n            status\n          }\n        }\n      }\n    }\n  }\n": types.ExecutionsPageDocument,
    "\n  mutation StartRun($workflowId: ID!, $idempotencyKey: String) {\n    executeWorkflow(input: { workflowId: $workflowId, idempotencyKey: $idempotencyKey }) {\n      execution {\n        id\n        status\n      }\n    }\n  }\n": types.StartRunDocument,
    "\n  subscription WatchRun($id: ID!) {\n    executionUpdated(id: $id) {\n      id\n      status\n      errorMessage\n      logs {\n        nodeId\n        status\n      }\n    }\n  }\n": types.WatchRunDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query EditorAuthorizations {\n    workflowAuthorizations {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  query EditorAuthorizations {\n    workflowAuthorizations {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ValidateDefinition($input: WorkflowDefinitionInput!) {\n    validateWorkflow(input: $input) {\n      valid\n      errors\n    }\n  }\n"): (typeof documents)["\n  query ValidateDefinition($input: WorkflowDefinitionInput!) {\n    validateWorkflow(input: $input) {\n      valid\n      errors\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateWorkflow($input: CreateWorkflowInput!) {\n    createWorkflow(input: $input) {\n      workflow {\n        id\n        name\n        isActive\n        graph {\n          nodes {\n            nodeId\n            componentId\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateWorkflow($input: CreateWorkflowInput!) {\n    createWorkflow(input: $input) {\n      workflow {\n        id\n        name\n        isActive\n        graph {\n          nodes {\n            nodeId\n            componentId\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RenameWorkflow($id: ID!, $name: String!) {\n    updateWorkflow(input: { id: $id, name: $name }) {\n      workflow {\n        id\n        name\n        updatedAt\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RenameWorkflow($id: ID!, $name: String!) {\n    updateWorkflow(input: { id: $id, name: $name }) {\n      workflow {\n        id\n        name\n        updatedAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteWorkflow($id: ID!) {\n    deleteWorkflow(input: { id: $id }) {\n      deletedWorkflowId\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteWorkflow($id: ID!) {\n    deleteWorkflow(input: { id: $id }) {\n      deletedWorkflowId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Workflows {\n    workflows(first: 10) {\n      nodes {\n        id\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query Workflows {\n    workflows(first: 10) {\n      nodes {\n        id\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExecutionsPage($id: ID!, $after: String) {\n    workflow(id: $id) {\n      name\n      executions(first: 25, after: $after) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          id\n          status\n          startedAt\n          durationInSeconds\n          logs {\n            nodeId\n            status\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ExecutionsPage($id: ID!, $after: String) {\n    workflow(id: $id) {\n      name\n      executions(first: 25, after: $after) {\n        totalCount\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        nodes {\n          id\n          status\n          startedAt\n          durationInSeconds\n          logs {\n            nodeId\n            status\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartRun($workflowId: ID!, $idempotencyKey: String) {\n    executeWorkflow(input: { workflowId: $workflowId, idempotencyKey: $idempotencyKey }) {\n      execution {\n        id\n        status\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation StartRun($workflowId: ID!, $idempotencyKey: String) {\n    executeWorkflow(input: { workflowId: $workflowId, idempotencyKey: $idempotencyKey }) {\n      execution {\n        id\n        status\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription WatchRun($id: ID!) {\n    executionUpdated(id: $id) {\n      id\n      status\n      errorMessage\n      logs {\n        nodeId\n        status\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription WatchRun($id: ID!) {\n    executionUpdated(id: $id) {\n      id\n      status\n      errorMessage\n      logs {\n        nodeId\n        status\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;