import type { EntityManager } from 'typeorm';
import { AgencyEntity } from '../agencies/agency.entity';
import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { type Queryable, raw, type Sql } from '../db/sql';
import type { Role } from '../policy/roles';
import { UserEntity } from './user.entity';
import type { User } from './user.types';

export function toUser(entity: UserEntity & { agency: AgencyEntity }): User {
  return {
    id: entity.id,
    email: entity.email,
    displayName: entity.displayName,
    agency: entity.agency,
    roles: entity.roles,
    pendingRoles: entity.pendingRoles,
    disabled: entity.disabledAt !== null,
    mustChangePassword: entity.mustChangePassword,
    createdAt: entity.createdAt,
  };
}

export function emailInUse(db: EntityManager, email: string): Promise<boolean> {
  return db.getRepository(UserEntity).existsBy({ email });
}

export async function countAgencyUsers(db: Queryable, agencyId: string): Promise<number> {
  const [{ n }] = (await db.query('SELECT count(*)::int AS n FROM users WHERE agency_id = $1', [agencyId])) as { n: number }[];
  return n;
}

export interface NewUser {
  agencyId: string;
  email: string;
  displayName: string;
  passwordHash: string;
  roles: Role[];
  pendingRoles: Role[];
}

export function insertUser(db: EntityManager, user: NewUser): Promise<UserEntity> {
  const users = db.getRepository(UserEntity);
  return users.save(users.create({ ...user, disabledAt: null, mustChangePassword: false }));
}

/** A user of the agency, with the agency; null for a user of any other agency. */
export function findUserInAgency(db: EntityManager, id: string, agencyId: string): Promise<UserEntity | null> {
  return db.getRepository(UserEntity).findOne({ where: { id, agencyId }, relations: { agency: true } });
}

/** Disables the user and ends their sessions: their tokens stop working at once. */
export async function markUserDisabled(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE users SET disabled_at = now(), updated_at = now() WHERE id = $1 AND disabled_at IS NULL', [id]);
  await db.query(
    `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'user disabled' WHERE user_id = $1 AND revoked_at IS NULL`,
    [id],
  );
}

export interface UserRow {
  id: string;
  email: string;
  display_name: string;
  roles: Role[];
  pending_roles: Role[];
  disabled_at: Date | null;
  must_change_password: boolean;
  created_at: Date;
}

export const toUserView = (row: UserRow, agency: AgencyEntity): User => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  agency,
  roles: row.roles,
  pendingRoles: row.pending_roles,
  disabled: row.disabled_at !== null,
  mustChangePassword: row.must_change_password,
  createdAt: row.created_at,
});

/** Users within `scope` (alias `u`), newest first. */
export function listUserRows(db: Queryable, scope: Sql, args: PageRequest): Promise<Page<UserRow>> {
  return keysetPage<UserRow>(
    db,
    {
      list: 'users',
      select: raw(
        'u.id, u.email, u.display_name, u.roles::text[] AS roles, u.pending_roles::text[] AS pending_roles, u.disabled_at, u.must_change_password, u.created_at',
      ),
      from: raw('users u'),
      where: scope,
      sortColumn: raw('u.created_at'),
      idColumn: raw('u.id'),
      sortType: 'timestamptz',
    },
    args,
  );
}
