import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { type PeriodicTask, runPeriodically } from '../periodic';
import { singleRunner } from '../db/single-runner';
import { ensureAuditPartitions } from './audit.queries';
import { sealAuditTrail } from './seal';

/** Months of audit partitions kept ready ahead of the current one. */
const MONTHS_AHEAD = 2;

/**
 * Keeps the trail healthy while the service runs: partitions created ahead of need and settled
 * events sealed, every `intervalMs`. Failures are logged and retried next time; they never touch
 * requests (a missing partition would make audit writes, and so reads, fail: hence months ahead).
 * Of several instances on one database, one runs it each turn; the others skip (docs/scaling.md).
 */
export function startAuditMaintenance(db: DataSource, intervalMs: number, logger: Logger): PeriodicTask {
  const maintain = singleRunner(db, 'audit-maintenance', async () => {
    await ensureAuditPartitions(db, MONTHS_AHEAD);
    const seals = await sealAuditTrail(db);
    if (seals) logger.debug({ seals }, 'audit events sealed');
  });
  return runPeriodically('audit maintenance', intervalMs, logger, async () => {
    if (!(await maintain())) logger.debug('audit maintenance: another instance is running it');
  });
}
