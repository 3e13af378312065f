import { AgencyStatus } from '../agencies/agency-status';
import type { Principal } from '../auth/principal';
import { conflict, forbidden, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page, PageRequest } from '../db/paging';
import type { Queryable } from '../db/sql';
import { type RecordChange, recordChanges } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { grantDecisionRefusal, grantVisibilitySql } from '../policy/grants';
import { Permission } from '../policy/permissions';
import type { Role } from '../policy/roles';
import { GrantKind, GrantStatus } from './grant.enums';
import {
  activateAgency,
  bringRolesIntoForce,
  decideGrant,
  dropPendingRoles,
  type GrantFactsRow,
  type GrantRow,
  insertGrant,
  listPendingGrants,
  lockGrant,
  type NewGrant,
  type UserRolesRow,
} from './grant.queries';
import type { Grant } from './grant.types';

function toGrant(row: GrantRow, canDecide: boolean): Grant {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    agency: { id: row.agency_id, name: row.agency_name, kind: row.agency_kind, status: row.agency_status },
    userId: row.user_id,
    roles: row.roles,
    requestedById: row.requested_by_id,
    requestedAt: row.requested_at,
    decidedById: row.decided_by_id,
    decidedAt: row.decided_at,
    reason: row.reason,
    canDecide,
  };
}

/** The grant as its change records keep it (no agency name: that is the agency's own record). */
const grantRecord = (g: Grant) => ({
  id: g.id,
  kind: g.kind,
  status: g.status,
  agencyId: g.agency?.id ?? null,
  userId: g.userId,
  roles: g.roles,
  requestedById: g.requestedById,
  decidedById: g.decidedById,
  reason: g.reason,
});

const refusalOf = (p: Principal, row: GrantFactsRow) =>
  grantDecisionRefusal(p, {
    kind: row.kind,
    status: row.status,
    agencyId: row.agency_id,
    userId: row.user_id,
    requestedById: row.requested_by_id,
    requesterAgencyId: row.requester_agency_id,
    deciderHasPendingGrant: row.decider_has_pending_grant,
    lineageRelated: row.lineage_related,
  });

/**
 * Records a request by `requester` in the caller's transaction (`tx`): what a new agency or a
 * privileged role waits on. Returns the grant and its change record, for the caller to record
 * with its own.
 */
export async function requestGrant(
  tx: Queryable,
  requester: Principal,
  grant: Omit<NewGrant, 'requestedById' | 'requesterAgencyId'>,
): Promise<{ grant: Grant; change: RecordChange }> {
  const row = await insertGrant(tx, { ...grant, requestedById: requester.id, requesterAgencyId: requester.agency.id });
  const created = toGrant(row, false);
  return { grant: created, change: { kind: 'grant', id: row.id, action: 'requested', before: null, after: grantRecord(created) } };
}

/**
 * The pending grants this administrator may see: the ones it requested, and the ones it could
 * decide by agency (every one for an OVERSIGHT administrator; those requested within its own
 * agency otherwise). `canDecide` says which of them it may approve or reject now.
 */
export async function pendingGrants(ctx: RequestContext, args: PageRequest): Promise<Page<Grant>> {
  const admin = authorize(ctx, Permission.DECIDE_GRANTS);
  const page = await listPendingGrants(ctx.db, grantVisibilitySql(admin), admin.id, args);
  return { ...page, edges: page.edges.map(({ cursor, node }) => ({ cursor, node: toGrant(node, refusalOf(admin, node) === null) })) };
}

/**
 * Approves a pending grant: the agency becomes ACTIVE, or the roles come into force (a cached
 * principal sees the change, its roles differing from the database's). A grant the caller may not
 * see is NOT_FOUND; one already decided CONFLICT; one it may not decide (its own request, and the
 * rest of policy/grants.ts) FORBIDDEN. Nothing changes unless all of it, and its audit, is written.
 */
export function approveGrant(ctx: RequestContext, id: string): Promise<Grant> {
  return decide(ctx, id, GrantStatus.APPROVED, null);
}

/** Rejects a pending grant with a reason: a new account left with no role is disabled. Refused as `approveGrant` is. */
export function rejectGrant(ctx: RequestContext, id: string, reason: string): Promise<Grant> {
  return decide(ctx, id, GrantStatus.REJECTED, reason.trim());
}

async function decide(
  ctx: RequestContext,
  id: string,
  status: GrantStatus.APPROVED | GrantStatus.REJECTED,
  reason: string | null,
): Promise<Grant> {
  const admin = authorize(ctx, Permission.DECIDE_GRANTS);
  return inTransaction(ctx, async (ctx) => {
    const row = await lockGrant(ctx.db, id, grantVisibilitySql(admin), admin.id);
    if (!row) throw notFound('Grant', 'id');
    if (row.status !== GrantStatus.PENDING) throw conflict(`This grant was already ${row.status.toLowerCase()}`, { status: row.status });
    const refusal = refusalOf(admin, row);
    if (refusal) throw forbidden(refusal);
    const before = toGrant(row, false);
    const { decided_at } = await decideGrant(ctx.db, id, status, admin.id, reason);
    const after: Grant = { ...before, status, decidedById: admin.id, decidedAt: decided_at, reason };
    const changes: RecordChange[] = [
      { kind: 'grant', id, action: status.toLowerCase(), before: grantRecord(before), after: grantRecord(after) },
    ];
    if (row.kind === GrantKind.AGENCY && status === GrantStatus.APPROVED) {
      await activateAgency(ctx.db, row.agency_id);
      if (after.agency) after.agency = { ...after.agency, status: AgencyStatus.ACTIVE };
      changes.push({
        kind: 'agency',
        id: row.agency_id,
        action: 'approved',
        before: { status: row.agency_status },
        after: { status: AgencyStatus.ACTIVE },
      });
    }
    if (row.kind === GrantKind.ROLES && row.user_id) {
      const move = status === GrantStatus.APPROVED ? bringRolesIntoForce : dropPendingRoles;
      const [was, now] = await move(ctx.db, row.user_id, row.roles);
      changes.push({
        kind: 'user',
        id: row.user_id,
        action: status === GrantStatus.APPROVED ? 'roles_granted' : 'roles_refused',
        before: userRoles(was),
        after: userRoles(now),
      });
    }
    await recordChanges(ctx, changes);
    return after;
  });
}

const userRoles = (u: UserRolesRow): { roles: Role[]; pendingRoles: Role[]; disabled: boolean } => ({
  roles: u.roles,
  pendingRoles: u.pending_roles,
  disabled: u.disabled_at !== null,
});
