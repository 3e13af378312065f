import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { Role } from './roles';

/**
 * Every query and mutation declares exactly one of these (`@Authorized(Permission.X)`); the schema
 * refuses to build if one does not. Deny by default: a permission without a rule grants nothing.
 */
export enum Permission {
  /** Signing in: no token needed. */
  SIGN_IN = 'SIGN_IN',
  /** Any signed-in principal: their own identity, sign-out, reference data. */
  SIGNED_IN = 'SIGNED_IN',
  /** Create agencies: ADMIN of an OVERSIGHT agency. */
  MANAGE_AGENCIES = 'MANAGE_AGENCIES',
  /** Create and disable users: an agency's ADMIN (scope enforced by the users service). */
  MANAGE_USERS = 'MANAGE_USERS',
}

interface Rule {
  /** True when a caller without a valid token may use it. */
  anonymous: boolean;
  allows(principal: Principal): boolean;
}

const isUserWith = (principal: Principal, role: Role) => principal.kind === 'USER' && principal.roles.includes(role);

const RULES: Record<Permission, Rule> = {
  [Permission.SIGN_IN]: { anonymous: true, allows: () => true },
  [Permission.SIGNED_IN]: { anonymous: false, allows: () => true },
  [Permission.MANAGE_AGENCIES]: {
    anonymous: false,
    allows: (p) => isUserWith(p, Role.ADMIN) && p.agency.kind === AgencyKind.OVERSIGHT,
  },
  [Permission.MANAGE_USERS]: { anonymous: false, allows: (p) => isUserWith(p, Role.ADMIN) },
};

export type Decision = 'ALLOW' | 'UNAUTHENTICATED' | 'FORBIDDEN';

/** May this caller (null: no valid token) use an operation that declares `permission`? */
export function decide(permission: Permission, principal: Principal | null): Decision {
  const rule = RULES[permission] as Rule | undefined;
  if (!rule) return 'FORBIDDEN';
  if (rule.anonymous) return 'ALLOW';
  if (!principal) return 'UNAUTHENTICATED';
  return rule.allows(principal) ? 'ALLOW' : 'FORBIDDEN';
}
