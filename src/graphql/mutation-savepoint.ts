import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { RequestContext } from './context';

/**
 * Runs each root mutation field in a savepoint of the request's transaction: a field that fails
 * leaves nothing behind, while the fields before it (GraphQL runs them in order) and the request's
 * audit events still commit together. Applied to the built schema, so no mutation can miss it and
 * no query pays for it.
 */
export function withMutationSavepoints(schema: GraphQLSchema): GraphQLSchema {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve: GraphQLFieldResolver<unknown, RequestContext> = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context: RequestContext, info) =>
      context.transaction
        ? context.db.transaction(async () => await resolve(source, args, context, info))
        : resolve(source, args, context, info);
  }
  return schema;
}
