import type { Principal } from '../auth/principal';
import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { and, raw, run, sql, type Queryable, type Sql } from '../db/sql';
import { notFound } from '../errors';
import type { Classification, HandlingCode } from '../intelligence/intelligence.enums';
import { disclosureSubjectScope, orNone } from '../policy/edges';
import { assertFilterable } from '../policy/fields';
import { accessRequestReadScope, disclosureReadScope, disclosureRedactions, requireScope } from '../policy/records';
import { SUBJECT_COLUMNS, type SubjectRow } from '../subjects/subject.queries';
import { AccessRequestStatus, DisclosureStatus, type LegalGateway, type Urgency } from './disclosure.enums';
import type { AccessRequest, AccessRequestFilter, Disclosure, DisclosureDecision, DisclosureFilter } from './disclosure.types';

export interface DisclosureRow {
  id: string;
  report_id: string;
  recipient_agency_id: string;
  gateway: LegalGateway;
  purpose: string;
  summary: string;
  conditions: string | null;
  sensitive_acknowledged: boolean;
  expires_at: Date;
  disclosed_at: Date;
  disclosed_by_user_id: string;
  access_request_id: string | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
  agreement_id: string | null;
  no_agreement_reason: string | null;
  status: DisclosureStatus;
}

export const DISCLOSURE_COLUMNS = raw(`d.id, d.report_id, d.recipient_agency_id, d.gateway, d.purpose, d.summary, d.conditions,
  d.sensitive_acknowledged, d.expires_at, d.disclosed_at, d.disclosed_by_user_id, d.access_request_id, d.revoked_at, d.revocation_reason,
  d.agreement_id, d.no_agreement_reason,
  CASE WHEN d.revoked_at IS NOT NULL THEN 'REVOKED' WHEN d.expires_at <= now() THEN 'EXPIRED' ELSE 'ACTIVE' END AS status`);

/** The disclosure as this principal may see it: withheld fields null and named. */
export function toDisclosureView(row: DisclosureRow, principal: Principal): Disclosure {
  const redacted = disclosureRedactions(principal);
  const hide = <T>(field: string, value: T): T | null => (redacted.includes(field as never) ? null : value);
  return {
    id: row.id,
    reportId: hide('reportId', row.report_id),
    recipientAgencyId: row.recipient_agency_id,
    gateway: row.gateway,
    purpose: row.purpose,
    summary: row.summary,
    conditions: row.conditions,
    sensitiveAcknowledged: hide('sensitiveAcknowledged', row.sensitive_acknowledged),
    expiresAt: row.expires_at,
    disclosedAt: row.disclosed_at,
    disclosedByUserId: hide('disclosedByUserId', row.disclosed_by_user_id),
    accessRequestId: row.access_request_id,
    revokedAt: row.revoked_at,
    revocationReason: row.revocation_reason,
    status: row.status,
    agreementId: row.agreement_id,
    noAgreementReason: row.no_agreement_reason,
    redactedFields: [...redacted],
  };
}

export async function findDisclosure(db: Queryable, principal: Principal, id: string, field = 'id'): Promise<Disclosure> {
  const [row] = await run<DisclosureRow>(
    db,
    sql`SELECT ${DISCLOSURE_COLUMNS} FROM disclosures d WHERE d.id = ${id}::uuid AND ${requireScope(disclosureReadScope(principal))}`,
  );
  if (!row) throw notFound('Disclosure', field);
  return toDisclosureView(row, principal);
}

export interface DeclineRow {
  id: string;
  report_id: string | null;
  recipient_agency_id: string;
  access_request_id: string | null;
  reason: string;
  decided_by_user_id: string;
  decided_at: Date;
}

export const DECLINE_COLUMNS = raw(
  `x.id, x.report_id, x.recipient_agency_id, x.access_request_id, x.reason, x.decided_by_user_id, x.decided_at`,
);

export const toDecisionView = (row: DeclineRow): DisclosureDecision => ({
  id: row.id,
  reportId: row.report_id,
  recipientAgencyId: row.recipient_agency_id,
  accessRequestId: row.access_request_id,
  reason: row.reason,
  decidedByUserId: row.decided_by_user_id,
  decidedAt: row.decided_at,
});

export interface AccessRequestRow {
  id: string;
  subject_id: string;
  requester_agency_id: string;
  requested_by_user_id: string;
  reason: string;
  status: AccessRequestStatus;
  urgency: Urgency;
  requested_at: Date;
  due_at: Date;
  overdue: boolean;
  decided_at: Date | null;
  decided_by_user_id: string | null;
}

/** Pending and past its due time (alias `ar`): what the overdue filter and the deadline clock mean by overdue. */
const OVERDUE_TEXT = `(ar.status = 'PENDING' AND ar.due_at <= now())`;
export const ACCESS_REQUEST_OVERDUE = raw(OVERDUE_TEXT);

export const ACCESS_REQUEST_COLUMNS = raw(`ar.id, ar.subject_id, ar.requester_agency_id, ar.requested_by_user_id, ar.reason, ar.status,
  ar.urgency, ar.requested_at, ar.due_at, ${OVERDUE_TEXT} AS overdue, ar.decided_at, ar.decided_by_user_id`);

export const toAccessRequestView = (row: AccessRequestRow): AccessRequest => ({
  id: row.id,
  subjectId: row.subject_id,
  requesterAgencyId: row.requester_agency_id,
  requestedByUserId: row.requested_by_user_id,
  reason: row.reason,
  status: row.status,
  urgency: row.urgency,
  requestedAt: row.requested_at,
  dueAt: row.due_at,
  overdue: row.overdue,
  decidedAt: row.decided_at,
  decidedByUserId: row.decided_by_user_id,
});

// Disclosures and decisions

/** An access request being answered, locked until the transaction ends (of two racing decisions one wins). */
export interface PendingRequestRow {
  id: string;
  subject_id: string;
  requester_agency_id: string;
  status: AccessRequestStatus;
}

export async function lockAccessRequest(db: Queryable, id: string): Promise<PendingRequestRow | undefined> {
  const [request] = await run<PendingRequestRow>(
    db,
    sql`SELECT id, subject_id, requester_agency_id, status FROM access_requests WHERE id = ${id}::uuid FOR UPDATE`,
  );
  return request;
}

/** Records the answer to a still-pending access request. */
export async function markAccessRequestDecided(db: Queryable, id: string, status: AccessRequestStatus, deciderId: string): Promise<void> {
  await run(
    db,
    sql`UPDATE access_requests SET status = ${status}, decided_at = now(), decided_by_user_id = ${deciderId}::uuid
         WHERE id = ${id}::uuid AND status = 'PENDING'`,
  );
}

export interface DisclosedReportRow {
  id: string;
  handling_code: HandlingCode | null;
  classification: Classification;
}

/** A report within `scope` (alias `r`) about to be disclosed, share-locked so its grading holds until the disclosure is written. */
export async function lockReportToDisclose(db: Queryable, scope: Sql, reportId: string): Promise<DisclosedReportRow | undefined> {
  const [report] = await run<DisclosedReportRow>(
    db,
    sql`SELECT r.id, r.handling_code, r.classification FROM intelligence_reports r WHERE r.id = ${reportId}::uuid AND ${scope} FOR SHARE`,
  );
  return report;
}

/** True when the report is linked to the subject. */
export async function reportIsAbout(db: Queryable, reportId: string, subjectId: string): Promise<boolean> {
  const [linked] = await run(
    db,
    sql`SELECT 1 FROM report_subjects WHERE report_id = ${reportId}::uuid AND subject_id = ${subjectId}::uuid`,
  );
  return linked !== undefined;
}

export interface NewDisclosure {
  reportId: string;
  recipientAgencyId: string;
  gateway: LegalGateway;
  purpose: string;
  summary: string;
  conditions: string | null;
  sensitiveAcknowledged: boolean;
  expiresAt: Date;
  disclosedByUserId: string;
  accessRequestId: string | null;
  agreementId: string | null;
  noAgreementReason: string | null;
}

export async function insertDisclosure(db: Queryable, d: NewDisclosure): Promise<string> {
  const [{ id }] = await run<{ id: string }>(
    db,
    sql`INSERT INTO disclosures (report_id, recipient_agency_id, gateway, purpose, summary, conditions, sensitive_acknowledged,
                                   expires_at, disclosed_by_user_id, access_request_id, agreement_id, no_agreement_reason)
          VALUES (${d.reportId}::uuid, ${d.recipientAgencyId}::uuid, ${d.gateway}, ${d.purpose}, ${d.summary},
                  ${d.conditions}, ${d.sensitiveAcknowledged}, ${d.expiresAt}, ${d.disclosedByUserId}::uuid,
                  ${d.accessRequestId}::uuid, ${d.agreementId}::uuid, ${d.noAgreementReason})
          RETURNING id`,
  );
  return id;
}

/** True when a report with this id is within `scope` (alias `r`). */
export async function reportInScope(db: Queryable, scope: Sql, reportId: string): Promise<boolean> {
  const [report] = await run(db, sql`SELECT r.id FROM intelligence_reports r WHERE r.id = ${reportId}::uuid AND ${scope}`);
  return report !== undefined;
}

export interface NewDecline {
  reportId: string | null;
  recipientAgencyId: string;
  accessRequestId: string | null;
  reason: string;
  decidedByUserId: string;
}

export async function insertDecline(db: Queryable, x: NewDecline): Promise<DisclosureDecision> {
  const [row] = await run<DeclineRow>(
    db,
    sql`WITH x AS (INSERT INTO disclosure_declines (report_id, recipient_agency_id, access_request_id, reason, decided_by_user_id)
                     VALUES (${x.reportId}::uuid, ${x.recipientAgencyId}::uuid, ${x.accessRequestId}::uuid, ${x.reason}, ${x.decidedByUserId}::uuid)
                     RETURNING *)
          SELECT ${DECLINE_COLUMNS} FROM x`,
  );
  return toDecisionView(row);
}

/** Locks a disclosure until the transaction ends (of two racing revocations one wins). */
export async function lockDisclosure(db: Queryable, id: string): Promise<void> {
  await run(db, sql`SELECT id FROM disclosures WHERE id = ${id}::uuid FOR UPDATE`);
}

export async function markDisclosureRevoked(db: Queryable, id: string, revokedByUserId: string, reason: string): Promise<void> {
  await run(
    db,
    sql`UPDATE disclosures SET revoked_at = now(), revoked_by_user_id = ${revokedByUserId}::uuid, revocation_reason = ${reason}
           WHERE id = ${id}::uuid AND revoked_at IS NULL`,
  );
}

const STATUS_CONDITION: Record<DisclosureStatus, Sql> = {
  [DisclosureStatus.ACTIVE]: raw('(d.revoked_at IS NULL AND d.expires_at > now())'),
  [DisclosureStatus.EXPIRED]: raw('(d.revoked_at IS NULL AND d.expires_at <= now())'),
  [DisclosureStatus.REVOKED]: raw('d.revoked_at IS NOT NULL'),
};

/** Disclosures newest first within the principal's scope, filtered (by report for police readers only). */
export async function listDisclosurePage(
  db: Queryable,
  principal: Principal,
  filter: Pick<DisclosureFilter, 'status' | 'recipientAgencyId' | 'reportId' | 'subjectId'>,
  args: PageRequest,
): Promise<Page<Disclosure>> {
  const conditions = [requireScope(disclosureReadScope(principal))];
  if (filter.status) conditions.push(STATUS_CONDITION[filter.status]);
  if (filter.recipientAgencyId) conditions.push(sql`d.recipient_agency_id = ${filter.recipientAgencyId}::uuid`);
  if (filter.reportId) {
    assertFilterable(principal, 'Disclosure', 'reportId', 'Filtering by report is for police readers');
    conditions.push(sql`d.report_id = ${filter.reportId}::uuid`);
  }
  if (filter.subjectId) {
    conditions.push(
      // The disclosure–subject edge, as Disclosure.subjects shows it.
      sql`EXISTS (SELECT 1 FROM report_subjects f_rs JOIN subjects s ON s.id = f_rs.subject_id
                   WHERE f_rs.report_id = d.report_id AND f_rs.subject_id = ${filter.subjectId}::uuid AND ${orNone(disclosureSubjectScope(principal))})`,
    );
  }
  const page = await keysetPage<DisclosureRow>(
    db,
    {
      list: 'disclosures',
      select: DISCLOSURE_COLUMNS,
      from: raw('disclosures d'),
      where: and(conditions),
      sortColumn: raw('d.disclosed_at'),
      idColumn: raw('d.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toDisclosureView(e.node, principal) })) };
}

// Access requests

export async function findAccessRequest(db: Queryable, principal: Principal, id: string): Promise<AccessRequest> {
  const [row] = await run<AccessRequestRow>(
    db,
    sql`SELECT ${ACCESS_REQUEST_COLUMNS} FROM access_requests ar WHERE ar.id = ${id}::uuid AND ${requireScope(accessRequestReadScope(principal))}`,
  );
  if (!row) throw notFound('Access request', 'id');
  return toAccessRequestView(row);
}

/**
 * Records the principal's request about a subject, due `dueHours` from now; a second pending one of
 * its agency is a unique violation.
 */
export async function insertAccessRequest(
  db: Queryable,
  principal: Principal,
  request: { subjectId: string; reason: string; urgency: Urgency; dueHours: number },
): Promise<string> {
  const [{ id }] = await run<{ id: string }>(
    db,
    sql`INSERT INTO access_requests (subject_id, requested_by_user_id, requester_agency_id, reason, urgency, due_at)
            VALUES (${request.subjectId}::uuid, ${principal.id}::uuid, ${principal.agency.id}::uuid, ${request.reason}, ${request.urgency},
                    now() + make_interval(hours => ${request.dueHours}::int)) RETURNING id`,
  );
  return id;
}

/** Access requests newest first within the principal's scope. */
export async function listAccessRequestPage(
  db: Queryable,
  principal: Principal,
  filter: Pick<AccessRequestFilter, 'status' | 'subjectId' | 'overdue'> | undefined,
  args: PageRequest,
): Promise<Page<AccessRequest>> {
  const conditions = [requireScope(accessRequestReadScope(principal))];
  if (filter?.status) conditions.push(sql`ar.status = ${filter.status}`);
  if (filter?.subjectId) conditions.push(sql`ar.subject_id = ${filter.subjectId}::uuid`);
  if (filter?.overdue != null) conditions.push(filter.overdue ? ACCESS_REQUEST_OVERDUE : sql`NOT ${ACCESS_REQUEST_OVERDUE}`);
  const page = await keysetPage<AccessRequestRow>(
    db,
    {
      list: 'accessRequests',
      select: ACCESS_REQUEST_COLUMNS,
      from: raw('access_requests ar'),
      where: and(conditions),
      sortColumn: raw('ar.requested_at'),
      idColumn: raw('ar.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toAccessRequestView(e.node) })) };
}

// What hangs off disclosures and access requests (the loaders' batches)

/** Subjects by id within `scope` (alias `s`). */
export function subjectRowsByIds(db: Queryable, ids: readonly string[], scope: Sql): Promise<SubjectRow[]> {
  return run<SubjectRow>(db, sql`SELECT ${SUBJECT_COLUMNS} FROM subjects s WHERE s.id = ANY(${[...ids]}::uuid[]) AND ${scope}`);
}

/** The subjects of each disclosure's report within `scope` (the disclosure–subject edge), by name. */
export function subjectRowsByDisclosures(
  db: Queryable,
  ids: readonly string[],
  scope: Sql,
): Promise<(SubjectRow & { disclosure_id: string })[]> {
  return run(
    db,
    sql`SELECT d.id AS disclosure_id, ${SUBJECT_COLUMNS} FROM disclosures d
                JOIN report_subjects rs ON rs.report_id = d.report_id JOIN subjects s ON s.id = rs.subject_id
               WHERE d.id = ANY(${[...ids]}::uuid[]) AND ${scope}
               ORDER BY s.full_name, s.id`,
  );
}

/** The disclosures answering the access requests, within `scope` (alias `d`). */
export function disclosureRowsByAccessRequests(db: Queryable, ids: readonly string[], scope: Sql): Promise<DisclosureRow[]> {
  return run<DisclosureRow>(
    db,
    sql`SELECT ${DISCLOSURE_COLUMNS} FROM disclosures d WHERE d.access_request_id = ANY(${[...ids]}::uuid[]) AND ${scope}`,
  );
}

/** The declines answering the access requests, within `scope` (alias `x`). */
export function declineRowsByAccessRequests(db: Queryable, ids: readonly string[], scope: Sql): Promise<DeclineRow[]> {
  return run<DeclineRow>(
    db,
    sql`SELECT ${DECLINE_COLUMNS} FROM disclosure_declines x WHERE x.access_request_id = ANY(${[...ids]}::uuid[]) AND ${scope}`,
  );
}
