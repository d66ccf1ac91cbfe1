/** docs/api.md stays true: its examples validate against the schema, and every operation has one. */
import { readFileSync } from 'node:fs';
import { Kind, parse, validate, visit, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSchema } from '../../src/server.js';

const schema = createSchema();
const examples: DocumentNode[] = [...readFileSync('docs/api.md', 'utf8').matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => parse(m[1]!));

describe('docs/api.md', () => {
  it('holds examples that are valid operations of the schema', () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const document of examples) expect(validate(schema, document).map((e) => e.message)).toEqual([]);
  });

  it('shows every root field of Query, Mutation and Subscription in an example', () => {
    const used = new Set<string>();
    for (const document of examples) {
      visit(document, {
        OperationDefinition(operation) {
          for (const selection of operation.selectionSet.selections) if (selection.kind === Kind.FIELD) used.add(`${operation.operation}.${selection.name.value}`);
        },
      });
    }
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((root) =>
      Object.keys(root?.getFields() ?? {})
        .filter((field) => !field.startsWith('_'))
        .map((field) => `${root!.name.toLowerCase()}.${field}`),
    );
    expect(roots.filter((root) => !used.has(root))).toEqual([]);
  });
});
