import {
  getNamedType,
  GraphQLID,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLSchema,
  isInputObjectType,
  isListType,
  isNonNullType,
} from 'graphql';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an input type holds an ID anywhere (directly, in a list, or in an input object's fields). */
function holdsId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (named === GraphQLID) return true;
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((f) => holdsId(f.type, seen));
}

/** The value with every UUID given for an ID lower-cased; other values unchanged. */
function normalise(type: GraphQLInputType, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (isNonNullType(type)) return normalise(type.ofType, value);
  if (isListType(type)) return Array.isArray(value) ? value.map((v) => normalise(type.ofType, v)) : value;
  if (type === GraphQLID) return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : value;
  if (isInputObjectType(type) && typeof value === 'object') {
    const fields = type.getFields();
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, fields[key] && holdsId(fields[key].type) ? normalise(fields[key].type, v) : v]),
    );
  }
  return value;
}

const normaliseArgs = (defs: readonly GraphQLArgument[], args: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(args).map(([key, v]) => {
      const def = defs.find((d) => d.name === key);
      return [key, def ? normalise(def.type, v) : v];
    }),
  );

/**
 * PostgreSQL prints UUIDs in lower case, and services compare ids in JS (e.g. "is this victim among
 * the subjects found?"), so an upper-case UUID from a client would be NOT_FOUND. Every query and
 * mutation argument typed ID, however nested, reaches the resolvers lower-cased. Ids that are not
 * UUIDs (division slugs, "none") pass unchanged.
 */
export function normaliseIdArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const resolve = field.resolve;
      if (!resolve || !field.args.some((a) => holdsId(a.type))) continue;
      field.resolve = (source, args: Record<string, unknown>, context, info) =>
        resolve(source, normaliseArgs(field.args, args), context, info);
    }
  }
  return schema;
}
