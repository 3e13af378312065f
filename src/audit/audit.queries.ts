import type { DataSource, EntityManager } from 'typeorm';
import { storableJson } from '../db/safe-text';
import { and, join, type Queryable, raw, run, type Sql, sql } from '../db/sql';
import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { AuditAction, type AuditedRecord, AuditOutcome } from './audit-event';
import { AnomalyKind } from './audit.enums';
import type { AuditEvent, AuditFilter, ComputedAnomaly } from './audit.types';

/*
 * The audit trail's repository, by purpose: reading events, exporting them, unusual access,
 * writing events (with their records' context), sealing, verifying, checkpoints, the offline
 * verifier's snapshot, and partitions.
 */

// ---------------------------------------------------------------------------------------------
// Reading events

const EVENT_COLUMNS = sql`e.id::text AS id, e.occurred_at AS "occurredAt", e.action, e.outcome, e.reason, e.actor_id AS "actorId",
  e.actor_kind AS "actorKind", e.actor_agency_id AS "actorAgencyId", e.actor_roles AS "actorRoles", e.token_id AS "tokenId",
  e.operation_name AS "operationName", e.operation_field AS "operationField", e.document_hash AS "documentHash",
  e.client_address AS "clientAddress", e.user_agent AS "userAgent", e.request_id AS "requestId", e.record_kind AS "recordKind",
  e.record_ids AS "recordIds", e.subject_ids AS "subjectIds", e.record_count AS "recordCount", e.details`;

/** The filter as SQL on alias `e`; array filters use the GIN indexes (`@>`). */
export function auditFilterSql(filter: AuditFilter = {}): Sql[] {
  const c: Sql[] = [];
  if (filter.actorId != null) c.push(sql`e.actor_id = ${filter.actorId.toLowerCase()}::uuid`);
  if (filter.agencyId != null) {
    const agency = filter.agencyId.toLowerCase();
    c.push(sql`(e.actor_agency_id = ${agency}::uuid OR e.record_agency_ids @> ARRAY[${agency}::uuid])`);
  }
  if (filter.subjectId != null) c.push(sql`e.subject_ids @> ARRAY[${filter.subjectId.toLowerCase()}::uuid]`);
  if (filter.recordId != null) c.push(sql`e.record_ids @> ARRAY[${filter.recordId.toLowerCase()}::uuid]`);
  if (filter.action != null) c.push(sql`e.action = ${filter.action}`);
  if (filter.outcome != null) c.push(sql`e.outcome = ${filter.outcome}`);
  if (filter.from != null) c.push(sql`e.occurred_at >= ${filter.from}`);
  if (filter.to != null) c.push(sql`e.occurred_at < ${filter.to}`);
  return c;
}

/** Newest first, within the auditor's scope; `list` names the list its cursors belong to; `extra`: further conditions. */
export function listAuditEvents(
  db: Queryable,
  list: 'auditEvents' | 'subjectAccessHistory',
  scope: Sql,
  filter: AuditFilter | undefined,
  args: PageRequest,
  extra: Sql[] = [],
): Promise<Page<AuditEvent>> {
  return keysetPage<AuditEvent>(
    db,
    {
      list,
      select: EVENT_COLUMNS,
      from: raw('audit_events e'),
      where: and([scope, ...auditFilterSql(filter), ...extra]),
      sortColumn: raw('e.occurred_at'),
      idColumn: raw('e.id'),
      sortType: 'timestamptz',
      idType: 'bigint',
    },
    args,
  );
}

/**
 * The subjects carrying this identifier (any of the four identifier columns, exactly) that the
 * auditor may find by one (policy/audit.ts identifierLookupScope) and that some event within its
 * scope concerns: an identifier of a child the scope never touched is unknown.
 */
export async function subjectsByIdentifierInScope(db: Queryable, scope: Sql, lookupScope: Sql, identifier: string): Promise<string[]> {
  const rows = await run<{ id: string }>(
    db,
    sql`SELECT s.id FROM subjects_with_identifier(${identifier}) AS s(id)
         WHERE ${lookupScope} AND EXISTS (SELECT 1 FROM audit_events e WHERE e.subject_ids @> ARRAY[s.id] AND ${scope})`,
  );
  return rows.map((r) => r.id);
}

/** Events concerning any of these subjects (alias `e`). */
export const concernsAnySubject = (ids: string[]): Sql => sql`e.subject_ids && ${ids}::uuid[]`;

/** The actions that hand records out; with every refused attempt, what "accesses" counts. */
export const ACCESS_ACTIONS = [AuditAction.READ, AuditAction.LIST, AuditAction.SEARCH, AuditAction.EXPORT];

export interface DayCountRow {
  day: string;
  agency_id: string | null;
  agency_name: string | null;
  agency_kind: string | null;
  outcome: AuditOutcome;
  count: number;
}

/** Accesses in [from, to) within the scope, per UTC day, actor agency and outcome. */
export function accessesPerDay(db: Queryable, scope: Sql, from: Date, to: Date, agencyId: string | undefined): Promise<DayCountRow[]> {
  const agency = agencyId ? sql`e.actor_agency_id = ${agencyId.toLowerCase()}::uuid` : raw('true');
  return run<DayCountRow>(
    db,
    sql`SELECT c.day, c.agency_id, a.name AS agency_name, a.kind AS agency_kind, c.outcome, c.count
          FROM (SELECT to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, e.actor_agency_id AS agency_id, e.outcome,
                       count(*)::int AS count
                  FROM audit_events e
                 WHERE ${scope} AND ${agency} AND e.occurred_at >= ${from} AND e.occurred_at < ${to}
                   AND (e.action = ANY(${ACCESS_ACTIONS}::text[]) OR e.outcome = ${AuditOutcome.DENIED})
                 GROUP BY 1, 2, 3) c
          LEFT JOIN agencies a ON a.id = c.agency_id
         ORDER BY c.day, a.name NULLS LAST, c.agency_id, c.outcome`,
  );
}

// ---------------------------------------------------------------------------------------------
// Reviews of unusual access

export interface AnomalyReviewRow {
  anomaly_id: string;
  outcome: string;
  note: string;
  reviewed_by_user_id: string;
  reviewed_at: Date;
}

/** The reviews of these anomalies within the reviewer scope (alias `ar`). */
export function anomalyReviews(db: Queryable, scope: Sql, ids: string[]): Promise<AnomalyReviewRow[]> {
  return run<AnomalyReviewRow>(
    db,
    sql`SELECT ar.anomaly_id, ar.outcome, ar.note, ar.reviewed_by_user_id, ar.reviewed_at
          FROM access_anomaly_reviews ar WHERE ar.anomaly_id = ANY(${ids}::text[]) AND ${scope}`,
  );
}

export interface NewAnomalyReview {
  anomalyId: string;
  kind: string;
  actorId: string;
  actorAgencyId: string | null;
  eventId: string | null;
  from: Date | null;
  to: Date | null;
  outcome: string;
  note: string;
  reviewerId: string;
}

/** Records the review; null when the anomaly was reviewed already (one review each). */
export async function insertAnomalyReview(db: Queryable, r: NewAnomalyReview): Promise<(AnomalyReviewRow & { id: string }) | null> {
  const [row] = await run<AnomalyReviewRow & { id: string }>(
    db,
    sql`INSERT INTO access_anomaly_reviews
          (anomaly_id, kind, actor_id, actor_agency_id, event_id, period_from, period_to, outcome, note, reviewed_by_user_id)
        VALUES (${r.anomalyId}, ${r.kind}, ${r.actorId}::uuid, ${r.actorAgencyId}::uuid, ${r.eventId}::bigint, ${r.from}, ${r.to},
                ${r.outcome}, ${r.note}, ${r.reviewerId}::uuid)
        ON CONFLICT (anomaly_id) DO NOTHING
        RETURNING id, anomaly_id, outcome, note, reviewed_by_user_id, reviewed_at`,
  );
  return row ?? null;
}

// ---------------------------------------------------------------------------------------------
// Exporting events

/** Where an export batch ended: the last event's time as exact text (microseconds) and its id. */
export interface ExportPosition {
  at: string;
  id: string;
}

/**
 * Batches of events for an export, oldest first, resuming after (occurred_at, id). The position
 * carries the time as PostgreSQL's exact text: a JS Date keeps milliseconds only, and resuming
 * after a rounded-down time would repeat the batch's last event.
 */
export function exportBatch(
  db: Queryable,
  where: Sql,
  after: ExportPosition | null,
  size: number,
): Promise<(AuditEvent & { position: ExportPosition })[]> {
  const resume = after ? sql`(e.occurred_at, e.id) > (${after.at}::timestamptz, ${after.id}::bigint)` : raw('true');
  return run<AuditEvent & { position: ExportPosition }>(
    db,
    sql`SELECT ${EVENT_COLUMNS},
               json_build_object('at', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'id', e.id::text) AS position
          FROM audit_events e WHERE ${where} AND ${resume} ORDER BY e.occurred_at, e.id LIMIT ${size}`,
  );
}

/**
 * Reads the export's batches in one READ ONLY, REPEATABLE READ transaction (one snapshot): events
 * committed meanwhile are neither half-included nor able to shift a batch boundary. `onBatch`
 * gets each batch in turn; a batch shorter than `size` is the last.
 */
export function readExportBatches(
  db: EntityManager,
  where: Sql,
  size: number,
  onBatch: (batch: (AuditEvent & { position: ExportPosition })[]) => Promise<void>,
): Promise<void> {
  return db.transaction('REPEATABLE READ', async (tx) => {
    await tx.query('SET TRANSACTION READ ONLY');
    let after: ExportPosition | null = null;
    for (;;) {
      const batch = await exportBatch(tx, where, after, size);
      await onBatch(batch);
      if (batch.length < size) break;
      after = batch[batch.length - 1].position;
    }
  });
}

/** The export's condition: the auditor's scope and the filter. */
export const exportWhere = (scope: Sql, filter: AuditFilter): Sql => and([scope, ...auditFilterSql(filter)]);

// ---------------------------------------------------------------------------------------------
// Unusual access

const READS = [AuditAction.READ, AuditAction.LIST, AuditAction.SEARCH];
/** Below this many records in a period nobody is "far above" anything. */
const MIN_NORM = 20;
/** A read returning at least this many records outside working hours is a bulk read. */
export const BULK_RECORDS = 50;
const OWN_HISTORY_DAYS = 28;

/**
 * Unusual access in [from, to): users whose reads are `factor` times their own norm (their average
 * over the previous four weeks, per period of the same length) or their role's (the median of users
 * with the same roles); every break-glass; reads of many records at once outside working hours
 * (07:00-19:00 Monday to Friday, UK time).
 */
export async function findAnomalies(db: Queryable, scope: Sql, from: Date, to: Date, factor: number): Promise<ComputedAnomaly[]> {
  const periodMs = to.getTime() - from.getTime();
  const historyFrom = new Date(from.getTime() - OWN_HISTORY_DAYS * 86_400_000);
  const volumes = await run<{ actor_id: string; actor_agency_id: string | null; reads: number; own: number; role_norm: number }>(
    db,
    sql`WITH period AS (
          SELECT e.actor_id, e.actor_agency_id, e.actor_roles, sum(e.record_count)::int AS reads
            FROM audit_events e
           WHERE ${scope} AND e.actor_id IS NOT NULL AND e.action = ANY(${READS}::text[]) AND e.outcome = ${AuditOutcome.ALLOWED}
             AND e.occurred_at >= ${from} AND e.occurred_at < ${to}
           GROUP BY 1, 2, 3),
        history AS (
          SELECT e.actor_id, sum(e.record_count)::float8 AS reads
            FROM audit_events e
           WHERE e.actor_id IN (SELECT actor_id FROM period) AND e.action = ANY(${READS}::text[]) AND e.outcome = ${AuditOutcome.ALLOWED}
             AND e.occurred_at >= ${historyFrom} AND e.occurred_at < ${from}
           GROUP BY 1),
        roles AS (
          SELECT actor_roles, percentile_cont(0.5) WITHIN GROUP (ORDER BY reads) AS median FROM period GROUP BY 1)
        SELECT p.actor_id, p.actor_agency_id, p.reads,
               round(coalesce(h.reads, 0) * ${periodMs}::float8 / ${OWN_HISTORY_DAYS * 86_400_000}::float8)::int AS own,
               round(r.median)::int AS role_norm
          FROM period p LEFT JOIN history h USING (actor_id) JOIN roles r USING (actor_roles)`,
  );
  const anomalies: ComputedAnomaly[] = [];
  for (const v of volumes) {
    const base = { actorId: v.actor_id, actorAgencyId: v.actor_agency_id, count: v.reads, eventId: null, occurredAt: null };
    if (v.reads > factor * Math.max(v.own, MIN_NORM)) anomalies.push({ ...base, kind: AnomalyKind.ABOVE_OWN_NORM, baseline: v.own });
    if (v.reads > factor * Math.max(v.role_norm, MIN_NORM)) {
      anomalies.push({ ...base, kind: AnomalyKind.ABOVE_ROLE_NORM, baseline: v.role_norm });
    }
  }
  const events = await run<{
    id: string;
    actor_id: string;
    actor_agency_id: string | null;
    action: AuditAction;
    record_count: number;
    occurred_at: Date;
  }>(
    db,
    sql`SELECT e.id::text, e.actor_id, e.actor_agency_id, e.action, e.record_count, e.occurred_at
          FROM audit_events e
         WHERE ${scope} AND e.actor_id IS NOT NULL AND e.occurred_at >= ${from} AND e.occurred_at < ${to} AND e.outcome = ${AuditOutcome.ALLOWED}
           AND (e.action = ${AuditAction.BREAK_GLASS}
                OR (e.action = ANY(${READS}::text[]) AND e.record_count >= ${BULK_RECORDS}
                    AND (extract(isodow FROM e.occurred_at AT TIME ZONE 'Europe/London') > 5
                         OR (e.occurred_at AT TIME ZONE 'Europe/London')::time NOT BETWEEN '07:00' AND '19:00')))
         ORDER BY e.occurred_at, e.id LIMIT 1000`,
  );
  anomalies.push(...(await findGrantChains(db, scope, from, to)));
  for (const e of events) {
    const breakGlass = e.action === AuditAction.BREAK_GLASS;
    anomalies.push({
      kind: breakGlass ? AnomalyKind.BREAK_GLASS : AnomalyKind.AFTER_HOURS_BULK,
      actorId: e.actor_id,
      actorAgencyId: e.actor_agency_id,
      count: breakGlass ? 1 : e.record_count,
      baseline: null,
      eventId: e.id,
      occurredAt: e.occurred_at,
    });
  }
  return anomalies;
}

/** How soon after their ADMIN role came into force an administrator's own privileged request counts as a chain. */
export const GRANT_CHAIN_WINDOW_HOURS = 24;

/**
 * Grant chains requested in [from, to): an administrator whose ADMIN role was approved (and, when
 * it happened within the window too, whose agency was admitted just before) requests a privileged
 * role within GRANT_CHAIN_WINDOW_HOURS. Each step had its second approver, but the quick succession
 * is how one person who created an agency's first account would use it. Scoped by the audit event of
 * the closing request, so an auditor sees the chains whose requests it may see.
 */
async function findGrantChains(db: Queryable, scope: Sql, from: Date, to: Date): Promise<ComputedAnomaly[]> {
  const window = sql`make_interval(hours => ${GRANT_CHAIN_WINDOW_HOURS})`;
  const rows = await run<{ actor_id: string; agency_id: string; links: number; event_id: string | null; occurred_at: Date }>(
    db,
    sql`SELECT DISTINCT ON (later.id) later.requested_by_id AS actor_id, later.requester_agency_id AS agency_id,
               CASE WHEN admitted.id IS NULL THEN 2 ELSE 3 END AS links, ev.id AS event_id, later.requested_at AS occurred_at
          FROM grants later
          JOIN grants admin ON admin.user_id = later.requested_by_id AND admin.kind = 'ROLES' AND admin.status = 'APPROVED'
                           AND 'ADMIN' = ANY(admin.roles::text[])
                           AND later.requested_at BETWEEN admin.decided_at AND admin.decided_at + ${window}
          LEFT JOIN grants admitted ON admitted.kind = 'AGENCY' AND admitted.agency_id = admin.agency_id AND admitted.status = 'APPROVED'
                           AND admin.decided_at BETWEEN admitted.decided_at AND admitted.decided_at + ${window}
          JOIN LATERAL (
            SELECT e.id::text AS id FROM audit_events e
             WHERE e.record_ids @> ARRAY[later.id] AND e.occurred_at >= later.requested_at - interval '1 hour' AND e.action = ${AuditAction.CHANGE} AND ${scope}
             ORDER BY e.occurred_at, e.id LIMIT 1) ev ON true
         WHERE later.kind = 'ROLES' AND later.requested_at >= ${from} AND later.requested_at < ${to}
         ORDER BY later.id, admin.decided_at DESC
         LIMIT 1000`,
  );
  return rows.map((r) => ({
    kind: AnomalyKind.GRANT_CHAIN,
    actorId: r.actor_id,
    actorAgencyId: r.agency_id,
    count: r.links,
    baseline: null,
    eventId: r.event_id,
    occurredAt: r.occurred_at,
  }));
}

// ---------------------------------------------------------------------------------------------
// Writing events: the records' context (subjects, owning agencies) looked up in the same statement

/** The kinds of case record that concern subjects and belong to agencies (audit_record_context knows each). */
const CASE_KINDS = new Set([
  'intelligence_report',
  'subject',
  'flag',
  'involvement',
  'disclosure',
  'disclosure_decision',
  'access_request',
  'break_glass_grant',
  'crime',
]);

/**
 * Who may do what (no row-level security on these tables): the agency concerned (and, for a grant,
 * the requester's), for its auditors. Rows of (id, subject_id, agency_id) for the ids in a uuid[].
 */
const DIRECTORY_SQL: Record<string, (ids: string[]) => Sql> = {
  agency: (ids) => sql`SELECT a.id, NULL::uuid AS subject_id, a.id AS agency_id FROM agencies a WHERE a.id = ANY(${ids}::uuid[])`,
  user: (ids) => sql`SELECT u.id, NULL::uuid AS subject_id, u.agency_id FROM users u WHERE u.id = ANY(${ids}::uuid[])`,
  grant: (ids) => sql`
    SELECT g.id, NULL::uuid AS subject_id, unnest(ARRAY[g.agency_id, g.requester_agency_id]) AS agency_id
      FROM grants g WHERE g.id = ANY(${ids}::uuid[])`,
};

/**
 * One query over every record named in `records`: rows of (kind, id, subject_id, agency_id), to
 * join when writing their events. This is what makes "who looked at this child" one indexed query,
 * and lets an agency's auditors see reads of its records. Kinds without context contribute nothing.
 *
 * Case records are looked up by `audit_record_context` (migrations/1766600000000-row-security.ts),
 * which runs as the tables' owner: row-level security must not hide the subject of a record its
 * caller was refused, or the child's access history would miss the attempt. It returns ids only,
 * for the ids it is given.
 */
export function recordContextSql(records: readonly AuditedRecord[]): Sql {
  const cases = new Map<string, { kind: string; id: string }>();
  const directory = new Map<string, Set<string>>();
  for (const r of records) {
    if (CASE_KINDS.has(r.kind)) cases.set(`${r.kind}:${r.id}`, { kind: r.kind, id: r.id });
    else if (DIRECTORY_SQL[r.kind]) directory.set(r.kind, (directory.get(r.kind) ?? new Set<string>()).add(r.id));
  }
  const parts = [...directory].map(
    ([kind, ids]) => sql`SELECT ${kind}::text AS kind, q.id, q.subject_id, q.agency_id FROM (${DIRECTORY_SQL[kind]([...ids])}) q`,
  );
  if (cases.size) {
    parts.unshift(sql`SELECT kind, id, subject_id, agency_id FROM audit_record_context(${JSON.stringify([...cases.values()])}::jsonb)`);
  }
  return parts.length
    ? join(parts, ' UNION ALL ')
    : raw('SELECT NULL::text AS kind, NULL::uuid AS id, NULL::uuid AS subject_id, NULL::uuid AS agency_id WHERE false');
}

/** An event as written, before its subjects and record agencies are looked up (columns of audit_events). */
export interface AuditEventRow {
  request_id: string | null;
  actor_id: string | null;
  actor_kind: string | null;
  actor_agency_id: string | null;
  actor_roles: string[];
  token_id: string | null;
  operation_name: string | null;
  operation_field: string | null;
  document_hash: string | null;
  client_address: string | null;
  user_agent: string | null;
  action: AuditAction;
  outcome: AuditOutcome;
  reason: string | null;
  record_kind: string | null;
  record_ids: string[];
  record_count: number;
  details: unknown;
}

const COLUMNS = `request_id, actor_id, actor_kind, actor_agency_id, actor_roles, token_id, operation_name, operation_field,
  document_hash, client_address, user_agent, action, outcome, reason, record_kind, record_ids, record_count, details`;

const RECORDSET = `request_id text, actor_id uuid, actor_kind text, actor_agency_id uuid, actor_roles text[], token_id text,
  operation_name text, operation_field text, document_hash text, client_address text, user_agent text, action text,
  outcome text, reason text, record_kind text, record_ids uuid[], record_count integer, details jsonb`;

/** What an event says when its principal turned out to be stale: refused, and nothing returned. */
const WHEN_PRINCIPAL_STALE: Record<string, string> = {
  outcome: `CASE WHEN live.ok THEN e.outcome ELSE 'DENIED' END`,
  reason: `CASE WHEN live.ok THEN e.reason ELSE 'UNAUTHENTICATED' END`,
  record_count: `CASE WHEN live.ok THEN e.record_count ELSE 0 END`,
};
const CHECKED_COLUMNS = COLUMNS.split(',')
  .map((c) => c.trim())
  .map((c) => WHEN_PRINCIPAL_STALE[c] ?? `e.${c}`)
  .join(', ');

/** Whether a cached principal is unchanged (`principalUnchanged`, a boolean SQL expression), alone. */
export async function checkPrincipalUnchanged(db: Queryable, principalUnchanged: Sql): Promise<boolean> {
  const [{ ok }] = await run<{ ok: boolean }>(db, sql`SELECT ${principalUnchanged} AS ok`);
  return ok;
}

/**
 * Inserts the events in one statement, with the subjects and agencies of `records` (the events'
 * records). With `principalUnchanged`, the check runs in the same statement and the events are
 * written as DENIED/UNAUTHENTICATED if it is false; returns its result (true without a check).
 */
export async function insertAuditEvents(
  db: Queryable,
  rows: readonly AuditEventRow[],
  records: readonly AuditedRecord[],
  principalUnchanged?: Sql,
): Promise<boolean> {
  const recordsOf = sql`jsonb_to_recordset(e.details->'records') AS r(kind text, id uuid) JOIN ctx c ON c.kind = r.kind AND c.id = r.id`;
  const context = sql`ctx AS (${recordContextSql(records)}),
             e AS (SELECT * FROM jsonb_to_recordset(${storableJson(rows)}::jsonb) AS e(${raw(RECORDSET)}))`;
  const related = sql`ARRAY(SELECT DISTINCT c.subject_id FROM ${recordsOf} WHERE c.subject_id IS NOT NULL),
               ARRAY(SELECT DISTINCT c.agency_id FROM ${recordsOf} WHERE c.agency_id IS NOT NULL)`;
  if (!principalUnchanged) {
    await run(
      db,
      sql`WITH ${context}
          INSERT INTO audit_events (${raw(COLUMNS)}, subject_ids, record_agency_ids)
          SELECT ${raw(COLUMNS)}, ${related} FROM e`,
    );
    return true;
  }
  // A data-modifying WITH runs to completion whether or not the outer query reads it.
  const [{ ok }] = await run<{ ok: boolean }>(
    db,
    sql`WITH live AS (SELECT ${principalUnchanged} AS ok), ${context},
             written AS (INSERT INTO audit_events (${raw(COLUMNS)}, subject_ids, record_agency_ids)
                         SELECT ${raw(CHECKED_COLUMNS)}, ${related} FROM e CROSS JOIN live RETURNING 1)
        SELECT ok FROM live`,
  );
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Sealing

/** Only sealers take this lock; readers and writers of events never wait for it. */
const SEAL_LOCK = 0x5afe_5ea1;

export interface SealRow {
  id: string;
  from_tx: string;
  to_tx: string;
  event_count: number;
  event_ids: string[];
  event_hashes: Buffer[];
  prev_hash: Buffer | null;
  seal_hash: Buffer;
}

/** What a seal records of each event (the time only to bound the seal for range checks). */
const SEALED_COLUMNS = 'e.id::text, e.tx_id::text, e.row_hash, e.occurred_at';
export interface SealedEventRow {
  id: string;
  tx_id: string;
  row_hash: Buffer;
  occurred_at: Date;
}

/** Runs one sealing step in a transaction of its own, holding the sealers' lock. */
export function withSealLock<T>(db: DataSource | EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SEAL_LOCK]);
    return work(tx);
  });
}

/** The newest seal's end and hash, if any. */
export async function lastSealEnd(tx: Queryable): Promise<{ to_tx: string; seal_hash: Buffer } | undefined> {
  const [last] = (await tx.query(`SELECT to_tx::text, seal_hash FROM audit_seals ORDER BY id DESC LIMIT 1`)) as {
    to_tx: string;
    seal_hash: Buffer;
  }[];
  return last;
}

/** The oldest transaction still running (the snapshot's xmin): every older one has settled. */
export async function settledHorizon(tx: Queryable): Promise<string> {
  const [{ horizon }] = (await tx.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon`)) as { horizon: string }[];
  return horizon;
}

/** Events of transactions in [from, horizon), in seal order, at most `limit`. */
export function settledEvents(tx: Queryable, from: string, horizon: string, limit: number): Promise<SealedEventRow[]> {
  return tx.query(
    `SELECT ${SEALED_COLUMNS} FROM audit_events e WHERE e.tx_id >= $1::xid8 AND e.tx_id < $2::xid8 ORDER BY e.tx_id, e.id LIMIT $3`,
    [from, horizon, limit],
  ) as Promise<SealedEventRow[]>;
}

/** Every event of one transaction, in seal order. */
export function eventsOfTransaction(tx: Queryable, txId: string): Promise<SealedEventRow[]> {
  return tx.query(`SELECT ${SEALED_COLUMNS} FROM audit_events e WHERE e.tx_id = $1::xid8 ORDER BY e.id`, [txId]) as Promise<
    SealedEventRow[]
  >;
}

export interface NewSeal {
  from: string;
  to: string;
  firstOccurredAt: Date;
  lastOccurredAt: Date;
  ids: string[];
  hashes: Buffer[];
  prev: Buffer | null;
  hash: Buffer;
}

export async function insertSeal(tx: Queryable, seal: NewSeal): Promise<void> {
  await tx.query(
    `INSERT INTO audit_seals (from_tx, to_tx, event_count, first_occurred_at, last_occurred_at, event_ids, event_hashes, prev_hash, seal_hash)
         VALUES ($1::xid8, $2::xid8, $3, $4, $5, $6::bigint[], $7::bytea[], $8, $9)`,
    [seal.from, seal.to, seal.ids.length, seal.firstOccurredAt, seal.lastOccurredAt, seal.ids, seal.hashes, seal.prev, seal.hash],
  );
}

// ---------------------------------------------------------------------------------------------
// Verifying

export interface EventHashRow {
  id: string;
  tx_id: string;
  stored: Buffer;
  recomputed: Buffer;
  occurred_at: Date;
}

/** The next 50 seals after seal `afterId`, in order. */
export function sealsAfter(
  db: Queryable,
  afterId: string,
): Promise<(SealRow & { first_occurred_at: Date | null; last_occurred_at: Date | null })[]> {
  return db.query(
    `SELECT id::text, from_tx::text, to_tx::text, event_count, event_ids::text[], event_hashes, prev_hash, seal_hash,
              first_occurred_at, last_occurred_at
         FROM audit_seals s WHERE s.id > $1 ORDER BY s.id LIMIT 50`,
    [afterId],
  ) as Promise<(SealRow & { first_occurred_at: Date | null; last_occurred_at: Date | null })[]>;
}

const hashSql = `SELECT e.id::text, e.tx_id::text, e.row_hash AS stored, audit_row_hash(e) AS recomputed, e.occurred_at
                   FROM audit_events e WHERE e.tx_id >= $1::xid8 AND ($2::xid8 IS NULL OR e.tx_id < $2::xid8) ORDER BY e.tx_id, e.id`;

/** The events of transactions in [fromTx, toTx) (toTx null: to the end), stored hash beside the recomputed one. */
export function eventHashes(db: Queryable, fromTx: string, toTx: string | null): Promise<EventHashRow[]> {
  return db.query(hashSql, [fromTx, toTx]) as Promise<EventHashRow[]>;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

/** The trail's identity, or null on a database migrated before it existed. */
export async function trailIdentity(db: Queryable): Promise<{ trailId: string; database: string } | null> {
  const [row] = (await db.query(
    `SELECT (SELECT trail_id::text FROM audit_trail_identity) AS trail_id, current_database() AS database
      WHERE to_regclass('audit_trail_identity') IS NOT NULL`,
  )) as { trail_id: string | null; database: string }[];
  return row?.trail_id ? { trailId: row.trail_id, database: row.database } : null;
}

/** The newest seal as a checkpoint states it, if any. */
export async function newestSeal(
  db: Queryable,
): Promise<{ id: string; hash: string; sealed_at: Date; last_event_id: string | null; last_occurred_at: Date | null } | undefined> {
  const [seal] = (await db.query(
    `SELECT id::text, encode(seal_hash, 'hex') AS hash, sealed_at, event_ids[array_length(event_ids, 1)]::text AS last_event_id, last_occurred_at
       FROM audit_seals ORDER BY id DESC LIMIT 1`,
  )) as { id: string; hash: string; sealed_at: Date; last_event_id: string | null; last_occurred_at: Date | null }[];
  return seal;
}

// ---------------------------------------------------------------------------------------------
// The offline verifier (audit:verify): one read-only snapshot on a plain pg connection

/** A plain pg connection (node-postgres' Client). */
export interface PgConnection {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Opens one READ ONLY, REPEATABLE READ transaction on `client` and returns it as a Queryable. */
export async function beginReadOnlySnapshot(client: PgConnection): Promise<Queryable> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  return { query: async (text, params) => (await client.query(text, params)).rows };
}

/** Ends the snapshot; a connection already lost has nothing to end. */
export async function endSnapshot(client: PgConnection): Promise<void> {
  await client.query('ROLLBACK').catch(() => undefined);
}

const TRAIL_CHECK = `SELECT to_regclass('audit_events') IS NOT NULL AND to_regclass('audit_seals') IS NOT NULL
                        AND to_regprocedure('audit_row_hash(anyelement)') IS NOT NULL AS trail, current_database() AS database`;

/** Whether the database has the trail (its tables and hash function), and its name. */
export async function hasAuditTrail(db: Queryable): Promise<{ trail: boolean; database: string }> {
  const [row] = (await db.query(TRAIL_CHECK)) as { trail: boolean; database: string }[];
  return row;
}

// ---------------------------------------------------------------------------------------------
// Partitions

/** Creates this month's audit partition and the next `monthsAhead` if missing (idempotent). */
export async function ensureAuditPartitions(db: Queryable, monthsAhead: number): Promise<void> {
  await db.query(
    `SELECT audit_ensure_partition((date_trunc('month', now()) + make_interval(months => m))::date) FROM generate_series(0, $1::int) m`,
    [monthsAhead],
  );
}
