/** Each write's body keys read back in the schema's words: a 422 on any key it sends names the input's field. */
import { isInputObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSchema } from '../server.js';
import { nodeTestBody, vaultItemBody, workflowBody } from './inputs.js';
import type { WorkflowDefinitionInput } from '../generated/resolvers-types.js';
import type { UpstreamInput } from './transport.js';

const schema = createSchema();

/** The input's field names, nested ones dotted (`graph.nodes`). */
function inputFields(typeName: string, prefix = ''): string[] {
  const type = schema.getType(typeName);
  if (!isInputObjectType(type)) throw new Error(`${typeName} is not an input`);
  return Object.values(type.getFields()).flatMap((field) => {
    const named = field.type.toString().replace(/[[\]!]/g, '');
    const nested = isInputObjectType(schema.getType(named)) && named !== 'WorkflowGraphNodeInput' && named !== 'WorkflowGraphEdgeInput';
    return [`${prefix}${field.name}`, ...(nested ? inputFields(named, `${prefix}${field.name}.`) : [])];
  });
}

/** The schema name each top-level key of the body reads back as. */
const readBack = ({ body, fieldNames }: UpstreamInput) => Object.keys(body).map((key) => fieldNames[key] ?? key);

describe('the bodies of writes', () => {
  it('name every key they send as the schema does', () => {
    const definition: WorkflowDefinitionInput = {
      name: 'n',
      authorizationId: 'auth_1',
      description: 'd',
      isActive: true,
      scheduleType: 'interval',
      scheduleValue: '5 minutes',
      graph: { nodes: [{ id: 't', type: 'trigger' }], edges: [] },
    };
    expect(inputFields('WorkflowDefinitionInput')).toEqual(expect.arrayContaining(readBack(workflowBody(definition))));
    const test = nodeTestBody({ node: { id: 't', type: 'trigger' }, context: {}, authorizationId: 'auth_1' });
    expect(inputFields('TestWorkflowNodeInput')).toEqual(expect.arrayContaining(readBack(test)));
    expect(inputFields('CreateVaultItemInput')).toEqual(expect.arrayContaining(readBack(vaultItemBody({ name: 'n', secret: 's', expiresAt: null }))));
  });
});
