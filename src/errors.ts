import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { Logger } from 'pino';
import { PG_CHECK_VIOLATION, PG_UNIQUE_VIOLATION, pgErrorCode } from './db/errors';

/** The `extensions.code` values of API.md; the only codes a client ever sees. */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  CONFLICT = 'CONFLICT',
  RATE_LIMITED = 'RATE_LIMITED',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
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

/**
 * Maps every error to one of the public codes and strips internals (stack traces, SQL, driver
 * messages). Unknown errors are logged with the request id and reported as INTERNAL_SERVER_ERROR.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, log: Pick<Logger, 'error' | 'warn'>): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };

  if (original instanceof AppError) {
    return { ...base, message: original.message, extensions: { code: original.code, ...original.details } };
  }
  if (original instanceof ArgumentValidationError) {
    const fields = original.extensions.validationErrors.map((v) => ({
      field: v.property,
      problems: Object.values(v.constraints ?? {}),
    }));
    return { ...base, message: 'Invalid input', extensions: { code: ErrorCode.BAD_USER_INPUT, fields } };
  }
  // A database constraint caught what validation missed: still the caller's input, never a 500.
  const dbCode = pgErrorCode(original);
  if (dbCode === PG_CHECK_VIOLATION || dbCode === PG_UNIQUE_VIOLATION) {
    log.warn({ err: original }, 'constraint violation reached the client');
    const conflicting = dbCode === PG_UNIQUE_VIOLATION;
    return {
      ...base,
      message: conflicting ? 'Conflicts with an existing record' : 'Invalid input',
      extensions: { code: conflicting ? ErrorCode.CONFLICT : ErrorCode.BAD_USER_INPUT },
    };
  }
  const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : '';
  if (INPUT_CODES.has(code)) {
    return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT } };
  }
  if (PUBLIC_CODES.has(code) && code !== String(ErrorCode.INTERNAL_SERVER_ERROR) && original instanceof GraphQLError) {
    return { ...base, extensions: { code } };
  }
  log.error({ err: original }, 'unhandled error');
  return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}
