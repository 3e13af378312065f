import type { Principal } from '../auth/principal';
import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { storableJson } from '../db/safe-text';
import { and, raw, run, type Sql, sql, type Queryable } from '../db/sql';
import {
  hasActiveCseFlag,
  NOTICE_FACTS,
  noticeAgenciesSql,
  noticeRecipientsSql,
  ownInboxScope,
  routineRead,
} from '../policy/notifications';
import type { NotificationType } from './notification.enums';
import type { Notification } from './notification.types';

/** A notice to raise: its type and the ids it names, never content. */
export interface NewNotice {
  type: NotificationType;
  recordKind: string;
  recordId: string;
  subjectId?: string | null;
  actingAgencyId?: string | null;
  actingPrincipalId?: string | null;
  targetAgencyId?: string | null;
  targetPrincipalId?: string | null;
  /** A notice with a key is raised once, however often it is raised (clocks, access notices). */
  dedupeKey?: string | null;
  occurredAt?: Date | null;
}

/**
 * Writes notices to the outbox in the caller's transaction; each insert enqueues its fan-out job in
 * the same transaction (the table's trigger). Nothing is returned: a request may raise notices it
 * may not read (RETURNING would need it to).
 *
 * A notice with a dedupe key is skipped when its key was raised before. Only the system context
 * raises those (clocks, the access scan): row security makes ON CONFLICT read the table.
 */
export async function raiseNotices(db: Queryable, notices: readonly NewNotice[]): Promise<void> {
  const keyed = notices.filter((n) => n.dedupeKey != null);
  const unkeyed = notices.filter((n) => n.dedupeKey == null);
  if (unkeyed.length) await run(db, insertNotices(unkeyed, raw('')));
  if (keyed.length) await run(db, insertNotices(keyed, raw('ON CONFLICT (dedupe_key) DO NOTHING')));
}

function insertNotices(notices: readonly NewNotice[], onConflict: Sql): Sql {
  const rows = notices.map((n) => ({
    type: n.type,
    record_kind: n.recordKind,
    record_id: n.recordId,
    subject_id: n.subjectId ?? null,
    acting_agency_id: n.actingAgencyId ?? null,
    acting_principal_id: n.actingPrincipalId ?? null,
    target_agency_id: n.targetAgencyId ?? null,
    target_principal_id: n.targetPrincipalId ?? null,
    dedupe_key: n.dedupeKey ?? null,
    occurred_at: n.occurredAt ?? null,
  }));
  return sql`INSERT INTO notification_events (type, record_kind, record_id, subject_id, acting_agency_id, acting_principal_id,
                                              target_agency_id, target_principal_id, dedupe_key, occurred_at)
             SELECT v.type, v.record_kind, v.record_id, v.subject_id, v.acting_agency_id, v.acting_principal_id,
                    v.target_agency_id, v.target_principal_id, v.dedupe_key, coalesce(v.occurred_at, now())
               FROM jsonb_to_recordset(${storableJson(rows)}::jsonb) AS v(type text, record_kind text, record_id uuid, subject_id uuid,
                    acting_agency_id uuid, acting_principal_id uuid, target_agency_id uuid, target_principal_id uuid,
                    dedupe_key text, occurred_at timestamptz)
             ${onConflict}`;
}

// ---------------------------------------------------------------------------------------------
// Fan-out (the system context: the worker acts for nobody)

export interface PendingNotice {
  id: string;
  type: NotificationType;
  record_kind: string | null;
  record_id: string | null;
  subject_id: string | null;
  occurred_at: Date;
}

/** Locks a notice not yet fanned out (null: already done, by this job's earlier run or another). */
export async function lockPendingNotice(db: Queryable, id: string): Promise<PendingNotice | null> {
  const [row] = await run<PendingNotice>(
    db,
    sql`SELECT id, type, record_kind, record_id, subject_id, occurred_at FROM notification_events
         WHERE id = ${id}::uuid AND fanned_out_at IS NULL FOR UPDATE`,
  );
  return row ?? null;
}

/** Fills in the facts of the notice's record that decide its recipients (policy/notifications.ts). */
export async function fillNoticeFacts(db: Queryable, id: string): Promise<void> {
  await run(
    db,
    sql`UPDATE notification_events n SET subject_id = f.subject_id, target_agency_id = f.target_agency_id,
               target_principal_id = f.target_principal_id
          FROM (SELECT ${NOTICE_FACTS} FROM notification_events ev WHERE ev.id = ${id}::uuid) f
         WHERE n.id = ${id}::uuid`,
  );
}

export interface NoticeRecipient {
  principal_id: string;
  principal_kind: 'USER' | 'SERVICE';
  agency_id: string;
}

/** Puts the notice in each recipient's inbox (once, however often the job runs); returns the recipients. */
export async function deliverToInboxes(db: Queryable, notice: PendingNotice): Promise<NoticeRecipient[]> {
  await run(
    db,
    sql`INSERT INTO notifications (event_id, recipient_id, recipient_kind, recipient_agency_id)
        SELECT ev.id, r.principal_id, r.principal_kind, r.agency_id
          FROM notification_events ev, LATERAL (${noticeRecipientsSql(notice.type)}) r
         WHERE ev.id = ${notice.id}::uuid
        ON CONFLICT DO NOTHING`,
  );
  return run<NoticeRecipient>(
    db,
    sql`SELECT recipient_id AS principal_id, recipient_kind AS principal_kind, recipient_agency_id AS agency_id
          FROM notifications WHERE event_id = ${notice.id}::uuid ORDER BY recipient_id`,
  );
}

/** The agencies whose webhooks carry the notice. */
export async function noticeAgencies(db: Queryable, notice: PendingNotice): Promise<string[]> {
  const rows = await run<{ id: string }>(
    db,
    sql`SELECT w.id FROM notification_events ev, LATERAL (${noticeAgenciesSql(notice.type)}) w WHERE ev.id = ${notice.id}::uuid ORDER BY w.id`,
  );
  return rows.map((r) => r.id);
}

/** The channel every instance LISTENs on for notices just delivered (src/subscriptions/). */
export const NOTICES_CHANNEL = 'safeshare_notices';

/** Starts hearing `NOTICES_CHANNEL` on a dedicated connection (the relay's, src/subscriptions/notice-relay.ts). */
export async function listenForNotices(client: { query(text: string): Promise<unknown> }): Promise<void> {
  await client.query(`LISTEN ${NOTICES_CHANNEL}`);
}

/** Recipients named in one NOTIFY: PostgreSQL refuses a payload of 8,000 bytes or more. */
export const RECIPIENTS_PER_MESSAGE = 100;

/**
 * Marks the notice fanned out and tells every instance which principals received it, in messages
 * of at most RECIPIENTS_PER_MESSAGE (a force-wide notice has hundreds): NOTIFY is sent at COMMIT,
 * so a subscriber never hears of a notice that is not in its inbox.
 */
export async function markFannedOut(db: Queryable, id: string, recipientIds: readonly string[]): Promise<void> {
  await run(
    db,
    sql`WITH done AS (UPDATE notification_events SET fanned_out_at = now() WHERE id = ${id}::uuid RETURNING id),
             chunks AS (SELECT array_agg(r.id ORDER BY r.n) AS ids
                          FROM unnest(${recipientIds}::uuid[]) WITH ORDINALITY AS r(id, n)
                         GROUP BY (r.n - 1) / ${RECIPIENTS_PER_MESSAGE})
        SELECT pg_notify(${NOTICES_CHANNEL}, json_build_object('eventId', done.id, 'recipientIds', coalesce(chunks.ids, '{}'))::text)
          FROM done LEFT JOIN chunks ON true`,
  );
}

// ---------------------------------------------------------------------------------------------
// The inbox (the caller's own)

interface InboxRow {
  id: string;
  type: NotificationType;
  occurred_at: Date;
  read_at: Date | null;
  record_kind: string | null;
  record_id: string | null;
  subject_id: string | null;
  acting_agency_id: string | null;
}

const INBOX_COLUMNS = raw(`e.id, e.type, e.occurred_at, n.read_at, e.record_kind, e.record_id, e.subject_id, e.acting_agency_id`);
const INBOX_FROM = raw('notifications n JOIN notification_events e ON e.id = n.event_id');

const toNotification = (row: InboxRow): Notification => ({
  id: row.id,
  type: row.type,
  occurredAt: row.occurred_at,
  read: row.read_at !== null,
  recordKind: row.record_kind,
  recordId: row.record_id,
  subjectId: row.subject_id,
  actingAgencyId: row.acting_agency_id,
});

/** The caller's notices, newest delivered first; `unreadOnly` leaves out those marked read. */
export async function listInbox(
  db: Queryable,
  principal: Principal,
  args: PageRequest & { unreadOnly?: boolean | null },
): Promise<Page<Notification>> {
  const conditions = [ownInboxScope(principal)];
  if (args.unreadOnly) conditions.push(raw('n.read_at IS NULL'));
  const page = await keysetPage<InboxRow>(
    db,
    {
      list: 'notifications',
      select: INBOX_COLUMNS,
      from: INBOX_FROM,
      where: and(conditions),
      sortColumn: raw('n.delivered_at'),
      idColumn: raw('n.event_id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map(({ cursor, node }) => ({ cursor, node: toNotification(node) })) };
}

/** One notice in the caller's inbox, or null: what a subscription sends, re-checked per event. */
export async function findNoticeFor(db: Queryable, principal: Principal, id: string): Promise<Notification | null> {
  const [row] = await run<InboxRow>(
    db,
    sql`SELECT ${INBOX_COLUMNS} FROM ${INBOX_FROM} WHERE n.event_id = ${id}::uuid AND ${ownInboxScope(principal)}`,
  );
  return row ? toNotification(row) : null;
}

/** Of `ids`, those not in the caller's inbox (none may be marked then). */
export async function noticesNotInInbox(db: Queryable, principal: Principal, ids: readonly string[]): Promise<string[]> {
  const rows = await run<{ id: string }>(
    db,
    sql`SELECT x.id::text AS id FROM unnest(${ids}::uuid[]) AS x(id)
         WHERE NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_id = x.id AND ${ownInboxScope(principal)})`,
  );
  return rows.map((r) => r.id);
}

/** Marks the caller's notices read; returns those newly marked (already read ones stay as they were). */
export async function markInboxRead(db: Queryable, principal: Principal, ids: readonly string[]): Promise<string[]> {
  const rows = await run<{ id: string }>(
    db,
    sql`WITH marked AS (UPDATE notifications n SET read_at = now()
                         WHERE n.event_id = ANY(${ids}::uuid[]) AND n.read_at IS NULL AND ${ownInboxScope(principal)}
                        RETURNING n.event_id::text AS id)
        SELECT id FROM marked ORDER BY id`,
  );
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------
// Access notices: read from the audit trail, which holds every read that handed out a subject

const ACCESS_SCAN = 'subject_access';

/**
 * Takes the access scan's position, or null when another instance holds it (it is scanning now:
 * this one skips). A first scan starts from now: reads before push sharing existed raise nothing.
 */
export async function claimAccessScanPosition(db: Queryable): Promise<string | null> {
  await run(
    db,
    sql`INSERT INTO notification_scan_positions (name, tx_id) VALUES (${ACCESS_SCAN}, pg_snapshot_xmin(pg_current_snapshot()))
        ON CONFLICT (name) DO NOTHING`,
  );
  const [row] = await run<{ tx_id: string }>(
    db,
    sql`SELECT tx_id::text FROM notification_scan_positions WHERE name = ${ACCESS_SCAN} FOR UPDATE SKIP LOCKED`,
  );
  return row?.tx_id ?? null;
}

/**
 * Raises SUBJECT_ACCESSED for every read, in transactions from `from` up to `horizon` (the oldest
 * still running: every earlier one has settled), that handed out a subject with an active CSE flag
 * to an agency outside its care (policy/notifications.ts `routineRead`); once an hour per subject
 * and reading agency. Moves the position to `horizon`. Returns how many notices were raised.
 */
export async function raiseAccessNotices(db: Queryable, from: string, horizon: string): Promise<number> {
  const subject = raw('r.id');
  const reader = raw('e.actor_agency_id');
  const raised = await run<{ id: string }>(
    db,
    sql`INSERT INTO notification_events (type, record_kind, record_id, subject_id, acting_agency_id, acting_principal_id, dedupe_key, occurred_at)
        SELECT DISTINCT ON (r.id, e.actor_agency_id, date_trunc('hour', e.occurred_at))
               'SUBJECT_ACCESSED', 'subject', r.id, r.id, e.actor_agency_id, e.actor_id,
               concat_ws(':', 'SUBJECT_ACCESSED', r.id, e.actor_agency_id, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')),
               e.occurred_at
          FROM audit_events e
               CROSS JOIN LATERAL jsonb_to_recordset(e.details->'records') AS r(kind text, id uuid, requested boolean, referenced boolean)
         WHERE e.tx_id >= ${from}::xid8 AND e.tx_id < ${horizon}::xid8
           AND e.subject_ids <> '{}' AND e.outcome = 'ALLOWED' AND e.action IN ('READ', 'LIST', 'SEARCH')
           AND e.actor_agency_id IS NOT NULL
           AND r.kind = 'subject' AND r.requested IS NOT TRUE AND r.referenced IS NOT TRUE
           AND ${hasActiveCseFlag(subject)} AND NOT ${routineRead(reader, subject)}
         ORDER BY r.id, e.actor_agency_id, date_trunc('hour', e.occurred_at), e.occurred_at
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id`,
  );
  await run(db, sql`UPDATE notification_scan_positions SET tx_id = ${horizon}::xid8 WHERE name = ${ACCESS_SCAN}`);
  return raised.length;
}
