import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { runPeriodically } from '../periodic';
import { sealAuditTrail } from './seal';

/** Months of audit partitions kept ready ahead of the current one. */
const MONTHS_AHEAD = 2;

/** Creates this month's audit partition and the next ones if missing (idempotent). */
export async function ensureAuditPartitions(db: DataSource, monthsAhead = MONTHS_AHEAD): Promise<void> {
  await db.query(
    `SELECT audit_ensure_partition((date_trunc('month', now()) + make_interval(months => m))::date) FROM generate_series(0, $1::int) m`,
    [monthsAhead],
  );
}

/**
 * Keeps the trail healthy while the service runs: partitions created ahead of need and settled
 * events sealed, every `intervalMs`. Failures are logged and retried next time; they never touch
 * requests (a missing partition would make audit writes, and so reads, fail: hence months ahead).
 */
export function startAuditMaintenance(db: DataSource, intervalMs: number, logger: Logger): { stop(): void } {
  return runPeriodically('audit maintenance', intervalMs, logger, async () => {
    await ensureAuditPartitions(db);
    const seals = await sealAuditTrail(db);
    if (seals) logger.debug({ seals }, 'audit events sealed');
  });
}
