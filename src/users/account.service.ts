import { randomBytes } from 'node:crypto';
import { getAgency } from '../agencies/agency.queries';
import { hashSecret } from '../auth/passwords';
import { inTransaction, type RequestContext } from '../context/request-context';
import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, forbidden, notFound } from '../errors';
import { GrantKind } from '../grants/grant.enums';
import { requestGrant } from '../grants/grant.service';
import { type RecordChange, recordChanges } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { PRIVILEGED_ROLES } from '../policy/grants';
import { Permission } from '../policy/permissions';
import { type Role, rolesInvalidFor } from '../policy/roles';
import { managedAgencyOf, roleChangeRefusal } from '../policy/users';
import { type AccountRow, insertPasswordReset, lockAccount, markUserEnabled, revokeUserSessions, setUserRoles } from './account.queries';
import { findUserInAgency, toUser } from './user.queries';
import type { PasswordResetIssued, User } from './user.types';

/** What a user's change records keep of their account (never a password or its hash). */
const accountRecord = (a: AccountRow) => ({
  roles: a.roles,
  pendingRoles: a.pending_roles,
  disabled: a.disabled_at !== null,
  mustChangePassword: a.must_change_password,
});

/** A user of the administrator's own agency, locked for the change; another agency's is NOT_FOUND. */
async function lockManaged(ctx: RequestContext, id: string): Promise<AccountRow> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  const account = await lockAccount(ctx.db, id, managedAgencyOf(admin));
  if (!account) throw notFound('User', 'id');
  return account;
}

async function userView(ctx: RequestContext, id: string, agencyId: string): Promise<User> {
  const user = await findUserInAgency(ctx.db, id, agencyId);
  if (!user?.agency) throw notFound('User', 'id');
  return toUser({ ...user, agency: user.agency });
}

/**
 * Enables a disabled user of the administrator's own agency. Their old sessions stay ended (disabling
 * ended them): they sign in afresh. A user left with no role (a refused grant) is CONFLICT: give them
 * a role first.
 */
export async function enableUser(ctx: RequestContext, id: string): Promise<User> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  return inTransaction(ctx, async (ctx) => {
    const before = await lockManaged(ctx, id);
    if (before.disabled_at !== null) {
      if (before.roles.length + before.pending_roles.length === 0)
        throw conflict('This user holds no role: change their roles before enabling them');
      await markUserEnabled(ctx.db, id);
      const after = { ...before, disabled_at: null };
      await recordChanges(ctx, [{ kind: 'user', id, action: 'enabled', before: accountRecord(before), after: accountRecord(after) }]);
    }
    return userView(ctx, id, managedAgencyOf(admin));
  });
}

/**
 * Sets a user's roles to `roles`. Roles not valid in the agency are BAD_USER_INPUT. Removals take
 * effect at once, and the user's sessions end, so no live token still carries a removed role.
 * Additions of privileged roles (policy/grants.ts) become a pending grant a second administrator
 * decides, exactly as `createUser`; the others are in force at once. A role already pending stays
 * with its grant (reject the grant to drop it). Nobody changes their own roles (FORBIDDEN); a second
 * grant while one is pending is CONFLICT.
 */
export async function changeUserRoles(ctx: RequestContext, id: string, roles: Role[]): Promise<User> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  const refusal = roleChangeRefusal(admin, id);
  if (refusal) throw forbidden(refusal);
  const agency = await getAgency(ctx.db, managedAgencyOf(admin));
  const invalid = rolesInvalidFor(agency.kind, roles);
  if (invalid.length) throw badInput(`Role not valid in a ${agency.kind} agency: ${invalid.join(', ')}`, 'roles');
  try {
    return await inTransaction(ctx, async (ctx) => {
      const before = await lockManaged(ctx, id);
      const wanted = new Set(roles);
      const kept = before.roles.filter((r) => wanted.has(r));
      const removed = before.roles.filter((r) => !wanted.has(r));
      const added = roles.filter((r) => !before.roles.includes(r) && !before.pending_roles.includes(r));
      const addedAtOnce = added.filter((r) => !PRIVILEGED_ROLES.includes(r));
      const requested = added.filter((r) => PRIVILEGED_ROLES.includes(r));
      if (!removed.length && !added.length) return userView(ctx, id, agency.id);
      const after: AccountRow = {
        ...before,
        roles: [...kept, ...addedAtOnce].sort(),
        pending_roles: [...before.pending_roles, ...requested].sort(),
      };
      await setUserRoles(ctx.db, id, after.roles, after.pending_roles);
      const changes: RecordChange[] = [
        { kind: 'user', id, action: 'roles_changed', before: accountRecord(before), after: accountRecord(after) },
      ];
      if (requested.length)
        changes.push(
          (await requestGrant(ctx.db, admin, { kind: GrantKind.ROLES, agencyId: agency.id, userId: id, roles: requested })).change,
        );
      if (removed.length) await revokeUserSessions(ctx.db, id, 'roles removed');
      await recordChanges(ctx, changes);
      return userView(ctx, id, agency.id);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('A grant of roles for this user is already pending: it is decided first');
    throw error;
  }
}

/** A reset token: its id, a dot, and 32 random bytes (base64url); only the random part's hash is stored. */
const newResetSecret = () => randomBytes(32).toString('base64url');

/**
 * Resets the password of a user of the administrator's own agency: returns a one-time reset token
 * (this once; stored hashed), valid for PASSWORD_RESET_TTL_SECONDS. Every session of the user ends,
 * and until they set a new password with the token (`completePasswordReset`) they cannot sign in.
 * An earlier unused token stops working. Administrators do not reset their own password this way.
 */
export async function resetUserPassword(ctx: RequestContext, id: string): Promise<PasswordResetIssued> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  if (id === admin.id) throw forbidden('Administrators do not reset their own password: another administrator does');
  const secret = newResetSecret();
  const secretHash = await hashSecret(secret, ctx.config.argon2);
  return inTransaction(ctx, async (ctx) => {
    const before = await lockManaged(ctx, id);
    if (before.disabled_at !== null) throw conflict('This user is disabled: enable them first');
    const reset = await insertPasswordReset(ctx.db, {
      userId: id,
      secretHash,
      requestedById: admin.id,
      ttlSeconds: ctx.config.accounts.passwordResetTtlSeconds,
    });
    const sessionsEnded = await revokeUserSessions(ctx.db, id, 'password reset');
    const after = { ...before, must_change_password: true };
    await recordChanges(ctx, [
      {
        kind: 'user',
        id,
        action: 'password_reset',
        before: accountRecord(before),
        after: { ...accountRecord(after), resetId: reset.id, resetExpiresAt: reset.expires_at, sessionsEnded },
      },
    ]);
    return { user: await userView(ctx, id, managedAgencyOf(admin)), resetToken: `${reset.id}.${secret}`, expiresAt: reset.expires_at };
  });
}
