import { storableJson } from '../db/safe-text';
import { type Queryable, raw, run, type Sql, sql } from '../db/sql';
import type { AuditActor, AuditEventInput } from './audit-event';
import { recordContextSql } from './record-context';

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

/**
 * Appends events in one statement on `db` (a transaction's manager to join it): the subjects and
 * owning agencies of the records they name are looked up in the same statement, so auditing a read
 * costs one round trip. Throws if they cannot be written: the caller must then withhold whatever
 * the events describe.
 *
 * `principalUnchanged` (a boolean SQL expression, see `principalUnchangedSql`) confirms a cached
 * principal in the same statement: if it is false the events are written as DENIED/UNAUTHENTICATED
 * and the result says so; the caller must then withhold the response. With no events, only the
 * check runs.
 */
export async function writeAuditEvents(
  db: Queryable,
  actor: AuditActor,
  events: readonly AuditEventInput[],
  principalUnchanged?: Sql,
): Promise<{ principalUnchanged: boolean }> {
  if (events.length === 0) {
    if (!principalUnchanged) return { principalUnchanged: true };
    const [{ ok }] = await run<{ ok: boolean }>(db, sql`SELECT ${principalUnchanged} AS ok`);
    return { principalUnchanged: ok };
  }
  const rows = events.map((event) => {
    const kinds = new Set(event.records.map((r) => r.kind));
    return {
      request_id: actor.requestId,
      actor_id: actor.actorId,
      actor_kind: actor.actorKind,
      actor_agency_id: actor.actorAgencyId,
      actor_roles: actor.actorRoles,
      token_id: actor.tokenId,
      operation_name: actor.operationName,
      operation_field: event.operationField ?? null,
      document_hash: actor.documentHash,
      client_address: actor.clientAddress,
      user_agent: actor.userAgent,
      action: event.action,
      outcome: event.outcome,
      reason: event.reason ?? null,
      record_kind: event.recordKind ?? (kinds.size === 1 ? [...kinds][0] : null),
      record_ids: [...new Set(event.records.map((r) => r.id))],
      record_count: event.records.filter((r) => !r.requested && !r.referenced).length,
      details: event.records.length ? { ...event.details, records: event.records } : event.details,
    };
  });
  const records = sql`jsonb_to_recordset(e.details->'records') AS r(kind text, id uuid) JOIN ctx c ON c.kind = r.kind AND c.id = r.id`;
  const context = sql`ctx AS (${recordContextSql(events.flatMap((e) => e.records))}),
             e AS (SELECT * FROM jsonb_to_recordset(${storableJson(rows)}::jsonb) AS e(${raw(RECORDSET)}))`;
  const related = sql`ARRAY(SELECT DISTINCT c.subject_id FROM ${records} WHERE c.subject_id IS NOT NULL),
               ARRAY(SELECT DISTINCT c.agency_id FROM ${records} WHERE c.agency_id IS NOT NULL)`;
  if (!principalUnchanged) {
    await run(
      db,
      sql`WITH ${context}
          INSERT INTO audit_events (${raw(COLUMNS)}, subject_ids, record_agency_ids)
          SELECT ${raw(COLUMNS)}, ${related} FROM e`,
    );
    return { principalUnchanged: true };
  }
  // A data-modifying WITH runs to completion whether or not the outer query reads it.
  const [{ ok }] = await run<{ ok: boolean }>(
    db,
    sql`WITH live AS (SELECT ${principalUnchanged} AS ok), ${context},
             written AS (INSERT INTO audit_events (${raw(COLUMNS)}, subject_ids, record_agency_ids)
                         SELECT ${raw(CHECKED_COLUMNS)}, ${related} FROM e CROSS JOIN live RETURNING 1)
        SELECT ok FROM live`,
  );
  return { principalUnchanged: ok };
}
