import type { Logger } from 'pino';
import type { Queryable } from '../db/sql';
import { type PeriodicTask, runPeriodically } from '../periodic';
import { foldReportCounts } from './stats.queries';

/** Folds the deltas every `intervalMs`, so statistics read few of them (they are exact either way). */
export function startRollupFold(db: Queryable, intervalMs: number, logger: Logger): PeriodicTask {
  return runPeriodically('statistics rollup fold', intervalMs, logger, async () => {
    const folded = await foldReportCounts(db);
    if (folded) logger.debug({ folded }, 'statistics deltas folded');
  });
}
