import type { Queryable, Sql } from '../db/sql';
import type { AuditActor, AuditEventInput } from './audit-event';
import { type AuditEventRow, checkPrincipalUnchanged, insertAuditEvents } from './audit.queries';

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
    return { principalUnchanged: await checkPrincipalUnchanged(db, principalUnchanged) };
  }
  const rows = events.map((event): AuditEventRow => {
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
  const ok = await insertAuditEvents(
    db,
    rows,
    events.flatMap((e) => e.records),
    principalUnchanged,
  );
  return { principalUnchanged: ok };
}
