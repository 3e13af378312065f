import DataLoader from 'dataloader';
import type { Principal } from '../auth/principal';
import type { Queryable } from '../db/sql';
import { directoryScope } from '../policy/audit';
import { staffByIds } from './staff-directory.queries';
import type { StaffMember } from './staff-directory.types';

/**
 * Directory entries by id, for the people fields (AuditEvent.actor, a break-glass grant's user and
 * reviewer): one query per response, within the caller's directory scope; null outside it.
 */
export function staffLoader(db: Queryable, principal: Principal | null): DataLoader<string, StaffMember | null> {
  return new DataLoader(async (ids) => {
    const scope = principal && directoryScope(principal);
    if (!scope) return ids.map(() => null);
    const byId = new Map((await staffByIds(db, scope, ids)).map((m) => [m.id, m]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
