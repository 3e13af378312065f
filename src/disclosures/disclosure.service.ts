import { findAgencyKind } from '../agencies/agency.queries';
import type { Principal } from '../auth/principal';
import { AppError, badInput, ErrorCode, notFound } from '../errors';
import { lockCoveringAgreement } from '../agreements/agreement.queries';
import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page } from '../db/paging';
import { recordChange } from '../history/history.service';
import { Classification, HandlingCode } from '../intelligence/intelligence.enums';
import { authorize } from '../policy/authorize';
import { receivesDisclosures } from '../policy/disclosures';
import { Permission } from '../policy/permissions';
import { reportReadScope, requireScope } from '../policy/records';
import { AccessRequestStatus, DisclosureStatus } from './disclosure.enums';
import {
  findDisclosure,
  insertDecline,
  insertDisclosure,
  listDisclosurePage,
  lockAccessRequest,
  lockDisclosure,
  lockReportToDisclose,
  markAccessRequestDecided,
  markDisclosureRevoked,
  type PendingRequestRow,
  reportInScope,
  reportIsAbout,
} from './disclosure.queries';
import type { DeclineInput, DiscloseInput, Disclosure, DisclosureDecision, DisclosureListArgs } from './disclosure.types';

/** The longest a disclosure may run before it must be made afresh. */
const MAX_DISCLOSURE_DAYS = 366;

/** Locks an access request being answered; it must still be PENDING (of two racing decisions one wins). */
async function lockPendingRequest(ctx: RequestContext, id: string): Promise<PendingRequestRow> {
  const request = await lockAccessRequest(ctx.db, id);
  if (!request) throw notFound('Access request', 'input.accessRequestId');
  if (request.status !== AccessRequestStatus.PENDING)
    throw badInput(`This access request was already ${request.status}`, 'input.accessRequestId');
  return request;
}

async function decideRequest(ctx: RequestContext, principal: Principal, id: string, status: AccessRequestStatus) {
  await markAccessRequestDecided(ctx.db, id, status, principal.id);
  await recordChange(ctx, {
    kind: 'access_request',
    id,
    action: status.toLowerCase(),
    before: { status: 'PENDING' },
    after: { status },
  });
}

/** The recipient: given, or the requester's agency; it must exist and be an agency that receives disclosures. */
async function resolveRecipient(ctx: RequestContext, given: string | undefined, request: PendingRequestRow | null): Promise<string> {
  if (request && given && given !== request.requester_agency_id) {
    throw badInput('An answer to an access request goes to the requesting agency', 'input.recipientAgencyId');
  }
  const id = given ?? request?.requester_agency_id;
  if (!id) throw badInput('Name the recipient agency (or the access request this answers)', 'input.recipientAgencyId');
  const kind = await findAgencyKind(ctx.db, id);
  if (kind === undefined) throw notFound('Agency', 'input.recipientAgencyId');
  if (!receivesDisclosures(kind)) throw badInput(`A ${kind} agency does not receive disclosures`, 'input.recipientAgencyId');
  return id;
}

/** A refusal for want of an agreement: BAD_USER_INPUT, with `reason` saying which rule. */
const agreementRefusal = (message: string, reason: 'AGREEMENT_REQUIRED' | 'AGREEMENT_NOT_APPLICABLE', field: string) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, { field, reason });

/**
 * The ICO data sharing code: every share under an agreement, or a recorded reason why none
 * applies. A cited agreement must be ACTIVE and in force today, with the disclosing and the
 * receiving agency both parties and the gateway among its own (share-locked until the disclosure is
 * written, so it cannot be ended in between).
 */
async function checkAgreement(ctx: RequestContext, principal: Principal, input: DiscloseInput, recipient: string): Promise<void> {
  if (input.agreementId != null && input.noAgreementReason != null) {
    throw badInput('Cite an agreement or say why none applies, not both', 'input.noAgreementReason');
  }
  if (input.agreementId == null) {
    if (input.noAgreementReason == null) {
      throw agreementRefusal(
        'Cite the information-sharing agreement this disclosure is made under (agreementId), or say why none applies (noAgreementReason)',
        'AGREEMENT_REQUIRED',
        'input.agreementId',
      );
    }
    return;
  }
  if (!(await lockCoveringAgreement(ctx.db, input.agreementId, principal.agency.id, recipient, input.gateway))) {
    throw agreementRefusal(
      'The agreement cited is not an ACTIVE agreement in force between your agency and the recipient that names this gateway',
      'AGREEMENT_NOT_APPLICABLE',
      'input.agreementId',
    );
  }
}

/**
 * Discloses a sanitised summary of one report to a named agency (police SUPERVISOR). The report must
 * be graded (its handling code decides whether and how it may be shared): handling code C needs
 * conditions; an OFFICIAL_SENSITIVE report needs `acknowledgeSensitive`. Answering an access request
 * marks it DISCLOSED; the report must then be about the requested subject. It cites the agreement it
 * is made under, or records why none applies (checkAgreement).
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
    const report = await lockReportToDisclose(ctx.db, scope, input.reportId);
    if (!report) throw notFound('Intelligence report', 'input.reportId');
    if (!report.handling_code)
      throw badInput('Grade the report first: its handling code decides whether it may be shared', 'input.reportId');
    if (report.handling_code === HandlingCode.C && input.conditions == null) {
      throw badInput('This report’s handling code is C: give the conditions of sharing', 'input.conditions');
    }
    if (report.classification === Classification.OFFICIAL_SENSITIVE && input.acknowledgeSensitive !== true) {
      throw badInput('This report is OFFICIAL_SENSITIVE: set acknowledgeSensitive to disclose it', 'input.acknowledgeSensitive');
    }
    const request = input.accessRequestId ? await lockPendingRequest(ctx, input.accessRequestId) : null;
    if (request) {
      if (!(await reportIsAbout(ctx.db, report.id, request.subject_id)))
        throw badInput('The report is not about the subject of the access request', 'input.reportId');
    }
    const recipient = await resolveRecipient(ctx, input.recipientAgencyId, request);
    await checkAgreement(ctx, principal, input, recipient);
    const id = await insertDisclosure(ctx.db, {
      reportId: report.id,
      recipientAgencyId: recipient,
      gateway: input.gateway,
      purpose: input.purpose.trim(),
      summary: input.summary.trim(),
      conditions: input.conditions?.trim() ?? null,
      sensitiveAcknowledged: input.acknowledgeSensitive === true,
      expiresAt: input.expiresAt,
      disclosedByUserId: principal.id,
      accessRequestId: request?.id ?? null,
      agreementId: input.agreementId ?? null,
      noAgreementReason: input.noAgreementReason?.trim() ?? null,
    });
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
      if (!(await reportInScope(ctx.db, scope, input.reportId))) throw notFound('Intelligence report', 'input.reportId');
    }
    const request = input.accessRequestId ? await lockPendingRequest(ctx, input.accessRequestId) : null;
    const recipient = await resolveRecipient(ctx, input.recipientAgencyId, request);
    const decision = await insertDecline(ctx.db, {
      reportId: input.reportId ?? null,
      recipientAgencyId: recipient,
      accessRequestId: request?.id ?? null,
      reason: input.reason.trim(),
      decidedByUserId: principal.id,
    });
    await recordChange(ctx, { kind: 'disclosure_decision', id: decision.id, action: 'declined', before: null, after: decision });
    if (request) await decideRequest(ctx, principal, request.id, AccessRequestStatus.DECLINED);
    return decision;
  });
}

/** Ends a disclosure before its expiry, with a reason (police SUPERVISOR): its recipient's access ends at once. */
export async function revokeDisclosure(ctx: RequestContext, id: string, reason: string): Promise<Disclosure> {
  const principal = authorize(ctx, Permission.DISCLOSE_INTELLIGENCE);
  return inTransaction(ctx, async (ctx) => {
    await lockDisclosure(ctx.db, id);
    const before = await findDisclosure(ctx.db, principal, id);
    if (before.status !== DisclosureStatus.ACTIVE) throw badInput(`This disclosure is already ${before.status}`, 'id');
    await markDisclosureRevoked(ctx.db, id, principal.id, reason.trim());
    const after = await findDisclosure(ctx.db, principal, id);
    await recordChange(ctx, { kind: 'disclosure', id, action: 'revoked', before, after });
    return after;
  });
}

/** Disclosures newest first within the caller's scope (police: all; recipients: their agency's, while in force). */
export async function listDisclosures(ctx: RequestContext, args: DisclosureListArgs): Promise<Page<Disclosure>> {
  const principal = authorize(ctx, Permission.READ_DISCLOSURES);
  return listDisclosurePage(ctx.db, principal, args.filter ?? {}, args);
}
