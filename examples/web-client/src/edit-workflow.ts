/**
 * A workflow editor's round trip, typed like page-executions.ts: pick the authorization the
 * workflow will act as, check a draft (which has a mistake), fix it and check again, save it,
 * rename it, and delete it. Validation is a query (it saves nothing); Altostrat's refusals of a
 * save come back as BAD_USER_INPUT with `extensions.fieldErrors` keyed by the input's own field
 * names (`graph.nodes`, `authorizationId`), ready to show beside the form's fields.
 *
 *   npx tsx examples/web-client/src/edit-workflow.ts <graphql-url> <bearer-token>
 */
import { graphql } from './gql/index.js';
import type { WorkflowDefinitionInput } from './gql/graphql.js';
import { GraphQLRequestError, request } from './page-executions.js';

const EditorAuthorizations = graphql(`
  query EditorAuthorizations {
    workflowAuthorizations {
      id
      status
    }
  }
`);

const ValidateDefinition = graphql(`
  query ValidateDefinition($input: WorkflowDefinitionInput!) {
    validateWorkflow(input: $input) {
      valid
      errors
    }
  }
`);

const CreateWorkflow = graphql(`
  mutation CreateWorkflow($input: CreateWorkflowInput!) {
    createWorkflow(input: $input) {
      workflow {
        id
        name
        isActive
        graph {
          nodes {
            nodeId
            componentId
          }
        }
      }
    }
  }
`);

const RenameWorkflow = graphql(`
  mutation RenameWorkflow($id: ID!, $name: String!) {
    updateWorkflow(input: { id: $id, name: $name }) {
      workflow {
        id
        name
        updatedAt
      }
    }
  }
`);

const DeleteWorkflow = graphql(`
  mutation DeleteWorkflow($id: ID!) {
    deleteWorkflow(input: { id: $id }) {
      deletedWorkflowId
    }
  }
`);

export interface EditSession {
  /** What validating the draft said: its mistake. */
  draftErrors: string[];
  /** Whether the fixed definition validated. */
  fixedValid: boolean;
  workflowId: string;
  renamedTo: string;
  deleted: boolean;
}

/** Runs the editor's round trip and reports each step through `log`. */
export async function editWorkflow(url: string, token: string, log: (line: string) => void = () => {}): Promise<EditSession> {
  const { workflowAuthorizations } = await request(url, token, EditorAuthorizations, {});
  const authorization = workflowAuthorizations.find((a) => a.status === 'active') ?? workflowAuthorizations[0];
  if (!authorization) throw new GraphQLRequestError('This token has no workflow authorization to act as');

  // The draft forgets its trigger: every workflow needs exactly one.
  const check: WorkflowDefinitionInput['graph']['nodes'][number] = { id: 'check', type: 'action', componentId: 'http_request', position: { x: 280, y: 0 }, data: { url: 'https://core.example/health' } };
  const draft: WorkflowDefinitionInput = { name: 'Core health check', authorizationId: authorization.id, scheduleType: 'INTERVAL', scheduleValue: '5 minutes', graph: { nodes: [check], edges: [] } };
  const drafted = (await request(url, token, ValidateDefinition, { input: draft })).validateWorkflow;
  log(`draft: ${drafted.valid ? 'valid' : `invalid (${drafted.errors.join('; ')})`}`);

  const fixed: WorkflowDefinitionInput = {
    ...draft,
    graph: {
      nodes: [{ id: 'every5', type: 'trigger', componentId: 'schedule_trigger', position: { x: 0, y: 0 } }, check],
      edges: [{ id: 'e1', source: 'every5', target: 'check' }],
    },
  };
  const checked = (await request(url, token, ValidateDefinition, { input: fixed })).validateWorkflow;
  log(`fixed: ${checked.valid ? 'valid' : `invalid (${checked.errors.join('; ')})`}`);

  const { workflow } = (await request(url, token, CreateWorkflow, { input: fixed })).createWorkflow;
  log(`created ${workflow.id} "${workflow.name}" with ${workflow.graph.nodes.length} nodes`);
  const renamed = (await request(url, token, RenameWorkflow, { id: workflow.id, name: 'Core health check (5 min)' })).updateWorkflow.workflow;
  log(`renamed to "${renamed.name}"`);
  const { deletedWorkflowId } = (await request(url, token, DeleteWorkflow, { id: workflow.id })).deleteWorkflow;
  log(`deleted ${deletedWorkflowId}`);
  return { draftErrors: drafted.errors, fixedValid: checked.valid, workflowId: workflow.id, renamedTo: renamed.name, deleted: deletedWorkflowId === workflow.id };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, token] = process.argv.slice(2);
  if (!url || !token) {
    console.error('usage: edit-workflow.ts <graphql-url> <bearer-token>');
    process.exit(2);
  }
  await editWorkflow(url, token, (line) => console.log(line));
}
