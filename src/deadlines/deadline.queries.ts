import { run, sql, type Queryable } from '../db/sql';
import type { NewNotice } from '../notifications/notification.queries';
import { NotificationType } from '../notifications/notification.enums';
import { AGREEMENT_DUE_FOR_REVIEW } from '../policy/agreements';

/** The advisory lock the clocks run under: one instance at a time runs them, the others skip. */
const CLOCKS_LOCK = sql`hashtextextended('safeshare:deadline_clocks', 0)`;

/** Takes the clocks' lock until the transaction ends; false when another instance holds it. */
export async function tryLockClocks(db: Queryable): Promise<boolean> {
  const [{ locked }] = await run<{ locked: boolean }>(db, sql`SELECT pg_try_advisory_xact_lock(${CLOCKS_LOCK}) AS locked`);
  return locked;
}

/** How many of each a run raises at most; the rest wait for the next run (a transaction stays short). */
const BATCH = 500;

interface DueRow {
  record_id: string;
  dedupe_key: string;
  occurred_at: Date;
}

// Each clock's dedupe key: one notice per record (per record and review date for flags).
const notRaised = sql`NOT EXISTS (SELECT 1 FROM notification_events ne WHERE ne.dedupe_key = due.dedupe_key)`;

/** Pending access requests past their due time whose overdue notice has not been raised (it happens at the due time). */
export async function overdueRequestNotices(db: Queryable): Promise<NewNotice[]> {
  const rows = await run<DueRow>(
    db,
    sql`SELECT * FROM (SELECT ar.id AS record_id, ${NotificationType.ACCESS_REQUEST_OVERDUE}::text || ':' || ar.id AS dedupe_key, ar.due_at AS occurred_at
                         FROM access_requests ar WHERE ar.status = 'PENDING' AND ar.due_at <= now()) due
         WHERE ${notRaised} ORDER BY due.occurred_at, due.record_id LIMIT ${BATCH}`,
  );
  return rows.map((r) => ({
    type: NotificationType.ACCESS_REQUEST_OVERDUE,
    recordKind: 'access_request',
    recordId: r.record_id,
    dedupeKey: r.dedupe_key,
    occurredAt: r.occurred_at,
  }));
}

/** Active disclosures expiring within `withinHours` whose expiring notice has not been raised. */
export async function expiringDisclosureNotices(db: Queryable, withinHours: number): Promise<NewNotice[]> {
  const rows = await run<DueRow>(
    db,
    sql`SELECT * FROM (SELECT d.id AS record_id, ${NotificationType.DISCLOSURE_EXPIRING}::text || ':' || d.id AS dedupe_key, now() AS occurred_at,
                              d.expires_at
                         FROM disclosures d
                        WHERE d.revoked_at IS NULL AND d.expires_at > now() AND d.expires_at <= now() + make_interval(hours => ${withinHours}::int)) due
         WHERE ${notRaised} ORDER BY due.expires_at, due.record_id LIMIT ${BATCH}`,
  );
  return rows.map((r) => ({
    type: NotificationType.DISCLOSURE_EXPIRING,
    recordKind: 'disclosure',
    recordId: r.record_id,
    dedupeKey: r.dedupe_key,
  }));
}

/**
 * Agreements in force (ACTIVE or SUSPENDED) whose review date has come, whose notice for that date
 * has not been raised: once per agreement and review date (a review that sets a new date raises
 * the next one when that comes).
 */
export async function reviewDueAgreementNotices(db: Queryable): Promise<NewNotice[]> {
  const rows = await run<DueRow>(
    db,
    sql`SELECT * FROM (SELECT isa.id AS record_id, concat_ws(':', ${NotificationType.AGREEMENT_REVIEW_DUE}::text, isa.id, isa.review_on::text) AS dedupe_key,
                              isa.review_on
                         FROM information_sharing_agreements isa WHERE ${AGREEMENT_DUE_FOR_REVIEW}) due
         WHERE ${notRaised} ORDER BY due.review_on, due.record_id LIMIT ${BATCH}`,
  );
  return rows.map((r) => ({
    type: NotificationType.AGREEMENT_REVIEW_DUE,
    recordKind: 'agreement',
    recordId: r.record_id,
    dedupeKey: r.dedupe_key,
  }));
}

/**
 * Active flags whose review date (a UTC calendar day) is today or up to `lookbackDays` before,
 * whose notice for that date has not been raised. Older passed dates raise nothing: they were due
 * before the clock could tell anyone (a first run on old data would otherwise flood supervisors).
 */
export async function reviewDueFlagNotices(db: Queryable, lookbackDays: number): Promise<NewNotice[]> {
  const rows = await run<DueRow>(
    db,
    sql`SELECT * FROM (SELECT f.id AS record_id, concat_ws(':', ${NotificationType.FLAG_REVIEW_DUE}::text, f.id, f.review_date::text) AS dedupe_key,
                              now() AS occurred_at, f.review_date
                         FROM flags f, LATERAL (SELECT (now() AT TIME ZONE 'UTC')::date AS today) t
                        WHERE f.status = 'ACTIVE' AND f.review_date <= t.today AND f.review_date >= t.today - ${lookbackDays}::int) due
         WHERE ${notRaised} ORDER BY due.review_date, due.record_id LIMIT ${BATCH}`,
  );
  return rows.map((r) => ({
    type: NotificationType.FLAG_REVIEW_DUE,
    recordKind: 'flag',
    recordId: r.record_id,
    dedupeKey: r.dedupe_key,
  }));
}
