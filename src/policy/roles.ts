import { AgencyKind } from '../agencies/agency-kind';

export enum Role {
  REPORTER = 'REPORTER',
  PRACTITIONER = 'PRACTITIONER',
  SAFEGUARDING_LEAD = 'SAFEGUARDING_LEAD',
  INVESTIGATOR = 'INVESTIGATOR',
  ANALYST = 'ANALYST',
  SUPERVISOR = 'SUPERVISOR',
  AUDITOR = 'AUDITOR',
  ADMIN = 'ADMIN',
}

const ALL_KINDS = Object.values(AgencyKind);
const NOT_OVERSIGHT = ALL_KINDS.filter((k) => k !== AgencyKind.OVERSIGHT);
const POLICE = [AgencyKind.POLICE];
const CARE_KINDS = [AgencyKind.SOCIAL_CARE, AgencyKind.EDUCATION, AgencyKind.HEALTH];

/** Which agency kinds each role is valid in: the "valid in" column of the role table in docs/api.md, "Roles". */
export const ROLE_AGENCY_KINDS: Record<Role, readonly AgencyKind[]> = {
  [Role.REPORTER]: NOT_OVERSIGHT,
  [Role.PRACTITIONER]: CARE_KINDS,
  [Role.SAFEGUARDING_LEAD]: [...CARE_KINDS, AgencyKind.VOLUNTARY],
  [Role.INVESTIGATOR]: POLICE,
  [Role.ANALYST]: POLICE,
  [Role.SUPERVISOR]: POLICE,
  [Role.AUDITOR]: ALL_KINDS,
  [Role.ADMIN]: ALL_KINDS,
};

/** The roles in `roles` that an agency of `kind` may not hold (empty when all are valid). */
export function rolesInvalidFor(kind: AgencyKind, roles: readonly Role[]): Role[] {
  return roles.filter((role) => !ROLE_AGENCY_KINDS[role].includes(kind));
}
