/**
 * A schema field cannot ship without its cost: the catalogue's field side is a required mapped
 * type over codegen's resolver types, so after a field is added to the SDL and `npm run codegen`
 * runs, `npm run typecheck` fails on `FIELDS`, naming the field. The `@ts-expect-error` lines below
 * are checked by that same typecheck: were the mapped type loosened (a field or a type made
 * optional), they would stop being errors, and the typecheck would fail on them instead.
 */
import { describe, expect, it } from 'vitest';
import { isObjectType } from 'graphql';
import { FIELDS, type FieldCatalogue } from '../../src/catalogue/fields.js';
import { createSchema } from '../../src/server.js';

const { stats: _stats, ...workflowWithoutStats } = FIELDS.Workflow;
// @ts-expect-error Workflow.stats is a schema field: the catalogue must cost it.
export const fieldLeftOut: FieldCatalogue['Workflow'] = workflowWithoutStats;

const { StatusCount: _statusCount, ...withoutStatusCount } = FIELDS;
// @ts-expect-error StatusCount is an object type of the schema: each of its fields must be costed.
export const typeLeftOut: FieldCatalogue = withoutStatusCount;

describe('the catalogue’s field side', () => {
  it('holds exactly the fields of every object type the SDL declares', () => {
    const schema = createSchema();
    const declared = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('_'))
      .map((type) => [type.name, Object.keys((type as { getFields(): object }).getFields()).filter((f) => !f.startsWith('_')).sort()] as const);
    const catalogued = Object.fromEntries(Object.entries(FIELDS).map(([type, fields]) => [type, Object.keys(fields).sort()]));
    expect(catalogued).toEqual(Object.fromEntries(declared));
  });
});
