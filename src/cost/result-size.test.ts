/** The answer-size estimate: what multiplies (aliases, references, list bounds) and what does not. */
import { getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSchema } from '../server.js';
import { estimateResultValues } from './result-size.js';

const schema = createSchema();
const estimate = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  return estimateResultValues({ schema, document, operation: getOperationAST(document)!, variables });
};

describe('the answer-size estimate', () => {
  it('counts a connection’s items at its `first` or `last`, each field of each item once', () => {
    // workflow, executions, totalCount, edges (a list), then per edge: the edge, node, id, status.
    expect(estimate('{ workflow(id: "fl_1") { executions(first: 20) { totalCount edges { node { id status } } } } }')).toBe(1 + 1 + 1 + 1 + 20 * (1 + 1 + 2));
    expect(estimate('{ workflow(id: "fl_1") { executions(last: 5) { nodes { id } } } }')).toBe(1 + 1 + 1 + 5 * (1 + 1));
  });

  it('multiplies by aliases and by `_entities` representations, which calls do not (they are made once)', () => {
    const one = estimate('{ workflow(id: "fl_1") { logs(first: 10) { nodes { id } } } }');
    const three = estimate('{ workflow(id: "fl_1") { a: logs(first: 10) { nodes { id } } b: logs(first: 10) { nodes { id } } c: logs(first: 10) { nodes { id } } } }');
    expect(three - 1).toBe(3 * (one - 1));
    const representations = (n: number) => Array.from({ length: n }, () => ({ __typename: 'Workflow', id: 'fl_1' }));
    const entities = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { id name } } }';
    expect(estimate(entities, { r: representations(50) }) - 1).toBe(10 * (estimate(entities, { r: representations(5) }) - 1));
  });

  it('takes a list with no bound of its own at 100 items, and an abstract type at its largest member', () => {
    expect(estimate('{ vaultItems { id } }')).toBe(1 + 100 * (1 + 1));
    expect(estimate('{ node(id: "fl_1") { id ... on Workflow { name description } } }')).toBe(1 + 3);
  });

  it('reads no variable but those that bound a list: the estimates are cached by the variables they read, never by ids', () => {
    const read = new Set<string>();
    const note = (key: string | symbol) => void (typeof key === 'string' && read.add(key));
    const variables = new Proxy<Record<string, unknown>>(
      { id: 'fl_1', first: 20 },
      {
        get: (target, key, receiver) => (note(key), Reflect.get(target, key, receiver) as unknown),
        has: (target, key) => (note(key), Reflect.has(target, key)),
        getOwnPropertyDescriptor: (target, key) => (note(key), Reflect.getOwnPropertyDescriptor(target, key)),
      },
    );
    estimate('query($id: ID!, $first: Int!) { workflow(id: $id) { name executions(first: $first) { nodes { id } } } }', variables);
    expect([...read]).toEqual(['first']);
  });

  it('counts a read of the schema itself as one value (estimate.ts bounds how often)', () => {
    expect(estimate('{ __schema { types { name fields { name args { name } } } } }')).toBe(1);
  });
});
