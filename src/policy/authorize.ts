import type { Principal } from '../auth/principal';
import type { Caller } from '../context/request-context';
import { forbidden, unauthenticated } from '../errors';
import { decide, type Permission } from './permissions';
import { secondFactorRefusal } from './second-factor';

/**
 * Raises our own error codes for a permission the caller lacks. A person whose roles require a
 * second factor they have not enrolled is refused everything but enrolling (policy/second-factor.ts).
 */
export function checkPermission(ctx: Caller, permission: Permission): void {
  const decision = decide(permission, ctx.principal);
  if (decision === 'UNAUTHENTICATED') throw ctx.authError ?? unauthenticated();
  if (decision === 'FORBIDDEN') throw forbidden();
  const refusal = ctx.principal && secondFactorRefusal(permission, ctx.principal, ctx.config.accounts.totpRequiredRoles);
  if (refusal) throw refusal;
}

/**
 * For services: re-checks the permission the resolver declared (so no other caller skips it) and
 * returns the signed-in principal it applies to.
 */
export function authorize(ctx: Caller, permission: Permission): Principal {
  checkPermission(ctx, permission);
  if (!ctx.principal) throw ctx.authError ?? unauthenticated();
  return ctx.principal;
}
