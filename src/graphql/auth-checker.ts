import type { AuthCheckerFn } from 'type-graphql';
import type { RequestContext } from '../context/request-context';
import { checkPermission } from '../policy/authorize';
import type { Permission } from '../policy/permissions';

/** type-graphql's hook into the policy: raises our own error codes rather than its generic ones. */
export const authChecker: AuthCheckerFn<RequestContext, Permission> = ({ context }, permissions) => {
  if (permissions.length !== 1) throw new Error('an operation must declare exactly one permission');
  checkPermission(context, permissions[0]);
  return true;
};
