import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { compilesAsSpecified } from './compiled-execution.js';

describe('compilesAsSpecified', () => {
  it.each([
    ['a plain query', '{ workflows(first: 2) { totalCount } }', true],
    ['variables without defaults, or nullable ones with', 'query($n: Int!, $m: Int = 2) { a: workflows(first: $n) { totalCount } b: workflows(first: $m) { totalCount } }', true],
    ['@include on a field', 'query($v: Boolean!) { workflows(first: 2) @include(if: $v) { totalCount } }', false],
    ['@skip deep in a fragment', '{ ...F } fragment F on Query { workflows(first: 2) { nodes { name @skip(if: true) } } }', false],
    ['a non-null variable with a default', 'query($n: Int! = 2) { workflows(first: $n) { totalCount } }', false],
    ['two operations', 'query A { workflows(first: 1) { totalCount } } query B { recentLogs(first: 1) { nodes { id } } }', false],
    ['federation’s `_entities`', 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', false],
    ['a variable as a whole argument', 'mutation($input: ExecuteWorkflowInput!) { executeWorkflow(input: $input) { execution { id } } }', true],
    ['a variable inside an object literal', 'mutation($s: String) { executeWorkflow(input: { workflowId: "fl_1", context: { site: $s } }) { execution { id } } }', false],
    ['a variable inside a list literal', 'mutation($t: JSON) { executeWorkflow(input: { workflowId: "fl_1", context: [1, [$t]] }) { execution { id } } }', false],
    ['literals without variables', 'mutation { executeWorkflow(input: { workflowId: "fl_1", context: { site: "leeds", tags: ["a"] } }) { execution { id } } }', true],
  ])('%s: %s', (_, source, expected) => {
    const document = parse(source);
    expect(compilesAsSpecified(document)).toBe(expected);
    expect(compilesAsSpecified(document)).toBe(expected); // decided once, the same again
  });
});
