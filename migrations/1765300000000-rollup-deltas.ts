import type { MigrationInterface, QueryRunner } from 'typeorm';
import { StatisticsMonthly1764900000001 } from './1764900000001-statistics-monthly';

/** Taken (try-lock, per transaction) by a fold, so instances folding at the same moment do not queue. */
export const ROLLUP_FOLD_LOCK = 0x5afe_f01d;

/**
 * Statistics rollups without a hot row. The statement triggers on intelligence_reports upserted the
 * report's (day, division, source type) row of report_daily_counts and report_monthly_counts and held
 * its lock until the submission committed, so concurrent submissions of a day queued behind each
 * other (docs/performance.md, item 7), and one statement inserting many rows in another order could
 * deadlock with another. The same triggers now append the statement's net change, aggregated, to
 * report_count_deltas: a plain insert, no conflict, no lock. `report_counts_fold()` moves the
 * deltas into both rollups in one short transaction (run periodically by the service); statistics
 * read the rollups plus the deltas not yet folded, so they are exact at every moment.
 *
 * Nothing needs backfilling: the rollups are exact when this runs and the deltas start empty.
 */
export class RollupDeltas1765300000000 implements MigrationInterface {
  name = 'RollupDeltas1765300000000';

  async up(q: QueryRunner): Promise<void> {
    // No foreign key to divisions: every delta comes from a report that has been checked already, a
    // key-share lock per submission on the division row would buy nothing, and the fold's upsert
    // into the rollups checks again. No index: the fold empties the table every few seconds.
    await q.query(`
      CREATE TABLE report_count_deltas (
        day date NOT NULL,
        division_id text,
        source_type source_type NOT NULL,
        reports integer NOT NULL
      ) WITH (autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_scale_factor = 0)`);
    const append = (delta: string) => `
      INSERT INTO report_count_deltas (day, division_id, source_type, reports) ${delta};`;
    await q.query(`
      CREATE OR REPLACE FUNCTION report_daily_counts_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        ${append(`SELECT (received_at AT TIME ZONE 'UTC')::date, division_id, source_type, count(*)::int FROM new_rows GROUP BY 1, 2, 3`)}
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION report_daily_counts_change() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          ${append(`SELECT day, division_id, source_type, sum(n)::int FROM (
            SELECT (received_at AT TIME ZONE 'UTC')::date AS day, division_id, source_type, 1 AS n FROM new_rows
            UNION ALL
            SELECT (received_at AT TIME ZONE 'UTC')::date, division_id, source_type, -1 FROM old_rows
          ) changes GROUP BY 1, 2, 3 HAVING sum(n) <> 0`)}
        ELSE
          ${append(`SELECT (received_at AT TIME ZONE 'UTC')::date, division_id, source_type, -count(*)::int FROM old_rows GROUP BY 1, 2, 3`)}
        END IF;
        RETURN NULL;
      END $$`);
    // One statement: the deltas committed so far are deleted and their net change per key applied to
    // both rollups, in key order. Only the fold writes the rollups now, and the advisory lock keeps
    // folds apart, so a rollup row's lock never waits on a submission. Deltas committed while it runs
    // are outside its snapshot: they stay for the next fold (and readers count them meanwhile).
    // Decreases (reports moved or deleted) are updates: an upsert checks its proposed row, negative,
    // against the CHECK before it finds the existing one. Returns the deltas folded, or -1 when
    // another fold holds the lock.
    const apply = (table: string, key: string, from: string) => `
        ${table}_down AS (
          UPDATE ${table} c SET reports = c.reports + d.n FROM ${from} d
           WHERE d.n < 0 AND c.${key} = d.${key} AND c.source_type = d.source_type AND c.division_id IS NOT DISTINCT FROM d.division_id),
        ${table}_up AS (
          INSERT INTO ${table} AS c (${key}, division_id, source_type, reports)
          SELECT ${key}, division_id, source_type, n FROM ${from} WHERE n > 0 ORDER BY 1, 2, 3
          ON CONFLICT ON CONSTRAINT ${table}_key DO UPDATE SET reports = c.reports + EXCLUDED.reports)`;
    await q.query(`
      CREATE FUNCTION report_counts_fold() RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        folded integer;
      BEGIN
        IF NOT pg_try_advisory_xact_lock(${ROLLUP_FOLD_LOCK}) THEN
          RETURN -1;
        END IF;
        WITH moved AS (DELETE FROM report_count_deltas RETURNING day, division_id, source_type, reports),
        daily AS (SELECT day, division_id, source_type, sum(reports)::int AS n FROM moved GROUP BY 1, 2, 3),
        monthly AS (SELECT (day - extract(day FROM day)::int + 1) AS month, division_id, source_type, sum(n)::int AS n FROM daily GROUP BY 1, 2, 3),
        ${apply('report_daily_counts', 'day', 'daily')},
        ${apply('report_monthly_counts', 'month', 'monthly')}
        SELECT count(*)::int INTO folded FROM moved;
        RETURN folded;
      END $$`);
    // The service reads the deltas and runs the fold; only the triggers and the fold write.
    await q.query(`REVOKE ALL ON report_count_deltas FROM PUBLIC`);
    await q.query(`REVOKE ALL ON FUNCTION report_counts_fold() FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          REVOKE ALL ON report_count_deltas FROM safeshare_app;
          GRANT SELECT ON report_count_deltas TO safeshare_app;
          GRANT EXECUTE ON FUNCTION report_counts_fold() TO safeshare_app;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Upsert straight into the rollups again (1764900000001's functions), then fold what is left.
    const monthly = new StatisticsMonthly1764900000001() as unknown as { functions(monthly: boolean): string };
    await q.query(monthly.functions(true));
    // Waits for a running fold (the fold's own try-lock then succeeds: the session holds it).
    await q.query(`SELECT pg_advisory_xact_lock(${ROLLUP_FOLD_LOCK})`);
    await q.query(`SELECT report_counts_fold()`);
    await q.query(`DROP FUNCTION report_counts_fold()`);
    await q.query(`DROP TABLE report_count_deltas`);
  }
}
