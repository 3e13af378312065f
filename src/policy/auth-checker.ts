import type { AuthCheckerFn } from 'type-graphql';
import type { Principal } from '../auth/principal';
import { forbidden, unauthenticated } from '../errors';
import type { RequestContext } from '../graphql/context';
import { decide, type Permission } from './permissions';

type Caller = Pick<RequestContext, 'principal' | 'authError'>;

function check(ctx: Caller, permission: Permission): void {
  const decision = decide(permission, ctx.principal);
  if (decision === 'UNAUTHENTICATED') throw ctx.authError ?? unauthenticated();
  if (decision === 'FORBIDDEN') throw forbidden();
}

/** type-graphql's hook into the policy: raises our own error codes rather than its generic ones. */
export const authChecker: AuthCheckerFn<RequestContext, Permission> = ({ context }, permissions) => {
  if (permissions.length !== 1) throw new Error('an operation must declare exactly one permission');
  check(context, permissions[0]);
  return true;
};

/**
 * For services: re-checks the permission the resolver declared (so no other caller skips it) and
 * returns the signed-in principal it applies to.
 */
export function authorize(ctx: Caller, permission: Permission): Principal {
  check(ctx, permission);
  if (!ctx.principal) throw ctx.authError ?? unauthenticated();
  return ctx.principal;
}
