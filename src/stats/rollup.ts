import type { Logger } from 'pino';
import type { Queryable } from '../db/sql';
import { runPeriodically } from '../periodic';

/**
 * Moves the statistics deltas the report triggers appended into the daily and monthly rollups, in
 * one short transaction (migration 1765300000000). Returns how many were folded, or null when
 * another instance was folding at that moment (it takes them; nobody waits).
 */
export async function foldReportCounts(db: Queryable): Promise<number | null> {
  const [{ folded }] = (await db.query('SELECT report_counts_fold() AS folded')) as { folded: number }[];
  return folded < 0 ? null : folded;
}

/** Folds the deltas every `intervalMs`, so statistics read few of them (they are exact either way). */
export function startRollupFold(db: Queryable, intervalMs: number, logger: Logger): { stop(): void } {
  return runPeriodically('statistics rollup fold', intervalMs, logger, async () => {
    const folded = await foldReportCounts(db);
    if (folded) logger.debug({ folded }, 'statistics deltas folded');
  });
}
