import type { Principal } from '../auth/principal';
import { raw, run, sql, type Queryable, type Sql } from '../db/sql';
import { notFound } from '../errors';
import { flagRedactions } from '../policy/records';
import { orNone, subjectFlagScope } from '../policy/edges';
import { subjectScopeOf } from '../subjects/subject.queries';
import type { FlagKind, FlagStatus, RiskLevel } from './flag.enums';
import type { Flag } from './flag.types';

export interface FlagRow {
  id: string;
  subject_id: string;
  kind: Flag['kind'];
  risk_level: RiskLevel;
  status: FlagStatus;
  reason: string;
  review_date: string | null;
  set_at: Date;
  set_by_user_id: string;
  set_by_agency_id: string;
  approved_at: Date | null;
  approved_by_user_id: string | null;
  rejected_at: Date | null;
  rejected_by_user_id: string | null;
  rejection_reason: string | null;
  ended_at: Date | null;
  end_reason: string | null;
}

export const FLAG_COLUMNS = raw(`f.id, f.subject_id, f.kind, f.risk_level, f.status, f.reason, f.review_date::text AS review_date, f.set_at,
  f.set_by_user_id, f.set_by_agency_id, f.approved_at, f.approved_by_user_id, f.rejected_at, f.rejected_by_user_id, f.rejection_reason,
  f.ended_at, f.end_reason`);

/** The flag as this principal may see it: withheld fields named (policy/records.ts). */
export const toFlagView = (row: FlagRow, principal: Principal): Flag => ({
  id: row.id,
  subjectId: row.subject_id,
  kind: row.kind,
  riskLevel: row.risk_level,
  status: row.status,
  reason: row.reason,
  reviewDate: row.review_date,
  setAt: row.set_at,
  setByUserId: row.set_by_user_id,
  setByAgencyId: row.set_by_agency_id,
  approvedAt: row.approved_at,
  approvedByUserId: row.approved_by_user_id,
  rejectedAt: row.rejected_at,
  rejectedByUserId: row.rejected_by_user_id,
  rejectionReason: row.rejection_reason,
  endedAt: row.ended_at,
  endReason: row.end_reason,
  redactedFields: flagRedactions(principal),
});

/** One flag on a subject the caller may read, through the subject–flag edge; NOT_FOUND otherwise. */
export async function findFlag(db: Queryable, principal: Principal, id: string): Promise<Flag> {
  const [row] = await run<FlagRow>(
    db,
    sql`SELECT ${FLAG_COLUMNS} FROM flags f JOIN subjects s ON s.id = f.subject_id WHERE f.id = ${id}::uuid AND ${subjectScopeOf(principal)} AND ${orNone(subjectFlagScope(principal))}`,
  );
  if (!row) throw notFound('Flag', 'flagId');
  return toFlagView(row, principal);
}

/** The flags of these subjects (only those in force with `onlyActive`), newest first, through the subject–flag edge. */
export function flagsOfSubjects(
  db: Queryable,
  principal: Principal | null,
  ids: readonly string[],
  onlyActive: boolean,
): Promise<FlagRow[]> {
  const scope = orNone(principal && subjectFlagScope(principal));
  return run<FlagRow>(
    db,
    sql`SELECT ${FLAG_COLUMNS} FROM flags f JOIN subjects s ON s.id = f.subject_id
           WHERE f.subject_id = ANY(${[...ids]}::uuid[]) AND ${onlyActive ? raw(`f.status = 'ACTIVE'`) : raw('true')}
             AND ${scope}
           ORDER BY f.set_at DESC, f.id`,
  );
}

export interface NewFlag {
  subjectId: string;
  kind: FlagKind;
  riskLevel: RiskLevel;
  status: FlagStatus;
  reason: string;
  reviewDate: string | null;
}

/** Inserts a flag set by the principal; returns its id (a second open flag of a kind is a unique violation). */
export async function insertFlag(db: Queryable, principal: Principal, flag: NewFlag): Promise<string> {
  const [{ id }] = await run<{ id: string }>(
    db,
    sql`INSERT INTO flags (subject_id, kind, risk_level, status, reason, review_date, set_by_user_id, set_by_agency_id)
            VALUES (${flag.subjectId}::uuid, ${flag.kind}, ${flag.riskLevel}, ${flag.status}, ${flag.reason}, ${flag.reviewDate}::date,
                    ${principal.id}::uuid, ${principal.agency.id}::uuid)
            RETURNING id`,
  );
  return id;
}

/** A decision on a flag, by a user: what moving it writes. */
export type FlagMove =
  { to: 'ENDED'; userId: string; reason: string } | { to: 'ACTIVE'; userId: string } | { to: 'REJECTED'; userId: string; reason: string };

function movedColumns(move: FlagMove): Sql {
  switch (move.to) {
    case 'ENDED':
      return sql`status = 'ENDED', ended_at = now(), ended_by_user_id = ${move.userId}::uuid, end_reason = ${move.reason}`;
    case 'ACTIVE':
      return sql`status = 'ACTIVE', approved_at = now(), approved_by_user_id = ${move.userId}::uuid`;
    case 'REJECTED':
      return sql`status = 'REJECTED', rejected_at = now(), rejected_by_user_id = ${move.userId}::uuid, rejection_reason = ${move.reason}`;
  }
}

/**
 * Moves a flag still in status `from`; false when it no longer is (the status is re-checked under
 * the row lock, so of two racing decisions exactly one wins).
 */
export async function moveFlag(db: Queryable, flagId: string, from: FlagStatus, move: FlagMove): Promise<boolean> {
  // In a CTE so the driver returns the rows (TypeORM returns [rows, count] for a bare UPDATE).
  const [updated] = await run<{ id: string }>(
    db,
    sql`WITH moved AS (UPDATE flags SET ${movedColumns(move)} WHERE id = ${flagId}::uuid AND status = ${from} RETURNING id) SELECT id FROM moved`,
  );
  return updated !== undefined;
}
