import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { type Sql, sql } from '../db/sql';
import { forbidden } from '../errors';
import { Role } from './roles';

/**
 * The agency whose users an administrator lists, sees and changes: its own. A user of another
 * agency is out of reach, NOT_FOUND as if it did not exist.
 */
export function managedAgencyOf(admin: Principal): string {
  return admin.agency.id;
}

/** The users an administrator manages, as SQL on the users alias `u`. */
export function managedUsersScope(admin: Principal): Sql {
  return sql`u.agency_id = ${managedAgencyOf(admin)}::uuid`;
}

/**
 * Where an administrator may create a user: in its own agency (the default). An OVERSIGHT ADMIN may
 * also create the first user of a new agency, and only as its ADMIN, so the agency can be
 * bootstrapped; whether the agency has no users yet is for the caller to check (`bootstrapping`).
 */
export function userCreationTarget(
  admin: Principal,
  requested: { agencyId?: string; roles: readonly Role[] },
): { agencyId: string; bootstrapping: boolean } {
  const agencyId = requested.agencyId ?? managedAgencyOf(admin);
  const bootstrapping = agencyId !== managedAgencyOf(admin);
  if (bootstrapping) {
    const asFirstAdmin = admin.agency.kind === AgencyKind.OVERSIGHT && requested.roles.length === 1 && requested.roles[0] === Role.ADMIN;
    if (!asFirstAdmin) throw forbidden("Users can only be created in the administrator's own agency");
  }
  return { agencyId, bootstrapping };
}

/**
 * Why `admin` may not change the roles of `userId`, or null when it may. Nobody changes their own
 * roles: an administrator adding to their own would be one account defeating separation of duties.
 */
export function roleChangeRefusal(admin: Principal, userId: string): string | null {
  if (admin.id === userId) return 'Administrators do not change their own roles: another administrator does';
  return null;
}

/** The partner apps (service accounts) an administrator manages, as SQL on the alias `sa`: its agency's. */
export function managedServiceAccountsScope(admin: Principal): Sql {
  return sql`sa.agency_id = ${managedAgencyOf(admin)}::uuid`;
}

/** A person's own sign-in sessions, as SQL on the session alias `s`; none for a partner app (revoke the app instead). */
export function ownSessionsScope(p: Principal): Sql {
  return p.kind === 'USER' ? sql`s.user_id = ${p.id}::uuid` : sql`false`;
}

/**
 * The sessions `p` may end, as SQL on the session alias `s`: its own, and for an administrator
 * those of its own agency's users.
 */
export function endableSessionsScope(p: Principal): Sql {
  if (p.kind !== 'USER' || !p.roles.includes(Role.ADMIN)) return ownSessionsScope(p);
  return sql`(${ownSessionsScope(p)} OR ${managedSessionsScope(p)})`;
}

/** The sessions of the users an administrator manages, as SQL on the session alias `s`. */
export function managedSessionsScope(admin: Principal): Sql {
  return sql`s.user_id IN (SELECT u.id FROM users u WHERE ${managedUsersScope(admin)})`;
}
