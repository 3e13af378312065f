import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { type Sql, sql } from '../db/sql';
import { GrantKind, GrantStatus } from '../grants/grant.enums';
import { Role } from './roles';

/**
 * Roles that read police content or the audit trail, or control accounts: requesting one for a user
 * creates a grant, and it is in force only once a second administrator approves. The others
 * (REPORTER, PRACTITIONER, SAFEGUARDING_LEAD) apply at once.
 */
export const PRIVILEGED_ROLES: readonly Role[] = [Role.INVESTIGATOR, Role.ANALYST, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN];

/** Splits requested roles into those in force at once and those that wait for approval. */
export function splitRoles(roles: readonly Role[]): { inForce: Role[]; pending: Role[] } {
  return {
    inForce: roles.filter((r) => !PRIVILEGED_ROLES.includes(r)),
    pending: roles.filter((r) => PRIVILEGED_ROLES.includes(r)),
  };
}

/** What the policy needs to know of a grant, and of how its requester and the decider are related. */
export interface GrantFacts {
  kind: GrantKind;
  status: GrantStatus;
  agencyId: string;
  userId: string | null;
  requestedById: string;
  requesterAgencyId: string;
  /** The decider has a pending grant of their own (their roles or their agency await approval). */
  deciderHasPendingGrant: boolean;
  /**
   * One of the two requested a grant for the other, or for an account that requested one for the
   * other, and so on: whoever created an account set its password, so may act as it.
   */
  lineageRelated: boolean;
}

const isAdmin = (p: Principal) => p.kind === 'USER' && p.roles.includes(Role.ADMIN);
const isOversightAdmin = (p: Principal) => isAdmin(p) && p.agency.kind === AgencyKind.OVERSIGHT;

/**
 * A new agency, and the first administrator of one (requested from another agency), are decided
 * by OVERSIGHT administrators only; other roles by an administrator of the user's agency, or by
 * an OVERSIGHT one.
 */
function decidesByAgency(p: Principal, g: Pick<GrantFacts, 'kind' | 'agencyId' | 'requesterAgencyId'>): boolean {
  if (isOversightAdmin(p)) return true;
  return isAdmin(p) && g.kind === GrantKind.ROLES && g.agencyId === p.agency.id && g.requesterAgencyId === p.agency.id;
}

/**
 * Why `p` may not approve or reject this pending grant, or null when it may: a second, different
 * administrator of the right agency, with nothing of its own awaiting approval. Deny by default.
 */
export function grantDecisionRefusal(p: Principal, g: GrantFacts): string | null {
  if (g.status !== GrantStatus.PENDING) return 'This grant is already decided';
  if (!isAdmin(p)) return 'Only an administrator decides grants';
  if (!decidesByAgency(p, g)) return 'This grant is decided by another agency’s administrators';
  if (g.requestedById === p.id) return 'A grant is decided by someone other than its requester';
  if (g.userId === p.id) return 'Nobody decides a grant of their own roles';
  if (g.deciderHasPendingGrant) return 'An account with a grant awaiting approval decides nothing';
  if (g.lineageRelated) return 'The decider and the requester created one another’s accounts or roles';
  return null;
}

/**
 * The grants `p` may see, as SQL on alias `g`: its own requests, and those it could decide by
 * agency (all for an OVERSIGHT administrator; ROLES grants requested within its agency otherwise).
 */
export function grantVisibilitySql(p: Principal): Sql {
  if (isOversightAdmin(p)) return sql`true`;
  if (!isAdmin(p)) return sql`false`;
  const agency = p.agency.id;
  return sql`(g.requested_by_id = ${p.id}::uuid
              OR (g.kind = ${GrantKind.ROLES}::grant_kind AND g.agency_id = ${agency}::uuid AND g.requester_agency_id = ${agency}::uuid))`;
}
