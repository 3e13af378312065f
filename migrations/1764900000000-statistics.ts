import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics: a rollup of intelligence reports per UTC day, division and source type, kept exact by
 * statement-level triggers on intelligence_reports (one aggregated upsert per statement, so a bulk
 * load costs one pass, not one upsert per row). Statistics read whole days here and only the partial
 * days at either end of a range from the reports themselves.
 *
 * The rollup is not a TypeORM entity (like the audit tables): nothing but the trigger writes it.
 * The trigger function is SECURITY DEFINER and the application role may only read the table, so a
 * bug in the service cannot skew the published figures.
 */
export class Statistics1764900000000 implements MigrationInterface {
  name = 'Statistics1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE report_daily_counts (
        day date NOT NULL,
        division_id text REFERENCES divisions (id) ON DELETE RESTRICT,
        source_type source_type NOT NULL,
        reports integer NOT NULL CHECK (reports >= 0),
        CONSTRAINT report_daily_counts_key UNIQUE NULLS NOT DISTINCT (day, division_id, source_type)
      )`);
    // Net change per (day, division, source type), in key order so concurrent statements lock alike.
    await q.query(`
      CREATE FUNCTION report_daily_counts_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        INSERT INTO report_daily_counts AS c (day, division_id, source_type, reports)
        SELECT (received_at AT TIME ZONE 'UTC')::date, division_id, source_type, count(*)::int FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT ON CONSTRAINT report_daily_counts_key DO UPDATE SET reports = c.reports + EXCLUDED.reports;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION report_daily_counts_change() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          INSERT INTO report_daily_counts AS c (day, division_id, source_type, reports)
          SELECT day, division_id, source_type, sum(n)::int FROM (
            SELECT (received_at AT TIME ZONE 'UTC')::date AS day, division_id, source_type, 1 AS n FROM new_rows
            UNION ALL
            SELECT (received_at AT TIME ZONE 'UTC')::date, division_id, source_type, -1 FROM old_rows
          ) changes GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
          ON CONFLICT ON CONSTRAINT report_daily_counts_key DO UPDATE SET reports = c.reports + EXCLUDED.reports;
        ELSE
          UPDATE report_daily_counts c SET reports = c.reports - d.n
            FROM (SELECT (received_at AT TIME ZONE 'UTC')::date AS day, division_id, source_type, count(*)::int AS n
                    FROM old_rows GROUP BY 1, 2, 3) d
           WHERE c.day = d.day AND c.division_id IS NOT DISTINCT FROM d.division_id AND c.source_type = d.source_type;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER report_daily_counts_insert AFTER INSERT ON intelligence_reports
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_daily_counts_insert()`);
    await q.query(`
      CREATE TRIGGER report_daily_counts_update AFTER UPDATE ON intelligence_reports
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_daily_counts_change()`);
    await q.query(`
      CREATE TRIGGER report_daily_counts_delete AFTER DELETE ON intelligence_reports
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_daily_counts_change()`);
    await q.query(`
      INSERT INTO report_daily_counts (day, division_id, source_type, reports)
      SELECT (received_at AT TIME ZONE 'UTC')::date, division_id, source_type, count(*)::int FROM intelligence_reports GROUP BY 1, 2, 3`);

    // Only the trigger writes the rollup; the service reads it.
    await q.query(`REVOKE ALL ON report_daily_counts FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          REVOKE ALL ON report_daily_counts FROM safeshare_app;
          GRANT SELECT ON report_daily_counts TO safeshare_app;
        END IF;
      END $$`);
    // Partial days at the ends of a range, and crimes by date, are read from index-only scans.
    await q.query(`CREATE INDEX "IDX_reports_stats" ON intelligence_reports (received_at) INCLUDE (division_id, source_type)`);
    await q.query(`CREATE INDEX "IDX_crimes_stats" ON crimes (recorded_on) INCLUDE (division_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_crimes_stats"`);
    await q.query(`DROP INDEX "IDX_reports_stats"`);
    await q.query(`DROP TRIGGER report_daily_counts_delete ON intelligence_reports`);
    await q.query(`DROP TRIGGER report_daily_counts_update ON intelligence_reports`);
    await q.query(`DROP TRIGGER report_daily_counts_insert ON intelligence_reports`);
    await q.query(`DROP FUNCTION report_daily_counts_change()`);
    await q.query(`DROP FUNCTION report_daily_counts_insert()`);
    await q.query(`DROP TABLE report_daily_counts`);
  }
}
