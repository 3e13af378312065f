import type { Principal } from '../auth/principal';
import { raw, type Sql } from '../db/sql';
import { isPoliceSupervisor } from './permissions';

/**
 * Retention review (docs/lawful-sharing.md, "Retention review"): the queue of records whose review
 * date has passed, and the decisions on them, are a police SUPERVISOR's alone (they name police case
 * records of every kind). Null: none at all (FORBIDDEN).
 */
export function retentionReviewScope(p: Principal): Sql | null {
  return isPoliceSupervisor(p) ? raw('true') : null;
}

/**
 * A disposed record is gone for everyone on every path: each read scope of records.ts requires its
 * record not to be disposed (`alias.disposed_at IS NULL`), and so does row-level security
 * (migrations/1767000000200-lawful-records.ts), so lists, counts, search, links and filters all
 * answer as if it had never existed.
 */
export const notDisposed = (alias: 'r' | 's' | 'f' | 'c'): Sql => raw(`${alias}.disposed_at IS NULL`);
