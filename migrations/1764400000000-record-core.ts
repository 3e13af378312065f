import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The CSE record core: intelligence reports (with informants held apart), subjects and their links
 * to reports, flags, CSE-linked crimes, and the change history of all of them.
 */
export class RecordCore1764400000000 implements MigrationInterface {
  name = 'RecordCore1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE SEQUENCE intelligence_reference_seq`);
    await q.query(`
      CREATE FUNCTION next_report_reference() RETURNS text LANGUAGE sql VOLATILE AS $$
        SELECT 'INT-' || lpad(nextval('intelligence_reference_seq')::text, 7, '0')
      $$`);
    // One definition of the searchable text, shared by the index and every query that uses it.
    await q.query(`
      CREATE FUNCTION report_search_vector(location text, narrative text) RETURNS tsvector
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('english'::regconfig, coalesce(location, '')), 'A')
            || setweight(to_tsvector('english'::regconfig, narrative), 'B')
      $$`);

    await q.query(`CREATE TYPE "public"."gender" AS ENUM('FEMALE', 'MALE', 'OTHER', 'UNKNOWN')`);
    await q.query(
      `CREATE TABLE "subjects" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "full_name" text NOT NULL, "aliases" text array NOT NULL DEFAULT '{}', "date_of_birth" date, "approximate_age" smallint, "gender" "public"."gender" NOT NULL DEFAULT 'UNKNOWN', "police_reference" text, "nhs_number" text, "school_upn" text, "social_care_id" text, "created_by_agency_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_4fa525b0f35fa94ac92539f11d1" UNIQUE ("police_reference"), CONSTRAINT "UQ_ecebf0a82680c458200bdb98acf" UNIQUE ("nhs_number"), CONSTRAINT "UQ_0c852b402c3f92abc88d77c0729" UNIQUE ("school_upn"), CONSTRAINT "UQ_39d5705a0e14eb23023a572f74f" UNIQUE ("social_care_id"), CONSTRAINT "CHK_subjects_nhs_number" CHECK (nhs_number IS NULL OR nhs_number ~ '^[0-9]{10}$'), CONSTRAINT "CHK_subjects_age" CHECK (approximate_age IS NULL OR approximate_age BETWEEN 0 AND 120), CONSTRAINT "CHK_subjects_name" CHECK (char_length(btrim(full_name)) BETWEEN 1 AND 200), CONSTRAINT "PK_1a023685ac2b051b4e557b0b280" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_subjects_dob" ON "subjects" ("date_of_birth")`);
    await q.query(
      `CREATE TABLE "crimes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "crime_reference" text NOT NULL, "offence" text NOT NULL, "division_id" text, "recorded_on" date NOT NULL, "recorded_by_user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_4a70a4fbc67953860730bb4de42" UNIQUE ("crime_reference"), CONSTRAINT "CHK_crimes_offence" CHECK (char_length(btrim(offence)) BETWEEN 1 AND 500), CONSTRAINT "CHK_crimes_reference" CHECK (char_length(btrim(crime_reference)) BETWEEN 1 AND 64), CONSTRAINT "PK_0229c1128bfa90ffc7d6fce50ea" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_crimes_recorded" ON "crimes" ("recorded_on", "id")`);
    await q.query(`CREATE TYPE "public"."crime_role" AS ENUM('VICTIM', 'SUSPECT')`);
    await q.query(
      `CREATE TABLE "crime_subjects" ("crime_id" uuid NOT NULL, "subject_id" uuid NOT NULL, "role" "public"."crime_role" NOT NULL, CONSTRAINT "PK_61a0ce53e8c57d60608ab3321d3" PRIMARY KEY ("crime_id", "subject_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_crime_subjects_subject" ON "crime_subjects" ("subject_id")`);
    await q.query(`CREATE TYPE "public"."flag_kind" AS ENUM('CSE_RISK', 'CSE_PERPETRATOR')`);
    await q.query(`CREATE TYPE "public"."risk_level" AS ENUM('LOW', 'MEDIUM', 'HIGH')`);
    await q.query(`CREATE TYPE "public"."flag_status" AS ENUM('ACTIVE', 'ENDED')`);
    await q.query(
      `CREATE TABLE "flags" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subject_id" uuid NOT NULL, "kind" "public"."flag_kind" NOT NULL, "risk_level" "public"."risk_level" NOT NULL, "status" "public"."flag_status" NOT NULL DEFAULT 'ACTIVE', "reason" text NOT NULL, "review_date" date, "set_by_user_id" uuid NOT NULL, "set_by_agency_id" uuid NOT NULL, "set_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "ended_at" TIMESTAMP WITH TIME ZONE, "ended_by_user_id" uuid, "end_reason" text, CONSTRAINT "CHK_flags_ended" CHECK ((status = 'ENDED') = (ended_at IS NOT NULL AND ended_by_user_id IS NOT NULL AND end_reason IS NOT NULL)), CONSTRAINT "CHK_flags_reason" CHECK (char_length(btrim(reason)) > 0), CONSTRAINT "PK_ea7e333c92a55de9e9b8d0b9afd" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_flags_subject" ON "flags" ("subject_id", "set_at")`);
    await q.query(
      `CREATE TABLE "record_history" ("id" BIGSERIAL NOT NULL, "record_kind" text NOT NULL, "record_id" uuid NOT NULL, "action" text NOT NULL, "actor_id" uuid NOT NULL, "actor_agency_id" uuid NOT NULL, "before" jsonb, "after" jsonb, "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_bcbbb913eef5acf5cd0b71aba4d" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_history_record" ON "record_history" ("record_kind", "record_id", "changed_at")`);
    await q.query(
      `CREATE TYPE "public"."source_type" AS ENUM('PUBLIC', 'POLICE', 'SOCIAL_CARE', 'EDUCATION', 'HEALTH', 'VOLUNTARY', 'OTHER_AGENCY')`,
    );
    await q.query(
      `CREATE TYPE "public"."report_status" AS ENUM('SUBMITTED', 'UNDER_ASSESSMENT', 'ASSESSED', 'ACTIONED', 'NO_FURTHER_ACTION')`,
    );
    await q.query(
      `CREATE TYPE "public"."risk_indicator" AS ENUM('MISSING_EPISODES', 'SCHOOL_ABSENCE', 'SUBSTANCE_MISUSE', 'UNEXPLAINED_GIFTS', 'OLDER_PARTNER', 'SEXUAL_HEALTH', 'SELF_HARM', 'FAMILY_ESTRANGEMENT', 'ONLINE_CONTACT', 'RECRUITING_OTHERS', 'TRANSPORTED_BY_ADULTS')`,
    );
    await q.query(`CREATE TYPE "public"."classification" AS ENUM('OFFICIAL', 'OFFICIAL_SENSITIVE')`);
    await q.query(`CREATE TYPE "public"."source_evaluation" AS ENUM('RELIABLE', 'UNTESTED', 'NOT_RELIABLE')`);
    await q.query(
      `CREATE TYPE "public"."intelligence_assessment" AS ENUM('KNOWN_DIRECTLY', 'KNOWN_INDIRECTLY_CORROBORATED', 'KNOWN_INDIRECTLY', 'NOT_KNOWN', 'SUSPECTED_FALSE')`,
    );
    await q.query(`CREATE TYPE "public"."handling_code" AS ENUM('P', 'C')`);
    await q.query(
      `CREATE TABLE "intelligence_reports" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "reference" text NOT NULL DEFAULT next_report_reference(), "source_type" "public"."source_type" NOT NULL, "status" "public"."report_status" NOT NULL DEFAULT 'SUBMITTED', "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE, "division_id" text, "location" text, "narrative" text NOT NULL, "risk_indicators" "public"."risk_indicator" array NOT NULL DEFAULT '{}', "classification" "public"."classification" NOT NULL DEFAULT 'OFFICIAL', "submitted_by_agency_id" uuid NOT NULL, "submitted_by_user_id" uuid, "submitted_by_service_account_id" uuid, "idempotency_key" text, "payload_hash" text, "source_evaluation" "public"."source_evaluation", "intelligence_assessment" "public"."intelligence_assessment", "handling_code" "public"."handling_code", "handling_conditions" text, "assessed_at" TIMESTAMP WITH TIME ZONE, "assessed_by_user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_9978a02a6672fedfe5164562def" UNIQUE ("reference"), CONSTRAINT "CHK_reports_idempotency" CHECK ((idempotency_key IS NULL) = (payload_hash IS NULL)), CONSTRAINT "CHK_reports_graded_together" CHECK (num_nulls(source_evaluation, intelligence_assessment, handling_code) IN (0, 3)), CONSTRAINT "CHK_reports_conditions_for_c" CHECK (handling_code IS DISTINCT FROM 'C' OR char_length(btrim(handling_conditions)) > 0), CONSTRAINT "CHK_reports_one_submitter" CHECK (num_nonnulls(submitted_by_user_id, submitted_by_service_account_id) = 1), CONSTRAINT "CHK_reports_narrative_length" CHECK (char_length(btrim(narrative)) BETWEEN 1 AND 20000), CONSTRAINT "PK_c179135e834e7afa6371aa14477" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_reports_agency_received" ON "intelligence_reports" ("submitted_by_agency_id", "received_at")`);
    await q.query(`CREATE INDEX "IDX_reports_division_received" ON "intelligence_reports" ("division_id", "received_at")`);
    await q.query(`CREATE INDEX "IDX_reports_received" ON "intelligence_reports" ("received_at", "id")`);
    await q.query(
      `CREATE TABLE "informants" ("report_id" uuid NOT NULL, "name" text NOT NULL, "contact" text, "notes" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_167a7d6613cbe133066cf70f436" PRIMARY KEY ("report_id"))`,
    );
    await q.query(
      `CREATE TYPE "public"."subject_role" AS ENUM('POTENTIAL_VICTIM', 'POTENTIAL_PERPETRATOR', 'WITNESS', 'ASSOCIATE', 'REPORTER')`,
    );
    await q.query(
      `CREATE TABLE "report_subjects" ("report_id" uuid NOT NULL, "subject_id" uuid NOT NULL, "role" "public"."subject_role" NOT NULL, "linked_by_user_id" uuid NOT NULL, "linked_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ebf1a6074b24c9c1c530bcfa827" PRIMARY KEY ("report_id", "subject_id"))`,
    );
    await q.query(`CREATE INDEX "IDX_report_subjects_subject" ON "report_subjects" ("subject_id")`);
    await q.query(
      `ALTER TABLE "subjects" ADD CONSTRAINT "FK_ccf49b17ceba40279d0cc20f8cd" FOREIGN KEY ("created_by_agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "crimes" ADD CONSTRAINT "FK_b2369f1b8f82d246a655f67f32e" FOREIGN KEY ("division_id") REFERENCES "divisions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "crimes" ADD CONSTRAINT "FK_6af874951a96c8ba99659a9471c" FOREIGN KEY ("recorded_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "crime_subjects" ADD CONSTRAINT "FK_1c6318b1aec5d5fd1b8638f509a" FOREIGN KEY ("crime_id") REFERENCES "crimes"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "crime_subjects" ADD CONSTRAINT "FK_db02b4f460239868e7caab10f8a" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "flags" ADD CONSTRAINT "FK_034e66e1b54b016a30847450558" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "flags" ADD CONSTRAINT "FK_5618c6256da69c9fd5d188bc82a" FOREIGN KEY ("set_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "flags" ADD CONSTRAINT "FK_84b172f14341a085357896e9efd" FOREIGN KEY ("set_by_agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "flags" ADD CONSTRAINT "FK_7fc768dd43211cc60a7bcc7ff88" FOREIGN KEY ("ended_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "intelligence_reports" ADD CONSTRAINT "FK_f430e6cb4a6ac598fd3f8f183a6" FOREIGN KEY ("division_id") REFERENCES "divisions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "intelligence_reports" ADD CONSTRAINT "FK_3f9323586827f3ef370795ea3a0" FOREIGN KEY ("submitted_by_agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "intelligence_reports" ADD CONSTRAINT "FK_b1ef66183d8bc99689c1c1d25dc" FOREIGN KEY ("submitted_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "intelligence_reports" ADD CONSTRAINT "FK_2104a143896d239f8c586d778a7" FOREIGN KEY ("submitted_by_service_account_id") REFERENCES "service_accounts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "intelligence_reports" ADD CONSTRAINT "FK_c47e33cf232bc5248ab5fc48ecb" FOREIGN KEY ("assessed_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "informants" ADD CONSTRAINT "FK_167a7d6613cbe133066cf70f436" FOREIGN KEY ("report_id") REFERENCES "intelligence_reports"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "report_subjects" ADD CONSTRAINT "FK_0e3771432c9866b9207fee74451" FOREIGN KEY ("report_id") REFERENCES "intelligence_reports"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "report_subjects" ADD CONSTRAINT "FK_70c092b5eac0fa9a14046de90b0" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "report_subjects" ADD CONSTRAINT "FK_c4b5934f82ea7501005f31ee38c" FOREIGN KEY ("linked_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );

    await q.query(`CREATE INDEX "IDX_reports_search" ON intelligence_reports USING gin (report_search_vector(location, narrative))`);
    await q.query(`
      CREATE UNIQUE INDEX "IDX_reports_idempotency" ON intelligence_reports
        (coalesce(submitted_by_user_id, submitted_by_service_account_id), idempotency_key)
        WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_subjects_name_trgm" ON subjects USING gin (full_name gin_trgm_ops)`);
    await q.query(`CREATE UNIQUE INDEX "IDX_flags_one_active" ON flags (subject_id, kind) WHERE status = 'ACTIVE'`);

    // A child under 13 is never flagged LOW (docs/architecture.md). Age from the date of birth, else the estimate.
    await q.query(`
      CREATE FUNCTION flags_check_child_risk() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE years int;
      BEGIN
        IF NEW.risk_level = 'LOW' THEN
          SELECT coalesce(date_part('year', age(current_date, s.date_of_birth))::int, s.approximate_age) INTO years
            FROM subjects s WHERE s.id = NEW.subject_id;
          IF years < 13 THEN
            RAISE EXCEPTION 'a child under 13 cannot be flagged LOW' USING ERRCODE = 'check_violation';
          END IF;
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER flags_check_child_risk BEFORE INSERT OR UPDATE OF risk_level ON flags FOR EACH ROW EXECUTE FUNCTION flags_check_child_risk()`,
    );

    // History is evidence: it is appended to, never rewritten. Flags are ended, never deleted.
    await q.query(`
      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% on % is not allowed', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(
      `CREATE TRIGGER record_history_append_only BEFORE UPDATE OR DELETE ON record_history FOR EACH ROW EXECUTE FUNCTION refuse_change()`,
    );
    await q.query(
      `CREATE TRIGGER record_history_no_truncate BEFORE TRUNCATE ON record_history FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`,
    );
    await q.query(`CREATE TRIGGER flags_never_deleted BEFORE DELETE ON flags FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'crime_subjects',
      'crimes',
      'flags',
      'report_subjects',
      'informants',
      'subjects',
      'intelligence_reports',
      'record_history',
    ]) {
      await q.query(`DROP TABLE "${table}" CASCADE`);
    }
    await q.query(`DROP FUNCTION flags_check_child_risk, refuse_change, report_search_vector, next_report_reference`);
    await q.query(`DROP SEQUENCE intelligence_reference_seq`);
    for (const type of [
      'crime_role',
      'flag_status',
      'risk_level',
      'flag_kind',
      'subject_role',
      'gender',
      'handling_code',
      'intelligence_assessment',
      'source_evaluation',
      'classification',
      'risk_indicator',
      'report_status',
      'source_type',
    ]) {
      await q.query(`DROP TYPE "${type}"`);
    }
  }
}
