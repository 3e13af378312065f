import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Flag statistics from two small tables kept by trigger, instead of a lookup per flag and per
 * report at every request (seconds at a million reports):
 *
 * - `active_flag_placements`: each flag in force with what flagStats counts, placed in the division
 *   of its subject's latest report (by received_at, then id).
 * - `report_flag_coverage`: each report with risk indicators and at least one potential victim, with
 *   how many potential victims it has and how many of them carry a CSE_RISK flag in force (the
 *   under-flagging check counts those with none).
 *
 * Concurrency: a link and a flag change on the same subject could each miss the other's uncommitted
 * row. Both paths lock the subject rows concerned (FOR NO KEY UPDATE, in id order; it does not
 * conflict with the key-share locks foreign keys take, so two links to one subject queue rather
 * than deadlock) before reading, so the second one sees the first. The link path applies deltas
 * (which commute across reports); the rare paths no service operation takes (unlinking, editing a
 * report's time, division or risk indicators) recompute absolutely under a table lock.
 */
export class FlagStatistics1765400000000 implements MigrationInterface {
  name = 'FlagStatistics1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE active_flag_placements (
        flag_id uuid PRIMARY KEY REFERENCES flags (id) ON DELETE CASCADE,
        subject_id uuid NOT NULL,
        kind flag_kind NOT NULL,
        risk_level risk_level NOT NULL,
        review_date date,
        division_id text REFERENCES divisions (id) ON DELETE RESTRICT
      )`);
    await q.query(`CREATE INDEX "IDX_active_flag_placements_subject" ON active_flag_placements (subject_id)`);
    await q.query(`
      CREATE TABLE report_flag_coverage (
        report_id uuid PRIMARY KEY REFERENCES intelligence_reports (id) ON DELETE CASCADE,
        received_at timestamptz NOT NULL,
        victims integer NOT NULL CHECK (victims >= 0),
        flagged_victims integer NOT NULL CHECK (flagged_victims BETWEEN 0 AND victims)
      )`);
    await q.query(
      `CREATE INDEX "IDX_report_flag_coverage_received" ON report_flag_coverage (received_at) INCLUDE (victims, flagged_victims)`,
    );

    // The division of a subject's latest report, and a report's potential victims with a CSE_RISK flag in force.
    const latestDivision = (subject: string) => `(
      SELECT r.division_id FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
       WHERE rs.subject_id = ${subject} ORDER BY r.received_at DESC, r.id DESC LIMIT 1)`;
    const coverageOf = (reports: string) => `
      SELECT r.id, r.received_at, count(*)::int, count(f.id)::int
        FROM intelligence_reports r
        JOIN report_subjects rs ON rs.report_id = r.id AND rs.role = 'POTENTIAL_VICTIM'
        LEFT JOIN flags f ON f.subject_id = rs.subject_id AND f.kind = 'CSE_RISK' AND f.status = 'ACTIVE'
       WHERE cardinality(r.risk_indicators) > 0 ${reports}
       GROUP BY r.id, r.received_at`;

    await q.query(`
      CREATE FUNCTION flag_statistics_lock_subjects(subject_ids uuid[]) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT FROM subjects WHERE id = ANY (subject_ids) ORDER BY id FOR NO KEY UPDATE;
      $$`);
    await q.query(`
      CREATE FUNCTION flag_statistics_place(subject_ids uuid[]) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE active_flag_placements p SET division_id = latest.division_id
          FROM (SELECT s.id, ${latestDivision('s.id')} AS division_id
                  FROM (SELECT DISTINCT unnest(subject_ids) AS id) s
                 WHERE EXISTS (SELECT 1 FROM active_flag_placements e WHERE e.subject_id = s.id)) latest
         WHERE p.subject_id = latest.id AND p.division_id IS DISTINCT FROM latest.division_id;
      $$`);
    await q.query(`
      CREATE FUNCTION flag_statistics_recompute(report_ids uuid[], subject_ids uuid[]) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        LOCK TABLE report_flag_coverage, active_flag_placements IN SHARE ROW EXCLUSIVE MODE;
        DELETE FROM report_flag_coverage WHERE report_id = ANY (report_ids);
        INSERT INTO report_flag_coverage (report_id, received_at, victims, flagged_victims)
        ${coverageOf('AND r.id = ANY (report_ids)')};
        SELECT flag_statistics_place(subject_ids);
      $$`);

    // A new link: lock its subjects, add its victims to the report's coverage, re-place their flags.
    await q.query(`
      CREATE FUNCTION flag_statistics_link() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM flag_statistics_lock_subjects(array(SELECT subject_id FROM new_links));
        INSERT INTO report_flag_coverage AS c (report_id, received_at, victims, flagged_victims)
        SELECT r.id, r.received_at, count(*)::int, count(f.id)::int
          FROM new_links n
          JOIN intelligence_reports r ON r.id = n.report_id AND cardinality(r.risk_indicators) > 0
          LEFT JOIN flags f ON f.subject_id = n.subject_id AND f.kind = 'CSE_RISK' AND f.status = 'ACTIVE'
         WHERE n.role = 'POTENTIAL_VICTIM'
         GROUP BY r.id, r.received_at ORDER BY r.id
        ON CONFLICT (report_id) DO UPDATE
          SET victims = c.victims + EXCLUDED.victims, flagged_victims = c.flagged_victims + EXCLUDED.flagged_victims;
        PERFORM flag_statistics_place(array(SELECT subject_id FROM new_links));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION flag_statistics_relink() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          PERFORM flag_statistics_recompute(array(SELECT report_id FROM old_links UNION SELECT report_id FROM new_links),
                                            array(SELECT subject_id FROM old_links UNION SELECT subject_id FROM new_links));
        ELSE
          PERFORM flag_statistics_recompute(array(SELECT report_id FROM old_links), array(SELECT subject_id FROM old_links));
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION flag_statistics_report_changed() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        PERFORM flag_statistics_recompute(ARRAY[NEW.id], array(SELECT subject_id FROM report_subjects WHERE report_id = NEW.id));
        RETURN NULL;
      END $$`);
    // A flag set, approved, changed or ended: its placement follows; a CSE_RISK flag coming into or
    // out of force moves the flagged count of every report where its subject is a potential victim.
    await q.query(`
      CREATE FUNCTION flag_statistics_flag() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        was_counted boolean := TG_OP = 'UPDATE' AND OLD.status = 'ACTIVE' AND OLD.kind = 'CSE_RISK';
        is_counted boolean := NEW.status = 'ACTIVE' AND NEW.kind = 'CSE_RISK';
      BEGIN
        PERFORM flag_statistics_lock_subjects(CASE WHEN TG_OP = 'UPDATE' THEN ARRAY[OLD.subject_id, NEW.subject_id] ELSE ARRAY[NEW.subject_id] END);
        IF NEW.status = 'ACTIVE' THEN
          INSERT INTO active_flag_placements AS p (flag_id, subject_id, kind, risk_level, review_date, division_id)
          VALUES (NEW.id, NEW.subject_id, NEW.kind, NEW.risk_level, NEW.review_date, ${latestDivision('NEW.subject_id')})
          ON CONFLICT (flag_id) DO UPDATE
            SET subject_id = EXCLUDED.subject_id, kind = EXCLUDED.kind, risk_level = EXCLUDED.risk_level,
                review_date = EXCLUDED.review_date, division_id = EXCLUDED.division_id;
        ELSE
          DELETE FROM active_flag_placements WHERE flag_id = NEW.id;
        END IF;
        IF was_counted AND (NOT is_counted OR OLD.subject_id <> NEW.subject_id) THEN
          UPDATE report_flag_coverage c SET flagged_victims = c.flagged_victims - 1
           WHERE c.report_id IN (SELECT report_id FROM report_subjects WHERE subject_id = OLD.subject_id AND role = 'POTENTIAL_VICTIM');
        END IF;
        IF is_counted AND (NOT was_counted OR OLD.subject_id <> NEW.subject_id) THEN
          UPDATE report_flag_coverage c SET flagged_victims = c.flagged_victims + 1
           WHERE c.report_id IN (SELECT report_id FROM report_subjects WHERE subject_id = NEW.subject_id AND role = 'POTENTIAL_VICTIM');
        END IF;
        RETURN NULL;
      END $$`);

    await q.query(`
      CREATE TRIGGER flag_statistics_link AFTER INSERT ON report_subjects
        REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION flag_statistics_link()`);
    await q.query(`
      CREATE TRIGGER flag_statistics_relink AFTER UPDATE ON report_subjects
        REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION flag_statistics_relink()`);
    await q.query(`
      CREATE TRIGGER flag_statistics_unlink AFTER DELETE ON report_subjects
        REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION flag_statistics_relink()`);
    // Row-level with a column list (a transition table cannot have one): assessments, which change
    // none of these, do not pay for it.
    await q.query(`
      CREATE TRIGGER flag_statistics_report_changed AFTER UPDATE OF received_at, division_id, risk_indicators ON intelligence_reports
        FOR EACH ROW WHEN (OLD.received_at IS DISTINCT FROM NEW.received_at OR OLD.division_id IS DISTINCT FROM NEW.division_id
                           OR OLD.risk_indicators IS DISTINCT FROM NEW.risk_indicators)
        EXECUTE FUNCTION flag_statistics_report_changed()`);
    await q.query(`
      CREATE TRIGGER flag_statistics_flag AFTER INSERT OR UPDATE ON flags
        FOR EACH ROW EXECUTE FUNCTION flag_statistics_flag()`);

    // What is there already. Latest reports set-based (one pass over the links), not per flag.
    await q.query(`
      INSERT INTO active_flag_placements (flag_id, subject_id, kind, risk_level, review_date, division_id)
      SELECT f.id, f.subject_id, f.kind, f.risk_level, f.review_date, latest.division_id
        FROM flags f
        LEFT JOIN (SELECT DISTINCT ON (rs.subject_id) rs.subject_id, r.division_id
                     FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
                    WHERE rs.subject_id IN (SELECT subject_id FROM flags WHERE status = 'ACTIVE')
                    ORDER BY rs.subject_id, r.received_at DESC, r.id DESC) latest ON latest.subject_id = f.subject_id
       WHERE f.status = 'ACTIVE'`);
    await q.query(`INSERT INTO report_flag_coverage (report_id, received_at, victims, flagged_victims) ${coverageOf('')}`);

    await q.query(`REVOKE ALL ON active_flag_placements, report_flag_coverage FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          REVOKE ALL ON active_flag_placements, report_flag_coverage FROM safeshare_app;
          GRANT SELECT ON active_flag_placements, report_flag_coverage TO safeshare_app;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER flag_statistics_flag ON flags`);
    await q.query(`DROP TRIGGER flag_statistics_report_changed ON intelligence_reports`);
    await q.query(`DROP TRIGGER flag_statistics_unlink ON report_subjects`);
    await q.query(`DROP TRIGGER flag_statistics_relink ON report_subjects`);
    await q.query(`DROP TRIGGER flag_statistics_link ON report_subjects`);
    await q.query(`DROP FUNCTION flag_statistics_flag()`);
    await q.query(`DROP FUNCTION flag_statistics_report_changed()`);
    await q.query(`DROP FUNCTION flag_statistics_relink()`);
    await q.query(`DROP FUNCTION flag_statistics_link()`);
    await q.query(`DROP FUNCTION flag_statistics_recompute(uuid[], uuid[])`);
    await q.query(`DROP FUNCTION flag_statistics_place(uuid[])`);
    await q.query(`DROP FUNCTION flag_statistics_lock_subjects(uuid[])`);
    await q.query(`DROP TABLE report_flag_coverage`);
    await q.query(`DROP TABLE active_flag_placements`);
  }
}
