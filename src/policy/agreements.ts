import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { raw, sql, type Sql } from '../db/sql';
import { Role } from './roles';

const isUserOf = (p: Principal, role: Role, kind: AgencyKind) => p.kind === 'USER' && p.roles.includes(role) && p.agency.kind === kind;

/**
 * The register of information-sharing agreements (docs/lawful-sharing.md, "Who reads the register").
 * A police SUPERVISOR (who discloses under them) and an OVERSIGHT ADMIN (who keeps the register for
 * the partnership) register and manage agreements, and read every one, drafts included. An OVERSIGHT
 * AUDITOR reads every one (to check sharing against its basis). Every other user reads the
 * agreements its own agency is a party to, once out of DRAFT. Partner apps read none.
 */
export const managesAgreements = (p: Principal): boolean =>
  isUserOf(p, Role.SUPERVISOR, AgencyKind.POLICE) || isUserOf(p, Role.ADMIN, AgencyKind.OVERSIGHT);

const isOversightAuditor = (p: Principal) => isUserOf(p, Role.AUDITOR, AgencyKind.OVERSIGHT);

/** Which agreements a principal may read, as a condition on the agreements alias `isa`. Null: none. */
export function agreementReadScope(p: Principal): Sql | null {
  if (managesAgreements(p) || isOversightAuditor(p)) return raw('true');
  if (p.kind !== 'USER') return null;
  return sql`(isa.status <> 'DRAFT' AND EXISTS (SELECT 1 FROM agreement_parties sc_p
                                                WHERE sc_p.agreement_id = isa.id AND sc_p.agency_id = ${p.agency.id}::uuid))`;
}

/**
 * An agreement a disclosure may cite (alias `isa`): ACTIVE, in force on the day (started, not
 * ended), with the disclosing and the receiving agency both parties, and the gateway among its own.
 */
export function agreementCovers(disclosingAgencyId: string, recipientAgencyId: string, gateway: string): Sql {
  return sql`(isa.status = 'ACTIVE' AND isa.starts_on <= current_date AND (isa.ends_on IS NULL OR isa.ends_on >= current_date)
              AND ${gateway}::legal_gateway = ANY (isa.gateways)
              AND EXISTS (SELECT 1 FROM agreement_parties cv_p WHERE cv_p.agreement_id = isa.id AND cv_p.agency_id = ${disclosingAgencyId}::uuid)
              AND EXISTS (SELECT 1 FROM agreement_parties cv_r WHERE cv_r.agreement_id = isa.id AND cv_r.agency_id = ${recipientAgencyId}::uuid))`;
}

/** An agreement in force whose review date has come (alias `isa`): the `dueForReview` filter and the review clock. */
export const AGREEMENT_DUE_FOR_REVIEW = raw(`(isa.status IN ('ACTIVE', 'SUSPENDED') AND isa.review_on <= current_date)`);
