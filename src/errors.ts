import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema, Kind, isEnumType, parse, visit, type ASTNode } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { PG_CHECK_VIOLATION, PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, pgErrorCode } from './db/errors';

/** The `extensions.code` values (docs/api.md, "Errors"); the only codes a client ever sees. */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  CONFLICT = 'CONFLICT',
  RATE_LIMITED = 'RATE_LIMITED',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  /** A partner app with trusted documents sent an operation not on its list (docs/guides/agency-developer.md). */
  OPERATION_NOT_TRUSTED = 'OPERATION_NOT_TRUSTED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  /**
   * The database connection was lost while a change was being committed: it may or may not have
   * been made. Safe to retry with the same idempotency key, or read the record back.
   */
  OUTCOME_UNKNOWN = 'OUTCOME_UNKNOWN',
}

/** A domain error: services throw these; the transport maps them once, in `formatError`. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Safe, client-facing details (e.g. which field was invalid). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthenticated = (message = 'Authentication required') => new AppError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'Not permitted') => new AppError(ErrorCode.FORBIDDEN, message);
/** Used for missing records and for records the caller may not see alike: no existence oracle. */
export const notFound = (kind: string, field?: string) =>
  new AppError(ErrorCode.NOT_FOUND, `${kind} not found`, field ? { field } : undefined);
export const badInput = (message: string, field?: string) => new AppError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : undefined);
export const conflict = (message: string, details?: Record<string, unknown>) => new AppError(ErrorCode.CONFLICT, message, details);

const PUBLIC_CODES = new Set<string>(Object.values(ErrorCode));
/** Apollo's own codes for documents that fail to parse or validate, and bad variables. */
const INPUT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

interface PublicError {
  message?: string;
  extensions: Record<string, unknown> & { code: ErrorCode };
}

/** Every failed constraint of a class-validator tree, as field paths (`input.newSubject.nhsNumber`, `inputs[3].narrative`). */
function validationFields(errors: ValidationError[], prefix = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = /^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...validationFields(e.children ?? [], field)];
  });
}

/**
 * What the client may learn of an error: one of the public codes, and a message only when it is
 * ours to give. 'internal' means an unexpected failure, whose details never leave the server.
 */
export function classifyError(error: unknown): PublicError | 'internal' {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof AppError) {
    return { message: original.message, extensions: { code: original.code, ...original.details } };
  }
  if (original instanceof ArgumentValidationError) {
    const fields = validationFields(original.extensions.validationErrors);
    const message = `Invalid input: ${fields.map((f) => `${f.field} (${f.problems.join('; ')})`).join(', ')}`;
    return { message, extensions: { code: ErrorCode.BAD_USER_INPUT, field: fields[0]?.field, fields } };
  }
  // A database constraint caught what validation missed: still the caller's input, never a 500.
  const dbCode = pgErrorCode(original);
  if (dbCode === PG_UNIQUE_VIOLATION) return { message: 'Conflicts with an existing record', extensions: { code: ErrorCode.CONFLICT } };
  // Check violations, references to rows that do not exist (services check first; this is the safety
  // net), and SQLSTATE class 22 (data exceptions: bad text encoding, out-of-range values).
  if (dbCode === PG_CHECK_VIOLATION || dbCode === PG_FOREIGN_KEY_VIOLATION || dbCode?.startsWith('22'))
    return { message: 'Invalid input', extensions: { code: ErrorCode.BAD_USER_INPUT } };
  const code = error instanceof GraphQLError && typeof error.extensions.code === 'string' ? error.extensions.code : '';
  // graphql-js stops parsing past `maxTokens`, and refuses circular introspection itself: both are
  // limits, reported as such without echoing them.
  const message = error instanceof GraphQLError ? error.message : '';
  if (
    (code === 'GRAPHQL_PARSE_FAILED' && /contains more th[ae][nt] \d+ tokens/.test(message)) ||
    (code === 'GRAPHQL_VALIDATION_FAILED' && message === 'Maximum introspection depth exceeded')
  ) {
    return { message: 'The query is too large or too complex', extensions: { code: ErrorCode.QUERY_TOO_COMPLEX } };
  }
  if (INPUT_CODES.has(code)) return { extensions: { code: ErrorCode.BAD_USER_INPUT } };
  if (PUBLIC_CODES.has(code) && code !== String(ErrorCode.INTERNAL_SERVER_ERROR) && original instanceof GraphQLError) {
    return { extensions: { code: code as ErrorCode } };
  }
  return 'internal';
}

/**
 * Apollo's formatError: maps every error to a public code and strips internals (stack traces, SQL,
 * driver messages). Internal errors are logged, with the request id, by the errors plugin.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const classified = classifyError(error);
  if (classified === 'internal') {
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  }
  return {
    message: classified.message ?? formatted.message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: classified.extensions,
  };
}

const INTROSPECTION_OFF = /introspection is not allowed/i;
const UNKNOWN_ENUM_VALUE = /^(?:Variable "\$(\w+)" got invalid value .*? at "([^"]+)"; )?Value "([^"]*)" does not exist in "(\w+)" enum\./s;
const VARIABLE_AT = /^Variable "\$(\w+)" got invalid value .*?(?: at "([^"]+)")?;/s;

/**
 * Where in the document a validation error points, as a field path (`input.sourceType`): the
 * argument and input fields enclosing the error's first position.
 */
function fieldAt(error: GraphQLError): string | undefined {
  const position = error.positions?.[0];
  const body = error.source?.body;
  if (position === undefined || body === undefined) return undefined;
  let found: string | undefined;
  try {
    visit(parse(body, { noLocation: false }), {
      enter(node: ASTNode, _key, parent, _path, ancestors) {
        if (found !== undefined || !node.loc || node.loc.start !== position) return undefined;
        // graphql-js leaves the parent out of `ancestors`.
        const names = [...ancestors, parent, node]
          .filter((a): a is ASTNode => !Array.isArray(a))
          .flatMap((a) => (a.kind === Kind.ARGUMENT || a.kind === Kind.OBJECT_FIELD ? [a.name.value] : []));
        if (names.length) found = names.join('.');
        return undefined;
      },
    });
  } catch {
    return undefined;
  }
  return found;
}

/**
 * formatError for a schema: as `formatError`, and a person can act on the error. An unknown enum
 * value lists the valid ones; a document or variable that fails validation names its field in
 * `extensions.field`; introspection refused says which setting turns it on.
 */
export function createFormatError(schema: GraphQLSchema) {
  const enums = new Map(
    Object.values(schema.getTypeMap())
      .filter(isEnumType)
      .map((t) => [t.name, t.getValues().map((v) => v.name)]),
  );
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = formatError(formatted, error);
    if (result.extensions?.code !== ErrorCode.BAD_USER_INPUT || !(error instanceof GraphQLError) || error.originalError instanceof AppError)
      return result;
    if (INTROSPECTION_OFF.test(error.message)) {
      return {
        ...result,
        message:
          'Introspection is off on this server; its operator turns it on with GRAPHQL_INTROSPECTION=true. The full schema is schema.graphql in the repository.',
      };
    }
    const variable = VARIABLE_AT.exec(error.message);
    // graphql-js gives the path from the variable itself ("i.sourceType"), or only its name.
    const field = variable ? (variable[2] ?? variable[1]) : fieldAt(error);
    const extensions = field && !('field' in (result.extensions ?? {})) ? { ...result.extensions, field } : result.extensions;
    const unknown = UNKNOWN_ENUM_VALUE.exec(error.message);
    const values = unknown ? enums.get(unknown[4]) : undefined;
    if (unknown && values) {
      return {
        ...result,
        message: `${result.message} Valid values: ${values.join(', ')}.`,
        extensions: { ...extensions, validValues: values },
      };
    }
    return { ...result, extensions };
  };
}
