import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit } from 'graphql';
import { ErrorCode } from '../errors';

const hasNul = (value: unknown): boolean => {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.values(value).some(hasNul);
  return false;
};

/**
 * PostgreSQL text cannot hold U+0000, and no legitimate input needs it: refuse it in any argument,
 * literal or variable, before a resolver runs, rather than let the database fail mid-request.
 */
export const nulGuardPlugin: ApolloServerPlugin = {
  requestDidStart: () =>
    Promise.resolve({
      didResolveOperation: ({ document, request }) => {
        let found = hasNul(request.variables);
        visit(document, {
          [Kind.STRING]: (node) => {
            if (node.value.includes('\u0000')) found = true;
          },
        });
        if (found) {
          throw new GraphQLError('Text arguments must not contain NUL (U+0000) characters', {
            extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
          });
        }
        return Promise.resolve();
      },
    }),
};
