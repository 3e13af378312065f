import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { singleRunner } from '../db/single-runner';
import { type PeriodicTask, runPeriodically } from '../periodic';
import { foldReportCounts } from './stats.queries';

/**
 * Folds the deltas every `intervalMs`, so statistics read few of them (they are exact either way).
 * Of several instances on one database, one folds each turn; the others skip (docs/scaling.md).
 */
export function startRollupFold(db: DataSource, intervalMs: number, logger: Logger): PeriodicTask {
  const fold = singleRunner(db, 'rollup-fold', async () => {
    const folded = await foldReportCounts(db);
    if (folded) logger.debug({ folded }, 'statistics deltas folded');
  });
  return runPeriodically('statistics rollup fold', intervalMs, logger, async () => {
    await fold();
  });
}
