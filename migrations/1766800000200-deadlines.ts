import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deadline clocks (docs/notifications.md, "Deadlines"): an access request's urgency and the time
 * its answer is due, fixed when it is made (from the configured hours of its urgency, so a later
 * change of configuration does not move a deadline already given). Requests made before urgencies
 * existed are AMBER, due a day after they were made. The partial index serves the overdue filter
 * and the clock's scan: pending requests by due time.
 *
 * `statistics_access_request_cells` counts access requests for the timeliness statistic
 * (policy/statistics.ts, TIMELINESS): police ANALYST and SUPERVISOR only, counts only, so it reads
 * past the access_requests policy (an analyst reads no request itself) as its owner.
 */
export class Deadlines1766800000200 implements MigrationInterface {
  name = 'Deadlines1766800000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE "access_request_urgency" AS ENUM ('RED', 'AMBER', 'GREEN')`);
    await q.query(`ALTER TABLE access_requests ADD COLUMN "urgency" "access_request_urgency" NOT NULL DEFAULT 'AMBER'`);
    await q.query(`ALTER TABLE access_requests ADD COLUMN "due_at" timestamptz`);
    await q.query(`UPDATE access_requests SET due_at = requested_at + interval '24 hours'`);
    await q.query(`ALTER TABLE access_requests ALTER COLUMN "due_at" SET NOT NULL`);
    await q.query(`ALTER TABLE access_requests ADD CONSTRAINT "CHK_access_requests_due" CHECK (due_at > requested_at)`);
    await q.query(`CREATE INDEX "IDX_access_requests_overdue" ON access_requests (due_at, id) WHERE status = 'PENDING'`);
    await q.query(`CREATE FUNCTION statistics_access_request_cells(from_at timestamptz, to_at timestamptz)
       RETURNS TABLE (month text, urgency text, g integer, requested integer, in_time integer, late integer, pending_overdue integer,
                      decided integer, median_hours double precision)
       LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
       SELECT to_char(date_trunc('month', r.requested_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), r.urgency::text,
              GROUPING(to_char(date_trunc('month', r.requested_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'))::int,
              count(*)::int,
              count(*) FILTER (WHERE r.decided_at <= r.due_at)::int,
              count(*) FILTER (WHERE r.decided_at > r.due_at)::int,
              count(*) FILTER (WHERE r.status = 'PENDING' AND r.due_at <= now())::int,
              count(r.decided_at)::int,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.decided_at - r.requested_at) / 3600)
         FROM access_requests r
        WHERE r.requested_at >= from_at AND r.requested_at < to_at
          AND (rls_user_with('{ANALYST,SUPERVISOR}', '{POLICE}') OR rls_system())
        GROUP BY GROUPING SETS ((1, 2), (2)) $$`);
    await q.query(`REVOKE ALL ON FUNCTION statistics_access_request_cells(timestamptz, timestamptz) FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          GRANT EXECUTE ON FUNCTION statistics_access_request_cells(timestamptz, timestamptz) TO safeshare_app;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION statistics_access_request_cells(timestamptz, timestamptz)`);
    await q.query(`DROP INDEX "IDX_access_requests_overdue"`);
    await q.query(`ALTER TABLE access_requests DROP CONSTRAINT "CHK_access_requests_due"`);
    await q.query(`ALTER TABLE access_requests DROP COLUMN "due_at"`);
    await q.query(`ALTER TABLE access_requests DROP COLUMN "urgency"`);
    await q.query(`DROP TYPE "access_request_urgency"`);
  }
}
