import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { AppError, ErrorCode } from '../errors';
import { MAX_PAGE_SIZE } from '../db/paging';

/** How big and deep one operation may be; all from configuration (see README and docs/security.md). */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Field selections in the operation with fragments expanded (duplicates counted). */
  maxFields: number;
  /** Each field costs 1; `first`/`last` multiply the cost of what is under them. */
  maxCost: number;
}

/** The document's fragments by name, to expand spreads where they are used. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  return fragments;
}

/** The same words for every limit: a client learns that it hit one, not where the limits lie. */
export const TOO_COMPLEX = 'The query is too large or too complex';
export const tooComplex = () => new AppError(ErrorCode.QUERY_TOO_COMPLEX, TOO_COMPLEX);

/**
 * A page size a connection asks for, when it is a literal or a variable; absent: 1. Capped at the
 * largest page: a larger `first` is refused by argument validation as BAD_USER_INPUT, as docs/api.md, "Limits", says.
 */
function pageSize(value: ValueNode | undefined, variables: Record<string, unknown>): number {
  let size = 1;
  if (value?.kind === Kind.INT) size = Number(value.value);
  if (value?.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    if (typeof v === 'number' && Number.isFinite(v)) size = v;
  }
  return Math.min(Math.max(1, size), MAX_PAGE_SIZE);
}

interface Measure {
  depth: number;
  aliases: number;
  directives: number;
  fields: number;
  cost: number;
}

class TooComplex extends Error {}

/**
 * Measures an operation with every fragment expanded where it is used, so a fragment cannot hide
 * depth or breadth. Stops as soon as a limit is passed (a hostile document does not get a full walk).
 */
function measure(
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): void {
  const total: Measure = { depth: 0, aliases: 0, directives: 0, fields: 0, cost: 0 };
  const check = () => {
    if (
      total.depth > limits.maxDepth ||
      total.aliases > limits.maxAliases ||
      total.directives > limits.maxDirectives ||
      total.fields > limits.maxFields ||
      total.cost > limits.maxCost
    ) {
      throw new TooComplex();
    }
  };
  // Introspection (when enabled) is exempt from the field and cost counts, and its `ofType`
  // chains from depth, so tools work; going round the schema's cycles still adds depth.
  const walk = (set: SelectionSetNode, depth: number, multiplier: number, path: readonly string[], introspection: boolean): void => {
    for (const selection of set.selections) {
      total.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const inIntrospection = introspection || name === '__schema' || name === '__type';
        if (selection.alias) total.aliases++;
        if (!inIntrospection) {
          total.fields++;
          total.cost += multiplier;
        }
        total.depth = Math.max(total.depth, depth);
        check();
        if (selection.selectionSet) {
          const args = selection.arguments ?? [];
          const size = pageSize(args.find((a) => a.name.value === 'first' || a.name.value === 'last')?.value, variables);
          const next = inIntrospection && name === 'ofType' ? depth : depth + 1;
          walk(selection.selectionSet, next, multiplier * size, path, inIntrospection);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, depth, multiplier, path, introspection);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A fragment inside itself is refused by validation too; here it must not loop.
        if (!fragment || path.includes(name)) throw new TooComplex();
        total.directives += fragment.directives?.length ?? 0;
        walk(fragment.selectionSet, depth, multiplier, [...path, name], introspection);
      }
      check();
    }
  };
  total.directives += operation.directives?.length ?? 0;
  walk(operation.selectionSet, 1, 1, [], false);
  check();
}

/** Throws QUERY_TOO_COMPLEX for an operation past the limits: for HTTP (the plugin) and subscriptions alike. */
export function checkQueryLimits(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): void {
  try {
    measure(operation, fragmentsOf(document), variables, limits);
  } catch (error) {
    if (!(error instanceof TooComplex)) throw error;
    throw new GraphQLError(TOO_COMPLEX, { originalError: tooComplex(), extensions: { http: { status: 400 } } });
  }
}

/**
 * Refuses an operation past the limits with QUERY_TOO_COMPLEX before any resolver runs. A plugin,
 * not a validation rule: Apollo caches validation per document, and `first: $n` must count at the
 * size this request asks for. Parsing is bounded by `parseOptions.maxTokens`, so the validation
 * that runs before this is bounded too.
 */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ document, operation, request }) => {
          if (operation) checkQueryLimits(document, operation, request.variables ?? {}, limits);
          return Promise.resolve();
        },
      }),
  };
}
