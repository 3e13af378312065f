import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { raw, type Sql, sql } from '../db/sql';
import { knownToAgency } from './records';
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

/**
 * Which children an auditor may find by an identifier (NHS number, UPN, police reference, social
 * care id), as SQL on the subjects alias `s`: an OVERSIGHT auditor any; a police auditor any (its
 * force reads every subject); another agency's auditor only the children its agency knows
 * (records.ts knownToAgency). Else one lookup would tell it which child an identifier belongs to:
 * any subject id it once asked about, even refused, is "concerned" by an event of its own.
 */
export function identifierLookupScope(p: Principal): Sql | null {
  if (p.kind !== 'USER' || !p.roles.includes(Role.AUDITOR)) return null;
  if (p.agency.kind === AgencyKind.OVERSIGHT || p.agency.kind === AgencyKind.POLICE) return raw('true');
  return knownToAgency(p.agency.id);
}

/**
 * Whose names an auditor or administrator may look up in the staff directory (people and partner
 * apps, as SQL on the directory alias `m`): an OVERSIGHT auditor every agency's; an agency's
 * AUDITOR or ADMIN its own agency's only (an OVERSIGHT ADMIN too: administering is not oversight).
 * Null: none. A directory entry is a name, agency, roles and whether enabled: never an email.
 */
export function directoryScope(p: Principal): Sql | null {
  if (p.kind !== 'USER') return null;
  if (p.roles.includes(Role.AUDITOR) && p.agency.kind === AgencyKind.OVERSIGHT) return raw('true');
  if (p.roles.includes(Role.AUDITOR) || p.roles.includes(Role.ADMIN)) return sql`m.agency_id = ${p.agency.id}::uuid`;
  return null;
}

/**
 * Which computed anomalies an auditor may review (SQL on the reviews alias `ar`, by the actor's
 * agency): an OVERSIGHT auditor all; an agency's auditor its own staff's. Mirrors the anomalies it
 * can list, which are found among the events of its audit scope by its own staff.
 */
export function anomalyReviewScope(p: Principal): Sql | null {
  if (p.kind !== 'USER' || !p.roles.includes(Role.AUDITOR)) return null;
  if (p.agency.kind === AgencyKind.OVERSIGHT) return raw('true');
  return sql`ar.actor_agency_id = ${p.agency.id}::uuid`;
}

/** anomalyReviewScope for one anomaly: whether `p` may review one whose actor belongs to `actorAgencyId`. */
export function mayReviewAnomalyOf(p: Principal, actorAgencyId: string | null): boolean {
  if (p.kind !== 'USER' || !p.roles.includes(Role.AUDITOR)) return false;
  return p.agency.kind === AgencyKind.OVERSIGHT || actorAgencyId === p.agency.id;
}
