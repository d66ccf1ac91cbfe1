import fc from 'fast-check';
import { buildSchema, execute, parse, print } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { describe, expect, it } from 'vitest';
import { compilesAsSpecified, inCollectionOrder } from './compiled-execution.js';

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

describe('inCollectionOrder', () => {
  const schema = buildSchema(`
    interface Named { id: ID name: String }
    type Item implements Named { id: ID name: String x: Int y: Int sub: Item }
    type Other implements Named { id: ID name: String z: Int }
    type Query { a: Int b: Int item: Item named: Named }
  `);
  const item: Record<string, unknown> = { __typename: 'Item', id: 'i1', name: 'n', x: 1, y: 2 };
  item['sub'] = item;
  const root = { a: 1, b: 2, item, named: item };

  /** Selections on Item, `depth` levels deep at most: its fields, inline fragments (matching or not) and spreads of the fragments after `from`. */
  const selections = (depth: number, from: number, fragments: number): fc.Arbitrary<string> => {
    const choices: Array<fc.Arbitrary<string>> = [fc.constantFrom('id', 'name', 'x', 'y', 'x2: x', '__typename'), fc.constant('... on Other { z name }')];
    if (from < fragments) choices.push(fc.integer({ min: from, max: fragments - 1 }).map((n) => `...F${n}`));
    if (depth > 0) {
      const inner = selections(depth - 1, from, fragments);
      choices.push(inner.map((set) => `sub { ${set} }`), inner.map((set) => `... on Item { ${set} }`), inner.map((set) => `... on Named { ${set} }`), inner.map((set) => `... { ${set} }`));
    }
    return fc.array(fc.oneof(...choices), { minLength: 1, maxLength: 5 }).map((list) => list.join(' '));
  };

  /** A query over Item and Named with fragments F0..Fn-1, each spreading only those after it (no cycle). */
  const documents = fc.integer({ min: 0, max: 3 }).chain((fragments) =>
    fc
      .tuple(selections(2, 0, fragments), selections(2, 0, fragments), ...Array.from({ length: fragments }, (_, n) => selections(2, n + 1, fragments)))
      .map(([onItem, onNamed, ...bodies]) => {
        const definitions = bodies.map((body, n) => `fragment F${n} on Item { ${body} }`).join(' ');
        return `{ b item { ${onItem} } a named { ... on Item { ${onNamed} } id } } ${definitions}`;
      }),
  );

  it('makes graphql-jit answer with keys in the order graphql-js gives them (the specification’s)', () => {
    fc.assert(
      fc.property(documents, (source) => {
        const document = parse(source);
        const compiled = compileQuery(schema, inCollectionOrder(document));
        if (!isCompiledQuery(compiled)) throw new Error(JSON.stringify(compiled.errors));
        const expected = execute({ schema, document, rootValue: root });
        expect(JSON.stringify(compiled.query(root, {}, {}))).toBe(JSON.stringify(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves a document graphql-jit already collects in order as it is', () => {
    const document = parse('{ item { id name ...F } a } fragment F on Item { x sub { y } }');
    expect(inCollectionOrder(document)).toBe(document);
    expect(print(inCollectionOrder(parse('{ item { id ...F name } } fragment F on Item { x }')))).toBe(print(parse('{ item { id ... { name } ... { ...F } } } fragment F on Item { x }')));
  });
});
