/**
 * The schema's inputs as the upstream's request bodies (docs/upstream.md, "Request bodies"): the
 * one place that turns camelCase, `graph { nodes edges }`, a node's `componentId` and the
 * schedule enum into Altostrat's snake_case JSON, and that says how Altostrat's 422 field names
 * map back onto the input (`authorization_id` -> `authorizationId`, `nodes.2.data.componentId` ->
 * `graph.nodes.2.componentId`). Enum values arrive already in the upstream's words (codegen's
 * enumValues and resolvers/index.ts map them). Resolvers translate their inputs here and hand the
 * client bodies: the client never meets the schema's types.
 */
import type {
  CreateVaultItemInput,
  UpdateVaultItemInput,
  UpdateWorkflowInput,
  WorkflowDefinitionInput,
  WorkflowGraphEdgeInput,
  WorkflowGraphInput,
  WorkflowGraphNodeInput,
} from '../generated/resolvers-types.js';
import { codedError, ErrorCode } from '../errors.js';
import type { FieldNames, UpstreamInput } from './transport.js';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A node's `data` or a node test's `context`: a JSON object, an empty one when left out or null.
 * Anything else (a list, a string) is refused under the input's `field`: Altostrat keeps objects
 * only, and sending `{}` in its place would lose what the caller sent without a word.
 */
function objectInput(value: unknown, field: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (isObject(value)) return value;
  const message = `\`${field}\` must be a JSON object (or null), not ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}.`;
  throw codedError(ErrorCode.BAD_USER_INPUT, message, { fieldErrors: { [field]: [message] } });
}

/** A node as Altostrat stores it: its component lives in its free-form `data`. */
function graphNodeBody(node: WorkflowGraphNodeInput, field: string): Record<string, unknown> {
  const data = objectInput(node.data, `${field}.data`);
  return {
    id: node.id,
    type: node.type,
    position: node.position ?? { x: 0, y: 0 },
    data: node.componentId === null || node.componentId === undefined ? data : { ...data, componentId: node.componentId },
  };
}

function graphEdgeBody(edge: WorkflowGraphEdgeInput): Record<string, unknown> {
  return {
    ...(edge.id !== null && edge.id !== undefined && { id: edge.id }),
    source: edge.source,
    target: edge.target,
    sourceHandle: edge.sourceHandle ?? null,
  };
}

/** `nodes.N.data.componentId` -> `graph.nodes.N.componentId`, for each node sent. */
function graphFieldNames(graph: WorkflowGraphInput | null | undefined, prefix: string): FieldNames {
  return Object.fromEntries((graph?.nodes ?? []).map((_, i) => [`nodes.${i}.data.componentId`, `${prefix}nodes.${i}.componentId`]));
}

const DEFINITION_NAMES: FieldNames = {
  authorization_id: 'authorizationId',
  is_active: 'isActive',
  schedule_type: 'scheduleType',
  schedule_value: 'scheduleValue',
  nodes: 'graph.nodes',
  edges: 'graph.edges',
};

/**
 * A definition (create, validate) or the changed fields of one (update): only what the caller gave
 * is sent, so that an update changes nothing else; an explicit null is sent as null (it clears).
 */
export function workflowBody(input: WorkflowDefinitionInput | Omit<UpdateWorkflowInput, 'id'>): UpstreamInput {
  const given = <T>(value: T | undefined) => value !== undefined;
  const body: Record<string, unknown> = {};
  if (given(input.name)) body.name = input.name;
  if (given(input.authorizationId)) body.authorization_id = input.authorizationId;
  if (given(input.description)) body.description = input.description;
  if (given(input.isActive)) body.is_active = input.isActive;
  if (given(input.scheduleType)) body.schedule_type = input.scheduleType;
  if (given(input.scheduleValue)) body.schedule_value = input.scheduleValue;
  if (input.graph) {
    body.nodes = input.graph.nodes.map((node, i) => graphNodeBody(node, `graph.nodes.${i}`));
    body.edges = input.graph.edges.map(graphEdgeBody);
  }
  return { body, fieldNames: { ...DEFINITION_NAMES, ...graphFieldNames(input.graph, 'graph.') } };
}

export interface NodeTestInput {
  node: WorkflowGraphNodeInput;
  context?: unknown;
  authorizationId?: string | null | undefined;
}

export function nodeTestBody({ node, context, authorizationId }: NodeTestInput): UpstreamInput {
  return {
    body: {
      node: graphNodeBody(node, 'node'),
      context: objectInput(context, 'context'),
      ...(authorizationId !== null && authorizationId !== undefined && { authorization_id: authorizationId }),
    },
    fieldNames: { authorization_id: 'authorizationId', 'node.data.componentId': 'node.componentId' },
  };
}

/** Create or replace: `secret` goes only into the body, and back to the client as a value to mask. */
export function vaultItemBody(input: CreateVaultItemInput | Omit<UpdateVaultItemInput, 'id'>): UpstreamInput {
  const secret = input.secret ?? undefined;
  return {
    body: {
      name: input.name,
      ...(secret !== undefined && { secret }),
      expires_at: input.expiresAt ?? null,
    },
    fieldNames: { expires_at: 'expiresAt' },
    secrets: secret === undefined ? [] : [secret],
  };
}
