import { createHash } from 'node:crypto';
import type { LockoutConfig } from '../config';
import type { Queryable } from '../db/sql';
import { AppError, ErrorCode } from '../errors';
import { isCheckpoint, markRefusal } from '../http/rate-limit';
import { claimThrottle, countLockedRefusal, deleteThrottle, sweepThrottles } from './auth.queries';

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
export async function claimAttempt(db: Queryable, key: string, lockout: LockoutConfig): Promise<void> {
  const claimed = await claimThrottle(db, key, lockout);
  if (Math.random() * SWEEP_ONE_IN < 1) await sweepThrottles(db, lockout);
  if (claimed.length) return;
  // Locked: counted, so the trail records the refusals of this lock bounded (see isCheckpoint).
  const row = await countLockedRefusal(db, key);
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
export async function clearAttempts(db: Queryable, key: string): Promise<void> {
  await deleteThrottle(db, key);
}
