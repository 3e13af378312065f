import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { and, raw, run, sql, type Queryable, type Sql } from '../db/sql';
import type { BreakGlassGrant } from './break-glass.types';

interface GrantRow {
  id: string;
  subject_id: string;
  user_id: string;
  reason: string;
  granted_at: Date;
  expires_at: Date;
  reviewed_at: Date | null;
  reviewed_by_user_id: string | null;
  review_outcome: string | null;
  review_note: string | null;
}

const GRANT_COLUMNS = raw(
  'g.id, g.subject_id, g.user_id, g.reason, g.granted_at, g.expires_at, g.reviewed_at, g.reviewed_by_user_id, g.review_outcome, g.review_note',
);

const toBreakGlassGrant = (row: GrantRow): BreakGlassGrant => ({
  id: row.id,
  subjectId: row.subject_id,
  userId: row.user_id,
  reason: row.reason,
  grantedAt: row.granted_at,
  expiresAt: row.expires_at,
  reviewedAt: row.reviewed_at,
  reviewedByUserId: row.reviewed_by_user_id,
  reviewOutcome: row.review_outcome,
  reviewNote: row.review_note,
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
    sql`INSERT INTO break_glass_grants AS g (subject_id, user_id, agency_id, reason, expires_at)
          VALUES (${grant.subjectId}::uuid, ${grant.userId}::uuid, ${grant.agencyId}::uuid, ${grant.reason},
                  now() + make_interval(mins => ${grant.minutes}))
          RETURNING ${GRANT_COLUMNS}`,
  );
  return toBreakGlassGrant(row);
}

/** The grant within the reviewer's scope (alias `g`), locked for its review; null outside it. */
export async function lockGrantForReview(db: Queryable, scope: Sql, id: string): Promise<BreakGlassGrant | null> {
  const [row] = await run<GrantRow>(
    db,
    sql`SELECT ${GRANT_COLUMNS} FROM break_glass_grants g WHERE g.id = ${id}::uuid AND ${scope} FOR UPDATE`,
  );
  return row ? toBreakGlassGrant(row) : null;
}

/** Records the review of a grant not yet reviewed (the caller holds its lock). */
export async function markGrantReviewed(
  db: Queryable,
  id: string,
  review: { reviewerId: string; outcome: string; note: string },
): Promise<BreakGlassGrant> {
  const [row] = await run<GrantRow>(
    db,
    // As a CTE: the driver returns an UPDATE's rows with its count, a SELECT's as they are.
    sql`WITH reviewed AS (
          UPDATE break_glass_grants g SET reviewed_at = now(), reviewed_by_user_id = ${review.reviewerId}::uuid,
                 review_outcome = ${review.outcome}, review_note = ${review.note}
           WHERE g.id = ${id}::uuid AND g.reviewed_at IS NULL
          RETURNING ${GRANT_COLUMNS})
        SELECT * FROM reviewed`,
  );
  return toBreakGlassGrant(row);
}

/** Grants within `scope` (alias `g`), newest first; `reviewed` true/false for reviewed or awaiting review only. */
export function listGrants(db: Queryable, scope: Sql, reviewed: boolean | undefined, args: PageRequest): Promise<Page<BreakGlassGrant>> {
  const filter = reviewed === undefined ? raw('true') : reviewed ? raw('g.reviewed_at IS NOT NULL') : raw('g.reviewed_at IS NULL');
  return keysetPage<GrantRow>(
    db,
    {
      list: 'breakGlassGrants',
      select: GRANT_COLUMNS,
      from: raw('break_glass_grants g'),
      where: and([scope, filter]),
      sortColumn: raw('g.granted_at'),
      idColumn: raw('g.id'),
      sortType: 'timestamptz',
    },
    args,
  ).then((page) => ({ ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toBreakGlassGrant(e.node) })) }));
}
