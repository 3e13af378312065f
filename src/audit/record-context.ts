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
  involvement: (ids) => sql`
    SELECT i.id, i.subject_id, i.agency_id FROM involvements i WHERE i.id = ANY(${ids}::uuid[])`,
  // A disclosure concerns the report's subjects; it belongs to the disclosing police and the recipient.
  disclosure: (ids) => sql`
    SELECT d.id, rs.subject_id, unnest(ARRAY[r.submitted_by_agency_id, d.recipient_agency_id]) AS agency_id
      FROM disclosures d JOIN intelligence_reports r ON r.id = d.report_id LEFT JOIN report_subjects rs ON rs.report_id = r.id
     WHERE d.id = ANY(${ids}::uuid[])`,
  disclosure_decision: (ids) => sql`
    SELECT x.id, coalesce(rs.subject_id, ar.subject_id) AS subject_id, x.recipient_agency_id AS agency_id
      FROM disclosure_declines x LEFT JOIN report_subjects rs ON rs.report_id = x.report_id
      LEFT JOIN access_requests ar ON ar.id = x.access_request_id
     WHERE x.id = ANY(${ids}::uuid[])`,
  access_request: (ids) => sql`
    SELECT a.id, a.subject_id, a.requester_agency_id AS agency_id FROM access_requests a WHERE a.id = ANY(${ids}::uuid[])`,
  break_glass_grant: (ids) => sql`
    SELECT g.id, g.subject_id, g.agency_id FROM break_glass_grants g WHERE g.id = ANY(${ids}::uuid[])`,
  // Who may do what: the agency concerned (and, for a grant, the requester's), for its auditors.
  agency: (ids) => sql`SELECT a.id, NULL::uuid AS subject_id, a.id AS agency_id FROM agencies a WHERE a.id = ANY(${ids}::uuid[])`,
  user: (ids) => sql`SELECT u.id, NULL::uuid AS subject_id, u.agency_id FROM users u WHERE u.id = ANY(${ids}::uuid[])`,
  grant: (ids) => sql`
    SELECT g.id, NULL::uuid AS subject_id, unnest(ARRAY[g.agency_id, g.requester_agency_id]) AS agency_id
      FROM grants g WHERE g.id = ANY(${ids}::uuid[])`,
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
