import type { EntityManager } from 'typeorm';
import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { and, raw, run, sql, type Sql } from '../db/sql';
import { badInput, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { keysetPage, type Page } from '../db/paging';
import { recordChange } from '../history/history.service';
import { Classification, HandlingCode } from '../intelligence/intelligence.enums';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { disclosureSubjectScope, orNone } from '../policy/edges';
import { assertFilterable } from '../policy/fields';
import { disclosureReadScope, reportReadScope, requireScope } from '../policy/records';
import { AccessRequestStatus, DisclosureStatus } from './disclosure.enums';
import {
  DECLINE_COLUMNS,
  DISCLOSURE_COLUMNS,
  type DeclineRow,
  type DisclosureRow,
  findDisclosure,
  toDecisionView,
  toDisclosureView,
} from './disclosure.queries';
import type { DeclineInput, DiscloseInput, Disclosure, DisclosureDecision, DisclosureListArgs } from './disclosure.types';

/** The longest a disclosure may run before it must be made afresh. */
const MAX_DISCLOSURE_DAYS = 366;
/** Agencies that receive disclosures: not police (who hold the intelligence) nor oversight bodies. */
const RECIPIENT_KINDS: readonly string[] = [AgencyKind.SOCIAL_CARE, AgencyKind.EDUCATION, AgencyKind.HEALTH, AgencyKind.VOLUNTARY];

interface PendingRequest {
  id: string;
  subject_id: string;
  requester_agency_id: string;
  status: AccessRequestStatus;
}

/** Locks an access request being answered; it must still be PENDING (of two racing decisions one wins). */
async function lockPendingRequest(tx: EntityManager, id: string): Promise<PendingRequest> {
  const [request] = await run<PendingRequest>(
    tx,
    sql`SELECT id, subject_id, requester_agency_id, status FROM access_requests WHERE id = ${id}::uuid FOR UPDATE`,
  );
  if (!request) throw notFound('Access request', 'input.accessRequestId');
  if (request.status !== AccessRequestStatus.PENDING)
    throw badInput(`This access request was already ${request.status}`, 'input.accessRequestId');
  return request;
}

async function decideRequest(ctx: RequestContext, principal: Principal, id: string, status: AccessRequestStatus) {
  await run(
    ctx.db,
    sql`UPDATE access_requests SET status = ${status}, decided_at = now(), decided_by_user_id = ${principal.id}::uuid
         WHERE id = ${id}::uuid AND status = 'PENDING'`,
  );
  await recordChange(ctx, {
    kind: 'access_request',
    id,
    action: status.toLowerCase(),
    before: { status: 'PENDING' },
    after: { status },
  });
}

/** The recipient: given, or the requester's agency; it must exist and be an agency that receives disclosures. */
async function resolveRecipient(tx: EntityManager, given: string | undefined, request: PendingRequest | null): Promise<string> {
  if (request && given && given !== request.requester_agency_id) {
    throw badInput('An answer to an access request goes to the requesting agency', 'input.recipientAgencyId');
  }
  const id = given ?? request?.requester_agency_id;
  if (!id) throw badInput('Name the recipient agency (or the access request this answers)', 'input.recipientAgencyId');
  const [agency] = await run<{ kind: string }>(tx, sql`SELECT kind FROM agencies WHERE id = ${id}::uuid`);
  if (!agency) throw notFound('Agency', 'input.recipientAgencyId');
  if (!RECIPIENT_KINDS.includes(agency.kind))
    throw badInput(`A ${agency.kind} agency does not receive disclosures`, 'input.recipientAgencyId');
  return id;
}

/**
 * Discloses a sanitised summary of one report to a named agency (police SUPERVISOR). The report must
 * be graded (its handling code decides whether and how it may be shared): handling code C needs
 * conditions; an OFFICIAL_SENSITIVE report needs `acknowledgeSensitive`. Answering an access request
 * marks it DISCLOSED; the report must then be about the requested subject.
 */
export async function discloseIntelligence(ctx: RequestContext, input: DiscloseInput): Promise<Disclosure> {
  const principal = authorize(ctx, Permission.DISCLOSE_INTELLIGENCE);
  const now = Date.now();
  if (input.expiresAt.getTime() <= now) throw badInput('expiresAt must be in the future', 'input.expiresAt');
  if (input.expiresAt.getTime() > now + MAX_DISCLOSURE_DAYS * 86_400_000) {
    throw badInput(`expiresAt must be within ${MAX_DISCLOSURE_DAYS} days`, 'input.expiresAt');
  }
  const scope = requireScope(reportReadScope(principal));
  return inTransaction(ctx, async (ctx) => {
    const [report] = await run<{ id: string; handling_code: HandlingCode | null; classification: Classification }>(
      ctx.db,
      sql`SELECT r.id, r.handling_code, r.classification FROM intelligence_reports r WHERE r.id = ${input.reportId}::uuid AND ${scope} FOR SHARE`,
    );
    if (!report) throw notFound('Intelligence report', 'input.reportId');
    if (!report.handling_code)
      throw badInput('Grade the report first: its handling code decides whether it may be shared', 'input.reportId');
    if (report.handling_code === HandlingCode.C && input.conditions == null) {
      throw badInput('This report’s handling code is C: give the conditions of sharing', 'input.conditions');
    }
    if (report.classification === Classification.OFFICIAL_SENSITIVE && input.acknowledgeSensitive !== true) {
      throw badInput('This report is OFFICIAL_SENSITIVE: set acknowledgeSensitive to disclose it', 'input.acknowledgeSensitive');
    }
    const request = input.accessRequestId ? await lockPendingRequest(ctx.db, input.accessRequestId) : null;
    if (request) {
      const [linked] = await run(
        ctx.db,
        sql`SELECT 1 FROM report_subjects WHERE report_id = ${report.id}::uuid AND subject_id = ${request.subject_id}::uuid`,
      );
      if (!linked) throw badInput('The report is not about the subject of the access request', 'input.reportId');
    }
    const recipient = await resolveRecipient(ctx.db, input.recipientAgencyId, request);
    const [{ id }] = await run<{ id: string }>(
      ctx.db,
      sql`INSERT INTO disclosures (report_id, recipient_agency_id, gateway, purpose, summary, conditions, sensitive_acknowledged,
                                   expires_at, disclosed_by_user_id, access_request_id)
          VALUES (${report.id}::uuid, ${recipient}::uuid, ${input.gateway}, ${input.purpose.trim()}, ${input.summary.trim()},
                  ${input.conditions?.trim() ?? null}, ${input.acknowledgeSensitive === true}, ${input.expiresAt}, ${principal.id}::uuid,
                  ${request?.id ?? null}::uuid)
          RETURNING id`,
    );
    const disclosure = await findDisclosure(ctx.db, principal, id);
    await recordChange(ctx, { kind: 'disclosure', id, action: 'disclosed', before: null, after: disclosure });
    if (request) await decideRequest(ctx, principal, request.id, AccessRequestStatus.DISCLOSED);
    return disclosure;
  });
}

/** Records a decision not to share, with the reason (police SUPERVISOR); declines an access request when it answers one. */
export async function declineDisclosure(ctx: RequestContext, input: DeclineInput): Promise<DisclosureDecision> {
  const principal = authorize(ctx, Permission.DISCLOSE_INTELLIGENCE);
  if (input.reportId == null && input.accessRequestId == null)
    throw badInput('Name the report or the access request declined', 'input.reportId');
  const scope = requireScope(reportReadScope(principal));
  return inTransaction(ctx, async (ctx) => {
    if (input.reportId != null) {
      const [report] = await run(ctx.db, sql`SELECT r.id FROM intelligence_reports r WHERE r.id = ${input.reportId}::uuid AND ${scope}`);
      if (!report) throw notFound('Intelligence report', 'input.reportId');
    }
    const request = input.accessRequestId ? await lockPendingRequest(ctx.db, input.accessRequestId) : null;
    const recipient = await resolveRecipient(ctx.db, input.recipientAgencyId, request);
    const [row] = await run<DeclineRow>(
      ctx.db,
      sql`WITH x AS (INSERT INTO disclosure_declines (report_id, recipient_agency_id, access_request_id, reason, decided_by_user_id)
                     VALUES (${input.reportId ?? null}::uuid, ${recipient}::uuid, ${request?.id ?? null}::uuid, ${input.reason.trim()}, ${principal.id}::uuid)
                     RETURNING *)
          SELECT ${DECLINE_COLUMNS} FROM x`,
    );
    const decision = toDecisionView(row);
    await recordChange(ctx, { kind: 'disclosure_decision', id: decision.id, action: 'declined', before: null, after: decision });
    if (request) await decideRequest(ctx, principal, request.id, AccessRequestStatus.DECLINED);
    return decision;
  });
}

/** Ends a disclosure before its expiry, with a reason (police SUPERVISOR): its recipient's access ends at once. */
export async function revokeDisclosure(ctx: RequestContext, id: string, reason: string): Promise<Disclosure> {
  const principal = authorize(ctx, Permission.DISCLOSE_INTELLIGENCE);
  return inTransaction(ctx, async (ctx) => {
    await run(ctx.db, sql`SELECT id FROM disclosures WHERE id = ${id}::uuid FOR UPDATE`);
    const before = await findDisclosure(ctx.db, principal, id);
    if (before.status !== DisclosureStatus.ACTIVE) throw badInput(`This disclosure is already ${before.status}`, 'id');
    await run(
      ctx.db,
      sql`UPDATE disclosures SET revoked_at = now(), revoked_by_user_id = ${principal.id}::uuid, revocation_reason = ${reason.trim()}
           WHERE id = ${id}::uuid AND revoked_at IS NULL`,
    );
    const after = await findDisclosure(ctx.db, principal, id);
    await recordChange(ctx, { kind: 'disclosure', id, action: 'revoked', before, after });
    return after;
  });
}

const STATUS_CONDITION: Record<DisclosureStatus, Sql> = {
  [DisclosureStatus.ACTIVE]: raw('(d.revoked_at IS NULL AND d.expires_at > now())'),
  [DisclosureStatus.EXPIRED]: raw('(d.revoked_at IS NULL AND d.expires_at <= now())'),
  [DisclosureStatus.REVOKED]: raw('d.revoked_at IS NOT NULL'),
};

/** Disclosures newest first within the caller's scope (police: all; recipients: their agency's, while in force). */
export async function listDisclosures(ctx: RequestContext, args: DisclosureListArgs): Promise<Page<Disclosure>> {
  const principal = authorize(ctx, Permission.READ_DISCLOSURES);
  const filter = args.filter ?? {};
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
    ctx.db,
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
