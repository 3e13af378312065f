import { forbidden } from '../errors';
import type { Principal } from '../auth/principal';
import { type Sql, raw, sql } from '../db/sql';
import { AgencyKind } from '../agencies/agency-kind';
import { SourceType } from '../intelligence/intelligence.enums';
import { isPoliceCaseReader, isPoliceSupervisor, readsOwnSubmissions } from './permissions';

/**
 * Which intelligence reports a principal may read, as a SQL condition on the reports alias `r`.
 * Applied inside every query, before pagination and counts. Null: none at all.
 */
export function reportReadScope(p: Principal): Sql | null {
  if (isPoliceCaseReader(p)) return raw('true');
  if (readsOwnSubmissions(p)) {
    return p.kind === 'SERVICE'
      ? sql`r.submitted_by_service_account_id = ${p.id}::uuid`
      : sql`r.submitted_by_agency_id = ${p.agency.id}::uuid`;
  }
  return null;
}

/** Which subjects a principal may read, as a SQL condition on the subjects alias `s`. */
export function subjectReadScope(p: Principal): Sql | null {
  return isPoliceCaseReader(p) ? raw('true') : null;
}

/**
 * Which flags a principal may read, as a SQL condition on the flags alias `f`, on top of the
 * subject's scope. Police case readers see every flag (proposed, rejected and ended ones too);
 * anyone else who may read the subject sees only the flags in force.
 */
export function flagReadScope(p: Principal): Sql {
  return isPoliceCaseReader(p) ? raw('true') : raw(`f.status = 'ACTIVE'`);
}

/** Which crimes a principal may read, as a SQL condition on the crimes alias `c`. */
export function crimeReadScope(p: Principal): Sql | null {
  return isPoliceCaseReader(p) ? raw('true') : null;
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
 * The fields of a readable report withheld from this principal. Police grading, linked subjects and
 * history are for police readers; informant details for a police SUPERVISOR alone. `informant` is
 * listed whether or not the report has one, so the list reveals nothing about the informant.
 */
export function reportRedactions(p: Principal): RedactableReportField[] {
  const withheld: RedactableReportField[] = [];
  if (!isPoliceCaseReader(p)) withheld.push(...GRADING_FIELDS, 'subjects', 'history');
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
