import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { ServiceScope } from '../users/service-account.entity';
import { Role } from './roles';
import { managesWebhooks } from './webhooks';
import { managesAgreements } from './agreements';

/**
 * Every query and mutation declares exactly one of these (`@Authorized(Permission.X)`); the schema
 * refuses to build if one does not. Deny by default: a permission without a rule grants nothing.
 */
export enum Permission {
  /** Signing in: no token needed. */
  SIGN_IN = 'SIGN_IN',
  /** Any signed-in principal: their own identity, sign-out, reference data. */
  SIGNED_IN = 'SIGNED_IN',
  /** Create agencies: ADMIN of an OVERSIGHT agency. */
  MANAGE_AGENCIES = 'MANAGE_AGENCIES',
  /**
   * Manage the agency's accounts: create, disable and enable users, change their roles, reset their
   * passwords, list and end their sessions, register and revoke partner apps: an agency's ADMIN
   * (which accounts, and never one's own roles, is decided in policy/users.ts).
   */
  MANAGE_USERS = 'MANAGE_USERS',
  /** A person's own account: their sessions and their second factor. Users only, not partner apps. */
  MANAGE_OWN_ACCOUNT = 'MANAGE_OWN_ACCOUNT',
  /**
   * See, approve and reject grants (new agencies, privileged roles): an ADMIN. Which grants, and
   * never one's own request, is decided in policy/grants.ts.
   */
  DECIDE_GRANTS = 'DECIDE_GRANTS',
  /** Submit intelligence: reporters, police, and partner apps with the scope (a lead who submits also holds REPORTER). */
  SUBMIT_INTELLIGENCE = 'SUBMIT_INTELLIGENCE',
  /** Read intelligence reports within the caller's scope (see records.ts; for care readers, their break-glass grants'). */
  READ_INTELLIGENCE = 'READ_INTELLIGENCE',
  /** Grade intelligence and move it through its lifecycle: police ANALYST, SUPERVISOR. */
  ASSESS_INTELLIGENCE = 'ASSESS_INTELLIGENCE',
  /** Full-text and fuzzy search: police ANALYST, SUPERVISOR. */
  SEARCH_RECORDS = 'SEARCH_RECORDS',
  /**
   * Read subjects and their flags: police INVESTIGATOR and above (all subjects), and care readers
   * (PRACTITIONER, SAFEGUARDING_LEAD) the subjects known to their agency (records.ts).
   */
  READ_SUBJECTS = 'READ_SUBJECTS',
  /** Link subjects to reports (creating them if new): police INVESTIGATOR and above. */
  LINK_SUBJECTS = 'LINK_SUBJECTS',
  /** Flag a subject: police INVESTIGATOR and above (proposed until approved, unless a SUPERVISOR sets it). */
  FLAG_SUBJECTS = 'FLAG_SUBJECTS',
  /** Approve or reject a proposed flag, and set flags active at once: police SUPERVISOR. */
  APPROVE_FLAGS = 'APPROVE_FLAGS',
  /** End a flag: police SUPERVISOR. */
  END_FLAGS = 'END_FLAGS',
  /** Read CSE-linked crimes: police INVESTIGATOR and above. */
  READ_CRIMES = 'READ_CRIMES',
  /** Record CSE-linked crimes: police INVESTIGATOR and above. */
  RECORD_CRIMES = 'RECORD_CRIMES',
  /** Read audit events (metadata only), verify the trail, review anomalies: AUDITORs (scope in policy/audit.ts). */
  READ_AUDIT = 'READ_AUDIT',
  /** Aggregate statistics: any user of any agency; outside police ANALYST/SUPERVISOR only the published grid (policy/statistics.ts). */
  READ_STATISTICS = 'READ_STATISTICS',
  /** Statistics of police links and flags (flagStats): police ANALYST, SUPERVISOR (the FLAGS measure in policy/statistics.ts). */
  READ_FLAG_STATISTICS = 'READ_FLAG_STATISTICS',
  /** How promptly access requests are answered (accessRequestTimeliness): police ANALYST, SUPERVISOR (TIMELINESS in policy/statistics.ts). */
  READ_TIMELINESS_STATISTICS = 'READ_TIMELINESS_STATISTICS',
  /** Register an involvement of one's own agency with a subject: care readers. */
  REGISTER_INVOLVEMENTS = 'REGISTER_INVOLVEMENTS',
  /** End an own-agency involvement: SAFEGUARDING_LEAD. */
  MANAGE_INVOLVEMENTS = 'MANAGE_INVOLVEMENTS',
  /** Read involvements: police case readers (all), care readers (own agency's). */
  READ_INVOLVEMENTS = 'READ_INVOLVEMENTS',
  /** Disclose intelligence, decline to, revoke a disclosure, decide access requests: police SUPERVISOR. */
  DISCLOSE_INTELLIGENCE = 'DISCLOSE_INTELLIGENCE',
  /** Read disclosures: police case readers (all), care readers (active ones to their agency). */
  READ_DISCLOSURES = 'READ_DISCLOSURES',
  /** Ask police for more about a subject known to one's agency: care readers. */
  REQUEST_ACCESS = 'REQUEST_ACCESS',
  /** Read access requests: police SUPERVISOR (all), practitioners their own, leads their agency's. */
  READ_ACCESS_REQUESTS = 'READ_ACCESS_REQUESTS',
  /** Time-boxed emergency read of one subject outside one's scope, audited and reviewed: care readers. */
  BREAK_GLASS = 'BREAK_GLASS',
  /** Read and mark one's own notices (inbox, subscription): any signed-in user or partner app (policy/notifications.ts decides who receives what). */
  READ_NOTIFICATIONS = 'READ_NOTIFICATIONS',
  /** Register, rotate, disable and redeliver one's own agency's webhooks, and read their delivery log: an agency's ADMIN (policy/webhooks.ts). */
  MANAGE_WEBHOOKS = 'MANAGE_WEBHOOKS',
  /** Look up staff and partner apps by name (the console's directory): AUDITORs and ADMINs (scope in policy/audit.ts directoryScope). */
  READ_STAFF_DIRECTORY = 'READ_STAFF_DIRECTORY',
  /** List and review break-glass grants: AUDITORs (within their scope, records.ts) and police SUPERVISORs; never one's own. */
  REVIEW_BREAK_GLASS = 'REVIEW_BREAK_GLASS',
  /** Read the register of information-sharing agreements: any user (which ones: policy/agreements.ts agreementReadScope). */
  READ_AGREEMENTS = 'READ_AGREEMENTS',
  /** Register agreements and change their terms and status: police SUPERVISOR, OVERSIGHT ADMIN (policy/agreements.ts). */
  MANAGE_AGREEMENTS = 'MANAGE_AGREEMENTS',
  /** Review records for retention and decide to retain or dispose of them: police SUPERVISOR (policy/retention.ts). */
  REVIEW_RETENTION = 'REVIEW_RETENTION',
}

interface Rule {
  /** True when a caller without a valid token may use it. */
  anonymous: boolean;
  allows(principal: Principal): boolean;
}

const isUserWith = (principal: Principal, role: Role) => principal.kind === 'USER' && principal.roles.includes(role);
const isUserWithAny = (principal: Principal, roles: readonly Role[]) => roles.some((role) => isUserWith(principal, role));

/** Police roles that read case records; the role/agency-kind rule keeps them in POLICE agencies. */
export const POLICE_CASE_ROLES = [Role.INVESTIGATOR, Role.ANALYST, Role.SUPERVISOR] as const;
const POLICE_ANALYSTS = [Role.ANALYST, Role.SUPERVISOR] as const;

export const isPoliceCaseReader = (p: Principal) => p.agency.kind === AgencyKind.POLICE && isUserWithAny(p, POLICE_CASE_ROLES);
export const isPoliceAnalyst = (p: Principal) => p.agency.kind === AgencyKind.POLICE && isUserWithAny(p, POLICE_ANALYSTS);
export const isPoliceSupervisor = (p: Principal) => p.agency.kind === AgencyKind.POLICE && isUserWith(p, Role.SUPERVISOR);
/**
 * Reporters read back their own agency's submissions; partner apps their own. Submitting and reading
 * back is REPORTER's (docs/api.md, "Roles"): a SAFEGUARDING_LEAD is a PRACTITIONER plus managing involvements
 * and access requests, so a lead who also submits holds REPORTER too (as the demo's lead does).
 */
export const readsOwnSubmissions = (p: Principal) =>
  p.kind === 'SERVICE' ? p.scopes.includes(ServiceScope.READ_OWN_SUBMISSIONS) : isUserWith(p, Role.REPORTER);

const CARE_KINDS: readonly AgencyKind[] = [AgencyKind.SOCIAL_CARE, AgencyKind.EDUCATION, AgencyKind.HEALTH];
/** A safeguarding lead: of a care agency or a voluntary group (the role table in docs/api.md). */
export const isSafeguardingLead = (p: Principal) =>
  isUserWith(p, Role.SAFEGUARDING_LEAD) && [...CARE_KINDS, AgencyKind.VOLUNTARY].includes(p.agency.kind);
/**
 * Care readers: PRACTITIONERs of social care, education and health, and SAFEGUARDING_LEADs (also of
 * voluntary groups). They read the subjects known to their agency, never police case content.
 */
export const isCareReader = (p: Principal) =>
  (isUserWith(p, Role.PRACTITIONER) && CARE_KINDS.includes(p.agency.kind)) || isSafeguardingLead(p);

const RULES: Record<Permission, Rule> = {
  [Permission.SIGN_IN]: { anonymous: true, allows: () => true },
  [Permission.SIGNED_IN]: { anonymous: false, allows: () => true },
  [Permission.MANAGE_AGENCIES]: {
    anonymous: false,
    allows: (p) => isUserWith(p, Role.ADMIN) && p.agency.kind === AgencyKind.OVERSIGHT,
  },
  [Permission.MANAGE_USERS]: { anonymous: false, allows: (p) => isUserWith(p, Role.ADMIN) },
  [Permission.MANAGE_OWN_ACCOUNT]: { anonymous: false, allows: (p) => p.kind === 'USER' },
  [Permission.DECIDE_GRANTS]: { anonymous: false, allows: (p) => isUserWith(p, Role.ADMIN) },
  [Permission.SUBMIT_INTELLIGENCE]: {
    anonymous: false,
    allows: (p) =>
      p.kind === 'SERVICE' ? p.scopes.includes(ServiceScope.SUBMIT_INTELLIGENCE) : isUserWithAny(p, [Role.REPORTER, ...POLICE_CASE_ROLES]),
  },
  // Care readers' report scope is their break-glass grants' reports (records.ts): what Subject.reports
  // opens to them, the direct path shows too.
  [Permission.READ_INTELLIGENCE]: { anonymous: false, allows: (p) => isPoliceCaseReader(p) || readsOwnSubmissions(p) || isCareReader(p) },
  [Permission.ASSESS_INTELLIGENCE]: { anonymous: false, allows: isPoliceAnalyst },
  [Permission.SEARCH_RECORDS]: { anonymous: false, allows: isPoliceAnalyst },
  [Permission.READ_SUBJECTS]: { anonymous: false, allows: (p) => isPoliceCaseReader(p) || isCareReader(p) },
  [Permission.LINK_SUBJECTS]: { anonymous: false, allows: isPoliceCaseReader },
  [Permission.FLAG_SUBJECTS]: { anonymous: false, allows: isPoliceCaseReader },
  [Permission.APPROVE_FLAGS]: { anonymous: false, allows: isPoliceSupervisor },
  [Permission.END_FLAGS]: { anonymous: false, allows: isPoliceSupervisor },
  [Permission.READ_CRIMES]: { anonymous: false, allows: isPoliceCaseReader },
  [Permission.RECORD_CRIMES]: { anonymous: false, allows: isPoliceCaseReader },
  [Permission.READ_AUDIT]: { anonymous: false, allows: (p) => isUserWith(p, Role.AUDITOR) },
  // People, not partner apps: a service account only submits and reads back its own submissions.
  [Permission.READ_STATISTICS]: { anonymous: false, allows: (p) => p.kind === 'USER' },
  [Permission.READ_FLAG_STATISTICS]: { anonymous: false, allows: isPoliceAnalyst },
  [Permission.READ_TIMELINESS_STATISTICS]: { anonymous: false, allows: isPoliceAnalyst },
  [Permission.REGISTER_INVOLVEMENTS]: { anonymous: false, allows: isCareReader },
  [Permission.MANAGE_INVOLVEMENTS]: { anonymous: false, allows: isSafeguardingLead },
  [Permission.READ_INVOLVEMENTS]: { anonymous: false, allows: (p) => isPoliceCaseReader(p) || isCareReader(p) },
  [Permission.DISCLOSE_INTELLIGENCE]: { anonymous: false, allows: isPoliceSupervisor },
  [Permission.READ_DISCLOSURES]: { anonymous: false, allows: (p) => isPoliceCaseReader(p) || isCareReader(p) },
  [Permission.REQUEST_ACCESS]: { anonymous: false, allows: isCareReader },
  [Permission.READ_ACCESS_REQUESTS]: { anonymous: false, allows: (p) => isPoliceSupervisor(p) || isCareReader(p) },
  [Permission.BREAK_GLASS]: { anonymous: false, allows: isCareReader },
  [Permission.READ_NOTIFICATIONS]: { anonymous: false, allows: () => true },
  [Permission.MANAGE_WEBHOOKS]: { anonymous: false, allows: managesWebhooks },
  [Permission.READ_STAFF_DIRECTORY]: { anonymous: false, allows: (p) => isUserWithAny(p, [Role.AUDITOR, Role.ADMIN]) },
  [Permission.REVIEW_BREAK_GLASS]: { anonymous: false, allows: (p) => isUserWith(p, Role.AUDITOR) || isPoliceSupervisor(p) },
  [Permission.READ_AGREEMENTS]: { anonymous: false, allows: (p) => p.kind === 'USER' },
  [Permission.MANAGE_AGREEMENTS]: { anonymous: false, allows: managesAgreements },
  [Permission.REVIEW_RETENTION]: { anonymous: false, allows: isPoliceSupervisor },
};

export type Decision = 'ALLOW' | 'UNAUTHENTICATED' | 'FORBIDDEN';

/** May this caller (null: no valid token) use an operation that declares `permission`? */
export function decide(permission: Permission, principal: Principal | null): Decision {
  const rule = RULES[permission] as Rule | undefined;
  if (!rule) return 'FORBIDDEN';
  if (rule.anonymous) return 'ALLOW';
  if (!principal) return 'UNAUTHENTICATED';
  return rule.allows(principal) ? 'ALLOW' : 'FORBIDDEN';
}
