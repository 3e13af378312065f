import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The auditors' console (docs/audit.md, "Reviews"):
 *
 * - break-glass reviews keep their outcome and note beside `reviewed_at` / `reviewed_by_user_id`;
 *   auditors read (and review) the grants within their audit scope: an OVERSIGHT auditor all, an
 *   agency's auditor its own staff's (src/policy/records.ts breakGlassReadScope).
 * - `access_anomaly_reviews`: one review per computed anomaly, keyed by the anomaly's stable id
 *   (src/audit/anomaly-id.ts). Auditors only, within their audit scope: the actor's agency.
 * - `subjects_with_identifier(text)`: which subjects carry an identifier, for an auditor's
 *   access history by identifier; beyond the caller's row security on purpose (ids only).
 */
export class Console1766900000000 implements MigrationInterface {
  name = 'Console1766900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE break_glass_grants ADD COLUMN review_outcome text, ADD COLUMN review_note text`);
    await q.query(`ALTER TABLE break_glass_grants ADD CONSTRAINT chk_break_glass_review_outcome
        CHECK ((reviewed_at IS NULL) = (review_outcome IS NULL) AND (review_outcome IS NULL) = (review_note IS NULL)
               AND (review_outcome IS NULL OR review_outcome IN ('JUSTIFIED', 'NOT_JUSTIFIED', 'REFERRED'))
               AND (review_note IS NULL OR char_length(review_note) BETWEEN 1 AND 2000))`);
    await q.query(`CREATE INDEX idx_break_glass_unreviewed ON break_glass_grants (granted_at, id) WHERE reviewed_at IS NULL`);
    // An auditor of any agency; AUDITOR is valid in every agency kind.
    await q.query(`CREATE FUNCTION rls_auditor_agency() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN rls_user_with('{AUDITOR}', '{POLICE,SOCIAL_CARE,EDUCATION,HEALTH,VOLUNTARY,OVERSIGHT}') THEN rls_agency() END $$`);
    await q.query(`CREATE FUNCTION rls_oversight_auditor() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT rls_user_with('{AUDITOR}', '{OVERSIGHT}') $$`);
    await q.query(`CREATE POLICY break_glass_audit_read ON break_glass_grants FOR SELECT
        USING ((SELECT rls_oversight_auditor()) OR agency_id = (SELECT rls_auditor_agency()))`);
    await q.query(`CREATE POLICY break_glass_audit_review ON break_glass_grants FOR UPDATE
        USING ((SELECT rls_oversight_auditor()) OR agency_id = (SELECT rls_auditor_agency()))
        WITH CHECK ((SELECT rls_oversight_auditor()) OR agency_id = (SELECT rls_auditor_agency()))`);

    await q.query(`CREATE TABLE access_anomaly_reviews (
        anomaly_id text PRIMARY KEY CHECK (char_length(anomaly_id) <= 300),
        -- The review's own id: its history and audit events name it.
        id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        kind text NOT NULL,
        actor_id uuid NOT NULL,
        actor_agency_id uuid REFERENCES agencies (id),
        event_id bigint,
        period_from timestamptz,
        period_to timestamptz,
        outcome text NOT NULL CHECK (outcome IN ('JUSTIFIED', 'NOT_JUSTIFIED', 'REFERRED')),
        note text NOT NULL CHECK (char_length(note) BETWEEN 1 AND 2000),
        reviewed_by_user_id uuid NOT NULL REFERENCES users (id),
        reviewed_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_access_anomaly_reviews_anchor CHECK (event_id IS NOT NULL OR (period_from IS NOT NULL AND period_to IS NOT NULL))
      )`);
    await q.query(`ALTER TABLE access_anomaly_reviews ENABLE ROW LEVEL SECURITY`);
    for (const command of ['INSERT', 'UPDATE', 'DELETE']) {
      const policy =
        command === 'INSERT'
          ? 'WITH CHECK ((SELECT rls_system()))'
          : command === 'UPDATE'
            ? 'USING ((SELECT rls_system())) WITH CHECK ((SELECT rls_system()))'
            : 'USING ((SELECT rls_system()))';
      await q.query(`CREATE POLICY system_${command.toLowerCase()} ON access_anomaly_reviews FOR ${command} ${policy}`);
    }
    // accessAnomalyReviewScope: an OVERSIGHT auditor all; an agency's auditor its own staff's.
    await q.query(`CREATE POLICY anomaly_review_read ON access_anomaly_reviews FOR SELECT
        USING ((SELECT rls_system() OR rls_oversight_auditor()) OR actor_agency_id = (SELECT rls_auditor_agency()))`);
    await q.query(`CREATE POLICY anomaly_review_create ON access_anomaly_reviews FOR INSERT
        WITH CHECK (reviewed_by_user_id = (SELECT rls_id())
                    AND ((SELECT rls_oversight_auditor()) OR actor_agency_id = (SELECT rls_auditor_agency())))`);

    await q.query(`CREATE FUNCTION subjects_with_identifier(identifier text) RETURNS SETOF uuid LANGUAGE sql
        STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT s.id FROM subjects s
           WHERE s.police_reference = identifier OR s.school_upn = identifier OR s.social_care_id = identifier
              -- NHS numbers as people write them: "943 476 5919".
              OR s.nhs_number = regexp_replace(identifier, '[[:space:]-]', '', 'g') $$`);
    await q.query(`REVOKE ALL ON FUNCTION subjects_with_identifier(text) FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          GRANT EXECUTE ON FUNCTION subjects_with_identifier(text) TO safeshare_app;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION subjects_with_identifier(text)`);
    await q.query(`DROP TABLE access_anomaly_reviews`);
    await q.query(`DROP POLICY break_glass_audit_review ON break_glass_grants`);
    await q.query(`DROP POLICY break_glass_audit_read ON break_glass_grants`);
    await q.query(`DROP FUNCTION rls_oversight_auditor()`);
    await q.query(`DROP FUNCTION rls_auditor_agency()`);
    await q.query(`DROP INDEX idx_break_glass_unreviewed`);
    await q.query(`ALTER TABLE break_glass_grants DROP CONSTRAINT chk_break_glass_review_outcome`);
    await q.query(`ALTER TABLE break_glass_grants DROP COLUMN review_note, DROP COLUMN review_outcome`);
  }
}
