import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { compilesAsSpecified } from './compiled-execution.js';

/** A workflow definition literal whose one node has `data`. */
const definition = (data: string) => `{ name: "n", authorizationId: "auth_1", graph: { nodes: [{ id: "t", type: "trigger", data: ${data} }], edges: [] } }`;

describe('compilesAsSpecified', () => {
  it.each([
    ['a plain query', '{ workflows(first: 2) { totalCount } }', true],
    ['variables without defaults, or nullable ones with', 'query($n: Int!, $m: Int = 2) { a: workflows(first: $n) { totalCount } b: workflows(first: $m) { totalCount } }', true],
    ['@include on a field', 'query($v: Boolean!) { workflows(first: 2) @include(if: $v) { totalCount } }', false],
    ['@skip deep in a fragment', '{ ...F } fragment F on Query { workflows(first: 2) { nodes { name @skip(if: true) } } }', false],
    ['a non-null variable with a default', 'query($n: Int! = 2) { workflows(first: $n) { totalCount } }', false],
    ['two operations', 'query A { workflows(first: 1) { totalCount } } query B { recentLogs(first: 1) { nodes { id } } }', false],
    ['federation’s `_entities`', 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', false],
    ['a mutation', 'mutation($input: ExecuteWorkflowInput!) { executeWorkflow(input: $input) { execution { id } } }', false],
    ['a variable as a whole argument', 'query($input: WorkflowDefinitionInput!) { validateWorkflow(input: $input) { valid } }', true],
    ['a variable inside an object literal', `query($u: JSON) { validateWorkflow(input: ${definition('{ url: $u }')}) { valid } }`, false],
    ['a variable inside a list literal', `query($u: JSON) { validateWorkflow(input: ${definition('[1, [$u]]')}) { valid } }`, false],
    ['literals without variables', `{ validateWorkflow(input: ${definition('{ url: "https://a.example", tags: ["a"] }')}) { valid } }`, true],
  ])('%s: %s', (_, source, expected) => {
    const document = parse(source);
    expect(compilesAsSpecified(document)).toBe(expected);
    expect(compilesAsSpecified(document)).toBe(expected); // decided once, the same again
  });
});
