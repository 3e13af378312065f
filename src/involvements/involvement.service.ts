import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page } from '../db/paging';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { involvementRuleOf } from '../policy/involvements';
import { Permission } from '../policy/permissions';
import { findInvolvement, insertInvolvement, markInvolvementEnded, pageInvolvements, subjectReachable } from './involvement.queries';
import type { Involvement, InvolvementInput, InvolvementListArgs } from './involvement.types';

/**
 * Registers the caller's agency's involvement with a subject. The subject must already be known to
 * the agency, or the input must carry the identifier the agency issues (a school's UPN for its pupil)
 * matching the subject's: otherwise NOT_FOUND, as for a missing subject, so an involvement cannot be
 * used to reach an arbitrary child. A break-glass grant does not count: it must not become standing access.
 */
export async function registerInvolvement(ctx: RequestContext, subjectId: string, input: InvolvementInput): Promise<Involvement> {
  const principal = authorize(ctx, Permission.REGISTER_INVOLVEMENTS);
  const rule = involvementRuleOf(principal.agency.kind);
  if (!rule || rule.kind !== input.kind) {
    throw badInput(`A ${principal.agency.kind} agency registers ${rule?.kind ?? 'no'} involvements`, 'input.kind');
  }
  const identifier = input.identifier?.trim();
  return inTransaction(ctx, async (ctx) => {
    if (!(await subjectReachable(ctx.db, principal.agency, subjectId, identifier, rule.byIdentifier))) {
      throw notFound('Subject', 'subjectId');
    }
    let id: string;
    try {
      id = await insertInvolvement(ctx.db, {
        subjectId,
        agencyId: principal.agency.id,
        kind: input.kind,
        lawfulBasis: input.lawfulBasis,
        contact: input.contact.trim(),
        registeredByUserId: principal.id,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('Your agency already has an active involvement of this kind', { field: 'input.kind' });
      throw error;
    }
    const involvement = await findInvolvement(ctx.db, principal, id);
    await recordChange(ctx, { kind: 'involvement', id, action: 'registered', before: null, after: involvement });
    return involvement;
  });
}

/** Ends an own-agency involvement with a reason (SAFEGUARDING_LEAD). It stays, ended, in the record. */
export async function endInvolvement(ctx: RequestContext, id: string, reason: string): Promise<Involvement> {
  const principal = authorize(ctx, Permission.MANAGE_INVOLVEMENTS);
  return inTransaction(ctx, async (ctx) => {
    const before = await findInvolvement(ctx.db, principal, id, true);
    if (!before.active) throw badInput('This involvement has already ended', 'id');
    await markInvolvementEnded(ctx.db, id, principal.id, reason.trim());
    const after = await findInvolvement(ctx.db, principal, id);
    await recordChange(ctx, { kind: 'involvement', id, action: 'ended', before, after });
    return after;
  });
}

/** Involvements newest first within the caller's scope (police: all; care readers: their agency's). */
export function listInvolvements(ctx: RequestContext, args: InvolvementListArgs): Promise<Page<Involvement>> {
  return pageInvolvements(ctx.db, authorize(ctx, Permission.READ_INVOLVEMENTS), args);
}
