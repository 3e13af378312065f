import type { AgencyKind } from '../agencies/agency-kind';
import type { AgencyStatus } from '../agencies/agency-status';
import { and, type Queryable, raw, run, type Sql, sql } from '../db/sql';
import { keysetPage, type Page, type PageRequest } from '../db/paging';
import type { Role } from '../policy/roles';
import { GrantKind, GrantStatus } from './grant.enums';

export interface GrantRow {
  id: string;
  kind: GrantKind;
  status: GrantStatus;
  agency_id: string;
  agency_name: string;
  agency_kind: AgencyKind;
  agency_status: AgencyStatus;
  user_id: string | null;
  roles: Role[];
  requested_by_id: string;
  requester_agency_id: string;
  requested_at: Date;
  decided_by_id: string | null;
  decided_at: Date | null;
  reason: string | null;
}

/** A grant with what the policy weighs about its requester and `deciderId`. */
export interface GrantFactsRow extends GrantRow {
  decider_has_pending_grant: boolean;
  lineage_related: boolean;
}

const GRANT_COLUMNS = sql`g.id, g.kind, g.status, g.agency_id, a.name AS agency_name, a.kind AS agency_kind, a.status AS agency_status,
  g.user_id, g.roles::text[] AS roles, g.requested_by_id, g.requester_agency_id, g.requested_at, g.decided_by_id, g.decided_at, g.reason`;

/**
 * The accounts that requested a grant for `account`, and those that requested one for them, and so
 * on: whoever created an account set its password, so may act as it.
 */
const sponsorsOf = (account: Sql) => sql`(
  WITH RECURSIVE up(id) AS (
    SELECT s.requested_by_id FROM grants s WHERE s.user_id = ${account}
    UNION SELECT s.requested_by_id FROM grants s JOIN up ON s.user_id = up.id)
  SELECT id FROM up)`;

/** The columns the policy needs to judge whether `deciderId` may decide the grant `g`. */
function factColumns(deciderId: string): Sql {
  const decider = sql`${deciderId}::uuid`;
  return sql`EXISTS (SELECT 1 FROM grants o WHERE o.status = ${GrantStatus.PENDING}::grant_status
                        AND (o.user_id = ${decider}
                             OR (o.kind = ${GrantKind.AGENCY}::grant_kind
                                 AND o.agency_id = (SELECT agency_id FROM users WHERE id = ${decider})))) AS decider_has_pending_grant,
             (${decider} IN ${sponsorsOf(raw('g.requested_by_id'))} OR g.requested_by_id IN ${sponsorsOf(decider)}) AS lineage_related`;
}

export interface NewGrant {
  kind: GrantKind;
  agencyId: string;
  userId: string | null;
  roles: Role[];
  requestedById: string;
  requesterAgencyId: string;
}

export async function insertGrant(db: Queryable, g: NewGrant): Promise<GrantRow> {
  const [{ id }] = await run<{ id: string }>(
    db,
    sql`INSERT INTO grants (kind, agency_id, user_id, roles, requested_by_id, requester_agency_id)
        VALUES (${g.kind}::grant_kind, ${g.agencyId}::uuid, ${g.userId}::uuid, ${g.roles}::role[], ${g.requestedById}::uuid,
                ${g.requesterAgencyId}::uuid)
        RETURNING id`,
  );
  const [row] = await run<GrantRow>(
    db,
    sql`SELECT ${GRANT_COLUMNS} FROM grants g JOIN agencies a ON a.id = g.agency_id WHERE g.id = ${id}::uuid`,
  );
  return row;
}

/** Pending grants within `visible`, newest first, each with the facts for `deciderId`. */
export function listPendingGrants(db: Queryable, visible: Sql, deciderId: string, args: PageRequest): Promise<Page<GrantFactsRow>> {
  return keysetPage<GrantFactsRow>(
    db,
    {
      list: 'pendingGrants',
      select: sql`${GRANT_COLUMNS}, ${factColumns(deciderId)}`,
      from: raw('grants g JOIN agencies a ON a.id = g.agency_id'),
      where: and([sql`g.status = ${GrantStatus.PENDING}::grant_status`, visible]),
      sortColumn: raw('g.requested_at'),
      idColumn: raw('g.id'),
      sortType: 'timestamptz',
    },
    args,
  );
}

/** One grant within `visible`, locked until the transaction ends, with the facts for `deciderId`. */
export async function lockGrant(db: Queryable, id: string, visible: Sql, deciderId: string): Promise<GrantFactsRow | undefined> {
  const [row] = await run<GrantFactsRow>(
    db,
    sql`SELECT ${GRANT_COLUMNS}, ${factColumns(deciderId)}
          FROM grants g JOIN agencies a ON a.id = g.agency_id
         WHERE g.id = ${id}::uuid AND ${visible}
           FOR UPDATE OF g`,
  );
  return row;
}

/** Records the decision on a pending grant; the database refuses a decider who requested it. */
export async function decideGrant(
  db: Queryable,
  id: string,
  status: GrantStatus.APPROVED | GrantStatus.REJECTED,
  deciderId: string,
  reason: string | null,
): Promise<{ decided_at: Date }> {
  const [row] = await run<{ decided_at: Date }>(
    db,
    sql`UPDATE grants SET status = ${status}::grant_status, decided_by_id = ${deciderId}::uuid, decided_at = now(), reason = ${reason}
         WHERE id = ${id}::uuid AND status = ${GrantStatus.PENDING}::grant_status
        RETURNING decided_at`,
  );
  return row;
}

export async function activateAgency(db: Queryable, agencyId: string): Promise<void> {
  await run(db, sql`UPDATE agencies SET status = 'ACTIVE' WHERE id = ${agencyId}::uuid`);
}

export interface UserRolesRow {
  roles: Role[];
  pending_roles: Role[];
  disabled_at: Date | null;
}

async function userRoles(db: Queryable, userId: string): Promise<UserRolesRow> {
  const [row] = await run<UserRolesRow>(
    db,
    sql`SELECT roles::text[] AS roles, pending_roles::text[] AS pending_roles, disabled_at FROM users WHERE id = ${userId}::uuid FOR UPDATE`,
  );
  return row;
}

const without = (column: Sql, roles: Role[]) => sql`ARRAY(SELECT r FROM unnest(${column}) r WHERE r <> ALL(${roles}::role[]) ORDER BY r)`;

/** Moves `roles` from pending into force; returns the user's roles before and after. */
export async function bringRolesIntoForce(db: Queryable, userId: string, roles: Role[]): Promise<[UserRolesRow, UserRolesRow]> {
  const before = await userRoles(db, userId);
  await run(
    db,
    sql`UPDATE users SET roles = ARRAY(SELECT DISTINCT r FROM unnest(roles || ${roles}::role[]) r ORDER BY r),
                         pending_roles = ${without(raw('pending_roles'), roles)}, updated_at = now()
         WHERE id = ${userId}::uuid`,
  );
  return [before, await userRoles(db, userId)];
}

/**
 * Drops `roles` from pending. A user left with no role at all (a new account refused) is disabled
 * and their sessions end. Returns the user's roles before and after.
 */
export async function dropPendingRoles(db: Queryable, userId: string, roles: Role[]): Promise<[UserRolesRow, UserRolesRow]> {
  const before = await userRoles(db, userId);
  await run(
    db,
    sql`UPDATE users SET pending_roles = ${without(raw('pending_roles'), roles)}, updated_at = now(),
                         disabled_at = CASE WHEN cardinality(roles) = 0 THEN coalesce(disabled_at, now()) ELSE disabled_at END
         WHERE id = ${userId}::uuid`,
  );
  const after = await userRoles(db, userId);
  if (after.disabled_at && !before.disabled_at) {
    await run(
      db,
      sql`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'roles refused'
           WHERE user_id = ${userId}::uuid AND revoked_at IS NULL`,
    );
  }
  return [before, after];
}
