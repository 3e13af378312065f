import { AgencyKind } from '../agencies/agency-kind';
import { AgencyEntity } from '../agencies/agency.entity';
import { hashSecret } from '../auth/passwords';
import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, forbidden, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { Role, rolesInvalidFor } from '../policy/roles';
import { passwordProblem } from './password-policy';
import { UserEntity } from './user.entity';
import { raw, sql } from '../db/sql';
import { GrantKind } from '../grants/grant.enums';
import { requestGrant } from '../grants/grant.service';
import { type RecordChange, recordChanges } from '../history/history.service';
import { splitRoles } from '../policy/grants';
import { keysetPage, type Page, type PageRequest } from '../db/paging';
import type { CreateUserInput, User } from './user.types';

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export function toUser(entity: UserEntity & { agency: AgencyEntity }): User {
  return {
    id: entity.id,
    email: entity.email,
    displayName: entity.displayName,
    agency: entity.agency,
    roles: entity.roles,
    pendingRoles: entity.pendingRoles,
    disabled: entity.disabledAt !== null,
    createdAt: entity.createdAt,
  };
}

/**
 * Creates a user. An agency's ADMIN creates users in their own agency. An OVERSIGHT ADMIN may also
 * create the first user of a new agency, and only as its ADMIN, so the agency can be bootstrapped;
 * once an agency has users, only its own administrators manage them. Privileged roles
 * (policy/grants.ts) are only requested: they wait in `pendingRoles` until a second administrator
 * approves the grant; the others are in force at once.
 */
export async function createUser(ctx: RequestContext, input: CreateUserInput): Promise<User> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  const agencyId = input.agencyId ?? admin.agency.id;
  const bootstrapping = agencyId !== admin.agency.id;
  if (bootstrapping) {
    const asFirstAdmin = admin.agency.kind === AgencyKind.OVERSIGHT && input.roles.length === 1 && input.roles[0] === Role.ADMIN;
    if (!asFirstAdmin) throw forbidden("Users can only be created in the administrator's own agency");
  }
  const agency = await ctx.db.getRepository(AgencyEntity).findOneBy({ id: agencyId });
  if (!agency) throw badInput('Unknown agency', 'agencyId');
  const invalid = rolesInvalidFor(agency.kind, input.roles);
  if (invalid.length) throw badInput(`Role not valid in a ${agency.kind} agency: ${invalid.join(', ')}`, 'roles');
  const email = normaliseEmail(input.email);
  const weakness = passwordProblem(input.password, { email, displayName: input.displayName });
  if (weakness) throw badInput(weakness, 'password');
  if (await ctx.db.getRepository(UserEntity).existsBy({ email })) throw conflict('A user with this email already exists');
  const passwordHash = await hashSecret(input.password, ctx.config.argon2);

  try {
    return await inTransaction(ctx, async (ctx) => {
      if (bootstrapping) {
        // Locking the agency serialises concurrent bootstraps, so only one can be "the first".
        await ctx.db.query('SELECT id FROM agencies WHERE id = $1 FOR UPDATE', [agencyId]);
        const [{ n }]: { n: number }[] = await ctx.db.query('SELECT count(*)::int AS n FROM users WHERE agency_id = $1', [agencyId]);
        if (n > 0) throw forbidden('This agency already has users: its own administrators manage them');
      }
      const { inForce, pending } = splitRoles(input.roles);
      const users = ctx.db.getRepository(UserEntity);
      const saved = await users.save(
        users.create({
          agencyId,
          email,
          displayName: input.displayName.trim(),
          passwordHash,
          roles: inForce,
          pendingRoles: pending,
          disabledAt: null,
        }),
      );
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
    const user = await ctx.db.getRepository(UserEntity).findOne({ where: { id, agencyId: admin.agency.id }, relations: { agency: true } });
    if (!user?.agency) throw notFound('User');
    if (user.disabledAt === null) {
      await ctx.db.query('UPDATE users SET disabled_at = now(), updated_at = now() WHERE id = $1 AND disabled_at IS NULL', [id]);
      await ctx.db.query(
        `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'user disabled' WHERE user_id = $1 AND revoked_at IS NULL`,
        [id],
      );
      user.disabledAt = new Date();
    }
    return toUser({ ...user, agency: user.agency });
  });
}

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  roles: Role[];
  pending_roles: Role[];
  disabled_at: Date | null;
  created_at: Date;
}

/** The administrator's own agency's users, newest first: who they can disable, and who is active. */
export async function listUsers(ctx: RequestContext, args: PageRequest): Promise<Page<User>> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  const agency = await ctx.db.getRepository(AgencyEntity).findOneByOrFail({ id: admin.agency.id });
  const page = await keysetPage<UserRow>(
    ctx.db,
    {
      list: 'users',
      select: raw(
        'u.id, u.email, u.display_name, u.roles::text[] AS roles, u.pending_roles::text[] AS pending_roles, u.disabled_at, u.created_at',
      ),
      from: raw('users u'),
      where: sql`u.agency_id = ${admin.agency.id}::uuid`,
      sortColumn: raw('u.created_at'),
      idColumn: raw('u.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return {
    ...page,
    edges: page.edges.map(({ cursor, node }) => ({
      cursor,
      node: {
        id: node.id,
        email: node.email,
        displayName: node.display_name,
        agency,
        roles: node.roles,
        pendingRoles: node.pending_roles,
        disabled: node.disabled_at !== null,
        createdAt: node.created_at,
      },
    })),
  };
}
