import type { DataSource } from 'typeorm';

/** Arbitrary but fixed: every Safeshare instance takes the same lock before migrating. */
const MIGRATION_LOCK_KEY = 727_246_118;

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so replicas starting together do
 * not race each other. Returns the names of the migrations applied.
 */
export async function runMigrations(db: DataSource): Promise<string[]> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await db.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
