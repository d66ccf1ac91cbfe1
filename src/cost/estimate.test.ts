import { getOperationAST, isObjectType, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { costOf } from '../catalogue/fields.js';
import { estimateUpstreamCalls } from './estimate.js';
import { createSchema } from '../server.js';

const schema = createSchema();
const estimate = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  return estimateUpstreamCalls({ schema, document, operation: getOperationAST(document)!, variables, perPage: 15 });
};

describe('estimateUpstreamCalls', () => {
  it('counts nothing for introspection, _service and ids alone', () => {
    expect(estimate('{ __schema { types { name } } _service { sdl } }')).toBe(0);
    expect(estimate('{ workflow(id: "fl_a") { id } execution(id: "fl_run_b") { id } }')).toBe(0);
  });

  it('counts a workflow lookup once, and its executions pages beside it', () => {
    expect(estimate('{ workflow(id: "fl_a") { name } }')).toBe(1);
    // 20 runs on 15-run pages: at most 3 pages (a cursor can straddle one more); logs: one run fetch each.
    expect(estimate('{ workflow(id: "fl_a") { name executions(first: 20) { nodes { id logs { id } } } } }')).toBe(1 + 3 + 20);
    expect(estimate('{ workflow(id: "fl_a") { executions { totalCount } } }')).toBe(3);
  });

  it('multiplies nested connections: each workflow of a page brings its executions', () => {
    const query = 'query($n: Int) { workflows(first: $n) { nodes { graph { nodes { id } } executions(first: 5) { edges { node { logs { id } } } } } } }';
    expect(estimate(query, { n: 10 })).toBe(1 + 10 * (1 + 2 + 5));
    expect(estimate('{ workflows(first: 100) { nodes { executions(first: 100) { nodes { logs { id } } } } } }')).toBe(1 + 100 * (8 + 100));
  });

  it('counts every call an item makes, whichever aliases of nodes and edges ask for it', () => {
    // Stats, logs and the graph: three calls per workflow, not the dearest one alone.
    expect(estimate('{ workflows(first: 100) { a: nodes { stats { totalRuns } } b: nodes { logs { nodes { id } } } c: edges { node { graph { nodes { id } } } } } }')).toBe(
      1 + 100 * 3,
    );
    // The same fetch asked twice for one item is still one call.
    expect(estimate('{ workflows(first: 10) { a: nodes { graph { nodes { id } } } b: edges { node { graph { edges { source } } } } } }')).toBe(1 + 10);
  });

  it('follows fragments, aliases and skip/include', () => {
    const query = `query($skip: Boolean!) {
      a: workflow(id: "fl_a") { ...W }
      b: workflow(id: "fl_b") { name @skip(if: $skip) }
    }
    fragment W on Workflow { isActive executions(first: 15) { nodes { status } } }`;
    expect(estimate(query, { skip: true })).toBe(1 + 2);
    expect(estimate(query, { skip: false })).toBe(1 + 2 + 1);
  });

  it('counts one page more for last, whose total is read first', () => {
    // 100 runs on 15-run pages span up to 8 pages, and page 1 comes first to learn the total.
    expect(estimate('{ workflow(id: "fl_a") { executions(last: 100) { nodes { id } } } }')).toBe(9);
    expect(estimate('{ workflow(id: "fl_a") { executions(first: 100) { nodes { id } } } }')).toBe(8);
  });

  it('knows a cost for every field of every object type of the schema, federation’s included', () => {
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.keys(type.getFields())) expect(costOf(type.name, field), `${type.name}.${field}`).toBeDefined();
    }
  });

  it('refuses a field it has no cost for, at the root or anywhere below, so none can slip by', () => {
    expect(() => estimate('subscription { __typename }')).toThrow(/no cost is known for Subscription.__typename/);
    expect(() => estimate('{ workflows { nodes { notCatalogued } } }')).toThrow(/no cost is known for Workflow.notCatalogued/);
    expect(() => estimate('{ workflow(id: "fl_a") { graph { nodes { position { z } } } } }')).toThrow(/no cost is known for WorkflowGraphPosition.z/);
  });

  it('picks the operation the executor runs: the named one', () => {
    const document = parse('query A { workflow(id: "fl_a") { name } } query B { workflows(first: 3) { nodes { graph { nodes { id } } } } }');
    const run = (name: string) => estimateUpstreamCalls({ schema, document, operation: getOperationAST(document, name)!, variables: {}, perPage: 15 });
    expect(run('A')).toBe(1);
    expect(run('B')).toBe(1 + 3);
  });

  it('counts every object entity references name, once however often they name it', () => {
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Workflow { name } ... on WorkflowExecution { status } } }';
    const workflows = (ids: string[]) => ids.map((id) => ({ __typename: 'Workflow', id }));
    expect(estimate(query, { r: workflows(['fl_a', 'fl_b', 'fl_c', 'fl_d', 'fl_e', 'fl_f', 'fl_g']) })).toBe(7);
    // A router that sends a representation per reference (Apollo Gateway) names one object many times.
    expect(estimate(query, { r: workflows(Array.from({ length: 501 }, (_, i) => `fl_${'abc'[i % 3]}`)) })).toBe(3);
    expect(estimate(query, { r: [...workflows(['fl_a']), { __typename: 'WorkflowExecution', id: 'fl_a' }] })).toBe(2);
  });
});
