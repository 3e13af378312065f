import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statistics: a monthly rollup beside the daily one, so ten months read about a thousand rows, not
 * some twenty thousand. The same statement-level triggers keep both (the functions are replaced);
 * statistics read whole months here, the whole days around them from the daily rollup, and only the
 * partial days at either end from the reports.
 */
export class StatisticsMonthly1764900000001 implements MigrationInterface {
  name = 'StatisticsMonthly1764900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE report_monthly_counts (
        month date NOT NULL CHECK (extract(day FROM month) = 1),
        division_id text REFERENCES divisions (id) ON DELETE RESTRICT,
        source_type source_type NOT NULL,
        reports integer NOT NULL CHECK (reports >= 0),
        CONSTRAINT report_monthly_counts_key UNIQUE NULLS NOT DISTINCT (month, division_id, source_type)
      )`);
    await q.query(this.functions(true));
    await q.query(`
      INSERT INTO report_monthly_counts (month, division_id, source_type, reports)
      SELECT date_trunc('month', day)::date, division_id, source_type, sum(reports)::int FROM report_daily_counts GROUP BY 1, 2, 3`);
    await q.query(`REVOKE ALL ON report_monthly_counts FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          REVOKE ALL ON report_monthly_counts FROM safeshare_app;
          GRANT SELECT ON report_monthly_counts TO safeshare_app;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(this.functions(false));
    await q.query(`DROP TABLE report_monthly_counts`);
  }

  /** The trigger functions of 1764900000000, keeping the monthly rollup too when `monthly`. */
  private functions(monthly: boolean): string {
    // One statement: the net change per day, upserted into the daily rollup and, summed by month,
    // into the monthly one (both see the same delta; ordered so concurrent statements lock alike).
    const apply = (delta: string) =>
      monthly
        ? `WITH delta AS (${delta}),
          daily AS (
            INSERT INTO report_daily_counts AS c (day, division_id, source_type, reports)
            SELECT day, division_id, source_type, n FROM delta ORDER BY 1, 2, 3
            ON CONFLICT ON CONSTRAINT report_daily_counts_key DO UPDATE SET reports = c.reports + EXCLUDED.reports)
          INSERT INTO report_monthly_counts AS c (month, division_id, source_type, reports)
          SELECT date_trunc('month', day)::date, division_id, source_type, sum(n)::int FROM delta
           GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
          ON CONFLICT ON CONSTRAINT report_monthly_counts_key DO UPDATE SET reports = c.reports + EXCLUDED.reports;`
        : `INSERT INTO report_daily_counts AS c (day, division_id, source_type, reports)
          SELECT day, division_id, source_type, n FROM (${delta}) delta ORDER BY 1, 2, 3
          ON CONFLICT ON CONSTRAINT report_daily_counts_key DO UPDATE SET reports = c.reports + EXCLUDED.reports;`;
    return `
      CREATE OR REPLACE FUNCTION report_daily_counts_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        ${apply(`SELECT (received_at AT TIME ZONE 'UTC')::date AS day, division_id, source_type, count(*)::int AS n FROM new_rows GROUP BY 1, 2, 3`)}
        RETURN NULL;
      END $$;
      CREATE OR REPLACE FUNCTION report_daily_counts_change() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          ${apply(`SELECT day, division_id, source_type, sum(n)::int AS n FROM (
            SELECT (received_at AT TIME ZONE 'UTC')::date AS day, division_id, source_type, 1 AS n FROM new_rows
            UNION ALL
            SELECT (received_at AT TIME ZONE 'UTC')::date, division_id, source_type, -1 FROM old_rows
          ) changes GROUP BY 1, 2, 3 HAVING sum(n) <> 0`)}
        ELSE
          ${apply(`SELECT (received_at AT TIME ZONE 'UTC')::date AS day, division_id, source_type, -count(*)::int AS n FROM old_rows GROUP BY 1, 2, 3`)}
        END IF;
        RETURN NULL;
      END $$`;
  }
}
