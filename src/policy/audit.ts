import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { raw, type Sql, sql } from '../db/sql';
import { Role } from './roles';

/**
 * Which audit events an auditor may read, as a SQL condition on the events alias `e`: an OVERSIGHT
 * auditor all of them; an agency's auditor those by its own staff and those about records it owns.
 * Null: none (not an auditor).
 */
export function auditReadScope(p: Principal): Sql | null {
  if (p.kind !== 'USER' || !p.roles.includes(Role.AUDITOR)) return null;
  if (p.agency.kind === AgencyKind.OVERSIGHT) return raw('true');
  return sql`(e.actor_agency_id = ${p.agency.id}::uuid OR e.record_agency_ids @> ARRAY[${p.agency.id}::uuid])`;
}
