import type { Principal } from '../auth/principal';
import { AppError, ErrorCode } from '../errors';
import { Permission } from './permissions';

/**
 * What a person who must enrol a second factor and has none may still do: sign in and out, see
 * themselves (`me`) and the reference lists beside it (SIGNED_IN), and manage their own account,
 * which is where enrolling is (MANAGE_OWN_ACCOUNT: enrolTotp, confirmTotp, their sessions).
 */
const WHILE_ENROLLING: ReadonlySet<Permission> = new Set([Permission.SIGN_IN, Permission.SIGNED_IN, Permission.MANAGE_OWN_ACCOUNT]);

/**
 * Whether `p` must enrol a TOTP second factor before anything else: a person holding one of the
 * roles TOTP_REQUIRED_ROLES lists (roles in force, not pending) who has no active second factor.
 * Partner apps sign in with a secret and never hold a second factor.
 */
export function mustEnrolSecondFactor(p: Principal, requiredRoles: readonly string[]): boolean {
  return p.kind === 'USER' && !p.secondFactor && p.roles.some((role) => requiredRoles.includes(role));
}

/** FORBIDDEN with the reason a client acts on: enrol (enrolTotp, then confirmTotp) and carry on. */
export const secondFactorRequired = (message = 'Your roles require a second factor: enrol one (enrolTotp, then confirmTotp) first') =>
  new AppError(ErrorCode.FORBIDDEN, message, { reason: 'SECOND_FACTOR_REQUIRED' });

/**
 * Null when `p` may use an operation declaring `permission` as far as the second factor goes; the
 * refusal otherwise. Applied after `decide` (a permission the caller lacks stays plain FORBIDDEN).
 */
export function secondFactorRefusal(permission: Permission, p: Principal, requiredRoles: readonly string[]): AppError | null {
  return mustEnrolSecondFactor(p, requiredRoles) && !WHILE_ENROLLING.has(permission) ? secondFactorRequired() : null;
}
