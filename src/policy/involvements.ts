import { AgencyKind } from '../agencies/agency-kind';
import { InvolvementKind } from '../involvements/involvement.enums';

/** What an agency may register of its work with a subject. */
export interface InvolvementRule {
  /** The one kind of involvement the agency registers. */
  kind: InvolvementKind;
  /**
   * Whether the identifier the agency gives out (a school's UPN for its pupil, a care case's id, an
   * NHS number) reaches a subject not yet known to it. A voluntary group gives out none.
   */
  byIdentifier: boolean;
}

const AGENCY_INVOLVEMENT: Partial<Record<AgencyKind, InvolvementRule>> = {
  [AgencyKind.EDUCATION]: { kind: InvolvementKind.PUPIL_ON_ROLL, byIdentifier: true },
  [AgencyKind.SOCIAL_CARE]: { kind: InvolvementKind.OPEN_CASE, byIdentifier: true },
  [AgencyKind.HEALTH]: { kind: InvolvementKind.PATIENT, byIdentifier: true },
  [AgencyKind.VOLUNTARY]: { kind: InvolvementKind.SUPPORTED, byIdentifier: false },
};

/** The involvement a kind of agency registers; none for police and oversight, who hold no caseload. */
export function involvementRuleOf(kind: AgencyKind): InvolvementRule | undefined {
  return AGENCY_INVOLVEMENT[kind];
}
