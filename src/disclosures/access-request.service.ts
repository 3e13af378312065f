import type { Principal } from '../auth/principal';
import { isUniqueViolation } from '../db/errors';
import { and, raw, run, sql, type Queryable } from '../db/sql';
import { conflict, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { keysetPage, type Page } from '../db/paging';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { accessRequestReadScope, requireScope } from '../policy/records';
import { findSubject } from '../subjects/subject.queries';
import { ACCESS_REQUEST_COLUMNS, type AccessRequestRow, toAccessRequestView } from './disclosure.queries';
import type { AccessRequest, AccessRequestListArgs } from './disclosure.types';

async function findAccessRequest(db: Queryable, principal: Principal, id: string): Promise<AccessRequest> {
  const [row] = await run<AccessRequestRow>(
    db,
    sql`SELECT ${ACCESS_REQUEST_COLUMNS} FROM access_requests ar WHERE ar.id = ${id}::uuid AND ${requireScope(accessRequestReadScope(principal))}`,
  );
  if (!row) throw notFound('Access request', 'id');
  return toAccessRequestView(row);
}

/**
 * Asks police for more about a subject the caller's agency may read (otherwise NOT_FOUND, as for a
 * missing subject). One pending request per agency and subject: a second is CONFLICT.
 */
export async function requestAccess(ctx: RequestContext, subjectId: string, reason: string): Promise<AccessRequest> {
  const principal = authorize(ctx, Permission.REQUEST_ACCESS);
  return inTransaction(ctx, async (ctx) => {
    await findSubject(ctx.db, principal, subjectId, 'subjectId');
    let id: string;
    try {
      [{ id }] = await run<{ id: string }>(
        ctx.db,
        sql`INSERT INTO access_requests (subject_id, requested_by_user_id, requester_agency_id, reason)
            VALUES (${subjectId}::uuid, ${principal.id}::uuid, ${principal.agency.id}::uuid, ${reason.trim()}) RETURNING id`,
      );
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
  const conditions = [requireScope(accessRequestReadScope(principal))];
  if (args.filter?.status) conditions.push(sql`ar.status = ${args.filter.status}`);
  if (args.filter?.subjectId) conditions.push(sql`ar.subject_id = ${args.filter.subjectId}::uuid`);
  const page = await keysetPage<AccessRequestRow>(
    ctx.db,
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
