import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lawful disclosure: agencies' involvements with subjects, police disclosures of sanitised summaries
 * (and recorded decisions not to share), practitioners' access requests, and break-glass grants.
 * Together with own submissions these decide which subjects are known to an agency (policy/records.ts);
 * the partial indexes below serve exactly those scope conditions.
 */
export class LawfulDisclosure1764600000000 implements MigrationInterface {
  name = 'LawfulDisclosure1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE "public"."involvement_kind" AS ENUM('PUPIL_ON_ROLL', 'OPEN_CASE', 'PATIENT', 'SUPPORTED')`);
    await q.query(`CREATE TYPE "public"."lawful_basis" AS ENUM('PUBLIC_TASK', 'LEGAL_OBLIGATION', 'VITAL_INTERESTS', 'CONSENT')`);
    await q.query(`CREATE TYPE "public"."access_request_status" AS ENUM('PENDING', 'DISCLOSED', 'DECLINED')`);
    await q.query(
      `CREATE TYPE "public"."legal_gateway" AS ENUM('CHILDREN_ACT_1989_S47', 'CHILDREN_ACT_1989_S17', 'CHILDREN_ACT_2004_S11', 'CRIME_AND_DISORDER_ACT_1998_S115', 'DPA_2018_SCH8_SAFEGUARDING', 'CONSENT')`,
    );

    await q.query(
      `CREATE TABLE "involvements" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subject_id" uuid NOT NULL, "agency_id" uuid NOT NULL, "kind" "public"."involvement_kind" NOT NULL, "lawful_basis" "public"."lawful_basis" NOT NULL, "contact" text NOT NULL, "registered_by_user_id" uuid NOT NULL, "registered_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "ended_at" TIMESTAMP WITH TIME ZONE, "ended_by_user_id" uuid, "end_reason" text, CONSTRAINT "CHK_involvements_ended_after" CHECK (ended_at IS NULL OR ended_at >= registered_at), CONSTRAINT "CHK_involvements_end_reason" CHECK (char_length(btrim(end_reason)) > 0), CONSTRAINT "CHK_involvements_ended" CHECK ((ended_at IS NULL) = (ended_by_user_id IS NULL) AND (ended_at IS NULL) = (end_reason IS NULL)), CONSTRAINT "CHK_involvements_contact" CHECK (char_length(btrim(contact)) BETWEEN 1 AND 200), CONSTRAINT "PK_0f6dc922b09f0e95b84accca01f" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_involvements_registered" ON "involvements" ("registered_at", "id")`);
    await q.query(`CREATE UNIQUE INDEX "IDX_involvements_one_active" ON involvements (subject_id, agency_id, kind) WHERE ended_at IS NULL`);
    await q.query(`CREATE INDEX "IDX_involvements_scope" ON involvements (agency_id, subject_id) WHERE ended_at IS NULL`);

    await q.query(
      `CREATE TABLE "access_requests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subject_id" uuid NOT NULL, "requested_by_user_id" uuid NOT NULL, "requester_agency_id" uuid NOT NULL, "reason" text NOT NULL, "status" "public"."access_request_status" NOT NULL DEFAULT 'PENDING', "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "decided_at" TIMESTAMP WITH TIME ZONE, "decided_by_user_id" uuid, CONSTRAINT "CHK_access_requests_decided" CHECK ((status = 'PENDING') = (decided_at IS NULL) AND (decided_at IS NULL) = (decided_by_user_id IS NULL) AND (decided_at IS NULL OR decided_at >= requested_at)), CONSTRAINT "CHK_access_requests_reason" CHECK (char_length(btrim(reason)) BETWEEN 1 AND 2000), CONSTRAINT "PK_f89e51c15e3dbea13aa248fe128" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_access_requests_requested" ON "access_requests" ("requested_at", "id")`);
    await q.query(`CREATE INDEX "IDX_access_requests_agency" ON "access_requests" ("requester_agency_id", "requested_at")`);
    await q.query(
      `CREATE UNIQUE INDEX "IDX_access_requests_one_pending" ON access_requests (subject_id, requester_agency_id) WHERE status = 'PENDING'`,
    );

    await q.query(
      `CREATE TABLE "disclosures" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "report_id" uuid NOT NULL, "recipient_agency_id" uuid NOT NULL, "gateway" "public"."legal_gateway" NOT NULL, "purpose" text NOT NULL, "summary" text NOT NULL, "conditions" text, "sensitive_acknowledged" boolean NOT NULL DEFAULT false, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "disclosed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "disclosed_by_user_id" uuid NOT NULL, "access_request_id" uuid, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by_user_id" uuid, "revocation_reason" text, CONSTRAINT "CHK_disclosures_revocation_reason" CHECK (char_length(btrim(revocation_reason)) > 0), CONSTRAINT "CHK_disclosures_revoked" CHECK ((revoked_at IS NULL) = (revoked_by_user_id IS NULL) AND (revoked_at IS NULL) = (revocation_reason IS NULL) AND (revoked_at IS NULL OR revoked_at >= disclosed_at)), CONSTRAINT "CHK_disclosures_expiry" CHECK (expires_at > disclosed_at), CONSTRAINT "CHK_disclosures_conditions" CHECK (char_length(btrim(conditions)) BETWEEN 1 AND 2000), CONSTRAINT "CHK_disclosures_summary" CHECK (char_length(btrim(summary)) BETWEEN 1 AND 10000), CONSTRAINT "CHK_disclosures_purpose" CHECK (char_length(btrim(purpose)) BETWEEN 1 AND 2000), CONSTRAINT "PK_891a486784239e16ba51491fd1c" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_disclosures_disclosed" ON "disclosures" ("disclosed_at", "id")`);
    await q.query(`CREATE INDEX "IDX_disclosures_recipient" ON "disclosures" ("recipient_agency_id", "disclosed_at")`);
    await q.query(
      `CREATE INDEX "IDX_disclosures_scope" ON disclosures (report_id, recipient_agency_id, expires_at) WHERE revoked_at IS NULL`,
    );

    await q.query(
      `CREATE TABLE "disclosure_declines" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "report_id" uuid, "recipient_agency_id" uuid NOT NULL, "access_request_id" uuid, "reason" text NOT NULL, "decided_by_user_id" uuid NOT NULL, "decided_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "CHK_disclosure_declines_about" CHECK (report_id IS NOT NULL OR access_request_id IS NOT NULL), CONSTRAINT "CHK_disclosure_declines_reason" CHECK (char_length(btrim(reason)) BETWEEN 1 AND 2000), CONSTRAINT "PK_fb3b474e7c89bd061b20feb29e3" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_disclosure_declines_request" ON "disclosure_declines" ("access_request_id")`);
    await q.query(`CREATE INDEX "IDX_disclosure_declines_decided" ON "disclosure_declines" ("decided_at", "id")`);

    await q.query(
      `CREATE TABLE "break_glass_grants" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subject_id" uuid NOT NULL, "user_id" uuid NOT NULL, "agency_id" uuid NOT NULL, "reason" text NOT NULL, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "reviewed_at" TIMESTAMP WITH TIME ZONE, "reviewed_by_user_id" uuid, CONSTRAINT "CHK_break_glass_reviewed" CHECK ((reviewed_at IS NULL) = (reviewed_by_user_id IS NULL)), CONSTRAINT "CHK_break_glass_expiry" CHECK (expires_at > granted_at AND expires_at <= granted_at + interval '4 hours'), CONSTRAINT "CHK_break_glass_reason" CHECK (char_length(btrim(reason)) BETWEEN 1 AND 2000), CONSTRAINT "PK_b02d16f7854de523ef0f7ba9799" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_break_glass_granted" ON "break_glass_grants" ("granted_at", "id")`);
    await q.query(`CREATE INDEX "IDX_break_glass_scope" ON "break_glass_grants" ("user_id", "subject_id", "expires_at")`);

    for (const fk of [
      `ALTER TABLE "involvements" ADD CONSTRAINT "FK_202a6e55cec9ae08462d235717c" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "involvements" ADD CONSTRAINT "FK_4ab7b735d05d90bd01bef3eecf2" FOREIGN KEY ("agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "involvements" ADD CONSTRAINT "FK_9296eaebc7efd8bca251af8f20d" FOREIGN KEY ("registered_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "involvements" ADD CONSTRAINT "FK_5223cf58b2644ba84355d08522d" FOREIGN KEY ("ended_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "access_requests" ADD CONSTRAINT "FK_fe9209abfb556275c01d9c12c81" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "access_requests" ADD CONSTRAINT "FK_24fe4adf969158f8fdab6d2ba88" FOREIGN KEY ("requested_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "access_requests" ADD CONSTRAINT "FK_d7a0c3d689949fd56ba69676c2b" FOREIGN KEY ("requester_agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "access_requests" ADD CONSTRAINT "FK_88595949772fe356e16a27a28bf" FOREIGN KEY ("decided_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "disclosures" ADD CONSTRAINT "FK_4d4f9d6aef1b0132140e78e5db3" FOREIGN KEY ("report_id") REFERENCES "intelligence_reports"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "disclosures" ADD CONSTRAINT "FK_3ff33d29c7a7df0e96a64d212d1" FOREIGN KEY ("recipient_agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "disclosures" ADD CONSTRAINT "FK_f9035d3f77d44e75d0ad95cf3f2" FOREIGN KEY ("disclosed_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "disclosures" ADD CONSTRAINT "FK_8882a8caa90c160510eef271016" FOREIGN KEY ("access_request_id") REFERENCES "access_requests"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "disclosures" ADD CONSTRAINT "FK_ce56d40ada4da22ae24000b49ca" FOREIGN KEY ("revoked_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "disclosure_declines" ADD CONSTRAINT "FK_6ac819ecf5378cec55dfd15489b" FOREIGN KEY ("report_id") REFERENCES "intelligence_reports"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "disclosure_declines" ADD CONSTRAINT "FK_165aa53cdfbbf05387e16e7b344" FOREIGN KEY ("recipient_agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "disclosure_declines" ADD CONSTRAINT "FK_3e60eb7f102b9b5fdccd83e1aa1" FOREIGN KEY ("access_request_id") REFERENCES "access_requests"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "disclosure_declines" ADD CONSTRAINT "FK_11fa4ded9d2ccc6b3f28636a856" FOREIGN KEY ("decided_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "break_glass_grants" ADD CONSTRAINT "FK_563c471e94ef1fffb59de5acad2" FOREIGN KEY ("subject_id") REFERENCES "subjects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "break_glass_grants" ADD CONSTRAINT "FK_abf9d468e636561364856a8d24b" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "break_glass_grants" ADD CONSTRAINT "FK_c76091442dc4e37faf0f73d6bbe" FOREIGN KEY ("agency_id") REFERENCES "agencies"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
      `ALTER TABLE "break_glass_grants" ADD CONSTRAINT "FK_00c8add4936d752809606003f33" FOREIGN KEY ("reviewed_by_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    ]) {
      await q.query(fk);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['break_glass_grants', 'disclosure_declines', 'disclosures', 'access_requests', 'involvements']) {
      await q.query(`DROP TABLE "${table}"`);
    }
    for (const type of ['legal_gateway', 'access_request_status', 'lawful_basis', 'involvement_kind']) {
      await q.query(`DROP TYPE "public"."${type}"`);
    }
  }
}
