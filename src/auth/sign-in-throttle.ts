import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { LockoutConfig } from '../config';
import { AppError, ErrorCode } from '../errors';
import { isCheckpoint, markRefusal } from '../http/rate-limit';

export type ThrottledKind = 'user' | 'service';

/** The throttle row of an email or client id; known and unknown accounts alike. */
export const accountKey = (kind: ThrottledKind, identifier: string) => `${kind}:${createHash('sha256').update(identifier).digest('hex')}`;

/** Expired, forgotten rows are swept by roughly one attempt in this many. */
const SWEEP_ONE_IN = 100;

/**
 * Counts a sign-in attempt before the secret is checked, so attempts racing in parallel cannot
 * slip past the limit: each one is a failure until it succeeds (`clearAttempts`). From the
 * `threshold`-th failure in a row the account is locked for `baseSeconds`, doubling with each further
 * failure up to `maxSeconds`; failures are forgotten `windowSeconds` after the last one. While locked
 * the attempt is refused with RATE_LIMITED and the secret is never checked.
 */
export async function claimAttempt(db: DataSource | EntityManager, key: string, lockout: LockoutConfig): Promise<void> {
  // The failure count this attempt makes: restarted when the last failure is older than the window.
  const next = `CASE WHEN t.last_failed_at < now() - make_interval(secs => $5) THEN 1 ELSE t.failures + 1 END`;
  // Capped exponent: 2^30 times any base already exceeds every allowed maximum.
  const lockFor = (failures: string) =>
    `CASE WHEN ${failures} >= $2 THEN now() + make_interval(secs => least($4::float8, $3::float8 * power(2, least(${failures} - $2, 30)))) END`;
  const claimed: { failures: number }[] = await db.query(
    `INSERT INTO sign_in_throttles AS t (account_key, failures, last_failed_at, locked_until)
     VALUES ($1, 1, now(), ${lockFor('1')})
     ON CONFLICT (account_key) DO UPDATE
        SET failures = ${next}, last_failed_at = now(), locked_until = ${lockFor(next)}, refused_while_locked = 0
      WHERE t.locked_until IS NULL OR t.locked_until <= now()
     RETURNING t.failures`,
    [key, lockout.threshold, lockout.baseSeconds, lockout.maxSeconds, lockout.windowSeconds],
  );
  if (Math.random() * SWEEP_ONE_IN < 1) await sweep(db, lockout);
  if (claimed.length) return;
  // Locked: counted, so the trail records the refusals of this lock bounded (see isCheckpoint).
  const [row]: { retry: number | null; refused: number }[] = await db.query(
    // Inside a WITH, so TypeORM returns the rows (for a bare UPDATE it returns [rows, count]).
    `WITH counted AS (
       UPDATE sign_in_throttles SET refused_while_locked = refused_while_locked + 1 WHERE account_key = $1
       RETURNING ceil(extract(epoch FROM locked_until - now()))::int AS retry, refused_while_locked AS refused)
     SELECT retry, refused FROM counted`,
    [key],
  );
  const retryAfterSeconds = Math.max(1, row?.retry ?? 1);
  const refused = row?.refused ?? 1;
  throw markRefusal(new AppError(ErrorCode.RATE_LIMITED, 'Too many failed sign-ins: try again later', { retryAfterSeconds }), {
    bucket: 'account',
    limit: lockout.threshold,
    windowSeconds: retryAfterSeconds,
    refusals: refused,
    checkpoint: isCheckpoint(refused - 1, refused),
  });
}

/** A successful sign-in forgets the failures. */
export async function clearAttempts(db: DataSource | EntityManager, key: string): Promise<void> {
  await db.query(`DELETE FROM sign_in_throttles WHERE account_key = $1`, [key]);
}

async function sweep(db: DataSource | EntityManager, lockout: LockoutConfig): Promise<void> {
  await db.query(
    `DELETE FROM sign_in_throttles
      WHERE last_failed_at < now() - make_interval(secs => $1) AND (locked_until IS NULL OR locked_until < now())`,
    [lockout.windowSeconds],
  );
}
