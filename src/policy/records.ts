import { forbidden } from '../errors';
import type { Principal } from '../auth/principal';
import { type Sql, join, raw, sql } from '../db/sql';
import { AgencyKind } from '../agencies/agency-kind';
import { SourceType } from '../intelligence/intelligence.enums';
import { Role } from './roles';
import { isCareReader, isPoliceCaseReader, isPoliceSupervisor, isSafeguardingLead, readsOwnSubmissions } from './permissions';
import { notDisposed } from './retention';

/** The scope, for records not disposed of (policy/retention.ts): a disposed record is NOT_FOUND to everyone. */
const live = (alias: 'r' | 's' | 'f' | 'c', scope: Sql | null): Sql | null => {
  if (!scope) return null;
  return scope.values.length === 0 && scope.parts.join('').trim() === 'true'
    ? notDisposed(alias)
    : sql`(${notDisposed(alias)} AND ${scope})`;
};

/** OR of the conditions; null (nothing at all) when there are none. */
const anyOf = (conditions: Sql[]): Sql | null => (conditions.length ? sql`(${join(conditions, ' OR ')})` : null);

/**
 * Which intelligence reports a principal may read, as a SQL condition on the reports alias `r`.
 * Applied inside every query, before pagination and counts. Null: none at all. Police case readers
 * read all; reporters their agency's submissions (partner apps their own); a care reader holding a
 * break-glass grant the reports about that subject until the grant expires. A disclosure never
 * opens the report itself: its recipient reads the disclosure's sanitised summary instead.
 */
export function reportReadScope(p: Principal): Sql | null {
  return live('r', reportScopeOf(p));
}

function reportScopeOf(p: Principal): Sql | null {
  if (isPoliceCaseReader(p)) return raw('true');
  const scopes: Sql[] = [];
  if (readsOwnSubmissions(p)) {
    scopes.push(
      p.kind === 'SERVICE' ? sql`r.submitted_by_service_account_id = ${p.id}::uuid` : sql`r.submitted_by_agency_id = ${p.agency.id}::uuid`,
    );
  }
  if (isCareReader(p)) {
    scopes.push(sql`EXISTS (SELECT 1 FROM report_subjects bg_rs JOIN break_glass_grants bg ON bg.subject_id = bg_rs.subject_id
                             WHERE bg_rs.report_id = r.id AND bg.user_id = ${p.id}::uuid AND bg.expires_at > now())`);
  }
  return anyOf(scopes);
}

/**
 * The reports a submitter gets back as it submits them (alias `r`), whatever it may read otherwise:
 * a partner app that may only submit still receives its own report, and a retry the same one.
 */
export function ownSubmissionScope(p: Principal): Sql {
  return sql`(${notDisposed('r')} AND coalesce(r.submitted_by_user_id, r.submitted_by_service_account_id) = ${p.id}::uuid)`;
}

/**
 * The subjects known to an agency, as a condition on the subjects alias `s`: linked to a report the
 * agency submitted, or to a report disclosed to it (unexpired, unrevoked), or with an active
 * involvement the agency registered. Computed by the owner-run `subjects_known_to`
 * (migrations/1766700000000-known-subjects.ts), once per statement: as the service's role, row-level
 * security would hide from the scope's own subqueries the reports it needs to look at. It answers
 * only for the caller's own agency.
 */
export function knownToAgency(agencyId: string): Sql {
  return sql`s.id IN (SELECT subjects_known_to(${agencyId}::uuid))`;
}

/** A user's unexpired break-glass grant on the subject `s`. */
export function breakGlassOn(userId: string): Sql {
  return sql`EXISTS (SELECT 1 FROM break_glass_grants k_g WHERE k_g.subject_id = s.id AND k_g.user_id = ${userId}::uuid AND k_g.expires_at > now())`;
}

/**
 * Which subjects a principal may read, as a SQL condition on the subjects alias `s`: police case
 * readers all; care readers those known to their agency, plus those of their own live break-glass
 * grants. Nobody else (reporters, partner apps, ADMIN, AUDITOR) reads subjects at all.
 */
export function subjectReadScope(p: Principal): Sql | null {
  if (isPoliceCaseReader(p)) return live('s', raw('true'));
  if (isCareReader(p)) return live('s', sql`(${knownToAgency(p.agency.id)} OR ${breakGlassOn(p.id)})`);
  return null;
}

/** Subject fields some readers do not see; redacted ones come back null (lists empty) and are listed. */
export type RedactableSubjectField = 'policeReference' | 'nhsNumber' | 'schoolUpn' | 'socialCareId' | 'crimes' | 'history';
const IDENTIFIER_OF_KIND: Partial<Record<AgencyKind, RedactableSubjectField>> = {
  [AgencyKind.EDUCATION]: 'schoolUpn',
  [AgencyKind.HEALTH]: 'nhsNumber',
  [AgencyKind.SOCIAL_CARE]: 'socialCareId',
};
export const SUBJECT_IDENTIFIERS = ['policeReference', 'nhsNumber', 'schoolUpn', 'socialCareId'] as const;

/**
 * The fields of a readable subject withheld from this principal. Police case readers see all. Anyone
 * else sees the identifier their own kind of agency issues (a school the UPN, health the NHS number,
 * social care its case id), never police references, crimes or the record's change history.
 */
export function subjectRedactions(p: Principal): RedactableSubjectField[] {
  if (isPoliceCaseReader(p)) return [];
  const own = IDENTIFIER_OF_KIND[p.agency.kind];
  return [...SUBJECT_IDENTIFIERS.filter((f) => f !== own), 'crimes', ...(readsRecordHistory(p) ? [] : (['history'] as const))];
}

export type RedactableFlagField = 'history';
/** A flag's history (who proposed, approved, ended it) is withheld like every record history. */
export function flagRedactions(p: Principal): RedactableFlagField[] {
  return readsRecordHistory(p) ? [] : ['history'];
}

/**
 * Which disclosures a principal may read, as a SQL condition on the disclosures alias `d`: police
 * case readers all of them (expired and revoked too); care readers those to their own agency, only
 * while in force.
 */
export function disclosureReadScope(p: Principal): Sql | null {
  if (isPoliceCaseReader(p)) return raw('true');
  if (isCareReader(p)) return sql`(d.recipient_agency_id = ${p.agency.id}::uuid AND d.revoked_at IS NULL AND d.expires_at > now())`;
  return null;
}

export type RedactableDisclosureField = 'reportId' | 'disclosedByUserId' | 'sensitiveAcknowledged';
/** A recipient reads the summary and its terms: not which police report it came from, nor who decided. */
export function disclosureRedactions(p: Principal): RedactableDisclosureField[] {
  return isPoliceCaseReader(p) ? [] : ['reportId', 'disclosedByUserId', 'sensitiveAcknowledged'];
}

/** Which involvements a principal may read (alias `i`): police case readers all; care readers their agency's. */
export function involvementReadScope(p: Principal): Sql | null {
  if (isPoliceCaseReader(p)) return raw('true');
  if (isCareReader(p)) return sql`i.agency_id = ${p.agency.id}::uuid`;
  return null;
}

/**
 * Which involvements a principal sees the agency and contact of (alias `i`, subjects alias `s`):
 * those in force with a subject it may read, whichever agency registered them.
 */
export function involvedAgencyScope(p: Principal): Sql | null {
  const subjects = subjectReadScope(p);
  return subjects && sql`(i.ended_at IS NULL AND ${subjects})`;
}

/**
 * Which access requests a principal may read (alias `ar`): a police SUPERVISOR all (to decide them);
 * a safeguarding lead its agency's; a practitioner their own.
 */
export function accessRequestReadScope(p: Principal): Sql | null {
  if (isPoliceSupervisor(p)) return raw('true');
  if (isSafeguardingLead(p)) return sql`ar.requester_agency_id = ${p.agency.id}::uuid`;
  if (isCareReader(p)) return sql`ar.requested_by_user_id = ${p.id}::uuid`;
  return null;
}

const isAuditor = (p: Principal) => p.kind === 'USER' && p.roles.includes(Role.AUDITOR);

/**
 * Which break-glass grants a principal may read (alias `g`): a police SUPERVISOR all (review); an
 * OVERSIGHT auditor all, an agency's auditor its own staff's (review); a user their own.
 */
export function breakGlassReadScope(p: Principal): Sql | null {
  const own = isCareReader(p) ? sql`g.user_id = ${p.id}::uuid` : null;
  if (isPoliceSupervisor(p) || (isAuditor(p) && p.agency.kind === AgencyKind.OVERSIGHT)) return raw('true');
  if (isAuditor(p)) return own ? sql`(g.agency_id = ${p.agency.id}::uuid OR ${own})` : sql`g.agency_id = ${p.agency.id}::uuid`;
  return own;
}

/**
 * Which declined disclosures a principal may read (alias `x`): police case readers all; anyone else
 * the answer to an access request it may read.
 */
export function declineReadScope(p: Principal): Sql | null {
  if (isPoliceCaseReader(p)) return raw('true');
  const requests = accessRequestReadScope(p);
  return requests && sql`EXISTS (SELECT 1 FROM access_requests ar WHERE ar.id = x.access_request_id AND ${requests})`;
}

/**
 * Which flags a principal may read, as a SQL condition on the flags alias `f`, on top of the
 * subject's scope. Police case readers see every flag (proposed, rejected and ended ones too);
 * anyone else who may read the subject sees only the flags in force.
 */
export function flagReadScope(p: Principal): Sql {
  return live('f', isPoliceCaseReader(p) ? raw('true') : raw(`f.status = 'ACTIVE'`))!;
}

/** Which crimes a principal may read, as a SQL condition on the crimes alias `c`. */
export function crimeReadScope(p: Principal): Sql | null {
  return isPoliceCaseReader(p) ? live('c', raw('true')) : null;
}

/** A scope the caller must have: none at all means the operation is FORBIDDEN to them. */
export function requireScope(scope: Sql | null): Sql {
  if (!scope) throw forbidden();
  return scope;
}

/** Report fields that only some readers see; redacted ones come back null and are listed. */
export const GRADING_FIELDS = ['sourceEvaluation', 'intelligenceAssessment', 'handlingCode', 'handlingConditions', 'assessedAt'] as const;
export type RedactableReportField = (typeof GRADING_FIELDS)[number] | 'informant' | 'subjects' | 'history';

/**
 * The fields of a readable report withheld from this principal. Police grading and history are for
 * police readers; informant details for a police SUPERVISOR alone. `informant` is listed whether or
 * not the report has one, so the list reveals nothing about the informant. `subjects` is decided per
 * report by the report–subject edge (policy/edges.ts): `subjectsShown` is that decision's answer for
 * this report (computed in its SQL), shown when some link of it is visible to the principal.
 */
export function reportRedactions(p: Principal, subjectsShown: boolean): RedactableReportField[] {
  const withheld: RedactableReportField[] = [];
  if (!isPoliceCaseReader(p)) withheld.push(...GRADING_FIELDS);
  if (!subjectsShown) withheld.push('subjects');
  if (!readsRecordHistory(p)) withheld.push('history');
  if (!isPoliceSupervisor(p)) withheld.push('informant');
  return withheld;
}

/**
 * The source types an agency may submit: its own kind, PUBLIC (a tip-off it received), and for
 * police also POLICE and OTHER_AGENCY (intelligence passed on by a body outside Safeshare).
 */
export function submittableSourceTypes(kind: AgencyKind): SourceType[] {
  const own: Partial<Record<AgencyKind, SourceType[]>> = {
    [AgencyKind.POLICE]: [SourceType.POLICE, SourceType.OTHER_AGENCY],
    [AgencyKind.SOCIAL_CARE]: [SourceType.SOCIAL_CARE],
    [AgencyKind.EDUCATION]: [SourceType.EDUCATION],
    [AgencyKind.HEALTH]: [SourceType.HEALTH],
    [AgencyKind.VOLUNTARY]: [SourceType.VOLUNTARY],
  };
  const kinds = own[kind];
  return kinds ? [SourceType.PUBLIC, ...kinds] : [];
}

/** Record histories (who proposed, approved, changed what) are for police case readers alone. */
export const readsRecordHistory = (p: Principal | null): boolean => p !== null && isPoliceCaseReader(p);
