/**
 * What a query asks of an object, read from the resolver's info before anything is fetched, so
 * that a resolver can start only the calls the query needs, and start them together.
 */
import { getArgumentValues, isObjectType, type GraphQLResolveInfo } from 'graphql';
import { collectSubFields } from '@graphql-tools/utils';

export type SelectionInfo = Pick<GraphQLResolveInfo, 'schema' | 'fragments' | 'variableValues' | 'fieldNodes'>;

export interface SelectedField {
  name: string;
  args: Record<string, unknown>;
  /** The field's own selection, to look into with `selectedFields`. */
  info: SelectionInfo;
}

/** The fields selected on the current field's value, taken as an object of type `typeName`. */
export function selectedFields(info: SelectionInfo, typeName: string): SelectedField[] {
  const type = info.schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
  const { fields } = collectSubFields(info.schema, info.fragments, info.variableValues, type, [...info.fieldNodes]);
  return [...fields.values()].map((fieldNodes) => {
    const node = fieldNodes[0]!;
    const name = node.name.value;
    const definition = type.getFields()[name];
    return {
      name,
      args: definition ? getArgumentValues(definition, node, info.variableValues) : {},
      info: { ...info, fieldNodes },
    };
  });
}

/** Whether a selection asks for anything beyond the given fields (and `__typename`). */
export const asksBeyond = (fields: SelectedField[], known: string[]): boolean =>
  fields.some((f) => f.name !== '__typename' && !known.includes(f.name));
