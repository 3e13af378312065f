import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lawful records (docs/lawful-sharing.md): the register of information-sharing agreements, the
 * agreement (or the reason none applies) every disclosure cites, the retention review groups and
 * decisions, and disposal.
 *
 * - `information_sharing_agreements` and `agreement_parties`: the ICO data sharing code's central
 *   log of agreements: parties, purpose, legal gateways, data categories, conditions, dates, status.
 * - `disclosures.agreement_id` / `no_agreement_reason`: exactly one of them. Disclosures made before
 *   the register existed record that as their reason.
 * - `retention_review_groups`: the MoPI review groups (College of Policing APP on information
 *   management, "Retention, review and disposal"): configurable rows, seeded here.
 * - `retention_decisions`: every RETAIN (with its reason and next review date) and DISPOSE.
 * - `disposed_at` on reports, subjects, flags and crimes; `dispose_record` scrubs a record's case
 *   content as the tables' owner (the service's role may not rewrite subjects or crimes, nor the
 *   history), for a police supervisor only, in the caller's transaction. Audit rows are never touched.
 * - A restrictive row-level policy on each of the four tables hides disposed rows from everyone but
 *   the system: the second lock behind the read scopes of src/policy/records.ts.
 */
export class LawfulRecords1767000000200 implements MigrationInterface {
  name = 'LawfulRecords1767000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE agreement_status AS ENUM ('DRAFT', 'ACTIVE', 'SUSPENDED', 'ENDED')`);
    await q.query(`CREATE TYPE shared_data_category AS ENUM
      ('INTELLIGENCE_SUMMARY', 'SUBJECT_IDENTITY', 'RISK_FLAGS', 'CRIME_DETAILS', 'INVOLVEMENTS', 'HEALTH', 'EDUCATION', 'SOCIAL_CARE')`);
    await q.query(`CREATE TABLE information_sharing_agreements (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference text NOT NULL UNIQUE CHECK (reference ~ '^[A-Z0-9][A-Z0-9-]{1,39}$'),
        title text NOT NULL CHECK (char_length(btrim(title)) BETWEEN 1 AND 200),
        purpose text NOT NULL CHECK (char_length(btrim(purpose)) BETWEEN 1 AND 2000),
        gateways legal_gateway[] NOT NULL CHECK (cardinality(gateways) > 0),
        data_categories shared_data_category[] NOT NULL CHECK (cardinality(data_categories) > 0),
        conditions text CHECK (conditions IS NULL OR char_length(btrim(conditions)) BETWEEN 1 AND 4000),
        starts_on date NOT NULL,
        review_on date NOT NULL,
        ends_on date,
        status agreement_status NOT NULL DEFAULT 'DRAFT',
        status_reason text,
        registered_by_user_id uuid NOT NULL REFERENCES users (id),
        registered_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_agreements_review CHECK (review_on >= starts_on),
        CONSTRAINT chk_agreements_end CHECK (ends_on IS NULL OR ends_on >= starts_on))`);
    await q.query(`CREATE INDEX idx_agreements_registered ON information_sharing_agreements (registered_at, id)`);
    await q.query(
      `CREATE INDEX idx_agreements_review ON information_sharing_agreements (review_on) WHERE status IN ('ACTIVE', 'SUSPENDED')`,
    );
    await q.query(`CREATE TABLE agreement_parties (
        agreement_id uuid NOT NULL REFERENCES information_sharing_agreements (id) ON DELETE CASCADE,
        agency_id uuid NOT NULL REFERENCES agencies (id),
        PRIMARY KEY (agreement_id, agency_id))`);
    await q.query(`CREATE INDEX idx_agreement_parties_agency ON agreement_parties (agency_id, agreement_id)`);

    await q.query(`ALTER TABLE disclosures ADD COLUMN agreement_id uuid REFERENCES information_sharing_agreements (id)`);
    await q.query(`ALTER TABLE disclosures ADD COLUMN no_agreement_reason text`);
    await q.query(`UPDATE disclosures SET no_agreement_reason = 'Disclosed before the register of sharing agreements existed'`);
    await q.query(`ALTER TABLE disclosures ADD CONSTRAINT chk_disclosures_agreement CHECK (
        (agreement_id IS NULL) <> (no_agreement_reason IS NULL)
        AND (no_agreement_reason IS NULL OR char_length(btrim(no_agreement_reason)) BETWEEN 1 AND 2000))`);
    await q.query(`CREATE INDEX idx_disclosures_agreement ON disclosures (agreement_id) WHERE agreement_id IS NOT NULL`);

    await q.query(`CREATE TABLE retention_review_groups (
        review_group smallint PRIMARY KEY CHECK (review_group BETWEEN 1 AND 9),
        label text NOT NULL,
        first_review_years smallint NOT NULL CHECK (first_review_years > 0),
        repeat_review_years smallint CHECK (repeat_review_years IS NULL OR repeat_review_years > 0),
        keep_until_age smallint CHECK (keep_until_age IS NULL OR keep_until_age BETWEEN 1 AND 130),
        source text NOT NULL)`);
    await q.query(`INSERT INTO retention_review_groups VALUES
        (1, 'Certain public protection matters (child sexual exploitation risk and perpetrators)', 10, 10, 100,
            'College of Policing APP: Information management, Retention, review and disposal (MoPI), group 1'),
        (2, 'Other sexual, violent or serious offences', 10, 10, NULL,
            'College of Policing APP: Information management, Retention, review and disposal (MoPI), group 2'),
        (3, 'All other offences and intelligence', 6, 6, NULL,
            'College of Policing APP: Information management, Retention, review and disposal (MoPI), group 3')`);

    await q.query(`CREATE TYPE retention_outcome AS ENUM ('RETAIN', 'DISPOSE')`);
    await q.query(`CREATE TABLE retention_decisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        record_kind text NOT NULL CHECK (record_kind IN ('intelligence_report', 'subject', 'flag', 'crime')),
        record_id uuid NOT NULL,
        review_group smallint NOT NULL REFERENCES retention_review_groups (review_group),
        decision retention_outcome NOT NULL,
        reason text NOT NULL CHECK (char_length(btrim(reason)) BETWEEN 1 AND 2000),
        next_review_at timestamptz,
        decided_by_user_id uuid NOT NULL REFERENCES users (id),
        decided_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT chk_retention_next CHECK ((decision = 'RETAIN') = (next_review_at IS NOT NULL)))`);
    await q.query(`CREATE INDEX idx_retention_decisions_record ON retention_decisions (record_kind, record_id, decided_at DESC)`);
    await q.query(
      `CREATE UNIQUE INDEX idx_retention_disposed_once ON retention_decisions (record_kind, record_id) WHERE decision = 'DISPOSE'`,
    );

    for (const [table, policies] of Object.entries(POLICIES)) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      for (const [name, policy] of Object.entries(policies)) await q.query(`CREATE POLICY ${name} ON ${table} ${policy}`);
    }

    for (const table of DISPOSABLE) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN disposed_at timestamptz`);
      await q.query(
        `CREATE POLICY not_disposed ON ${table} AS RESTRICTIVE FOR SELECT USING (disposed_at IS NULL OR (SELECT rls_system()))`,
      );
    }
    await q.query(HISTORY_GUARD);
    await q.query(`DROP TRIGGER record_history_append_only ON record_history`);
    await q.query(
      `CREATE TRIGGER record_history_append_only BEFORE UPDATE OR DELETE ON record_history FOR EACH ROW EXECUTE FUNCTION record_history_guard()`,
    );
    await q.query(DISPOSE_RECORD);
    await q.query(`REVOKE ALL ON FUNCTION dispose_record(text, uuid) FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          GRANT EXECUTE ON FUNCTION dispose_record(text, uuid) TO safeshare_app;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION dispose_record(text, uuid)`);
    await q.query(`DROP TRIGGER record_history_append_only ON record_history`);
    await q.query(
      `CREATE TRIGGER record_history_append_only BEFORE UPDATE OR DELETE ON record_history FOR EACH ROW EXECUTE FUNCTION refuse_change()`,
    );
    await q.query(`DROP FUNCTION record_history_guard()`);
    for (const table of DISPOSABLE) {
      await q.query(`DROP POLICY not_disposed ON ${table}`);
      await q.query(`ALTER TABLE ${table} DROP COLUMN disposed_at`);
    }
    for (const [table, policies] of Object.entries(POLICIES)) {
      for (const name of Object.keys(policies)) await q.query(`DROP POLICY ${name} ON ${table}`);
      await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
    await q.query(`DROP TABLE retention_decisions`);
    await q.query(`DROP TYPE retention_outcome`);
    await q.query(`DROP TABLE retention_review_groups`);
    await q.query(`ALTER TABLE disclosures DROP COLUMN agreement_id`);
    await q.query(`ALTER TABLE disclosures DROP COLUMN no_agreement_reason`);
    await q.query(`DROP TABLE agreement_parties`);
    await q.query(`DROP TABLE information_sharing_agreements`);
    await q.query(`DROP TYPE shared_data_category`);
    await q.query(`DROP TYPE agreement_status`);
  }
}

const DISPOSABLE = ['intelligence_reports', 'subjects', 'flags', 'crimes'];

// Row-level security on the new case tables, mirroring policy/agreements.ts and policy/retention.ts
// (the second lock; test/e2e/row-security.test.ts compares them row for row). Who is a party to
// which agreement (agreement_parties) and the review groups are reference data, open like agencies.
const SYSTEM = `(SELECT rls_system())`;
const MANAGER = `(SELECT rls_system() OR rls_police_supervisor() OR rls_user_with('{ADMIN}', '{OVERSIGHT}'))`;
const READS_ALL_AGREEMENTS = `(SELECT rls_system() OR rls_police_supervisor() OR rls_user_with('{ADMIN,AUDITOR}', '{OVERSIGHT}'))`;
const SUPERVISOR = `(SELECT rls_system() OR rls_police_supervisor())`;
const ME = `(SELECT rls_id())`;
const POLICIES: Record<string, Record<string, string>> = {
  information_sharing_agreements: {
    agreement_read: `FOR SELECT USING (${READS_ALL_AGREEMENTS}
        OR (status <> 'DRAFT' AND (SELECT rls_principal() ->> 'kind') = 'USER'
            AND id IN (SELECT ap.agreement_id FROM agreement_parties ap WHERE ap.agency_id = (SELECT rls_agency()))))`,
    agreement_register: `FOR INSERT WITH CHECK (${SYSTEM} OR (${MANAGER} AND registered_by_user_id = ${ME}))`,
    agreement_change: `FOR UPDATE USING (${MANAGER}) WITH CHECK (${MANAGER})`,
  },
  retention_decisions: {
    retention_read: `FOR SELECT USING (${SUPERVISOR})`,
    retention_decide: `FOR INSERT WITH CHECK (${SYSTEM} OR (${SUPERVISOR} AND decided_by_user_id = ${ME}))`,
  },
};

/**
 * History stays append-only, with one exception: a disposal (dispose_record, which names the record
 * in the transaction-local `safeshare.disposing`) empties the before and after values of that
 * record's entries, and changes nothing else of them.
 */
const HISTORY_GUARD = `
CREATE FUNCTION record_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('safeshare.disposing', true) = OLD.record_kind || ':' || OLD.record_id::text
     AND NEW.before IS NULL AND NEW.after IS NULL
     AND (NEW.id, NEW.record_kind, NEW.record_id, NEW.action, NEW.actor_id, NEW.actor_agency_id, NEW.changed_at)
         IS NOT DISTINCT FROM (OLD.id, OLD.record_kind, OLD.record_id, OLD.action, OLD.actor_id, OLD.actor_agency_id, OLD.changed_at) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% on % is not allowed', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$`;

/**
 * Removes a record's case content, in the caller's transaction, for a police supervisor: what stays
 * is its id, its dates and the categories statistics count (source type, division, received or
 * recorded date, grading), and `disposed_at`. Text and identifiers are replaced; informant details
 * and the record's links to others (report and crime subjects) deleted; the record's change history keeps its entries (ids, actors, times: the audit trail's CHANGE
 * events point at them) without their before and after values; disclosures of a disposed report keep
 * their terms without the summary, and end. A subject's disposal disposes its flags. False when there
 * is no such record, or it was disposed already.
 */
const DISPOSE_RECORD = `
CREATE FUNCTION dispose_record(kind text, record uuid) RETURNS boolean
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  n integer;
  placeholder constant text := '[disposed]';
  flag_id uuid;
BEGIN
  IF NOT rls_police_supervisor() THEN
    RAISE EXCEPTION 'only a police supervisor disposes of records' USING ERRCODE = '42501';
  END IF;
  IF kind = 'intelligence_report' THEN
    UPDATE intelligence_reports
       SET narrative = placeholder, location = NULL, occurred_at = NULL, idempotency_key = NULL, payload_hash = NULL,
           handling_conditions = CASE WHEN handling_code = 'C' THEN placeholder END,
           search_vector = ''::tsvector, disposed_at = now(), updated_at = now()
     WHERE id = record AND disposed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN RETURN false; END IF;
    DELETE FROM informants WHERE report_id = record;
    DELETE FROM report_subjects WHERE report_id = record;
    UPDATE disclosures
       SET summary = placeholder, conditions = CASE WHEN conditions IS NOT NULL THEN placeholder END,
           revoked_at = coalesce(revoked_at, now()), revoked_by_user_id = coalesce(revoked_by_user_id, rls_id()),
           revocation_reason = coalesce(revocation_reason, 'The disclosed record was disposed of at its retention review')
     WHERE report_id = record;
  ELSIF kind = 'subject' THEN
    UPDATE subjects
       SET full_name = placeholder, aliases = '{}', date_of_birth = NULL, approximate_age = NULL, gender = 'UNKNOWN',
           police_reference = NULL, nhs_number = NULL, school_upn = NULL, social_care_id = NULL,
           disposed_at = now(), updated_at = now()
     WHERE id = record AND disposed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN RETURN false; END IF;
    DELETE FROM report_subjects WHERE subject_id = record;
    DELETE FROM crime_subjects WHERE subject_id = record;
    FOR flag_id IN SELECT id FROM flags WHERE subject_id = record LOOP
      PERFORM set_config('safeshare.disposing', 'flag:' || flag_id::text, true);
      UPDATE record_history SET before = NULL, after = NULL WHERE record_kind = 'flag' AND record_id = flag_id;
    END LOOP;
    UPDATE flags SET reason = placeholder, end_reason = CASE WHEN end_reason IS NOT NULL THEN placeholder END,
                     rejection_reason = CASE WHEN rejection_reason IS NOT NULL THEN placeholder END,
                     disposed_at = coalesce(disposed_at, now())
     WHERE subject_id = record;
  ELSIF kind = 'flag' THEN
    UPDATE flags SET reason = placeholder, end_reason = CASE WHEN end_reason IS NOT NULL THEN placeholder END,
                     rejection_reason = CASE WHEN rejection_reason IS NOT NULL THEN placeholder END, disposed_at = now()
     WHERE id = record AND disposed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN RETURN false; END IF;
  ELSIF kind = 'crime' THEN
    UPDATE crimes SET offence = placeholder, crime_reference = 'DISPOSED-' || id::text, disposed_at = now()
     WHERE id = record AND disposed_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN RETURN false; END IF;
    DELETE FROM crime_subjects WHERE crime_id = record;
  ELSE
    RAISE EXCEPTION 'not a disposable kind of record: %', kind USING ERRCODE = '22023';
  END IF;
  PERFORM set_config('safeshare.disposing', kind || ':' || record::text, true);
  UPDATE record_history SET before = NULL, after = NULL WHERE record_kind = kind AND record_id = record;
  PERFORM set_config('safeshare.disposing', '', true);
  RETURN true;
END $$`;
