import type { FlagKind, RiskLevel } from '../flags/flag.enums';
import type { SourceType } from '../intelligence/intelligence.enums';
import { join, type Queryable, run, type Sql, sql } from '../db/sql';

/*
 * The statistics' repository: report counts from the rollups (and the reports themselves for
 * partial days), crimes and their people, flags in force, and the rollup's fold. Which parts of a
 * range each count comes from is the use case's arithmetic (stats.service.ts); the statements are here.
 */

// ---------------------------------------------------------------------------------------------
// Intelligence reports

/** Monthly report counts per division and source type, months in [from, to) (YYYY-MM-DD), rollup and unfolded deltas in one statement. */
export const monthlyReportCounts = (from: string, to: string) =>
  sql`SELECT division_id, source_type, month::text, sum(reports) AS n
        FROM (SELECT month, division_id, source_type, reports FROM report_monthly_counts
              UNION ALL SELECT (day - extract(day FROM day)::int + 1), division_id, source_type, reports FROM report_count_deltas) m
       WHERE month >= ${from}::date AND month < ${to}::date GROUP BY 1, 2, 3`;

/**
 * Daily report counts per division, source type and month, days in [a, b) (YYYY-MM-DD). Each rollup
 * comes with the deltas not yet folded into it: one statement sees both before or both after a fold.
 */
export const dailyReportCounts = (a: string, b: string) =>
  sql`SELECT division_id, source_type, (day - extract(day FROM day)::int + 1)::text AS month, sum(reports) AS n
            FROM (SELECT day, division_id, source_type, reports FROM report_daily_counts
                  UNION ALL SELECT day, division_id, source_type, reports FROM report_count_deltas) d
           WHERE day >= ${a}::date AND day < ${b}::date GROUP BY 1, 2, 3`;

/**
 * The partial days of [from, to) (before `firstDay` and from `lastDay`; the whole range when
 * `firstDay < lastDay` does not hold), counted from the reports themselves (only police ANALYST and
 * SUPERVISOR get an exact range). Through the owner's `statistics_report_cells`, as the rollups
 * count: every report received, disposed ones too (docs/lawful-sharing.md, "Statistics stay
 * explainable"), where the caller's own read would no longer see those.
 */
export function partialDayReportCounts(from: Date, to: Date, firstDay: string, lastDay: string): Sql {
  const [a, b] =
    firstDay < lastDay
      ? [sql`${from}, ${firstDay}::date::timestamp AT TIME ZONE 'UTC'`, sql`${lastDay}::date::timestamp AT TIME ZONE 'UTC', ${to}`]
      : [sql`${from}, ${to}`, sql`${to}, ${to}`];
  return sql`SELECT division_id, source_type, month, n FROM statistics_report_cells(${a}, ${b})`;
}

export interface ReportCountRow {
  division_id: string | null;
  source_type: SourceType;
  month: string;
  n: number;
}

/** The cells (division, source type, month) of the parts summed, in one statement; none without parts. */
export async function sumReportCounts(db: Queryable, parts: Sql[]): Promise<ReportCountRow[]> {
  return parts.length
    ? await run<ReportCountRow>(
        db,
        sql`SELECT division_id, source_type, month, sum(n)::int AS n FROM (${join(parts, ' UNION ALL ')}) cells
             GROUP BY 1, 2, 3 HAVING sum(n) > 0`,
      )
    : [];
}

// ---------------------------------------------------------------------------------------------
// Crimes

/** The published grid of crimes per division and month, months in [from, to) (YYYY-MM-DD). */
export function crimeGridCells(db: Queryable, from: string, to: string) {
  // Through the owner's function: the caller may read no crime itself (row-level security), only the grid.
  return run<{ division_id: string | null; month: string; crimes: number }>(
    db,
    sql`SELECT division_id, month, crimes FROM statistics_crime_cells(${from}::date, ${to}::date) WHERE g = 0`,
  );
}

/** Crimes, victims and suspects recorded on days in [fromDay, toDay), by every grouping of division and month. */
export function exactCrimeCells(db: Queryable, fromDay: string, toDay: string) {
  return run<{
    division_id: string | null;
    month: string | null;
    g: number;
    crimes: number;
    victims: number;
    suspects: number;
  }>(
    db,
    // The owner's function (the same statement): disposed crimes are counted as they were
    // (docs/lawful-sharing.md, "Statistics stay explainable"), where the caller's read would not see them.
    sql`SELECT division_id, month, g, crimes, victims, suspects FROM statistics_crime_cells(${fromDay}::date, ${toDay}::date)`,
  );
}

// ---------------------------------------------------------------------------------------------
// Flags (both tables kept by trigger: migrations/1765400000000-flag-statistics.ts)

/** Flags in force by their subject's latest division, kind and risk level, and how many are due for review. */
export function activeFlagCounts(db: Queryable) {
  return run<{ division_id: string | null; kind: FlagKind; risk_level: RiskLevel; n: number; due: number }>(
    db,
    sql`SELECT p.division_id, p.kind, p.risk_level, count(*)::int AS n,
                 count(*) FILTER (WHERE p.review_date <= (now() AT TIME ZONE 'UTC')::date)::int AS due
            FROM active_flag_placements p
           GROUP BY 1, 2, 3`,
  );
}

/** Reports with potential victims received in [from, to), and how many of them have no victim flagged. */
export function flagCoverage(db: Queryable, from: Date, to: Date) {
  return run<{ reports: number; unflagged: number; as_of: Date }>(
    db,
    sql`SELECT count(*)::int AS reports, count(*) FILTER (WHERE flagged_victims = 0)::int AS unflagged, now() AS as_of
            FROM report_flag_coverage
           WHERE received_at >= ${from} AND received_at < ${to} AND victims > 0`,
  );
}

// ---------------------------------------------------------------------------------------------
// The rollup's fold

/**
 * Moves the statistics deltas the report triggers appended into the daily and monthly rollups, in
 * one short transaction (migration 1765300000000). Returns how many were folded, or null when
 * another instance was folding at that moment (it takes them; nobody waits).
 */
export async function foldReportCounts(db: Queryable): Promise<number | null> {
  const [{ folded }] = (await db.query('SELECT report_counts_fold() AS folded')) as { folded: number }[];
  return folded < 0 ? null : folded;
}
