import type { Principal } from '../auth/principal';
import { raw, run, sql, type Queryable } from '../db/sql';
import { notFound } from '../errors';
import { disclosureReadScope, disclosureRedactions, requireScope } from '../policy/records';
import type { AccessRequestStatus, DisclosureStatus, LegalGateway } from './disclosure.enums';
import type { AccessRequest, Disclosure, DisclosureDecision } from './disclosure.types';

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
  status: DisclosureStatus;
}

export const DISCLOSURE_COLUMNS = raw(`d.id, d.report_id, d.recipient_agency_id, d.gateway, d.purpose, d.summary, d.conditions,
  d.sensitive_acknowledged, d.expires_at, d.disclosed_at, d.disclosed_by_user_id, d.access_request_id, d.revoked_at, d.revocation_reason,
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
  requested_at: Date;
  decided_at: Date | null;
  decided_by_user_id: string | null;
}

export const ACCESS_REQUEST_COLUMNS = raw(`ar.id, ar.subject_id, ar.requester_agency_id, ar.requested_by_user_id, ar.reason, ar.status,
  ar.requested_at, ar.decided_at, ar.decided_by_user_id`);

export const toAccessRequestView = (row: AccessRequestRow): AccessRequest => ({
  id: row.id,
  subjectId: row.subject_id,
  requesterAgencyId: row.requester_agency_id,
  requestedByUserId: row.requested_by_user_id,
  reason: row.reason,
  status: row.status,
  requestedAt: row.requested_at,
  decidedAt: row.decided_at,
  decidedByUserId: row.decided_by_user_id,
});
