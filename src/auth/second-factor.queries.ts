import { type Queryable, run, sql } from '../db/sql';
import type { Role } from '../policy/roles';

// A person's TOTP second factor, recovery codes and sign-in challenges (migration 1767000000400).

export interface SecondFactorRow {
  user_id: string;
  /** The active secret (base32, or sealed: totp-secret-box.ts); null while only an enrolment is pending. */
  secret: string | null;
  activated_at: Date | null;
  pending_secret: string | null;
  pending_since: Date | null;
  /** The time step of the last code accepted (as text: a bigint). */
  last_used_step: string | null;
}

/** The user's second factor, locked until the transaction ends (of two racing codes one wins). */
export async function lockSecondFactor(db: Queryable, userId: string): Promise<SecondFactorRow | undefined> {
  const [row] = await run<SecondFactorRow>(
    db,
    sql`SELECT user_id, secret, activated_at, pending_secret, pending_since, last_used_step::text AS last_used_step
          FROM user_second_factors WHERE user_id = ${userId}::uuid FOR UPDATE`,
  );
  return row;
}

/** Whether the user has an active second factor. */
export async function hasActiveSecondFactor(db: Queryable, userId: string): Promise<boolean> {
  const rows = await run<{ user_id: string }>(
    db,
    sql`SELECT user_id FROM user_second_factors WHERE user_id = ${userId}::uuid AND secret IS NOT NULL`,
  );
  return rows.length > 0;
}

/** Starts (or restarts) an enrolment: the new secret waits for its first code; an active one stays until then. */
export async function startEnrolment(db: Queryable, userId: string, pendingSecret: string): Promise<void> {
  await run(
    db,
    sql`INSERT INTO user_second_factors (user_id, pending_secret, pending_since) VALUES (${userId}::uuid, ${pendingSecret}, now())
        ON CONFLICT (user_id) DO UPDATE SET pending_secret = EXCLUDED.pending_secret, pending_since = EXCLUDED.pending_since`,
  );
}

/** The pending secret becomes the active one; `step` (its first code's) is spent. */
export async function activatePending(db: Queryable, userId: string, step: number): Promise<void> {
  await run(
    db,
    sql`UPDATE user_second_factors
           SET secret = pending_secret, activated_at = now(), pending_secret = NULL, pending_since = NULL, last_used_step = ${step}
         WHERE user_id = ${userId}::uuid AND pending_secret IS NOT NULL`,
  );
}

/** Spends the time step of an accepted code: false when it (or a later one) was spent already, a replay. */
export async function spendStep(db: Queryable, userId: string, step: number): Promise<boolean> {
  const rows = await run<{ user_id: string }>(
    db,
    sql`WITH spent AS (UPDATE user_second_factors SET last_used_step = ${step}
                        WHERE user_id = ${userId}::uuid AND secret IS NOT NULL AND (last_used_step IS NULL OR last_used_step < ${step})
                        RETURNING user_id)
        SELECT user_id FROM spent`,
  );
  return rows.length > 0;
}

/** Removes the user's second factor, its recovery codes and open challenges; whether there was one (active or pending). */
export async function deleteSecondFactor(db: Queryable, userId: string): Promise<boolean> {
  await run(db, sql`DELETE FROM recovery_codes WHERE user_id = ${userId}::uuid`);
  await run(db, sql`UPDATE second_factor_challenges SET used_at = now() WHERE user_id = ${userId}::uuid AND used_at IS NULL`);
  const rows = await run<{ user_id: string }>(
    db,
    sql`WITH gone AS (DELETE FROM user_second_factors WHERE user_id = ${userId}::uuid RETURNING user_id) SELECT user_id FROM gone`,
  );
  return rows.length > 0;
}

// Recovery codes

/** Replaces the user's recovery codes with these (their hashes). */
export async function replaceRecoveryCodes(db: Queryable, userId: string, hashes: string[]): Promise<void> {
  await run(db, sql`DELETE FROM recovery_codes WHERE user_id = ${userId}::uuid`);
  await run(db, sql`INSERT INTO recovery_codes (user_id, code_hash) SELECT ${userId}::uuid, h FROM unnest(${hashes}::text[]) h`);
}

/** Spends an unused recovery code of the user; its id, or nothing when there is no such unused code. */
export async function spendRecoveryCode(db: Queryable, userId: string, hash: string): Promise<string | undefined> {
  const [row] = await run<{ id: string }>(
    db,
    sql`WITH spent AS (UPDATE recovery_codes SET used_at = now()
                        WHERE user_id = ${userId}::uuid AND code_hash = ${hash} AND used_at IS NULL RETURNING id)
        SELECT id FROM spent`,
  );
  return row?.id;
}

/** How many unused recovery codes the user has left. */
export async function recoveryCodesLeft(db: Queryable, userId: string): Promise<number> {
  const [row] = await run<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = ${userId}::uuid AND used_at IS NULL`,
  );
  return row.n;
}

// Sign-in challenges

/** Records a challenge (its secret's hash) for the user, valid for `ttlSeconds`. */
export async function insertChallenge(
  db: Queryable,
  userId: string,
  secretHash: string,
  ttlSeconds: number,
): Promise<{ id: string; expires_at: Date }> {
  const [row] = await run<{ id: string; expires_at: Date }>(
    db,
    sql`INSERT INTO second_factor_challenges (user_id, secret_hash, expires_at)
        VALUES (${userId}::uuid, ${secretHash}, now() + make_interval(secs => ${ttlSeconds}))
        RETURNING id, expires_at`,
  );
  return row;
}

export interface ChallengeRow {
  id: string;
  user_id: string;
  secret_hash: string;
  email: string;
  agency_id: string;
  roles: Role[];
}

/**
 * A challenge still usable, locked until the transaction ends: not spent, not expired, its user
 * enabled, not awaiting a new password, of an active agency.
 */
export async function lockUsableChallenge(db: Queryable, id: string): Promise<ChallengeRow | undefined> {
  const [row] = await run<ChallengeRow>(
    db,
    sql`SELECT c.id, c.user_id, c.secret_hash, u.email, u.agency_id, u.roles::text[] AS roles
          FROM second_factor_challenges c JOIN users u ON u.id = c.user_id JOIN agencies a ON a.id = u.agency_id
         WHERE c.id = ${id}::uuid AND c.used_at IS NULL AND c.expires_at > now()
           AND u.disabled_at IS NULL AND NOT u.must_change_password AND a.status = 'ACTIVE'
           FOR UPDATE OF c`,
  );
  return row;
}

export async function spendChallenge(db: Queryable, id: string): Promise<void> {
  await run(db, sql`UPDATE second_factor_challenges SET used_at = now() WHERE id = ${id}::uuid`);
}
