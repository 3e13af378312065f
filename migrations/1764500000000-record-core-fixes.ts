import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Subject identifiers a blank value must never stand for: a blank identifies nobody. */
const IDENTIFIER_COLUMNS = ['police_reference', 'nhs_number', 'school_upn', 'social_care_id'] as const;

/**
 * Fixes from the record core review: no blank identifiers, indexes for the subject list and a
 * partner app's own submissions, and opaque report references.
 */
export class RecordCoreFixes1764500000000 implements MigrationInterface {
  name = 'RecordCoreFixes1764500000000';

  async up(q: QueryRunner): Promise<void> {
    for (const column of IDENTIFIER_COLUMNS) {
      // Blanks stored before the check existed meant "unknown": say so with NULL.
      await q.query(`UPDATE subjects SET ${column} = NULL WHERE btrim(${column}) = ''`);
      // NULL passes a CHECK, so only present values must be non-blank.
      await q.query(`ALTER TABLE subjects ADD CONSTRAINT "CHK_subjects_${column}_not_blank" CHECK (btrim(${column}) <> '')`);
    }

    await q.query(`CREATE INDEX "IDX_subjects_created" ON "subjects" ("created_at", "id")`);
    await q.query(
      `CREATE INDEX "IDX_reports_service_account_received" ON "intelligence_reports" ("submitted_by_service_account_id", "received_at")`,
    );

    // A reference from one global sequence told every reporter how much all agencies submit.
    // New references are random: INT-XXXXX-XXXXX in Crockford base32 (no I, L, O or U), 50 bits
    // from gen_random_uuid's strong random bytes (skipping the v4 version and variant bytes 6 and 8).
    // References already issued keep their INT-nnnnnnn form, which a new one can never take.
    await q.query(`
      CREATE OR REPLACE FUNCTION next_report_reference() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
        random_bytes constant int[] := ARRAY[0, 1, 2, 3, 4, 5, 9, 10, 11, 12];
        bytes bytea;
        ref text;
      BEGIN
        LOOP
          bytes := uuid_send(gen_random_uuid());
          ref := 'INT-';
          FOR i IN 1..10 LOOP
            ref := ref || substr(alphabet, 1 + get_byte(bytes, random_bytes[i]) % 32, 1);
            IF i = 5 THEN ref := ref || '-'; END IF;
          END LOOP;
          EXIT WHEN NOT EXISTS (SELECT 1 FROM intelligence_reports WHERE reference = ref);
        END LOOP;
        RETURN ref;
      END $$`);
    await q.query(`DROP SEQUENCE intelligence_reference_seq`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE intelligence_reference_seq`);
    await q.query(`
      SELECT setval('intelligence_reference_seq', coalesce(max(substr(reference, 5)::bigint), 1), max(reference) IS NOT NULL)
        FROM intelligence_reports WHERE reference ~ '^INT-[0-9]{7}$'`);
    await q.query(`
      CREATE OR REPLACE FUNCTION next_report_reference() RETURNS text LANGUAGE sql VOLATILE AS $$
        SELECT 'INT-' || lpad(nextval('intelligence_reference_seq')::text, 7, '0')
      $$`);
    await q.query(`DROP INDEX "IDX_reports_service_account_received"`);
    await q.query(`DROP INDEX "IDX_subjects_created"`);
    for (const column of IDENTIFIER_COLUMNS) {
      await q.query(`ALTER TABLE subjects DROP CONSTRAINT "CHK_subjects_${column}_not_blank"`);
    }
  }
}
