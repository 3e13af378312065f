import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page, PageRequest } from '../db/paging';
import { notFound } from '../errors';
import { recordChanges } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { listInbox, markInboxRead, noticesNotInInbox } from './notification.queries';
import type { Notification } from './notification.types';

/** The caller's own notices, newest first. */
export function listNotifications(ctx: RequestContext, args: PageRequest & { unreadOnly?: boolean | null }): Promise<Page<Notification>> {
  const principal = authorize(ctx, Permission.READ_NOTIFICATIONS);
  return listInbox(ctx.db, principal, args);
}

/**
 * Marks notices in the caller's inbox read; returns how many were newly marked. An id not in the
 * caller's inbox (another's, or none) is NOT_FOUND and marks nothing.
 */
export async function markNotificationsRead(ctx: RequestContext, ids: readonly string[]): Promise<number> {
  const principal = authorize(ctx, Permission.READ_NOTIFICATIONS);
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  return inTransaction(ctx, async (ctx) => {
    if ((await noticesNotInInbox(ctx.db, principal, unique)).length > 0) throw notFound('Notification', 'ids');
    const marked = await markInboxRead(ctx.db, principal, unique);
    await recordChanges(
      ctx,
      marked.map((id) => ({ kind: 'notification', id, action: 'read', before: { read: false }, after: { read: true } })),
    );
    return marked.length;
  });
}
