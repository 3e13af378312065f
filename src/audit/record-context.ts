import { join, raw, type Sql, sql } from '../db/sql';
import type { AuditedRecord } from './audit-event';

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
