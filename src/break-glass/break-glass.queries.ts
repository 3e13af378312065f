import { run, sql, type Queryable } from '../db/sql';
import type { BreakGlassGrant } from './break-glass.types';

interface GrantRow {
  id: string;
  subject_id: string;
  user_id: string;
  reason: string;
  granted_at: Date;
  expires_at: Date;
  reviewed_at: Date | null;
}

const toBreakGlassGrant = (row: GrantRow): BreakGlassGrant => ({
  id: row.id,
  subjectId: row.subject_id,
  userId: row.user_id,
  reason: row.reason,
  grantedAt: row.granted_at,
  expiresAt: row.expires_at,
  reviewedAt: row.reviewed_at,
});

/** Whether the subject exists, whoever may read it: break-glass reaches beyond the caller's row-level security. */
export async function subjectExists(db: Queryable, subjectId: string): Promise<boolean> {
  const [{ exists }] = await run<{ exists: boolean }>(db, sql`SELECT subject_exists(${subjectId}::uuid) AS exists`);
  return exists;
}

export interface NewBreakGlassGrant {
  subjectId: string;
  userId: string;
  agencyId: string;
  reason: string;
  minutes: number;
}

/** Inserts a grant that expires `minutes` from now, awaiting audit review. */
export async function insertBreakGlassGrant(db: Queryable, grant: NewBreakGlassGrant): Promise<BreakGlassGrant> {
  const [row] = await run<GrantRow>(
    db,
    sql`INSERT INTO break_glass_grants (subject_id, user_id, agency_id, reason, expires_at)
          VALUES (${grant.subjectId}::uuid, ${grant.userId}::uuid, ${grant.agencyId}::uuid, ${grant.reason},
                  now() + make_interval(mins => ${grant.minutes}))
          RETURNING id, subject_id, user_id, reason, granted_at, expires_at, reviewed_at`,
  );
  return toBreakGlassGrant(row);
}
