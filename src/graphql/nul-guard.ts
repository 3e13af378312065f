import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit } from 'graphql';
import { isStorableText } from '../db/safe-text';
import { ErrorCode } from '../errors';

const unstorable = (text: string) => !isStorableText(text);

const hasNul = (value: unknown): boolean => {
  if (typeof value === 'string') return unstorable(value);
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.values(value).some(hasNul);
  return false;
};

/**
 * PostgreSQL text cannot hold U+0000 or unpaired surrogates, and no legitimate input needs them: refuse them in any argument,
 * literal or variable, before a resolver runs, rather than let the database fail mid-request.
 */
export const nulGuardPlugin: ApolloServerPlugin = {
  requestDidStart: () =>
    Promise.resolve({
      didResolveOperation: ({ document, request }) => {
        let found = hasNul(request.variables);
        visit(document, {
          [Kind.STRING]: (node) => {
            if (unstorable(node.value)) found = true;
          },
        });
        if (found) {
          throw new GraphQLError('Text arguments must be valid Unicode without NUL (U+0000) characters', {
            extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
          });
        }
        return Promise.resolve();
      },
    }),
};
