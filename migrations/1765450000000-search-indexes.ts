import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Search that stays fast at a million reports (docs/performance.md, items 5 and 6).
 *
 * Full-text: the GIN index was on the expression `report_search_vector(location, narrative)`, so
 * ranking recomputed `to_tsvector` for every match. Reports now store the vector in `search_vector`,
 * indexed, and queries match and rank on it. It is kept by a trigger rather than being a generated
 * column because TypeORM's schema comparison reads generated columns' expressions from its own
 * `typeorm_metadata` table, keyed by database name (our test databases are copies of a template);
 * the trigger recomputes it on every insert and on any update that names location, narrative or the
 * column itself, so it cannot differ from the function.
 *
 * Fuzzy names: `full_name % $1 OR EXISTS (... unnest(aliases) a WHERE a % $1)` could use no index
 * for the aliases, so every search scanned every subject. A trigram index on a string made of all
 * the aliases would not find the same subjects (one alias can be similar to the name while the
 * string of all of them is not), so each alias gets a row in `subject_aliases`, kept by statement
 * triggers on subjects, with a trigram index: `alias % $1` there is exactly the old alias test.
 */
export class SearchIndexes1765450000000 implements MigrationInterface {
  name = 'SearchIndexes1765450000000';

  async up(q: QueryRunner): Promise<void> {
    // Computed once for the existing rows in the table's rewrite (no UPDATE: no dead rows, no
    // row triggers), then kept by the trigger from here on.
    await q.query(`
      ALTER TABLE intelligence_reports
        ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (report_search_vector(location, narrative)) STORED`);
    await q.query(`ALTER TABLE intelligence_reports ALTER COLUMN search_vector DROP EXPRESSION`);
    await q.query(`ALTER TABLE intelligence_reports ALTER COLUMN search_vector SET NOT NULL`);
    await q.query(`
      CREATE FUNCTION report_search_vector_set() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.search_vector := report_search_vector(NEW.location, NEW.narrative);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER report_search_vector_set BEFORE INSERT OR UPDATE OF location, narrative, search_vector ON intelligence_reports
        FOR EACH ROW EXECUTE FUNCTION report_search_vector_set()`);
    await q.query(`DROP INDEX "IDX_reports_search"`);
    await q.query(`CREATE INDEX "IDX_reports_search" ON intelligence_reports USING gin (search_vector)`);

    await q.query(`
      CREATE TABLE subject_aliases (
        subject_id uuid NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
        alias text NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION subject_aliases_sync() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          DELETE FROM subject_aliases sa USING old_rows o
           WHERE sa.subject_id = o.id
             AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND n.aliases = o.aliases);
          INSERT INTO subject_aliases (subject_id, alias)
            SELECT n.id, a FROM new_rows n CROSS JOIN LATERAL unnest(n.aliases) a
             WHERE a IS NOT NULL AND NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id AND o.aliases = n.aliases);
        ELSE
          INSERT INTO subject_aliases (subject_id, alias)
            SELECT n.id, a FROM new_rows n CROSS JOIN LATERAL unnest(n.aliases) a WHERE a IS NOT NULL;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER subject_aliases_insert AFTER INSERT ON subjects REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION subject_aliases_sync()`);
    await q.query(`
      CREATE TRIGGER subject_aliases_update AFTER UPDATE ON subjects REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION subject_aliases_sync()`);
    await q.query(`
      INSERT INTO subject_aliases (subject_id, alias)
        SELECT s.id, a FROM subjects s CROSS JOIN LATERAL unnest(s.aliases) a WHERE a IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_subject_aliases_subject" ON subject_aliases (subject_id)`);
    await q.query(`CREATE INDEX "IDX_subject_aliases_trgm" ON subject_aliases USING gin (alias gin_trgm_ops)`);
    await q.query(`ANALYZE subject_aliases`);

    // The service reads the aliases; only the trigger writes them.
    await q.query(`REVOKE ALL ON subject_aliases FROM PUBLIC`);
    await q.query(`REVOKE ALL ON FUNCTION subject_aliases_sync() FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          REVOKE ALL ON subject_aliases FROM safeshare_app;
          GRANT SELECT ON subject_aliases TO safeshare_app;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER subject_aliases_insert ON subjects`);
    await q.query(`DROP TRIGGER subject_aliases_update ON subjects`);
    await q.query(`DROP FUNCTION subject_aliases_sync()`);
    await q.query(`DROP TABLE subject_aliases`);

    await q.query(`DROP INDEX "IDX_reports_search"`);
    await q.query(`CREATE INDEX "IDX_reports_search" ON intelligence_reports USING gin (report_search_vector(location, narrative))`);
    await q.query(`DROP TRIGGER report_search_vector_set ON intelligence_reports`);
    await q.query(`DROP FUNCTION report_search_vector_set()`);
    await q.query(`ALTER TABLE intelligence_reports DROP COLUMN search_vector`);
  }
}
