import { join, raw, type Sql, sql } from '../db/sql';
import type { AuditedRecord } from './audit-event';

/**
 * For each kind of audited record: the subjects it concerns and the agencies that own it, as a query
 * over the ids in `$ids` (a uuid[]) returning (id, subject_id, agency_id) rows. This is what makes
 * "who looked at this child" one indexed query, and lets an agency's auditors see reads of its records.
 */
const CONTEXT_SQL: Record<string, (ids: string[]) => Sql> = {
  intelligence_report: (ids) => sql`
    SELECT r.id, rs.subject_id, r.submitted_by_agency_id AS agency_id
      FROM intelligence_reports r LEFT JOIN report_subjects rs ON rs.report_id = r.id
     WHERE r.id = ANY(${ids}::uuid[])`,
  subject: (ids) => sql`
    SELECT s.id, s.id AS subject_id, s.created_by_agency_id AS agency_id FROM subjects s WHERE s.id = ANY(${ids}::uuid[])`,
  flag: (ids) => sql`
    SELECT f.id, f.subject_id, f.set_by_agency_id AS agency_id FROM flags f WHERE f.id = ANY(${ids}::uuid[])`,
  crime: (ids) => sql`
    SELECT c.id, cs.subject_id, u.agency_id
      FROM crimes c JOIN users u ON u.id = c.recorded_by_user_id LEFT JOIN crime_subjects cs ON cs.crime_id = c.id
     WHERE c.id = ANY(${ids}::uuid[])`,
};

/**
 * One query over every record named in `records`: rows of (kind, id, subject_id, agency_id), to
 * join when writing their events. Kinds without context contribute nothing.
 */
export function recordContextSql(records: readonly AuditedRecord[]): Sql {
  const idsByKind = new Map<string, Set<string>>();
  for (const r of records) {
    if (!CONTEXT_SQL[r.kind]) continue;
    const ids = idsByKind.get(r.kind) ?? new Set<string>();
    ids.add(r.id);
    idsByKind.set(r.kind, ids);
  }
  const parts = [...idsByKind].map(
    ([kind, ids]) => sql`SELECT ${kind}::text AS kind, q.id, q.subject_id, q.agency_id FROM (${CONTEXT_SQL[kind]([...ids])}) q`,
  );
  return parts.length
    ? join(parts, ' UNION ALL ')
    : raw('SELECT NULL::text AS kind, NULL::uuid AS id, NULL::uuid AS subject_id, NULL::uuid AS agency_id WHERE false');
}
