import { findAgency, getAgency, lockAgency } from '../agencies/agency.queries';
import { hashSecret } from '../auth/passwords';
import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, forbidden, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { rolesInvalidFor } from '../policy/roles';
import { managedAgencyOf, managedUsersScope, userCreationTarget } from '../policy/users';
import { passwordProblem } from './password-policy';
import { GrantKind } from '../grants/grant.enums';
import { requestGrant } from '../grants/grant.service';
import { type RecordChange, recordChanges } from '../history/history.service';
import { splitRoles } from '../policy/grants';
import type { Page, PageRequest } from '../db/paging';
import {
  countAgencyUsers,
  emailInUse,
  findUserInAgency,
  insertUser,
  listUserRows,
  markUserDisabled,
  toUser,
  toUserView,
} from './user.queries';
import type { CreateUserInput, User } from './user.types';

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/**
 * Creates a user. An agency's ADMIN creates users in their own agency. An OVERSIGHT ADMIN may also
 * create the first user of a new agency, and only as its ADMIN, so the agency can be bootstrapped;
 * once an agency has users, only its own administrators manage them. Privileged roles
 * (policy/grants.ts) are only requested: they wait in `pendingRoles` until a second administrator
 * approves the grant; the others are in force at once.
 */
export async function createUser(ctx: RequestContext, input: CreateUserInput): Promise<User> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  const { agencyId, bootstrapping } = userCreationTarget(admin, input);
  const agency = await findAgency(ctx.db, agencyId);
  if (!agency) throw badInput('Unknown agency', 'agencyId');
  const invalid = rolesInvalidFor(agency.kind, input.roles);
  if (invalid.length) throw badInput(`Role not valid in a ${agency.kind} agency: ${invalid.join(', ')}`, 'roles');
  const email = normaliseEmail(input.email);
  const weakness = passwordProblem(input.password, { email, displayName: input.displayName });
  if (weakness) throw badInput(weakness, 'password');
  if (await emailInUse(ctx.db, email)) throw conflict('A user with this email already exists');
  const passwordHash = await hashSecret(input.password, ctx.config.argon2);

  try {
    return await inTransaction(ctx, async (ctx) => {
      if (bootstrapping) {
        // Locking the agency serialises concurrent bootstraps, so only one can be "the first".
        await lockAgency(ctx.db, agencyId);
        if ((await countAgencyUsers(ctx.db, agencyId)) > 0)
          throw forbidden('This agency already has users: its own administrators manage them');
      }
      const { inForce, pending } = splitRoles(input.roles);
      const saved = await insertUser(ctx.db, {
        agencyId,
        email,
        displayName: input.displayName.trim(),
        passwordHash,
        roles: inForce,
        pendingRoles: pending,
      });
      const user = toUser({ ...saved, agency });
      const after = { id: user.id, agencyId, email, displayName: user.displayName, roles: inForce, pendingRoles: pending };
      const changes: RecordChange[] = [{ kind: 'user', id: user.id, action: 'created', before: null, after }];
      if (pending.length)
        changes.push((await requestGrant(ctx.db, admin, { kind: GrantKind.ROLES, agencyId, userId: user.id, roles: pending })).change);
      await recordChanges(ctx, changes);
      return user;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('A user with this email already exists');
    throw error;
  }
}

/**
 * Disables a user of the administrator's own agency and ends their sessions: their tokens stop
 * working at once. A user of another agency is NOT_FOUND, as if it did not exist.
 */
export async function disableUser(ctx: RequestContext, id: string): Promise<User> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  if (id === admin.id) throw badInput('Administrators cannot disable themselves', 'id');
  return inTransaction(ctx, async (ctx) => {
    const user = await findUserInAgency(ctx.db, id, managedAgencyOf(admin));
    if (!user?.agency) throw notFound('User');
    if (user.disabledAt === null) {
      await markUserDisabled(ctx.db, id);
      user.disabledAt = new Date();
    }
    return toUser({ ...user, agency: user.agency });
  });
}

/** The administrator's own agency's users, newest first: who they can disable, and who is active. */
export async function listUsers(ctx: RequestContext, args: PageRequest): Promise<Page<User>> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  const agency = await getAgency(ctx.db, managedAgencyOf(admin));
  const page = await listUserRows(ctx.db, managedUsersScope(admin), args);
  return { ...page, edges: page.edges.map(({ cursor, node }) => ({ cursor, node: toUserView(node, agency) })) };
}
