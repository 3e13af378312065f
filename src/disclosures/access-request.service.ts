import { isUniqueViolation } from '../db/errors';
import { conflict } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page } from '../db/paging';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { findSubject } from '../subjects/subject.queries';
import { findAccessRequest, insertAccessRequest, listAccessRequestPage } from './disclosure.queries';
import { Urgency } from './disclosure.enums';
import type { AccessRequest, AccessRequestListArgs } from './disclosure.types';

/**
 * Asks police for more about a subject the caller's agency may read (otherwise NOT_FOUND, as for a
 * missing subject), due in the configured hours of its urgency. One pending request per agency and
 * subject: a second is CONFLICT.
 */
export async function requestAccess(
  ctx: RequestContext,
  subjectId: string,
  reason: string,
  urgency: Urgency = Urgency.AMBER,
): Promise<AccessRequest> {
  const principal = authorize(ctx, Permission.REQUEST_ACCESS);
  const dueHours = ctx.config.deadlines.dueHours[urgency];
  return inTransaction(ctx, async (ctx) => {
    await findSubject(ctx.db, principal, subjectId, 'subjectId');
    let id: string;
    try {
      id = await insertAccessRequest(ctx.db, principal, { subjectId, reason: reason.trim(), urgency, dueHours });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('Your agency already has a pending request about this subject', { field: 'subjectId' });
      throw error;
    }
    const request = await findAccessRequest(ctx.db, principal, id);
    await recordChange(ctx, { kind: 'access_request', id, action: 'requested', before: null, after: request });
    return request;
  });
}

/** Access requests newest first: a police SUPERVISOR all; a lead their agency's; a practitioner their own. */
export async function listAccessRequests(ctx: RequestContext, args: AccessRequestListArgs): Promise<Page<AccessRequest>> {
  const principal = authorize(ctx, Permission.READ_ACCESS_REQUESTS);
  return listAccessRequestPage(ctx.db, principal, args.filter, args);
}
