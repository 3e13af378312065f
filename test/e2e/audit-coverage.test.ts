import { createHash } from 'node:crypto';
import { isObjectType } from 'graphql';
import { Client } from 'pg';
import { newTotpSecret, totpCode } from '../../src/auth/totp';
import { buildAppSchema } from '../../src/graphql/schema';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD } from '../../src/demo/demo-seed';
import { createAgencyWithUser, type IdentityProvider, startIdentityProvider } from '../support/identity-provider';
import { startTestApp, type TestApp } from '../support/test-app';
import { type AuditFaults, installAuditFaults, stateDigest } from '../support/audit-faults';

/**
 * Walks every query and mutation of the schema: each, called once by a permitted and once by a
 * refused caller, must leave its audit event with the right outcome. A new operation fails this
 * test until it has a row here, so no operation ships unaudited.
 */

interface Fixtures {
  reportId: string;
  subjectId: string;
  activeFlagId: string;
  proposedFlagId: string;
  otherProposedFlagId: string;
  crimeId: string;
  refreshToken: string;
  userId: string;
  /** Oversight users for resetUserPassword, and a reset token for completePasswordReset. */
  resetUserId: string;
  resetToken: string;
  /** A session of the demo social worker's (not the one the cases sign in with), for revokeSession. */
  sessionToEnd: string;
  divisionId: string;
  /** Signed by an agency's identity provider, for exchangeToken. */
  idToken: string;
  brookfieldId: string;
  /** A subject with a school UPN, for registerInvolvement by identifier. */
  pupilId: string;
  pupilUpn: string;
  /** Subjects known to Brookfield High through an involvement (one to end, one to ask about). */
  involvementId: string;
  knownSubjectId: string;
  /** A graded (handling code P) OFFICIAL report, and an active disclosure of one to revoke. */
  gradedReportId: string;
  disclosureId: string;
  /** Pending grants requested by the oversight admin: one to approve, one to reject. */
  grantToApprove: string;
  grantToReject: string;
  /** A notice in the school lead's inbox (the demo's). */
  leadNoticeId: string;
  /** The oversight agency's webhook endpoints (one to disable) and a dead delivery to redeliver. */
  webhookId: string;
  webhookToDisable: string;
  /** Partner apps of the oversight agency: one to change, one to revoke. */
  partnerAppId: string;
  partnerAppToRevoke: string;
  deadDeliveryId: string;
  /** A break-glass grant awaiting review (the demo's), and a break-glass anomaly's id. */
  breakGlassGrantId: string;
  anomalyId: string;
  /** The demo's voluntary-group agreement (ACTIVE), a police agency's id, and a crime due for retention review. */
  agreementId: string;
  gmpId: string;
  dueCrimeId: string;
  /** TOTP secrets of oversight users: one pending (confirmTotp), one active and signed in (disableTotp), one active with a login challenge. */
  confirmSecret: string;
  disableSecret: string;
  signInSecret: string;
  signInChallenge: string;
  /** An oversight user with an active second factor, for resetUserTotp. */
  totpResetUserId: string;
}
interface Call {
  /** Demo account email, or null for no token. */
  as: string | null;
  query: string;
  vars?: (f: Fixtures) => Record<string, unknown>;
}
interface Case {
  permitted: Call;
  refused: Call;
}

const ANALYST = 'analyst@gmp.example';
const SUPERVISOR = 'supervisor@gmp.example';
const AUDITOR = 'auditor@oversight.example';
const ADMIN = 'admin@oversight.example';
const ADMIN2 = 'admin2@oversight.example';
const COVERAGE_BODY = 'query Me { me { id } }';
const COVERAGE_MANIFEST = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [{ id: createHash('sha256').update(COVERAGE_BODY).digest('hex'), name: 'Me', type: 'query', body: COVERAGE_BODY }],
};
const LEAD = 'lead@brookfield-high.example';
const VOLUNTARY = 'reporter@safe-futures.example';
const inAMonth = () => new Date(Date.now() + 30 * 86_400_000).toISOString();
const anonymous = (query: string, vars?: Call['vars']): Call => ({ as: null, query, vars });

const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString();
const inAYearDay = () => inAYear().slice(0, 10);

const CASES: Record<string, Case> = {
  informationSharingAgreements: {
    permitted: { as: LEAD, query: '{ informationSharingAgreements(first: 2) { totalCount } }' },
    refused: anonymous('{ informationSharingAgreements(first: 2) { totalCount } }'),
  },
  registerAgreement: {
    permitted: {
      as: ADMIN,
      query:
        'mutation($a: ID!, $b: ID!, $s: Date!, $r: Date!) { registerAgreement(input: { reference: "COVERAGE-ISA", title: "Coverage", purpose: "Coverage", partyAgencyIds: [$a, $b], gateways: [CONSENT], dataCategories: [INTELLIGENCE_SUMMARY], startsOn: $s, reviewOn: $r }) { id } }',
      vars: (f) => ({ a: f.gmpId, b: f.brookfieldId, s: new Date().toISOString().slice(0, 10), r: inAYearDay() }),
    },
    refused: {
      as: LEAD,
      query:
        'mutation($a: ID!, $b: ID!, $s: Date!, $r: Date!) { registerAgreement(input: { reference: "COVERAGE-ISA", title: "Coverage", purpose: "Coverage", partyAgencyIds: [$a, $b], gateways: [CONSENT], dataCategories: [INTELLIGENCE_SUMMARY], startsOn: $s, reviewOn: $r }) { id } }',
      vars: (f) => ({ a: f.gmpId, b: f.brookfieldId, s: new Date().toISOString().slice(0, 10), r: inAYearDay() }),
    },
  },
  changeAgreementStatus: {
    permitted: {
      as: SUPERVISOR,
      query: 'mutation($id: ID!) { changeAgreementStatus(id: $id, status: SUSPENDED, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.agreementId }),
    },
    refused: {
      as: LEAD,
      query: 'mutation($id: ID!) { changeAgreementStatus(id: $id, status: SUSPENDED, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.agreementId }),
    },
  },
  reviewAgreement: {
    permitted: {
      as: SUPERVISOR,
      query: 'mutation($id: ID!, $on: Date!) { reviewAgreement(id: $id, nextReviewOn: $on, note: "Coverage") { id } }',
      vars: (f) => ({ id: f.agreementId, on: inAYearDay() }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!, $on: Date!) { reviewAgreement(id: $id, nextReviewOn: $on, note: "Coverage") { id } }',
      vars: (f) => ({ id: f.agreementId, on: inAYearDay() }),
    },
  },
  retentionReviews: {
    permitted: { as: SUPERVISOR, query: '{ retentionReviews(first: 2) { totalCount } }' },
    refused: { as: LEAD, query: '{ retentionReviews(first: 2) { totalCount } }' },
  },
  retentionReviewGroups: {
    permitted: { as: SUPERVISOR, query: '{ retentionReviewGroups { reviewGroup } }' },
    refused: { as: ANALYST, query: '{ retentionReviewGroups { reviewGroup } }' },
  },
  decideRetention: {
    permitted: {
      as: SUPERVISOR,
      query:
        'mutation($id: ID!, $n: DateTime!) { decideRetention(recordKind: CRIME, recordId: $id, decision: RETAIN, reason: "Coverage", nextReviewAt: $n) { id } }',
      vars: (f) => ({ id: f.dueCrimeId, n: inAYear() }),
    },
    refused: {
      as: ANALYST,
      query:
        'mutation($id: ID!, $n: DateTime!) { decideRetention(recordKind: CRIME, recordId: $id, decision: RETAIN, reason: "Coverage", nextReviewAt: $n) { id } }',
      vars: (f) => ({ id: f.dueCrimeId, n: inAYear() }),
    },
  },
  me: { permitted: { as: LEAD, query: '{ me { id } }' }, refused: anonymous('{ me { id } }') },
  agencies: { permitted: { as: LEAD, query: '{ agencies { id } }' }, refused: anonymous('{ agencies { id } }') },
  divisions: { permitted: { as: LEAD, query: '{ divisions { id } }' }, refused: anonymous('{ divisions { id } }') },
  users: { permitted: { as: ADMIN, query: '{ users { totalCount } }' }, refused: { as: ANALYST, query: '{ users { totalCount } }' } },
  intelligenceReport: {
    permitted: { as: ANALYST, query: 'query($id: ID!) { intelligenceReport(id: $id) { id } }', vars: (f) => ({ id: f.reportId }) },
    refused: { as: VOLUNTARY, query: 'query($id: ID!) { intelligenceReport(id: $id) { id } }', vars: (f) => ({ id: f.reportId }) },
  },
  intelligenceReports: {
    permitted: { as: ANALYST, query: '{ intelligenceReports(first: 2) { totalCount } }' },
    refused: { as: ADMIN, query: '{ intelligenceReports(first: 2) { totalCount } }' },
  },
  searchIntelligence: {
    permitted: { as: ANALYST, query: '{ searchIntelligence(text: "party") { totalCount } }' },
    refused: { as: LEAD, query: '{ searchIntelligence(text: "party") { totalCount } }' },
  },
  subject: {
    permitted: { as: ANALYST, query: 'query($id: ID!) { subject(id: $id) { id } }', vars: (f) => ({ id: f.subjectId }) },
    refused: { as: AUDITOR, query: 'query($id: ID!) { subject(id: $id) { id } }', vars: (f) => ({ id: f.subjectId }) },
  },
  subjects: {
    permitted: { as: ANALYST, query: '{ subjects(first: 2) { totalCount } }' },
    refused: { as: ADMIN, query: '{ subjects(first: 2) { totalCount } }' },
  },
  subjectMatches: {
    permitted: { as: ANALYST, query: '{ subjectMatches(candidate: { fullName: "Alex Example" }) { confidence } }' },
    refused: { as: LEAD, query: '{ subjectMatches(candidate: { fullName: "Alex Example" }) { confidence } }' },
  },
  crime: {
    permitted: { as: ANALYST, query: 'query($id: ID!) { crime(id: $id) { id } }', vars: (f) => ({ id: f.crimeId }) },
    refused: { as: LEAD, query: 'query($id: ID!) { crime(id: $id) { id } }', vars: (f) => ({ id: f.crimeId }) },
  },
  crimes: {
    permitted: { as: ANALYST, query: '{ crimes(first: 2) { totalCount } }' },
    refused: { as: VOLUNTARY, query: '{ crimes(first: 2) { totalCount } }' },
  },
  auditEvents: {
    permitted: { as: AUDITOR, query: '{ auditEvents(first: 1) { totalCount } }' },
    refused: { as: ANALYST, query: '{ auditEvents(first: 1) { totalCount } }' },
  },
  subjectAccessHistory: {
    permitted: {
      as: AUDITOR,
      query: 'query($id: ID!) { subjectAccessHistory(subjectId: $id) { totalCount } }',
      vars: (f) => ({ id: f.subjectId }),
    },
    refused: {
      as: SUPERVISOR,
      query: 'query($id: ID!) { subjectAccessHistory(subjectId: $id) { totalCount } }',
      vars: (f) => ({ id: f.subjectId }),
    },
  },
  verifyAuditTrail: {
    permitted: { as: AUDITOR, query: '{ verifyAuditTrail { valid } }' },
    refused: { as: ADMIN, query: '{ verifyAuditTrail { valid } }' },
  },
  auditCheckpoint: {
    permitted: { as: AUDITOR, query: '{ auditCheckpoint { sealNumber } }' },
    refused: { as: ANALYST, query: '{ auditCheckpoint { sealNumber } }' },
  },
  auditAccessesPerDay: {
    permitted: { as: AUDITOR, query: '{ auditAccessesPerDay(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { count } }' },
    refused: { as: ANALYST, query: '{ auditAccessesPerDay(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { count } }' },
  },
  staffDirectory: {
    permitted: { as: AUDITOR, query: '{ staffDirectory(first: 2) { totalCount } }' },
    refused: { as: ANALYST, query: '{ staffDirectory(first: 2) { totalCount } }' },
  },
  breakGlassGrants: {
    permitted: { as: SUPERVISOR, query: '{ breakGlassGrants(first: 2) { totalCount } }' },
    refused: { as: LEAD, query: '{ breakGlassGrants(first: 2) { totalCount } }' },
  },
  reviewBreakGlass: {
    permitted: {
      as: AUDITOR,
      query: 'mutation($id: ID!) { reviewBreakGlass(id: $id, outcome: "JUSTIFIED", note: "Coverage") { id } }',
      vars: (f) => ({ id: f.breakGlassGrantId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { reviewBreakGlass(id: $id, outcome: "JUSTIFIED", note: "Coverage") { id } }',
      vars: (f) => ({ id: f.breakGlassGrantId }),
    },
  },
  reviewAccessAnomaly: {
    permitted: {
      as: AUDITOR,
      query: 'mutation($id: ID!) { reviewAccessAnomaly(id: $id, outcome: "REFERRED", note: "Coverage") { id } }',
      vars: (f) => ({ id: f.anomalyId }),
    },
    refused: {
      as: SUPERVISOR,
      query: 'mutation($id: ID!) { reviewAccessAnomaly(id: $id, outcome: "REFERRED", note: "Coverage") { id } }',
      vars: (f) => ({ id: f.anomalyId }),
    },
  },
  accessAnomalies: {
    permitted: { as: AUDITOR, query: '{ accessAnomalies(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { kind } }' },
    refused: { as: LEAD, query: '{ accessAnomalies(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { kind } }' },
  },
  intelligenceStats: {
    permitted: {
      as: VOLUNTARY,
      query: '{ intelligenceStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z", groupBy: [DIVISION]) { total } }',
    },
    refused: anonymous('{ intelligenceStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { total } }'),
  },
  crimeStats: {
    permitted: { as: ANALYST, query: '{ crimeStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { total { crimes } } }' },
    refused: anonymous('{ crimeStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { total { crimes } } }'),
  },
  flagStats: {
    permitted: { as: ANALYST, query: '{ flagStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { activeTotal } }' },
    refused: { as: LEAD, query: '{ flagStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { activeTotal } }' },
  },
  accessRequestTimeliness: {
    permitted: {
      as: ANALYST,
      query: '{ accessRequestTimeliness(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { countedFrom } }',
    },
    refused: { as: LEAD, query: '{ accessRequestTimeliness(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { countedFrom } }' },
  },
  login: {
    permitted: anonymous(`mutation { login(email: "${LEAD}", password: "${DEMO_PASSWORD}") { accessToken } }`),
    refused: anonymous(`mutation { login(email: "${LEAD}", password: "not-the-password") { accessToken } }`),
  },
  serviceToken: {
    permitted: anonymous(`mutation { serviceToken(clientId: "${DEMO_CLIENT_ID}", clientSecret: "${DEMO_CLIENT_SECRET}") { accessToken } }`),
    refused: anonymous(`mutation { serviceToken(clientId: "${DEMO_CLIENT_ID}", clientSecret: "wrong") { accessToken } }`),
  },
  refreshToken: {
    permitted: anonymous('mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }', (f) => ({ t: f.refreshToken })),
    refused: anonymous('mutation { refreshToken(refreshToken: "not.a.token") { accessToken } }'),
  },
  exchangeToken: {
    permitted: anonymous('mutation($t: String!) { exchangeToken(idToken: $t) { accessToken } }', (f) => ({ t: f.idToken })),
    refused: anonymous('mutation { exchangeToken(idToken: "not.a.token") { accessToken } }'),
  },
  logout: { permitted: { as: 'nurse@northern-health.example', query: 'mutation { logout }' }, refused: anonymous('mutation { logout }') },
  createAgency: {
    permitted: { as: ADMIN, query: 'mutation { createAgency(input: { name: "Coverage Youth Project", kind: VOLUNTARY }) { id } }' },
    refused: { as: SUPERVISOR, query: 'mutation { createAgency(input: { name: "Refused Youth Project", kind: VOLUNTARY }) { id } }' },
  },
  createUser: {
    permitted: {
      as: ADMIN,
      query:
        'mutation { createUser(input: { email: "coverage@oversight.example", displayName: "Coverage", password: "a-long-synthetic-passphrase", roles: [AUDITOR] }) { id } }',
    },
    refused: {
      as: LEAD,
      query:
        'mutation { createUser(input: { email: "refused@oversight.example", displayName: "Refused", password: "a-long-synthetic-passphrase", roles: [AUDITOR] }) { id } }',
    },
  },
  pendingGrants: {
    permitted: { as: ADMIN2, query: '{ pendingGrants { totalCount } }' },
    refused: { as: ANALYST, query: '{ pendingGrants { totalCount } }' },
  },
  approveGrant: {
    permitted: { as: ADMIN2, query: 'mutation($id: ID!) { approveGrant(id: $id) { id } }', vars: (f) => ({ id: f.grantToApprove }) },
    refused: { as: ADMIN, query: 'mutation($id: ID!) { approveGrant(id: $id) { id } }', vars: (f) => ({ id: f.grantToApprove }) },
  },
  rejectGrant: {
    permitted: {
      as: ADMIN2,
      query: 'mutation($id: ID!) { rejectGrant(id: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.grantToReject }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { rejectGrant(id: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.grantToReject }),
    },
  },
  disableUser: {
    permitted: { as: ADMIN, query: 'mutation($id: ID!) { disableUser(id: $id) { id } }', vars: (f) => ({ id: f.userId }) },
    refused: { as: ANALYST, query: 'mutation($id: ID!) { disableUser(id: $id) { id } }', vars: (f) => ({ id: f.userId }) },
  },
  mySessions: {
    permitted: { as: LEAD, query: '{ mySessions { totalCount } }' },
    refused: anonymous('{ mySessions { totalCount } }'),
  },
  userSessions: {
    permitted: { as: ADMIN, query: 'query($id: ID!) { userSessions(userId: $id) { totalCount } }', vars: (f) => ({ id: f.userId }) },
    refused: { as: ANALYST, query: 'query($id: ID!) { userSessions(userId: $id) { totalCount } }', vars: (f) => ({ id: f.userId }) },
  },
  revokeSession: {
    permitted: {
      as: 'practitioner@rochdale-csc.example',
      query: 'mutation($id: ID!) { revokeSession(id: $id) }',
      vars: (f) => ({ id: f.sessionToEnd }),
    },
    refused: { as: ANALYST, query: 'mutation($id: ID!) { revokeSession(id: $id) }', vars: (f) => ({ id: f.sessionToEnd }) },
  },
  enableUser: {
    permitted: { as: ADMIN, query: 'mutation($id: ID!) { enableUser(userId: $id) { id } }', vars: (f) => ({ id: f.userId }) },
    refused: { as: ANALYST, query: 'mutation($id: ID!) { enableUser(userId: $id) { id } }', vars: (f) => ({ id: f.userId }) },
  },
  changeUserRoles: {
    permitted: {
      as: ADMIN,
      query: 'mutation($id: ID!) { changeUserRoles(userId: $id, roles: [AUDITOR]) { id } }',
      vars: (f) => ({ id: f.userId }),
    },
    refused: {
      as: LEAD,
      query: 'mutation($id: ID!) { changeUserRoles(userId: $id, roles: [AUDITOR]) { id } }',
      vars: (f) => ({ id: f.userId }),
    },
  },
  resetUserPassword: {
    permitted: {
      as: ADMIN,
      query: 'mutation($id: ID!) { resetUserPassword(userId: $id) { expiresAt } }',
      vars: (f) => ({ id: f.resetUserId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { resetUserPassword(userId: $id) { expiresAt } }',
      vars: (f) => ({ id: f.resetUserId }),
    },
  },
  completePasswordReset: {
    permitted: anonymous(
      'mutation($t: String!) { completePasswordReset(resetToken: $t, newPassword: "a-new-synthetic-passphrase") { tokens { accessToken } } }',
      (f) => ({ t: f.resetToken }),
    ),
    refused: anonymous(
      'mutation { completePasswordReset(resetToken: "not-a-token", newPassword: "a-new-synthetic-passphrase") { tokens { accessToken } } }',
    ),
  },
  enrolTotp: {
    permitted: { as: 'totp-enrol@oversight.example', query: 'mutation { enrolTotp { secret } }' },
    refused: anonymous('mutation { enrolTotp { secret } }'),
  },
  confirmTotp: {
    permitted: {
      as: 'totp-confirm@oversight.example',
      query: 'mutation($c: String!) { confirmTotp(code: $c) { recoveryCodes } }',
      vars: (f) => ({ c: totpCode(f.confirmSecret) }),
    },
    refused: anonymous('mutation { confirmTotp(code: "123456") { recoveryCodes } }'),
  },
  disableTotp: {
    permitted: {
      as: 'totp-disable@oversight.example',
      query: 'mutation($c: String!) { disableTotp(code: $c) }',
      vars: (f) => ({ c: totpCode(f.disableSecret) }),
    },
    refused: anonymous('mutation { disableTotp(code: "123456") }'),
  },
  completeSecondFactor: {
    permitted: anonymous('mutation($ch: String!, $c: String!) { completeSecondFactor(challenge: $ch, code: $c) { accessToken } }', (f) => ({
      ch: f.signInChallenge,
      c: totpCode(f.signInSecret),
    })),
    refused: anonymous('mutation { completeSecondFactor(challenge: "not-a-challenge", code: "123456") { accessToken } }'),
  },
  resetUserTotp: {
    permitted: { as: ADMIN, query: 'mutation($id: ID!) { resetUserTotp(userId: $id) { id } }', vars: (f) => ({ id: f.totpResetUserId }) },
    refused: { as: ANALYST, query: 'mutation($id: ID!) { resetUserTotp(userId: $id) { id } }', vars: (f) => ({ id: f.totpResetUserId }) },
  },
  submitIntelligence: {
    permitted: {
      as: VOLUNTARY,
      query: 'mutation { submitIntelligence(input: { sourceType: VOLUNTARY, narrative: "Synthetic coverage note" }) { id } }',
    },
    refused: {
      as: AUDITOR,
      query: 'mutation { submitIntelligence(input: { sourceType: VOLUNTARY, narrative: "Synthetic coverage note" }) { id } }',
    },
  },
  submitIntelligenceBatch: {
    permitted: {
      as: VOLUNTARY,
      query:
        'mutation { submitIntelligenceBatch(inputs: [{ sourceType: VOLUNTARY, narrative: "Synthetic coverage note" }, { sourceType: PUBLIC, narrative: "Synthetic coverage tip" }]) { id } }',
    },
    refused: {
      as: AUDITOR,
      query: 'mutation { submitIntelligenceBatch(inputs: [{ sourceType: VOLUNTARY, narrative: "Synthetic coverage note" }]) { id } }',
    },
  },
  assessIntelligence: {
    permitted: {
      as: ANALYST,
      query: 'mutation($id: ID!) { assessIntelligence(id: $id, input: { status: UNDER_ASSESSMENT }) { id } }',
      vars: (f) => ({ id: f.reportId }),
    },
    refused: {
      as: LEAD,
      query: 'mutation($id: ID!) { assessIntelligence(id: $id, input: { status: UNDER_ASSESSMENT }) { id } }',
      vars: (f) => ({ id: f.reportId }),
    },
  },
  linkSubject: {
    permitted: {
      as: ANALYST,
      query: 'mutation($r: ID!, $s: ID!) { linkSubject(reportId: $r, input: { subjectId: $s, role: WITNESS }) { id } }',
      vars: (f) => ({ r: f.reportId, s: f.subjectId }),
    },
    refused: {
      as: LEAD,
      query: 'mutation($r: ID!, $s: ID!) { linkSubject(reportId: $r, input: { subjectId: $s, role: WITNESS }) { id } }',
      vars: (f) => ({ r: f.reportId, s: f.subjectId }),
    },
  },
  flagSubject: {
    permitted: {
      as: SUPERVISOR,
      query:
        'mutation($s: ID!) { flagSubject(subjectId: $s, input: { kind: CSE_PERPETRATOR, riskLevel: HIGH, reason: "Coverage" }) { id } }',
      vars: (f) => ({ s: f.subjectId }),
    },
    refused: {
      as: LEAD,
      query:
        'mutation($s: ID!) { flagSubject(subjectId: $s, input: { kind: CSE_PERPETRATOR, riskLevel: HIGH, reason: "Coverage" }) { id } }',
      vars: (f) => ({ s: f.subjectId }),
    },
  },
  endFlag: {
    permitted: {
      as: SUPERVISOR,
      query: 'mutation($id: ID!) { endFlag(flagId: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.activeFlagId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { endFlag(flagId: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.activeFlagId }),
    },
  },
  approveFlag: {
    permitted: { as: SUPERVISOR, query: 'mutation($id: ID!) { approveFlag(flagId: $id) { id } }', vars: (f) => ({ id: f.proposedFlagId }) },
    refused: { as: ANALYST, query: 'mutation($id: ID!) { approveFlag(flagId: $id) { id } }', vars: (f) => ({ id: f.proposedFlagId }) },
  },
  rejectFlag: {
    permitted: {
      as: SUPERVISOR,
      query: 'mutation($id: ID!) { rejectFlag(flagId: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.otherProposedFlagId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { rejectFlag(flagId: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.otherProposedFlagId }),
    },
  },
  involvements: {
    permitted: { as: SUPERVISOR, query: '{ involvements(first: 1) { totalCount } }' },
    refused: { as: ADMIN, query: '{ involvements(first: 1) { totalCount } }' },
  },
  registerInvolvement: {
    permitted: {
      as: LEAD,
      query:
        'mutation($s: ID!, $u: String!) { registerInvolvement(subjectId: $s, input: { kind: PUPIL_ON_ROLL, lawfulBasis: PUBLIC_TASK, contact: "DSL office", identifier: $u }) { id } }',
      vars: (f) => ({ s: f.pupilId, u: f.pupilUpn }),
    },
    refused: {
      as: ANALYST,
      query:
        'mutation($s: ID!, $u: String!) { registerInvolvement(subjectId: $s, input: { kind: PUPIL_ON_ROLL, lawfulBasis: PUBLIC_TASK, contact: "DSL office", identifier: $u }) { id } }',
      vars: (f) => ({ s: f.pupilId, u: f.pupilUpn }),
    },
  },
  endInvolvement: {
    permitted: {
      as: LEAD,
      query: 'mutation($id: ID!) { endInvolvement(id: $id, reason: "Left the school") { id } }',
      vars: (f) => ({ id: f.involvementId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { endInvolvement(id: $id, reason: "Left the school") { id } }',
      vars: (f) => ({ id: f.involvementId }),
    },
  },
  disclosures: {
    permitted: { as: LEAD, query: '{ disclosures(first: 1) { totalCount } }' },
    refused: { as: ADMIN, query: '{ disclosures(first: 1) { totalCount } }' },
  },
  discloseIntelligence: {
    permitted: {
      as: SUPERVISOR,
      query:
        'mutation($r: ID!, $a: ID!, $e: DateTime!) { discloseIntelligence(input: { reportId: $r, recipientAgencyId: $a, gateway: CHILDREN_ACT_2004_S11, purpose: "Coverage", summary: "Coverage summary", expiresAt: $e, noAgreementReason: "Coverage" }) { id } }',
      vars: (f) => ({ r: f.gradedReportId, a: f.brookfieldId, e: inAMonth() }),
    },
    refused: {
      as: ANALYST,
      query:
        'mutation($r: ID!, $a: ID!, $e: DateTime!) { discloseIntelligence(input: { reportId: $r, recipientAgencyId: $a, gateway: CHILDREN_ACT_2004_S11, purpose: "Coverage", summary: "Coverage summary", expiresAt: $e }) { id } }',
      vars: (f) => ({ r: f.gradedReportId, a: f.brookfieldId, e: inAMonth() }),
    },
  },
  declineDisclosure: {
    permitted: {
      as: SUPERVISOR,
      query: 'mutation($r: ID!, $a: ID!) { declineDisclosure(input: { reportId: $r, recipientAgencyId: $a, reason: "Coverage" }) { id } }',
      vars: (f) => ({ r: f.gradedReportId, a: f.brookfieldId }),
    },
    refused: {
      as: LEAD,
      query: 'mutation($r: ID!, $a: ID!) { declineDisclosure(input: { reportId: $r, recipientAgencyId: $a, reason: "Coverage" }) { id } }',
      vars: (f) => ({ r: f.gradedReportId, a: f.brookfieldId }),
    },
  },
  revokeDisclosure: {
    permitted: {
      as: SUPERVISOR,
      query: 'mutation($id: ID!) { revokeDisclosure(id: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.disclosureId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { revokeDisclosure(id: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.disclosureId }),
    },
  },
  notifications: {
    permitted: { as: LEAD, query: '{ notifications(first: 1) { totalCount } }' },
    refused: anonymous('{ notifications { totalCount } }'),
  },
  markNotificationsRead: {
    permitted: { as: LEAD, query: 'mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }', vars: (f) => ({ ids: [f.leadNoticeId] }) },
    refused: anonymous('mutation { markNotificationsRead(ids: ["00000000-0000-4000-8000-000000000000"]) }'),
  },
  webhookEndpoints: {
    permitted: { as: ADMIN, query: '{ webhookEndpoints { id } }' },
    refused: { as: ANALYST, query: '{ webhookEndpoints { id } }' },
  },
  webhookDeliveries: {
    permitted: {
      as: ADMIN,
      query: 'query($e: ID!) { webhookDeliveries(endpointId: $e) { totalCount } }',
      vars: (f) => ({ e: f.webhookId }),
    },
    refused: {
      as: ANALYST,
      query: 'query($e: ID!) { webhookDeliveries(endpointId: $e) { totalCount } }',
      vars: (f) => ({ e: f.webhookId }),
    },
  },
  registerWebhook: {
    permitted: {
      as: ADMIN,
      query: 'mutation { registerWebhook(input: { url: "http://127.0.0.1:9/coverage", events: [FLAG_APPROVED] }) { endpoint { id } } }',
    },
    refused: {
      as: ANALYST,
      query: 'mutation { registerWebhook(input: { url: "http://127.0.0.1:9/refused", events: [FLAG_APPROVED] }) { endpoint { id } } }',
    },
  },
  rotateWebhookSecret: {
    permitted: {
      as: ADMIN,
      query: 'mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { id } } }',
      vars: (f) => ({ id: f.webhookId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { id } } }',
      vars: (f) => ({ id: f.webhookId }),
    },
  },
  disableWebhook: {
    permitted: { as: ADMIN, query: 'mutation($id: ID!) { disableWebhook(id: $id) { id } }', vars: (f) => ({ id: f.webhookToDisable }) },
    refused: { as: ANALYST, query: 'mutation($id: ID!) { disableWebhook(id: $id) { id } }', vars: (f) => ({ id: f.webhookToDisable }) },
  },
  partnerApps: {
    permitted: { as: ADMIN, query: '{ partnerApps { totalCount } }' },
    refused: { as: ANALYST, query: '{ partnerApps { totalCount } }' },
  },
  registerPartnerApp: {
    permitted: {
      as: ADMIN,
      query: 'mutation { registerPartnerApp(input: { name: "Coverage app", scopes: [SUBMIT_INTELLIGENCE] }) { clientId } }',
    },
    refused: {
      as: LEAD,
      query: 'mutation { registerPartnerApp(input: { name: "Coverage app", scopes: [SUBMIT_INTELLIGENCE] }) { clientId } }',
    },
  },
  rotatePartnerAppSecret: {
    permitted: {
      as: ADMIN,
      query: 'mutation($id: ID!) { rotatePartnerAppSecret(id: $id) { clientId } }',
      vars: (f) => ({ id: f.partnerAppId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { rotatePartnerAppSecret(id: $id) { clientId } }',
      vars: (f) => ({ id: f.partnerAppId }),
    },
  },
  revokePartnerApp: {
    permitted: {
      as: ADMIN,
      query: 'mutation($id: ID!) { revokePartnerApp(id: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.partnerAppToRevoke }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { revokePartnerApp(id: $id, reason: "Coverage") { id } }',
      vars: (f) => ({ id: f.partnerAppToRevoke }),
    },
  },
  setPartnerAppTrustedDocuments: {
    permitted: {
      as: ADMIN,
      query: 'mutation($id: ID!, $m: JSONObject!) { setPartnerAppTrustedDocuments(id: $id, manifest: $m) { id } }',
      vars: (f) => ({ id: f.partnerAppId, m: COVERAGE_MANIFEST }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!, $m: JSONObject!) { setPartnerAppTrustedDocuments(id: $id, manifest: $m) { id } }',
      vars: (f) => ({ id: f.partnerAppId, m: COVERAGE_MANIFEST }),
    },
  },
  clearPartnerAppTrustedDocuments: {
    permitted: {
      as: ADMIN,
      query: 'mutation($id: ID!) { clearPartnerAppTrustedDocuments(id: $id) { id } }',
      vars: (f) => ({ id: f.partnerAppId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($id: ID!) { clearPartnerAppTrustedDocuments(id: $id) { id } }',
      vars: (f) => ({ id: f.partnerAppId }),
    },
  },
  redeliverWebhook: {
    permitted: {
      as: ADMIN,
      query: 'mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id } }',
      vars: (f) => ({ d: f.deadDeliveryId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { id } }',
      vars: (f) => ({ d: f.deadDeliveryId }),
    },
  },
  accessRequests: {
    permitted: { as: SUPERVISOR, query: '{ accessRequests(first: 1) { totalCount } }' },
    refused: { as: ANALYST, query: '{ accessRequests(first: 1) { totalCount } }' },
  },
  requestAccess: {
    permitted: {
      as: LEAD,
      query: 'mutation($s: ID!) { requestAccess(subjectId: $s, reason: "Coverage") { id } }',
      vars: (f) => ({ s: f.knownSubjectId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($s: ID!) { requestAccess(subjectId: $s, reason: "Coverage") { id } }',
      vars: (f) => ({ s: f.knownSubjectId }),
    },
  },
  breakGlass: {
    permitted: {
      as: LEAD,
      query: 'mutation($s: ID!) { breakGlass(subjectId: $s, reason: "Coverage: child missing tonight") { id } }',
      vars: (f) => ({ s: f.subjectId }),
    },
    refused: {
      as: ANALYST,
      query: 'mutation($s: ID!) { breakGlass(subjectId: $s, reason: "Coverage: child missing tonight") { id } }',
      vars: (f) => ({ s: f.subjectId }),
    },
  },
  recordCrime: {
    permitted: {
      as: ANALYST,
      query:
        'mutation($s: ID!) { recordCrime(input: { crimeReference: "COVERAGE/1", offence: "Synthetic offence", recordedOn: "2024-01-02", victimIds: [$s], suspectIds: [] }) { id } }',
      vars: (f) => ({ s: f.subjectId }),
    },
    refused: {
      as: LEAD,
      query:
        'mutation($s: ID!) { recordCrime(input: { crimeReference: "COVERAGE/2", offence: "Synthetic offence", recordedOn: "2024-01-02", victimIds: [$s], suspectIds: [] }) { id } }',
      vars: (f) => ({ s: f.subjectId }),
    },
  },
};

let app: TestApp;
let idp: IdentityProvider;
/** An agency whose own identity provider is trusted (its id is known before the app starts). */
const SSO_AGENCY = '3d0c7a52-5b1e-4f0e-9c6a-8d2f4e1b7a90';
let owner: Client;
let fixtures: Fixtures;
let faults: AuditFaults;
const tokens = new Map<string, string>();

async function tokenFor(email: string): Promise<string> {
  if (!tokens.has(email)) tokens.set(email, (await app.login(email)).accessToken);
  return tokens.get(email)!;
}

const one = async (text: string) => (await owner.query<{ id: string }>(text)).rows[0].id;

beforeAll(async () => {
  idp = await startIdentityProvider();
  app = await startTestApp({ TRUSTED_ISSUERS: JSON.stringify([idp.trustedIssuer(SSO_AGENCY)]) });
  await createAgencyWithUser(app, SSO_AGENCY, 'Coverage Children Services', 'sso@coverage-csc.example');
  owner = new Client({ connectionString: app.databaseUrl });
  await owner.connect();
  const [proposed, otherProposed] = (
    await owner.query<{ id: string }>(`SELECT id FROM flags WHERE status = 'PROPOSED' ORDER BY id LIMIT 2`)
  ).rows;
  fixtures = {
    reportId: await one(`SELECT id FROM intelligence_reports WHERE status = 'SUBMITTED' AND source_type = 'POLICE' LIMIT 1`),
    subjectId: await one(
      `SELECT s.id FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = s.id) AND s.date_of_birth < '1990-01-01' LIMIT 1`,
    ),
    activeFlagId: await one(`SELECT id FROM flags WHERE status = 'ACTIVE' LIMIT 1`),
    proposedFlagId: proposed.id,
    otherProposedFlagId: otherProposed.id,
    crimeId: await one(`SELECT id FROM crimes LIMIT 1`),
    refreshToken: (await app.login(LEAD)).refreshToken,
    userId: await one(`SELECT id FROM users WHERE email = 'auditor@oversight.example'`),
    sessionToEnd: app.tokens.verify((await app.login('practitioner@rochdale-csc.example')).accessToken, 'access')!.sid,
    resetUserId: await oversightAuditor('reset-me@oversight.example'),
    resetToken: await resetTokenFor(await oversightAuditor('reset-done@oversight.example')),
    divisionId: await one(`SELECT id FROM divisions LIMIT 1`),
    idToken: idp.sign({ email: 'sso@coverage-csc.example' }),
    ...(await lawfulDisclosureFixtures()),
    grantToApprove: await pendingAuditorGrant('grant-approve@oversight.example'),
    grantToReject: await pendingAuditorGrant('grant-reject@oversight.example'),
    ...(await webhookFixtures()),
    partnerAppId: await partnerApp('coverage-app-1'),
    partnerAppToRevoke: await partnerApp('coverage-app-2'),
    breakGlassGrantId: await one(`SELECT id FROM break_glass_grants WHERE reviewed_at IS NULL ORDER BY granted_at LIMIT 1`),
    anomalyId: await breakGlassAnomaly(),
    ...(await secondFactorFixtures()),
  };
  faults = await installAuditFaults(owner, app.config.dbAppRole);
});

/** A break-glass use (an anomaly by definition) by the social worker, and its anomaly id as the auditor's list gives it. */
async function breakGlassAnomaly(): Promise<string> {
  const practitioner = 'practitioner@rochdale-csc.example';
  const subject = await one(`SELECT id FROM subjects ORDER BY id LIMIT 1`);
  await app.gql(
    'mutation($s: ID!) { breakGlass(subjectId: $s, reason: "Coverage: child missing tonight") { id } }',
    { s: subject },
    (await app.login(practitioner)).accessToken,
  );
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 60_000).toISOString();
  const r = await app.gql<{ accessAnomalies: { id: string; kind: string }[] }>(
    'query($from: DateTime!, $to: DateTime!) { accessAnomalies(from: $from, to: $to) { id kind } }',
    { from, to },
    (await app.login(AUDITOR)).accessToken,
  );
  return r.body.data!.accessAnomalies.find((a) => a.kind === 'BREAK_GLASS')!.id;
}

/** A new oversight AUDITOR, written as the owner: its id. */
async function oversightAuditor(email: string): Promise<string> {
  return one(`INSERT INTO users (agency_id, email, display_name, password_hash, roles)
     SELECT agency_id, '${email}', 'Coverage', '!', '{AUDITOR}' FROM users WHERE email = '${ADMIN}' RETURNING id`);
}

/**
 * Oversight users with the demo password and, written as the owner, a second factor: pending
 * (confirmTotp), active after signing in (disableTotp), active with a sign-in challenge
 * (completeSecondFactor, kept valid for the length of the walk), and active (resetUserTotp).
 */
async function secondFactorFixtures() {
  const user = (email: string) =>
    one(`INSERT INTO users (agency_id, email, display_name, password_hash, roles)
     SELECT agency_id, '${email}', 'Coverage', password_hash, '{AUDITOR}' FROM users WHERE email = '${ADMIN}' RETURNING id`);
  const active = (id: string, secret: string) =>
    owner.query(`INSERT INTO user_second_factors (user_id, secret, activated_at) VALUES ($1, $2, now())`, [id, secret]);
  await user('totp-enrol@oversight.example');
  const confirmSecret = newTotpSecret();
  await owner.query(`INSERT INTO user_second_factors (user_id, pending_secret, pending_since) VALUES ($1, $2, now() + interval '1 day')`, [
    await user('totp-confirm@oversight.example'),
    confirmSecret,
  ]);
  const disableSecret = newTotpSecret();
  const disableUserId = await user('totp-disable@oversight.example');
  await tokenFor('totp-disable@oversight.example');
  await active(disableUserId, disableSecret);
  const signInSecret = newTotpSecret();
  await active(await user('totp-signin@oversight.example'), signInSecret);
  const signedIn = await app.gql<{ login: { secondFactor: { challenge: string } } }>(
    `mutation { login(email: "totp-signin@oversight.example", password: "${DEMO_PASSWORD}") { secondFactor { challenge } } }`,
  );
  const signInChallenge = signedIn.body.data!.login.secondFactor.challenge;
  await owner.query(`UPDATE second_factor_challenges SET expires_at = now() + interval '1 day'`);
  const totpResetUserId = await user('totp-reset@oversight.example');
  await active(totpResetUserId, newTotpSecret());
  return { confirmSecret, disableSecret, signInSecret, signInChallenge, totpResetUserId };
}

/** A password reset token for the user, as the oversight admin is given it. */
async function resetTokenFor(userId: string): Promise<string> {
  const r = await app.gql<{ resetUserPassword: { resetToken: string } }>(
    'mutation($id: ID!) { resetUserPassword(userId: $id) { resetToken } }',
    { id: userId },
    await tokenFor(ADMIN),
  );
  return r.body.data!.resetUserPassword.resetToken;
}

/** A new oversight user whose AUDITOR role awaits approval, requested by the oversight admin: its grant's id. */
async function pendingAuditorGrant(email: string): Promise<string> {
  const [{ id: adminId, agency_id: agencyId }] = (
    await owner.query<{ id: string; agency_id: string }>(`SELECT id, agency_id FROM users WHERE email = '${ADMIN}'`)
  ).rows;
  const userId = await one(`INSERT INTO users (agency_id, email, display_name, password_hash, roles, pending_roles)
     VALUES ('${agencyId}', '${email}', 'Coverage', '!', '{}', '{AUDITOR}') RETURNING id`);
  return one(`INSERT INTO grants (kind, agency_id, user_id, roles, requested_by_id, requester_agency_id)
     VALUES ('ROLES', '${agencyId}', '${userId}', '{AUDITOR}', '${adminId}', '${agencyId}') RETURNING id`);
}

/** A partner app of the oversight agency, written as the owner: its id. */
async function partnerApp(clientId: string): Promise<string> {
  return one(`INSERT INTO service_accounts (agency_id, client_id, name, secret_hash, scopes)
     SELECT agency_id, '${clientId}', 'Coverage app', '!', '{SUBMIT_INTELLIGENCE}' FROM users WHERE email = '${ADMIN}' RETURNING id`);
}

/** The oversight agency's webhooks, written as the owner: two endpoints and a dead delivery of a notice. */
async function webhookFixtures() {
  const [{ id: adminId, agency_id: agencyId }] = (
    await owner.query<{ id: string; agency_id: string }>(`SELECT id, agency_id FROM users WHERE email = '${ADMIN}'`)
  ).rows;
  const endpoint = () =>
    one(`INSERT INTO webhook_endpoints (agency_id, url, events, secret, created_by)
         VALUES ('${agencyId}', 'http://127.0.0.1:9/fixture', '{FLAG_APPROVED}', 'whsec_${Buffer.alloc(32, 7).toString('base64')}', '${adminId}')
         RETURNING id`);
  const webhookId = await endpoint();
  const eventId = await one(
    `INSERT INTO notification_events (type, record_kind, record_id) VALUES ('FLAG_APPROVED', 'flag', gen_random_uuid()) RETURNING id`,
  );
  const deadDeliveryId = await one(`INSERT INTO webhook_deliveries (endpoint_id, event_id, type, status, attempts)
     VALUES ('${webhookId}', '${eventId}', 'FLAG_APPROVED', 'DEAD', 8) RETURNING id`);
  return { webhookId, webhookToDisable: await endpoint(), deadDeliveryId };
}

/** Records for the lawful-disclosure operations, written as the owner so no other operation's event is involved. */
async function lawfulDisclosureFixtures() {
  const brookfieldId = await one(`SELECT id FROM agencies WHERE name = 'Brookfield High School'`);
  const leadId = await one(`SELECT id FROM users WHERE email = '${LEAD}'`);
  const supervisorId = await one(`SELECT id FROM users WHERE email = '${SUPERVISOR}'`);
  const unknown = `NOT EXISTS (SELECT 1 FROM involvements i WHERE i.subject_id = s.id) AND NOT EXISTS (SELECT 1 FROM access_requests a WHERE a.subject_id = s.id)`;
  const [pupil] = (
    await owner.query<{ id: string; school_upn: string }>(
      `SELECT s.id, s.school_upn FROM subjects s WHERE s.school_upn IS NOT NULL AND ${unknown} LIMIT 1`,
    )
  ).rows;
  const [ended, known] = (
    await owner.query<{ id: string }>(`SELECT s.id FROM subjects s WHERE ${unknown} AND s.school_upn IS NULL LIMIT 2`)
  ).rows;
  const involve = (subjectId: string) =>
    one(`INSERT INTO involvements (subject_id, agency_id, kind, lawful_basis, contact, registered_by_user_id)
         VALUES ('${subjectId}', '${brookfieldId}', 'PUPIL_ON_ROLL', 'PUBLIC_TASK', 'DSL office', '${leadId}') RETURNING id`);
  const involvementId = await involve(ended.id);
  await involve(known.id);
  const gradedReportId = await one(`SELECT id FROM intelligence_reports WHERE handling_code = 'P' AND classification = 'OFFICIAL' LIMIT 1`);
  const disclosureId =
    await one(`INSERT INTO disclosures (report_id, recipient_agency_id, gateway, purpose, summary, expires_at, disclosed_by_user_id, no_agreement_reason)
     VALUES ('${gradedReportId}', '${brookfieldId}', 'CHILDREN_ACT_2004_S11', 'Coverage', 'Coverage summary', now() + interval '1 day', '${supervisorId}',
             'Coverage fixture') RETURNING id`);
  return {
    brookfieldId,
    pupilId: pupil.id,
    pupilUpn: pupil.school_upn,
    involvementId,
    knownSubjectId: known.id,
    gradedReportId,
    disclosureId,
    agreementId: await one(`SELECT id FROM information_sharing_agreements WHERE reference = 'ISA-GM-VOL-2021'`),
    gmpId: await one(`SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`),
    dueCrimeId: await one(`SELECT id FROM crimes WHERE recorded_on < now() - interval '10 years' ORDER BY id LIMIT 1`),
    leadNoticeId: await one(`SELECT n.event_id AS id FROM notifications n JOIN users u ON u.id = n.recipient_id
                              WHERE u.email = '${LEAD}' ORDER BY n.delivered_at LIMIT 1`),
  };
}

afterAll(async () => {
  await owner.end();
  await app.close();
  await idp.close();
});

it('every operation in the schema has a row here', async () => {
  const schema = await buildAppSchema();
  const operations = [schema.getQueryType(), schema.getMutationType()]
    .filter(isObjectType)
    .flatMap((type) => Object.keys(type.getFields()))
    .sort();
  expect(Object.keys(CASES).sort()).toEqual(operations);
});

// disableUser runs last among the admin's calls: it disables the oversight auditor used elsewhere.
const ORDER = Object.keys(CASES).sort((a, b) => Number(a === 'disableUser') - Number(b === 'disableUser'));

describe.each(ORDER)('%s', (operation) => {
  const mutation = CASES[operation].permitted.query.trimStart().startsWith('mutation');
  (mutation ? it.each(['insert', 'commit'] as const) : it.skip.each(['insert', 'commit'] as const))(
    'with its audit event failing at %s, changes nothing, says so, and still records the attempt',
    async (fault) => {
      const call = CASES[operation].permitted;
      const token = call.as ? await tokenFor(call.as) : undefined;
      const before = await stateDigest(owner);
      const [{ mark }] = (await owner.query<{ mark: string }>('SELECT coalesce(max(id), 0)::text AS mark FROM audit_events')).rows;
      const r = await faults.during(fault, () => app.gql(call.query, call.vars?.(fixtures) ?? {}, token));
      expect(r.status).toBe(503);
      expect(r.body.data ?? null).toBeNull();
      expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(await stateDigest(owner)).toEqual(before);
      const events = (
        await owner.query<{ action: string; outcome: string }>(
          `SELECT action, outcome FROM audit_events WHERE id > $1 AND operation_field = $2 ORDER BY id`,
          [mark, operation],
        )
      ).rows;
      // No CHANGE event survives its rolled-back change; the attempt itself is there, as FAILED.
      expect(events.map((e) => e.outcome)).toEqual(['FAILED']);
    },
  );

  it.each(['refused', 'permitted'] as const)('called by a %s caller, leaves its audit event', async (which) => {
    const call = CASES[operation][which];
    const [{ mark }] = (await owner.query<{ mark: string }>('SELECT coalesce(max(id), 0)::text AS mark FROM audit_events')).rows;
    const token = call.as ? await tokenFor(call.as) : undefined;
    const r = await app.gql(call.query, call.vars?.(fixtures) ?? {}, token);
    if (which === 'permitted') expect(r.body.errors).toBeUndefined();
    else expect(r.body.errors?.[0]?.extensions?.code).toMatch(/^(UNAUTHENTICATED|FORBIDDEN|NOT_FOUND)$/);
    const events = (
      await owner.query<{ outcome: string; actor_id: string | null }>(
        `SELECT outcome, actor_id FROM audit_events WHERE id > $1 AND operation_field = $2 ORDER BY id`,
        [mark, operation],
      )
    ).rows;
    expect(events.map((e) => e.outcome)).toEqual([which === 'permitted' ? 'ALLOWED' : 'DENIED']);
    if (call.as) expect(events[0].actor_id).not.toBeNull();
  });
});
