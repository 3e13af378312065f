import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page } from '../db/paging';
import { badInput, conflict, notFound } from '../errors';
import { recordChange } from '../history/history.service';
import { agreementReadScope } from '../policy/agreements';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { requireScope } from '../policy/records';
import { AGREEMENT_TRANSITIONS, AgreementStatus } from './agreement.enums';
import {
  countAgencies,
  findAgreement,
  readBackAgreement,
  insertAgreement,
  listAgreementPage,
  updateAgreementReview,
  updateAgreementStatus,
} from './agreement.queries';
import type { AgreementInput, AgreementListArgs, InformationSharingAgreement } from './agreement.types';

const today = () => new Date().toISOString().slice(0, 10);

/** The register within the caller's scope (policy/agreements.ts), newest registered first. */
export function listAgreements(ctx: RequestContext, args: AgreementListArgs): Promise<Page<InformationSharingAgreement>> {
  const principal = authorize(ctx, Permission.READ_AGREEMENTS);
  return listAgreementPage(ctx.db, requireScope(agreementReadScope(principal)), args.filter ?? {}, args);
}

/**
 * Registers an agreement (police SUPERVISOR, OVERSIGHT ADMIN): DRAFT, or ACTIVE at once. Its
 * parties must be agencies, its dates in order (review and end on or after the start; an ACTIVE
 * one not ended already), its reference not taken (CONFLICT).
 */
export async function registerAgreement(ctx: RequestContext, input: AgreementInput): Promise<InformationSharingAgreement> {
  const principal = authorize(ctx, Permission.MANAGE_AGREEMENTS);
  if (input.status !== AgreementStatus.DRAFT && input.status !== AgreementStatus.ACTIVE) {
    throw badInput('A new agreement is DRAFT or ACTIVE', 'input.status');
  }
  if (input.reviewOn < input.startsOn) throw badInput('reviewOn must be on or after startsOn', 'input.reviewOn');
  if (input.endsOn != null && input.endsOn < input.startsOn) throw badInput('endsOn must be on or after startsOn', 'input.endsOn');
  if (input.status === AgreementStatus.ACTIVE && input.endsOn != null && input.endsOn < today()) {
    throw badInput('An agreement that has ended cannot be registered ACTIVE', 'input.endsOn');
  }
  return inTransaction(ctx, async (ctx) => {
    if ((await countAgencies(ctx.db, input.partyAgencyIds)) !== input.partyAgencyIds.length) {
      throw notFound('Agency', 'input.partyAgencyIds');
    }
    const id = await insertAgreement(ctx.db, {
      reference: input.reference,
      title: input.title.trim(),
      purpose: input.purpose.trim(),
      partyAgencyIds: input.partyAgencyIds,
      gateways: input.gateways,
      dataCategories: input.dataCategories,
      conditions: input.conditions?.trim() ?? null,
      startsOn: input.startsOn,
      reviewOn: input.reviewOn,
      endsOn: input.endsOn ?? null,
      status: input.status,
      registeredByUserId: principal.id,
    }).catch((error: unknown) => {
      if ((error as { code?: string }).code === '23505') throw conflict('An agreement with this reference is registered already');
      throw error;
    });
    const after = await readBackAgreement(ctx.db, id);
    await recordChange(ctx, { kind: 'agreement', id, action: 'registered', before: null, after });
    return after;
  });
}

async function lockForChange(ctx: RequestContext, id: string): Promise<InformationSharingAgreement> {
  const principal = authorize(ctx, Permission.MANAGE_AGREEMENTS);
  const agreement = await findAgreement(ctx.db, requireScope(agreementReadScope(principal)), id, true);
  if (!agreement) throw notFound('Information-sharing agreement', 'id');
  return agreement;
}

/**
 * Moves an agreement along its lifecycle with a reason (AGREEMENT_TRANSITIONS): a suspended or
 * ended agreement covers no new disclosure; disclosures already made under it stand.
 */
export async function changeAgreementStatus(
  ctx: RequestContext,
  id: string,
  status: AgreementStatus,
  reason: string,
): Promise<InformationSharingAgreement> {
  authorize(ctx, Permission.MANAGE_AGREEMENTS);
  return inTransaction(ctx, async (ctx) => {
    const before = await lockForChange(ctx, id);
    if (!AGREEMENT_TRANSITIONS[before.status].includes(status)) {
      throw badInput(`An agreement that is ${before.status} cannot become ${status}`, 'status');
    }
    await updateAgreementStatus(ctx.db, id, status, reason.trim());
    const after = await readBackAgreement(ctx.db, id);
    await recordChange(ctx, { kind: 'agreement', id, action: `status_${status.toLowerCase()}`, before, after });
    return after;
  });
}

/** Records an agreement's review: the note, and its next review date (after today). */
export async function reviewAgreement(
  ctx: RequestContext,
  id: string,
  nextReviewOn: string,
  note: string,
): Promise<InformationSharingAgreement> {
  authorize(ctx, Permission.MANAGE_AGREEMENTS);
  if (nextReviewOn <= today()) throw badInput('nextReviewOn must be after today', 'nextReviewOn');
  return inTransaction(ctx, async (ctx) => {
    const before = await lockForChange(ctx, id);
    if (before.status === AgreementStatus.ENDED) throw badInput('An ended agreement is not reviewed', 'id');
    if (before.endsOn != null && nextReviewOn > before.endsOn)
      throw badInput('nextReviewOn must be on or before the agreement ends', 'nextReviewOn');
    await updateAgreementReview(ctx.db, id, nextReviewOn, note.trim());
    const after = await readBackAgreement(ctx.db, id);
    await recordChange(ctx, { kind: 'agreement', id, action: 'reviewed', before, after });
    return after;
  });
}
