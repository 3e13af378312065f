import { Logger, runMigrations as runQueueMigrations } from 'graphile-worker';
import type { DataSource } from 'typeorm';

/** graphile-worker logs each migration to the console otherwise. */
const QUIET = new Logger(() => () => undefined);

/** Arbitrary but fixed: every Safeshare instance takes the same lock before migrating. */
const MIGRATION_LOCK_KEY = 727_246_118;

/** The URL a data source connects with (as its login user: `role` is applied per connection, not in it). */
export function dataSourceUrl(db: DataSource): string {
  const { url } = db.options as { url?: string };
  if (!url) throw new Error('the data source has no connection URL');
  return url;
}

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so replicas starting together do
 * not race each other: ours, then the job queue's own schema (graphile_worker), which the outbox's
 * trigger enqueues into. Returns the names of our migrations applied.
 */
export async function runMigrations(db: DataSource): Promise<string[]> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await db.runMigrations({ transaction: 'each' });
      await runQueueMigrations({ connectionString: dataSourceUrl(db), logger: QUIET });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
