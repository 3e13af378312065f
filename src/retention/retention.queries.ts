import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { and, raw, run, sql, type Queryable, type Sql } from '../db/sql';
import { notDisposed } from '../policy/retention';
import { RECORD_KIND_OF, type RetentionDecision, RetentionRecordKind } from './retention.enums';
import type { RetentionDecisionRecord, RetentionReview, RetentionReviewGroup } from './retention.types';

/**
 * Every record under retention review, alias `rv`, with its review group and dates (docs/lawful-sharing.md,
 * "Review groups"). The group of each kind: a flag (a CSE risk or perpetrator marker) group 1; a
 * subject group 1 when it carries or carried a CSE_PERPETRATOR flag, otherwise group 2 (victims and
 * others: their records follow the sexual offences they concern); a crime (CSE-linked sexual
 * offences) group 2; an intelligence report group 3. The basis date: received (report), recorded
 * (crime), set (flag), a subject's first report (or its creation). It is due at the last decision's
 * next review date, or else the basis plus the group's first review period (retention_review_groups,
 * configurable). Disposed records are not reviewed again.
 */
const REVIEWABLE = sql`(
  SELECT rec.record_kind, rec.record_id AS id, rec.label, rec.review_group, rec.basis_at, rec.subject_dob,
         coalesce(last.next_review_at, rec.basis_at + make_interval(years => g.first_review_years)) AS review_due_at,
         last.decided_at AS last_reviewed_at, g.keep_until_age, g.repeat_review_years
    FROM (SELECT 'intelligence_report'::text AS record_kind, r.id AS record_id, r.reference AS label, 3 AS review_group,
                 r.received_at AS basis_at, NULL::date AS subject_dob
            FROM intelligence_reports r WHERE ${notDisposed('r')}
          UNION ALL
          SELECT 'subject', s.id, s.police_reference,
                 CASE WHEN EXISTS (SELECT 1 FROM flags pf WHERE pf.subject_id = s.id AND pf.kind = 'CSE_PERPETRATOR'
                                                           AND pf.status IN ('ACTIVE', 'ENDED')) THEN 1 ELSE 2 END,
                 least(s.created_at, (SELECT min(br.received_at) FROM report_subjects brs JOIN intelligence_reports br ON br.id = brs.report_id
                                       WHERE brs.subject_id = s.id)),
                 s.date_of_birth
            FROM subjects s WHERE ${notDisposed('s')}
          UNION ALL
          SELECT 'flag', f.id, f.kind::text, 1, f.set_at, (SELECT fs.date_of_birth FROM subjects fs WHERE fs.id = f.subject_id)
            FROM flags f WHERE ${notDisposed('f')}
          UNION ALL
          SELECT 'crime', c.id, c.crime_reference, 2, c.recorded_on::timestamptz, NULL::date
            FROM crimes c WHERE ${notDisposed('c')}) rec
    JOIN retention_review_groups g ON g.review_group = rec.review_group
    LEFT JOIN LATERAL (SELECT d.next_review_at, d.decided_at FROM retention_decisions d
                        WHERE d.record_kind = rec.record_kind AND d.record_id = rec.record_id
                        ORDER BY d.decided_at DESC LIMIT 1) last ON true) rv`;

const REVIEW_COLUMNS = raw(`rv.record_kind, rv.id, rv.label, rv.review_group, rv.basis_at, rv.review_due_at, rv.last_reviewed_at`);

interface ReviewRow {
  record_kind: string;
  id: string;
  label: string | null;
  review_group: number;
  basis_at: Date;
  review_due_at: Date;
  last_reviewed_at: Date | null;
}

const KIND_OF_RECORD = Object.fromEntries(Object.entries(RECORD_KIND_OF).map(([api, db]) => [db, api])) as Record<
  string,
  RetentionRecordKind
>;

const toReview = (row: ReviewRow): RetentionReview => ({
  id: row.id,
  recordKind: KIND_OF_RECORD[row.record_kind],
  recordId: row.id,
  label: row.label,
  reviewGroup: row.review_group,
  basisAt: row.basis_at,
  reviewDueAt: row.review_due_at,
  lastReviewedAt: row.last_reviewed_at,
});

/**
 * Oldest due first: keyset paging runs newest first on its sort column, so the column is the due
 * time mirrored about a fixed instant (later due, earlier mirrored).
 */
const MIRRORED_DUE = raw(`(timestamptz '4000-01-01 00:00:00+00' - (rv.review_due_at - timestamptz '2000-01-01 00:00:00+00'))`);

/** The queue: records within `scope` whose review date has passed, oldest due first. */
export async function listReviewPage(
  db: Queryable,
  scope: Sql,
  kind: RetentionRecordKind | undefined,
  args: PageRequest,
): Promise<Page<RetentionReview>> {
  const conditions = [scope, raw('rv.review_due_at <= now()')];
  if (kind) conditions.push(sql`rv.record_kind = ${RECORD_KIND_OF[kind]}`);
  const page = await keysetPage<ReviewRow>(
    db,
    {
      list: 'retentionReviews',
      select: REVIEW_COLUMNS,
      from: REVIEWABLE,
      where: and(conditions),
      sortColumn: MIRRORED_DUE,
      idColumn: raw('rv.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toReview(e.node) })) };
}

export interface ReviewableRecord {
  reviewGroup: number;
  reviewDueAt: Date;
  subjectDateOfBirth: string | null;
  keepUntilAge: number | null;
  repeatReviewYears: number | null;
}

/**
 * One record under review (not disposed, within `scope`), with what the decision rules need;
 * serialised per record (a transaction-level advisory lock) so two decisions on it are one after the other.
 */
export async function lockReviewable(
  db: Queryable,
  scope: Sql,
  kind: RetentionRecordKind,
  id: string,
): Promise<ReviewableRecord | undefined> {
  const recordKind = RECORD_KIND_OF[kind];
  await run(db, sql`SELECT pg_advisory_xact_lock(hashtextextended(${`retention:${recordKind}:${id}`}, 0))`);
  const [row] = await run<{
    review_group: number;
    review_due_at: Date;
    subject_dob: string | null;
    keep_until_age: number | null;
    repeat_review_years: number | null;
  }>(
    db,
    sql`SELECT rv.review_group, rv.review_due_at, rv.subject_dob::text AS subject_dob, rv.keep_until_age, rv.repeat_review_years
          FROM ${REVIEWABLE} WHERE rv.record_kind = ${recordKind} AND rv.id = ${id}::uuid AND ${scope}`,
  );
  return (
    row && {
      reviewGroup: row.review_group,
      reviewDueAt: row.review_due_at,
      subjectDateOfBirth: row.subject_dob,
      keepUntilAge: row.keep_until_age,
      repeatReviewYears: row.repeat_review_years,
    }
  );
}

interface DecisionRow {
  id: string;
  record_kind: string;
  record_id: string;
  review_group: number;
  decision: RetentionDecision;
  reason: string;
  next_review_at: Date | null;
  decided_by_user_id: string;
  decided_at: Date;
}

export async function insertDecision(
  db: Queryable,
  d: {
    kind: RetentionRecordKind;
    id: string;
    reviewGroup: number;
    decision: RetentionDecision;
    reason: string;
    nextReviewAt: Date | null;
    by: string;
  },
): Promise<RetentionDecisionRecord> {
  const [row] = await run<DecisionRow>(
    db,
    sql`INSERT INTO retention_decisions (record_kind, record_id, review_group, decision, reason, next_review_at, decided_by_user_id)
        VALUES (${RECORD_KIND_OF[d.kind]}, ${d.id}::uuid, ${d.reviewGroup}, ${d.decision}::retention_outcome, ${d.reason},
                ${d.nextReviewAt}, ${d.by}::uuid)
        RETURNING *`,
  );
  return {
    id: row.id,
    recordKind: KIND_OF_RECORD[row.record_kind],
    recordId: row.record_id,
    reviewGroup: row.review_group,
    decision: row.decision,
    reason: row.reason,
    nextReviewAt: row.next_review_at,
    decidedByUserId: row.decided_by_user_id,
    decidedAt: row.decided_at,
  };
}

/** Removes the record's case content (the owner-run `dispose_record`); false when it was disposed already. */
export async function disposeRecord(db: Queryable, kind: RetentionRecordKind, id: string): Promise<boolean> {
  const [{ done }] = await run<{ done: boolean }>(db, sql`SELECT dispose_record(${RECORD_KIND_OF[kind]}, ${id}::uuid) AS done`);
  return done;
}

export async function listReviewGroups(db: Queryable): Promise<RetentionReviewGroup[]> {
  const rows = await run<{
    review_group: number;
    label: string;
    first_review_years: number;
    repeat_review_years: number | null;
    keep_until_age: number | null;
    source: string;
  }>(db, sql`SELECT * FROM retention_review_groups ORDER BY review_group`);
  return rows.map((g) => ({
    reviewGroup: g.review_group,
    label: g.label,
    firstReviewYears: g.first_review_years,
    repeatReviewYears: g.repeat_review_years,
    keepUntilAge: g.keep_until_age,
    source: g.source,
  }));
}
