import pg from 'pg';
import type { Logger } from 'pino';
import { beginForPrincipal, type PrincipalFacts } from './row-security';
import type { Queryable } from './sql';

export interface ReplicaOptions {
  /** The hot standby (streaming replication of the primary). */
  url: string;
  /** Reads go to the primary while the standby is further behind than this. */
  maxLagMs: number;
  /** The role every connection acts as, as on the primary: row-level security applies the same. */
  role: string;
  poolMax?: number;
  statementTimeoutMs?: number;
  /** How long the standby is left alone after it failed (the circuit stays open). */
  retryAfterMs?: number;
  /** How long a lag reading is trusted before it is taken again. */
  lagCheckEveryMs?: number;
  connectTimeoutMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/**
 * Whether the standby, not the query, is at fault: a PostgreSQL error of class 08 (connection), 57
 * (operator intervention: shutdown, cancel), 58 (system error) or a conflict with recovery
 * (40001); or the connection itself failing (refused, reset, timed out, closed). The same read then
 * runs on the primary. Anything else (the query's own error, a domain error) is the caller's.
 */
function standbyFault(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) {
    const code = error.code ?? '';
    return ['08', '57', '58'].includes(code.slice(0, 2)) || code === '40001';
  }
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return typeof message === 'string' && /connection|terminated|timeout/i.test(message);
}

/**
 * Replay lag as the standby sees it: none when everything received is replayed (an idle primary
 * sends nothing, so the last replayed commit's age alone would overstate it), otherwise the age of
 * the last replayed commit. A server not in recovery (promoted) has none.
 */
const LAG_SQL = `SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
  ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000, 0)
END::float8 AS lag_ms`;

/**
 * A second pool, on the hot standby, for reads that may be a little stale (statistics, search).
 * A standby that is down or lagging is skipped: `usable()` says so from a cached reading, and a
 * failure opens a short circuit so a dead standby adds no latency to every request.
 */
export class ReplicaReads {
  private readonly pool: pg.Pool;
  private readonly retryAfterMs: number;
  private readonly lagCheckEveryMs: number;
  private openUntil = 0;
  private lag: { at: number; ms: number } | null = null;
  private checking: Promise<boolean> | null = null;
  /** Reads served by the standby and by the primary instead (metrics and tests). */
  readonly counts = { standby: 0, fallback: 0 };

  constructor(private readonly options: ReplicaOptions) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.role)) throw new Error(`invalid database role name: ${options.role}`);
    this.retryAfterMs = options.retryAfterMs ?? 5_000;
    this.lagCheckEveryMs = options.lagCheckEveryMs ?? 1_000;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolMax ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 1_000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      application_name: 'safeshare-replica',
      options: `-c jit=off -c TimeZone=UTC -c role=${options.role}`,
    });
    // An idle connection the standby drops must not crash the process: the next read reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Whether reads may go to the standby now: it answered lately and is within the lag bound. */
  usable(now = Date.now()): Promise<boolean> {
    if (now < this.openUntil) return Promise.resolve(false);
    if (this.lag && now - this.lag.at < this.lagCheckEveryMs) return Promise.resolve(this.lag.ms <= this.options.maxLagMs);
    this.checking ??= this.pool
      .query<{ lag_ms: number }>(LAG_SQL)
      .then(({ rows: [row] }) => {
        this.lag = { at: Date.now(), ms: row.lag_ms };
        if (row.lag_ms > this.options.maxLagMs) this.options.logger?.warn({ lagMs: row.lag_ms }, 'standby lagging: reads on the primary');
        return row.lag_ms <= this.options.maxLagMs;
      })
      .catch((err: unknown) => {
        this.trip(err);
        return false;
      })
      .finally(() => (this.checking = null));
    return this.checking;
  }

  /** The last lag reading, in ms; null before the first or while the circuit is open. */
  lagMs(): number | null {
    return Date.now() < this.openUntil ? null : (this.lag?.ms ?? null);
  }

  private trip(err: unknown) {
    this.openUntil = Date.now() + this.retryAfterMs;
    this.lag = null;
    this.options.logger?.warn({ err }, `standby unavailable: reads on the primary for ${this.retryAfterMs} ms`);
  }

  /**
   * Runs `work` in a READ ONLY transaction on the standby that carries the caller as the primary's
   * request transaction does (the same row-security setting, the same role), or returns `undefined`
   * when the standby is unusable or failed underneath it (the caller then reads on the primary).
   */
  async tryRead<T>(
    principal: PrincipalFacts | null,
    work: (db: Queryable) => Promise<T>,
    late: Queryable,
  ): Promise<{ value: T } | undefined> {
    if (!(await this.usable())) return undefined;
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.trip(err);
      return undefined;
    }
    let broken = false;
    let ended = false;
    try {
      await client.query(beginForPrincipal(principal).replace(/^BEGIN\b/, 'BEGIN READ ONLY'));
      // One statement at a time on the connection, as the request transaction does (pg's own queue is deprecated).
      let pending: Promise<unknown> = Promise.resolve();
      const db: Queryable = {
        query: (text, params) => {
          // A lazy part of the result (a page's totalCount) runs after this transaction has ended:
          // as a read of its own, never on the bare connection (which no longer carries the caller).
          if (ended) return late.query(text, params);
          const next = pending.then(async () => (await client.query<Record<string, unknown>>(text, params)).rows);
          pending = next.catch(() => undefined);
          return next;
        },
      };
      const value = await work(db);
      ended = true;
      await client.query('COMMIT');
      this.counts.standby++;
      return { value };
    } catch (err) {
      ended = true;
      if (!standbyFault(err)) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      }
      broken = true;
      this.trip(err);
      return undefined;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** What `readReplica` needs of a request: its primary connection, its caller, the standby if any. */
export interface ReplicaCaller {
  db: Queryable;
  principal: PrincipalFacts | null;
  replica?: ReplicaReads;
}

/** Where a read that may be stale runs: the standby when usable, else the request's own transaction. */
export interface StaleRead {
  read<T>(work: (db: Queryable) => Promise<T>): Promise<T>;
}

/**
 * The handle for reads that may lag the primary by up to REPLICA_MAX_LAG_MS (docs/scaling.md):
 * statistics and search. Their audit events are still written by the request, on the primary, in
 * its transaction, before the response leaves: a read here changes where rows come from, not what
 * is recorded.
 */
export function readReplica(ctx: ReplicaCaller): StaleRead {
  return {
    async read<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
      const late: Queryable = { query: (text, params) => readReplica(ctx).read((db) => db.query(text, params)) };
      const read = ctx.replica ? await ctx.replica.tryRead(ctx.principal, work, late) : undefined;
      if (read) return read.value;
      if (ctx.replica) ctx.replica.counts.fallback++;
      return work(ctx.db);
    },
  };
}
