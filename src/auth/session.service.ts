import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page, PageRequest } from '../db/paging';
import { notFound } from '../errors';
import { recordChanges } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { endableSessionsScope, managedAgencyOf, managedSessionsScope, ownSessionsScope } from '../policy/users';
import { isUserOfAgency } from '../users/account.queries';
import type { Principal } from './principal';
import { listLiveSessions, revokeSessionIn, type SessionRow } from './session.queries';
import type { AuthSessionView } from './session.types';

const toView = (row: SessionRow, caller: Principal): AuthSessionView => ({
  id: row.id,
  userId: row.user_id,
  createdAt: row.created_at,
  refreshExpiresAt: row.refresh_expires_at,
  current: row.id === caller.sessionId,
});

const viewPage = (page: Page<SessionRow>, caller: Principal): Page<AuthSessionView> => ({
  ...page,
  edges: page.edges.map(({ cursor, node }) => ({ cursor, node: toView(node, caller) })),
});

/** The caller's own live sessions, newest first (the current one has `current: true`). */
export async function mySessions(ctx: RequestContext, args: PageRequest): Promise<Page<AuthSessionView>> {
  const me = authorize(ctx, Permission.MANAGE_OWN_ACCOUNT);
  return viewPage(await listLiveSessions(ctx.db, ownSessionsScope(me), ctx.config.jwt.accessTtlSeconds, null, args), me);
}

/** ADMIN: the live sessions of a user of the admin's own agency; another agency's user is NOT_FOUND. */
export async function userSessions(ctx: RequestContext, userId: string, args: PageRequest): Promise<Page<AuthSessionView>> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  if (!(await isUserOfAgency(ctx.db, userId, managedAgencyOf(admin)))) throw notFound('User', 'userId');
  const page = await listLiveSessions(ctx.db, managedSessionsScope(admin), ctx.config.jwt.accessTtlSeconds, userId, args);
  return viewPage(page, admin);
}

/**
 * Ends a live session: one's own, or (an ADMIN) one of a user of the admin's own agency. Every token
 * issued in it stops working at once. Any other session, or one already ended, is NOT_FOUND.
 */
export async function revokeSession(ctx: RequestContext, id: string): Promise<boolean> {
  const caller = authorize(ctx, Permission.MANAGE_OWN_ACCOUNT);
  return inTransaction(ctx, async (ctx) => {
    const ended = await revokeSessionIn(ctx.db, id, endableSessionsScope(caller), caller.sessionId === id ? 'logout' : 'revoked');
    if (!ended) throw notFound('Session', 'id');
    await recordChanges(ctx, [
      {
        kind: 'auth_session',
        id,
        action: 'revoked',
        before: { userId: ended.user_id, live: true },
        after: { userId: ended.user_id, live: false },
      },
    ]);
    return true;
  });
}
