/**
 * An answer's keys come in the order the query asks for them (the GraphQL specification's
 * "Serialized Map Ordering"; docs/clients.md, "Reading a response"), on both executors: fields
 * behind fragments where the fragment stands, and fields that wait for an upstream call where the
 * query names them.
 */
import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { stackWorld } from '../support/stack.js';

const world = stackWorld({ stepMs: 60_000 });

/**
 * The response keys a selection set asks for, in the specification's order: each selection in
 * turn, a fragment's keys where it stands, a key where it first appears. The documents below put
 * no key in a fragment that does not apply before one that does, so type conditions can be left out.
 */
function keysOf(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, into = new Map<string, FieldNode[]>()): Map<string, FieldNode[]> {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      into.set(key, [...(into.get(key) ?? []), selection]);
    } else {
      keysOf(selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)!.selectionSet, fragments, into);
    }
  }
  return into;
}

/** Asserts that every object of `value` has its keys in the order `sets` ask for them (the keys of fragments that did not apply left out). */
function expectQueryOrder(value: unknown, sets: SelectionSetNode[], fragments: Map<string, FragmentDefinitionNode>, path = 'data'): void {
  if (Array.isArray(value)) return value.forEach((item, i) => expectQueryOrder(item, sets, fragments, `${path}.${i}`));
  if (value === null || typeof value !== 'object') return;
  const asked = new Map<string, FieldNode[]>();
  for (const set of sets) keysOf(set, fragments, asked);
  const keys = Object.keys(value);
  expect(keys, path).toEqual([...asked.keys()].filter((key) => keys.includes(key)));
  for (const key of keys) {
    const subsets = asked.get(key)!.flatMap((field) => (field.selectionSet ? [field.selectionSet] : []));
    expectQueryOrder((value as Record<string, unknown>)[key], subsets, fragments, `${path}.${key}`);
  }
}

async function expectAnswerInQueryOrder(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await world.stack.gql(query, variables);
  expect(response.errors).toBeUndefined();
  const document = parse(query);
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
  expectQueryOrder(response.data, [operation.selectionSet], fragments);
  return response.data as Record<string, unknown>;
}

describe('the keys of an answer, in the order the query asks for them', () => {
  it('compiled: fragments’ fields where the fragments stand, before and between the fields beside them', async () => {
    const data = await expectAnswerInQueryOrder(
      /* GraphQL */ `
        query ($id: ID!) {
          workflow(id: $id) {
            ...About
            id
            executions(first: 3) {
              edges { node { ... on WorkflowExecution { status } id ...Times logs { ... on WorkflowExecutionLog { status } id } } cursor }
              ...Counted
              pageInfo { hasNextPage }
            }
            name
            ... on Workflow { createdAt ...About }
          }
        }
        fragment About on Workflow { description name }
        fragment Times on WorkflowExecution { startedAt ... { completedAt } }
        fragment Counted on WorkflowExecutionConnection { totalCount }
      `,
      { id: world.workflowId },
    );
    // Not trivially so: the first run's keys, as asked (`About` spread twice counts once, where it first stands).
    expect(Object.keys((data['workflow'] as Record<string, unknown>))).toEqual(['description', 'name', 'id', 'executions', 'createdAt']);
  });

  it('on graphql-js (a document with @include): a field that waits for a call stays where the query names it', async () => {
    const data = await expectAnswerInQueryOrder(
      /* GraphQL */ `
        query ($id: ID!, $withLogs: Boolean!) {
          workflow(id: $id) {
            executions(first: 2) { edges { node { logs @include(if: $withLogs) { id status } workflow { name } id status } } }
            name
            id
          }
        }
      `,
      { id: world.workflowId, withLogs: true },
    );
    expect(Object.keys(data['workflow'] as Record<string, unknown>)).toEqual(['executions', 'name', 'id']);
  });

  it('a mutation’s payload: a field that waits for a call stays where the query names it', async () => {
    await expectAnswerInQueryOrder(
      /* GraphQL */ `
        mutation ($input: ExecuteWorkflowInput!) {
          executeWorkflow(input: $input) { execution { workflow { name id } ...Run status } }
        }
        fragment Run on WorkflowExecution { id startedAt }
      `,
      { input: { workflowId: world.workflowId } },
    );
  });
});
