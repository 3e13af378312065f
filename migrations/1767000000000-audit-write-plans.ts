import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What writing an audit event costs, without changing what is written (docs/performance.md):
 *
 * - `audit_record_context` (migrations/1766600000000-row-security.ts) was a SQL function: SECURITY
 *   DEFINER keeps PostgreSQL from inlining it, so its nine-branch query was planned again on every
 *   call, once per audited request (2 to 9 ms at 1M reports, against 0.5 ms to run it). As PL/pgSQL
 *   its plan is kept by each connection. Same body, same answers, same owner and grants.
 * - The row-hash trigger called `audit_row_hash`, whose `SET TimeZone` also keeps it from being
 *   inlined: planned and its setting swapped for every row. When the session's zone already is UTC
 *   (Safeshare's connections set it) the trigger computes the same expression itself, so the hash is
 *   byte for byte the one `audit_row_hash` recomputes when the trail is verified; in any other zone
 *   it still calls the function.
 */
const BODY = `
     WITH asked AS (SELECT DISTINCT x.kind, x.id FROM jsonb_to_recordset(records) AS x(kind text, id uuid)),
     ids AS (SELECT a.kind, array_agg(a.id) AS ids FROM asked a GROUP BY a.kind)
     SELECT 'intelligence_report'::text, r.id, rs.subject_id, r.submitted_by_agency_id
       FROM intelligence_reports r LEFT JOIN report_subjects rs ON rs.report_id = r.id
      WHERE r.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'intelligence_report')::uuid[])
     UNION ALL
     SELECT 'subject', s.id, s.id, s.created_by_agency_id FROM subjects s
      WHERE s.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'subject')::uuid[])
     UNION ALL
     SELECT 'flag', f.id, f.subject_id, f.set_by_agency_id FROM flags f
      WHERE f.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'flag')::uuid[])
     UNION ALL
     SELECT 'involvement', i.id, i.subject_id, i.agency_id FROM involvements i
      WHERE i.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'involvement')::uuid[])
     UNION ALL
     SELECT 'disclosure', d.id, rs.subject_id, unnest(ARRAY[r.submitted_by_agency_id, d.recipient_agency_id])
       FROM disclosures d JOIN intelligence_reports r ON r.id = d.report_id LEFT JOIN report_subjects rs ON rs.report_id = r.id
      WHERE d.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'disclosure')::uuid[])
     UNION ALL
     SELECT 'disclosure_decision', x.id, coalesce(rs.subject_id, ar.subject_id), x.recipient_agency_id
       FROM disclosure_declines x LEFT JOIN report_subjects rs ON rs.report_id = x.report_id
       LEFT JOIN access_requests ar ON ar.id = x.access_request_id
      WHERE x.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'disclosure_decision')::uuid[])
     UNION ALL
     SELECT 'access_request', a.id, a.subject_id, a.requester_agency_id FROM access_requests a
      WHERE a.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'access_request')::uuid[])
     UNION ALL
     SELECT 'break_glass_grant', g.id, g.subject_id, g.agency_id FROM break_glass_grants g
      WHERE g.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'break_glass_grant')::uuid[])
     UNION ALL
     SELECT 'crime', c.id, cs.subject_id, u.agency_id
       FROM crimes c JOIN users u ON u.id = c.recorded_by_user_id LEFT JOIN crime_subjects cs ON cs.crime_id = c.id
      WHERE c.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'crime')::uuid[])`;

const SIGNATURE = `audit_record_context(records jsonb) RETURNS TABLE (kind text, id uuid, subject_id uuid, agency_id uuid)`;
const DEFINER = `STABLE SECURITY DEFINER SET search_path = public, pg_temp`;

const HASH_IN_UTC = `sha256(convert_to((to_jsonb(NEW) - 'row_hash')::text, 'UTF8'))`;

export class AuditWritePlans1767000000000 implements MigrationInterface {
  name = 'AuditWritePlans1767000000000';

  async up(q: QueryRunner): Promise<void> {
    // The output columns are also PL/pgSQL variables: the body's names mean the tables' columns.
    await q.query(`CREATE OR REPLACE FUNCTION ${SIGNATURE} LANGUAGE plpgsql ${DEFINER} AS $$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY ${BODY};
      END $$`);
    await q.query(`CREATE OR REPLACE FUNCTION audit_hash_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('TimeZone') IN ('UTC', 'Etc/UTC') THEN
          NEW.row_hash := ${HASH_IN_UTC};
        ELSE
          NEW.row_hash := audit_row_hash(NEW);
        END IF;
        RETURN NEW;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION ${SIGNATURE} LANGUAGE sql ${DEFINER} AS $$ ${BODY} $$`);
    await q.query(`CREATE OR REPLACE FUNCTION audit_hash_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.row_hash := audit_row_hash(NEW);
        RETURN NEW;
      END $$`);
  }
}
