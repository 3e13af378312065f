import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Flag statistics, two fixes from review:
 * - A CSE_RISK flag coming into or out of force updates the coverage of every report where its
 *   subject is a potential victim. Those rows are now locked in report order first: two flags
 *   changed at once on co-victims of the same reports could otherwise lock them in opposite orders
 *   and deadlock.
 * - The helper functions run as their owner; nobody else may call them (the service role could
 *   otherwise take the recompute's table locks or lock any subject at will).
 */
export class FlagStatisticsLocks1765460000000 implements MigrationInterface {
  name = 'FlagStatisticsLocks1765460000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(flagTrigger(true));
    for (const fn of FUNCTIONS) await q.query(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const fn of FUNCTIONS) await q.query(`GRANT EXECUTE ON FUNCTION ${fn} TO PUBLIC`);
    await q.query(flagTrigger(false));
  }
}

const FUNCTIONS = [
  'flag_statistics_lock_subjects(uuid[])',
  'flag_statistics_place(uuid[])',
  'flag_statistics_recompute(uuid[], uuid[])',
  'flag_statistics_link()',
  'flag_statistics_relink()',
  'flag_statistics_report_changed()',
  'flag_statistics_flag()',
];

/** The flag trigger of 1765400000000, locking the coverage rows it moves in report order when `ordered`. */
function flagTrigger(ordered: boolean): string {
  const move = (subject: string, delta: string) => {
    const reports = `SELECT report_id FROM report_subjects WHERE subject_id = ${subject} AND role = 'POTENTIAL_VICTIM'`;
    return ordered
      ? `UPDATE report_flag_coverage c SET flagged_victims = c.flagged_victims ${delta}
           FROM (SELECT l.report_id FROM report_flag_coverage l WHERE l.report_id IN (${reports})
                  ORDER BY l.report_id FOR NO KEY UPDATE) locked
          WHERE c.report_id = locked.report_id;`
      : `UPDATE report_flag_coverage c SET flagged_victims = c.flagged_victims ${delta}
          WHERE c.report_id IN (${reports});`;
  };
  return `
    CREATE OR REPLACE FUNCTION flag_statistics_flag() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
      was_counted boolean := TG_OP = 'UPDATE' AND OLD.status = 'ACTIVE' AND OLD.kind = 'CSE_RISK';
      is_counted boolean := NEW.status = 'ACTIVE' AND NEW.kind = 'CSE_RISK';
    BEGIN
      PERFORM flag_statistics_lock_subjects(CASE WHEN TG_OP = 'UPDATE' THEN ARRAY[OLD.subject_id, NEW.subject_id] ELSE ARRAY[NEW.subject_id] END);
      IF NEW.status = 'ACTIVE' THEN
        INSERT INTO active_flag_placements AS p (flag_id, subject_id, kind, risk_level, review_date, division_id)
        VALUES (NEW.id, NEW.subject_id, NEW.kind, NEW.risk_level, NEW.review_date, (
          SELECT r.division_id FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
           WHERE rs.subject_id = NEW.subject_id ORDER BY r.received_at DESC, r.id DESC LIMIT 1))
        ON CONFLICT (flag_id) DO UPDATE
          SET subject_id = EXCLUDED.subject_id, kind = EXCLUDED.kind, risk_level = EXCLUDED.risk_level,
              review_date = EXCLUDED.review_date, division_id = EXCLUDED.division_id;
      ELSE
        DELETE FROM active_flag_placements WHERE flag_id = NEW.id;
      END IF;
      IF was_counted AND (NOT is_counted OR OLD.subject_id <> NEW.subject_id) THEN
        ${move('OLD.subject_id', '- 1')}
      END IF;
      IF is_counted AND (NOT was_counted OR OLD.subject_id <> NEW.subject_id) THEN
        ${move('NEW.subject_id', '+ 1')}
      END IF;
      RETURN NULL;
    END $$`;
}
