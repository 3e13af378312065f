import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { inTransaction, type RequestContext } from '../context/request-context';

/**
 * Sign-in operations whose refusal must leave its writes: a failed attempt's count (the lock-out
 * must see it, for a wrong password or a wrong second-factor code) and the revocation of a session
 * whose refresh token was replayed. They commit with the request's own (DENIED) event, and write
 * nothing else before they can still refuse.
 */
const REFUSALS_THAT_WRITE = new Set([
  'login',
  'serviceToken',
  'exchangeToken',
  'refreshToken',
  'completeSecondFactor',
  'enrolTotp',
  'disableTotp',
]);

/**
 * Runs each root mutation field in a savepoint of the request's transaction: a field that fails
 * leaves nothing behind, while the fields before it (GraphQL runs them in order) and the request's
 * audit events still commit together. Applied to the built schema, so no mutation can miss it and
 * no query pays for it.
 */
export function withMutationSavepoints(schema: GraphQLSchema): GraphQLSchema {
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    if (REFUSALS_THAT_WRITE.has(field.name)) continue;
    const resolve: GraphQLFieldResolver<unknown, RequestContext> = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context: RequestContext, info) =>
      context.transaction
        ? // The savepoint is on the request's own connection: the field's resolvers read through it as they are.
          inTransaction(context, async () => await resolve(source, args, context, info))
        : resolve(source, args, context, info);
  }
  return schema;
}
