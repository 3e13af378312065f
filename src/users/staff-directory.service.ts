import type { RequestContext } from '../context/request-context';
import type { Page } from '../db/paging';
import { authorize } from '../policy/authorize';
import { directoryScope } from '../policy/audit';
import { Permission } from '../policy/permissions';
import { requireScope } from '../policy/records';
import { listStaff } from './staff-directory.queries';
import type { StaffDirectoryArgs, StaffMember } from './staff-directory.types';

/**
 * The staff directory within the caller's scope (policy/audit.ts directoryScope), by name. Another
 * agency's id outside that scope is not an error: deny by default gives an empty list.
 */
export async function staffDirectory(ctx: RequestContext, args: StaffDirectoryArgs): Promise<Page<StaffMember>> {
  const scope = requireScope(directoryScope(authorize(ctx, Permission.READ_STAFF_DIRECTORY)));
  return listStaff(ctx.db, scope, { agencyId: args.agencyId, search: args.search?.trim() || undefined }, args);
}
