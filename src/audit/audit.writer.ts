import type { Queryable } from '../db/sql';
import type { AuditActor, AuditEventInput } from './audit-event';
import { loadRecordContext, recordKey } from './record-context';

const COLUMNS = `request_id, actor_id, actor_kind, actor_agency_id, actor_roles, token_id, operation_name, operation_field,
  document_hash, client_address, user_agent, action, outcome, reason, record_kind, record_ids, record_agency_ids,
  subject_ids, record_count, details`;

const RECORDSET = `request_id text, actor_id uuid, actor_kind text, actor_agency_id uuid, actor_roles text[], token_id text,
  operation_name text, operation_field text, document_hash text, client_address text, user_agent text, action text,
  outcome text, reason text, record_kind text, record_ids uuid[], record_agency_ids uuid[], subject_ids uuid[],
  record_count integer, details jsonb`;

/**
 * Appends events in one statement on `db` (a transaction's manager to join it). Throws if they
 * cannot be written: the caller must then withhold whatever the events describe.
 */
export async function writeAuditEvents(db: Queryable, actor: AuditActor, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const context = await loadRecordContext(
    db,
    events.flatMap((e) => e.records),
  );
  const rows = events.map((event) => {
    const subjectIds = new Set<string>();
    const agencyIds = new Set<string>();
    for (const record of event.records) {
      const found = context.get(recordKey(record.kind, record.id));
      found?.subjectIds.forEach((id) => subjectIds.add(id));
      found?.agencyIds.forEach((id) => agencyIds.add(id));
    }
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
      record_agency_ids: [...agencyIds],
      subject_ids: [...subjectIds],
      record_count: event.records.length,
      details: event.records.length ? { ...event.details, records: event.records } : event.details,
    };
  });
  await db.query(`INSERT INTO audit_events (${COLUMNS}) SELECT ${COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS e(${RECORDSET})`, [
    JSON.stringify(rows),
  ]);
}
