import type { MigrationInterface, QueryRunner } from 'typeorm';

const DEFINER = `STABLE SECURITY DEFINER SET search_path = public, pg_temp`;

/**
 * The subjects known to an agency (linked to a report it submitted or that was disclosed to it, or
 * with an active involvement of its own), as one owner-run function that the service's read scope
 * (src/policy/records.ts, `knownToAgency`) and the row-level policy (`rls_known_subjects`) share.
 *
 * Why: evaluated as the service's role, the scope's own subqueries were themselves filtered by row
 * security (a practitioner may not read its agency's partner app's reports), so a subject its agency
 * knows was hidden from it. The function answers only for its caller's own agency (or the system).
 */
export class KnownSubjects1766700000000 implements MigrationInterface {
  name = 'KnownSubjects1766700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION subjects_known_to(agency uuid) RETURNS SETOF uuid LANGUAGE sql ${DEFINER} ROWS 100 AS $$
      SELECT k_rs.subject_id FROM report_subjects k_rs JOIN intelligence_reports k_r ON k_r.id = k_rs.report_id
       WHERE k_r.submitted_by_agency_id = agency AND (rls_system() OR rls_agency() = agency)
      UNION
      SELECT k_rs.subject_id FROM report_subjects k_rs JOIN disclosures k_d ON k_d.report_id = k_rs.report_id
       WHERE k_d.recipient_agency_id = agency AND k_d.revoked_at IS NULL AND k_d.expires_at > now()
         AND (rls_system() OR rls_agency() = agency)
      UNION
      SELECT k_i.subject_id FROM involvements k_i
       WHERE k_i.agency_id = agency AND k_i.ended_at IS NULL AND (rls_system() OR rls_agency() = agency) $$`);
    await q.query(`CREATE OR REPLACE FUNCTION rls_known_subjects() RETURNS SETOF uuid LANGUAGE plpgsql ${DEFINER} ROWS 100 AS $$
      BEGIN
        IF NOT rls_care_reader() THEN RETURN; END IF;
        RETURN QUERY
          SELECT subjects_known_to(rls_agency())
          UNION
          SELECT k_g.subject_id FROM break_glass_grants k_g WHERE k_g.user_id = rls_id() AND k_g.expires_at > now();
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION subjects_known_to(uuid) FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          GRANT EXECUTE ON FUNCTION subjects_known_to(uuid) TO safeshare_app;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE OR REPLACE FUNCTION rls_known_subjects() RETURNS SETOF uuid LANGUAGE plpgsql ${DEFINER} ROWS 100 AS $$
      BEGIN
        IF NOT rls_care_reader() THEN RETURN; END IF;
        RETURN QUERY
          SELECT k_rs.subject_id FROM report_subjects k_rs JOIN intelligence_reports k_r ON k_r.id = k_rs.report_id
           WHERE k_r.submitted_by_agency_id = rls_agency()
          UNION
          SELECT k_rs.subject_id FROM report_subjects k_rs JOIN disclosures k_d ON k_d.report_id = k_rs.report_id
           WHERE k_d.recipient_agency_id = rls_agency() AND k_d.revoked_at IS NULL AND k_d.expires_at > now()
          UNION
          SELECT k_i.subject_id FROM involvements k_i WHERE k_i.agency_id = rls_agency() AND k_i.ended_at IS NULL
          UNION
          SELECT k_g.subject_id FROM break_glass_grants k_g WHERE k_g.user_id = rls_id() AND k_g.expires_at > now();
      END $$`);
    await q.query(`DROP FUNCTION subjects_known_to(uuid)`);
  }
}
