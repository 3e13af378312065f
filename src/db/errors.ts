import { QueryFailedError } from 'typeorm';

/** PostgreSQL SQLSTATE codes we translate into domain errors. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_CHECK_VIOLATION = '23514';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
/** A statement after an earlier one failed in the same transaction. */
export const PG_IN_FAILED_TRANSACTION = '25P02';

export function pgErrorCode(error: unknown): string | undefined {
  if (error instanceof QueryFailedError) return (error.driverError as { code?: string }).code;
  return (error as { code?: unknown } | null)?.code?.toString();
}

export const isUniqueViolation = (error: unknown) => pgErrorCode(error) === PG_UNIQUE_VIOLATION;
