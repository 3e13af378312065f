import { raw, type Sql, sql } from '../db/sql';
import type { AuditedRecord } from './audit-event';

/** The kinds of audited record that concern subjects and belong to agencies (audit_record_context knows each). */
const KINDS_WITH_CONTEXT = new Set([
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
 * One query over every record named in `records`: rows of (kind, id, subject_id, agency_id), to
 * join when writing their events. This is what makes "who looked at this child" one indexed query,
 * and lets an agency's auditors see reads of its records. Kinds without context contribute nothing.
 *
 * Looked up by `audit_record_context` (migrations/1766600000000-row-security.ts), which runs as the
 * tables' owner: row-level security must not hide the subject of a record its caller was refused,
 * or the child's access history would miss the attempt. It returns ids only, for the ids it is given.
 */
export function recordContextSql(records: readonly AuditedRecord[]): Sql {
  const named = new Map<string, { kind: string; id: string }>();
  for (const r of records) if (KINDS_WITH_CONTEXT.has(r.kind)) named.set(`${r.kind}:${r.id}`, { kind: r.kind, id: r.id });
  return named.size
    ? sql`SELECT kind, id, subject_id, agency_id FROM audit_record_context(${JSON.stringify([...named.values()])}::jsonb)`
    : raw('SELECT NULL::text AS kind, NULL::uuid AS id, NULL::uuid AS subject_id, NULL::uuid AS agency_id WHERE false');
}
