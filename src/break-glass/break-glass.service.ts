import { isUUID } from 'class-validator';
import { conflict, forbidden, notFound } from '../errors';
import type { Page } from '../db/paging';
import { breakGlassReadScope, requireScope } from '../policy/records';
import { parseReview } from '../audit/review';
import { inTransaction, type RequestContext } from '../context/request-context';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { insertBreakGlassGrant, listGrants, lockGrantForReview, markGrantReviewed, subjectExists } from './break-glass.queries';
import type { BreakGlassGrant, BreakGlassGrantsArgs } from './break-glass.types';

/** How long a break-glass grant lasts. */
export const BREAK_GLASS_MINUTES = 60;

/**
 * Grants the caller an hour's read of one subject and its reports, outside their normal scope, with a
 * mandatory reason. It awaits audit review (`reviewed_at` null) and its event is a BREAK_GLASS one,
 * which the auditors' anomaly report lists. A missing subject is NOT_FOUND: break-glass reaches
 * records outside one's scope by design, so it necessarily tells that the subject exists, and it
 * cannot be used without leaving that trace.
 */
export async function breakGlass(ctx: RequestContext, subjectId: string, reason: string): Promise<BreakGlassGrant> {
  const principal = authorize(ctx, Permission.BREAK_GLASS);
  return inTransaction(ctx, async (ctx) => {
    // Outside the caller's scope by design, so beyond its row-level security: existence only.
    if (!(await subjectExists(ctx.db, subjectId))) throw notFound('Subject', 'subjectId');
    const grant = await insertBreakGlassGrant(ctx.db, {
      subjectId,
      userId: principal.id,
      agencyId: principal.agency.id,
      reason: reason.trim(),
      minutes: BREAK_GLASS_MINUTES,
    });
    await recordChange(ctx, { kind: 'break_glass_grant', id: grant.id, action: 'granted', before: null, after: grant });
    return grant;
  });
}

/**
 * The grants a reviewer may review (an OVERSIGHT auditor and police supervisors all, an agency's
 * auditor its own staff's: records.ts breakGlassReadScope), newest first.
 */
export function breakGlassGrants(ctx: RequestContext, args: BreakGlassGrantsArgs): Promise<Page<BreakGlassGrant>> {
  const scope = requireScope(breakGlassReadScope(authorize(ctx, Permission.REVIEW_BREAK_GLASS)));
  return listGrants(ctx.db, scope, args.reviewed ?? undefined, args);
}

/**
 * Reviews a grant: outcome and note, once (CONFLICT after), never one's own (FORBIDDEN: separation
 * of duties); a grant outside the reviewer's scope is NOT_FOUND. The review, its history and its
 * audit events commit together.
 */
export async function reviewBreakGlass(ctx: RequestContext, id: string, outcome: string, note: string): Promise<BreakGlassGrant> {
  const principal = authorize(ctx, Permission.REVIEW_BREAK_GLASS);
  const scope = requireScope(breakGlassReadScope(principal));
  const review = parseReview(outcome, note);
  if (!isUUID(id)) throw notFound('BreakGlassGrant', 'id');
  return inTransaction(ctx, async (ctx) => {
    const before = await lockGrantForReview(ctx.db, scope, id);
    if (!before) throw notFound('BreakGlassGrant', 'id');
    if (before.userId === principal.id) throw forbidden('A break-glass grant of your own is reviewed by someone else');
    if (before.reviewedAt) throw conflict('This break-glass grant has been reviewed already');
    const after = await markGrantReviewed(ctx.db, id, { reviewerId: principal.id, ...review });
    await recordChange(ctx, { kind: 'break_glass_grant', id, action: 'reviewed', before, after });
    return after;
  });
}
