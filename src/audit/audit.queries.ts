import { and, type Queryable, raw, run, type Sql, sql } from '../db/sql';
import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { AuditAction, AuditOutcome } from './audit-event';
import { AccessAnomaly, AnomalyKind, type AuditEvent, type AuditFilter } from './audit.types';

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

/** Newest first, within the auditor's scope; `list` names the list its cursors belong to. */
export function listAuditEvents(
  db: Queryable,
  list: 'auditEvents' | 'subjectAccessHistory',
  scope: Sql,
  filter: AuditFilter | undefined,
  args: PageRequest,
): Promise<Page<AuditEvent>> {
  return keysetPage<AuditEvent>(
    db,
    {
      list,
      select: EVENT_COLUMNS,
      from: raw('audit_events e'),
      where: and([scope, ...auditFilterSql(filter)]),
      sortColumn: raw('e.occurred_at'),
      idColumn: raw('e.id'),
      sortType: 'timestamptz',
      idType: 'bigint',
    },
    args,
  );
}

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
export async function findAnomalies(db: Queryable, scope: Sql, from: Date, to: Date, factor: number): Promise<AccessAnomaly[]> {
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
  const anomalies: AccessAnomaly[] = [];
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
async function findGrantChains(db: Queryable, scope: Sql, from: Date, to: Date): Promise<AccessAnomaly[]> {
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
