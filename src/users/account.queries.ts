import { principalContextSql, type PrincipalFacts } from '../db/row-security';
import { type Queryable, run, sql } from '../db/sql';
import type { Role } from '../policy/roles';

/** What a user's change records keep of their account: never a password or its hash. */
export interface AccountRow {
  id: string;
  agency_id: string;
  roles: Role[];
  pending_roles: Role[];
  disabled_at: Date | null;
  must_change_password: boolean;
}

/** A user of `agencyId`, locked until the transaction ends; nothing for a user of any other agency. */
export async function lockAccount(db: Queryable, id: string, agencyId: string): Promise<AccountRow | undefined> {
  const [row] = await run<AccountRow>(
    db,
    sql`SELECT id, agency_id, roles::text[] AS roles, pending_roles::text[] AS pending_roles, disabled_at, must_change_password
          FROM users WHERE id = ${id}::uuid AND agency_id = ${agencyId}::uuid FOR UPDATE`,
  );
  return row;
}

export async function markUserEnabled(db: Queryable, id: string): Promise<void> {
  await run(db, sql`UPDATE users SET disabled_at = NULL, updated_at = now() WHERE id = ${id}::uuid`);
}

/** Sets the roles in force and the pending ones (sorted, as the grants domain keeps them). */
export async function setUserRoles(db: Queryable, id: string, roles: Role[], pendingRoles: Role[]): Promise<void> {
  await run(
    db,
    sql`UPDATE users SET roles = ARRAY(SELECT r FROM unnest(${roles}::role[]) r ORDER BY r),
                         pending_roles = ARRAY(SELECT r FROM unnest(${pendingRoles}::role[]) r ORDER BY r), updated_at = now()
         WHERE id = ${id}::uuid`,
  );
}

/** Ends every live session of the user: their access and refresh tokens stop working. Returns how many. */
export async function revokeUserSessions(db: Queryable, userId: string, reason: string): Promise<number> {
  const rows = await run<{ id: string }>(
    db,
    sql`WITH ended AS (UPDATE auth_sessions SET revoked_at = now(), revoked_reason = ${reason}
                        WHERE user_id = ${userId}::uuid AND revoked_at IS NULL RETURNING id)
        SELECT id FROM ended`,
  );
  return rows.length;
}

/**
 * Records a reset token (its secret's hash) for the user, spends any earlier unused one, and sets
 * the forced change: until a new password is set the user cannot sign in. Returns its id and expiry.
 */
export async function insertPasswordReset(
  db: Queryable,
  reset: { userId: string; secretHash: string; requestedById: string; ttlSeconds: number },
): Promise<{ id: string; expires_at: Date }> {
  await run(db, sql`UPDATE password_resets SET used_at = now() WHERE user_id = ${reset.userId}::uuid AND used_at IS NULL`);
  await run(db, sql`UPDATE users SET must_change_password = true, updated_at = now() WHERE id = ${reset.userId}::uuid`);
  const [row] = await run<{ id: string; expires_at: Date }>(
    db,
    sql`INSERT INTO password_resets (user_id, secret_hash, requested_by_id, expires_at)
        VALUES (${reset.userId}::uuid, ${reset.secretHash}, ${reset.requestedById}::uuid, now() + make_interval(secs => ${reset.ttlSeconds}))
        RETURNING id, expires_at`,
  );
  return row;
}

export interface PasswordResetRow {
  id: string;
  user_id: string;
  secret_hash: string;
  email: string;
  display_name: string;
  agency_id: string;
  password_hash: string;
}

/**
 * A reset token still usable, locked until the transaction ends (of two racing uses one wins): not
 * spent, not expired, its user enabled and of an active agency.
 */
export async function lockUsablePasswordReset(db: Queryable, id: string): Promise<PasswordResetRow | undefined> {
  const [row] = await run<PasswordResetRow>(
    db,
    sql`SELECT pr.id, pr.user_id, pr.secret_hash, u.email, u.display_name, u.agency_id, u.password_hash
          FROM password_resets pr JOIN users u ON u.id = pr.user_id JOIN agencies a ON a.id = u.agency_id
         WHERE pr.id = ${id}::uuid AND pr.used_at IS NULL AND pr.expires_at > now() AND u.disabled_at IS NULL AND a.status = 'ACTIVE'
           FOR UPDATE OF pr`,
  );
  return row;
}

/** Spends the reset token and stores the new password; the forced change is over. */
export async function completeReset(db: Queryable, resetId: string, userId: string, passwordHash: string): Promise<void> {
  await run(db, sql`UPDATE password_resets SET used_at = now() WHERE id = ${resetId}::uuid`);
  await run(
    db,
    sql`UPDATE users SET password_hash = ${passwordHash}, must_change_password = false, updated_at = now() WHERE id = ${userId}::uuid`,
  );
}

/**
 * From here to the end of the transaction, row-level security sees `principal` as the caller: for a
 * request that began anonymous and signed someone in (a completed password reset), whose own change
 * records name them as actor.
 */
export async function actAs(db: Queryable, principal: PrincipalFacts): Promise<void> {
  await run(db, principalContextSql(principal));
}

/** Whether `id` is a user of `agencyId` (enabled or not). */
export async function isUserOfAgency(db: Queryable, id: string, agencyId: string): Promise<boolean> {
  const rows = await run<{ id: string }>(db, sql`SELECT id FROM users WHERE id = ${id}::uuid AND agency_id = ${agencyId}::uuid`);
  return rows.length > 0;
}
