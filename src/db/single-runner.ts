import type { DataSource } from 'typeorm';

/**
 * Wraps a periodic task so that, of every instance of the service on one database, one runs it at
 * a time and the others skip that turn: the task runs while this instance holds a session-level
 * `pg_try_advisory_lock` on a connection of its own (freed with the connection should the process
 * die). The task uses the pool as usual, so the pool needs a second connection for it.
 * Resolves whether this instance ran it.
 */
export function singleRunner(db: DataSource, name: string, task: () => Promise<void>): () => Promise<boolean> {
  const key = `safeshare:single-runner:${name}`;
  return async () => {
    const runner = db.createQueryRunner();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [key])) as {
        locked: boolean;
      }[];
      if (!locked) return false;
      try {
        await task();
        return true;
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      }
    } finally {
      await runner.release();
    }
  };
}
