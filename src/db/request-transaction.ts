import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { pgErrorCode } from './errors';

/** How a request's transaction ended: a failed COMMIT whose reply was lost may have committed or not. */
export type TransactionOutcome = 'committed' | 'rolled-back' | 'unknown';

/**
 * SQLSTATE classes after which a COMMIT's fate is not known to the client: the connection or the
 * server went away (08 connection exception, 57 operator intervention, 58 system error, XX internal),
 * or no SQLSTATE came back at all (socket closed). Any other error is PostgreSQL refusing the commit.
 */
const UNKNOWN_CLASSES = new Set(['08', '57', '58', 'XX']);

function commitOutcomeOf(error: unknown): TransactionOutcome {
  const code = pgErrorCode(error);
  const sqlState = code && /^[0-9A-Z]{5}$/.test(code) && (error as { driverError?: { severity?: unknown } }).driverError?.severity;
  if (!sqlState || !code) return 'unknown';
  return UNKNOWN_CLASSES.has(code.slice(0, 2)) ? 'unknown' : 'rolled-back';
}

/**
 * The one transaction a request that changes something runs in: its changes, their CHANGE events
 * and the request's own audit events commit together or not at all. Work inside it that may fail on
 * its own (a mutation field, a service's `db.transaction`) runs in a savepoint of it.
 */
export class RequestTransaction {
  private ended = false;
  /** The last statement sent: a request's resolvers run side by side, its connection one statement at a time. */
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(private readonly runner: QueryRunner) {
    // pg queues concurrent queries on one client itself, but that is deprecated: queue them here.
    const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
    runner.query = ((...args: unknown[]) => {
      const next = this.pending.then(() => query(...args));
      this.pending = next.catch(() => undefined);
      return next;
    }) as QueryRunner['query'];
  }

  /**
   * Opens the transaction with `opening`: `BEGIN` and the statements that must come first (the
   * caller's row-security setting), sent as one simple query, so opening costs one round trip.
   */
  static async open(db: DataSource, opening: string): Promise<RequestTransaction> {
    if (!/^BEGIN\b/.test(opening)) throw new Error('a request transaction opens with BEGIN');
    const runner = db.createQueryRunner();
    try {
      await runner.query(opening);
    } catch (error) {
      await runner.release();
      throw error;
    }
    // What TypeORM's startTransaction would have recorded (it sends START TRANSACTION on its own):
    // a transaction is open, so the manager's transaction() nests savepoints in it.
    const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
    state.isTransactionActive = true;
    state.transactionDepth = 1;
    return new RequestTransaction(runner);
  }

  /** Every query of the request goes through this manager; its `transaction()` is a savepoint. */
  get manager(): EntityManager {
    return this.runner.manager;
  }

  /** Commits and releases the connection; says whether the commit is known to have happened. */
  async commit(): Promise<TransactionOutcome> {
    if (this.ended) throw new Error('request transaction already ended');
    this.ended = true;
    try {
      await this.runner.commitTransaction();
      await this.release();
      return 'committed';
    } catch (error) {
      const outcome = commitOutcomeOf(error);
      await this.release(outcome === 'unknown' ? error : undefined);
      return outcome;
    }
  }

  /** Rolls back (if still open) and releases the connection. Never throws: a lost connection rolls back by itself. */
  async rollback(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      if (this.runner.isTransactionActive) await this.runner.rollbackTransaction();
    } catch {
      // The server rolls back a transaction whose connection is gone.
    } finally {
      await this.release();
    }
  }

  /**
   * Returns the connection to the pool, or, after `broken` (its COMMIT went unanswered), drops it:
   * TypeORM's own handling of a client error, so the pool never hands out a dead connection.
   */
  private async release(broken?: unknown): Promise<void> {
    try {
      if (broken)
        await (this.runner as unknown as { releasePostgresConnection(error: unknown): Promise<void> }).releasePostgresConnection(broken);
      else await this.runner.release();
    } catch {
      // Releasing a broken connection: the pool discards it.
    }
  }
}
