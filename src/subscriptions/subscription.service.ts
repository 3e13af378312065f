import { principalUnchangedSql } from '../auth/auth.queries';
import { AuditAction, type AuditedRecord, AuditOutcome } from '../audit/audit-event';
import { auditActor } from '../audit/audit.service';
import { writeAuditEvents } from '../audit/audit.writer';
import type { RequestContext } from '../context/request-context';
import { RequestTransaction } from '../db/request-transaction';
import { beginForPrincipal } from '../db/row-security';
import { AppError, ErrorCode } from '../errors';
import { findNoticeFor } from '../notifications/notification.queries';
import type { Notification } from '../notifications/notification.types';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { CloseCode, type LiveConnection } from './live-connection';

/** A subscription's context: a request's, plus the socket it runs on (absent over HTTP). */
export interface SubscriptionContext extends RequestContext {
  live?: LiveConnection;
  maxSubscriptions?: number;
}

/** The root field's name: the audit events of pushed notices name it as their operation field. */
export const NOTIFICATION_ADDED = 'notificationAdded';

/**
 * The caller's new notices as they are delivered. Each is read again through the caller's own inbox,
 * under row security, when it arrives (so a notice the caller may no longer read is not sent) and
 * audited as a read before it is handed on: no audit, no data. `fields` are the Notification fields
 * the document selects (what the audit event says went out).
 */
export function notificationsAdded(ctx: SubscriptionContext, fields: readonly string[]): AsyncIterableIterator<Notification> {
  authorize(ctx, Permission.READ_NOTIFICATIONS);
  const live = ctx.live;
  if (!live) throw new AppError(ErrorCode.BAD_USER_INPUT, 'Subscriptions are served over WebSocket (graphql-ws) on /graphql');
  if (live.subscriptionCount >= (ctx.maxSubscriptions ?? Infinity))
    throw new AppError(ErrorCode.RATE_LIMITED, 'Too many subscriptions on this connection');
  const ids = live.openChannel();
  async function* notices(): AsyncGenerator<Notification> {
    for await (const id of ids) {
      const notice = await readAndAudit(ctx, live!, id, fields);
      if (notice) yield notice;
    }
  }
  const stream = notices();
  // Ending the channel first lets a generator waiting for the next id finish at once.
  return {
    next: () => stream.next(),
    return: () => {
      ids.end();
      return stream.return(undefined);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** What the audit event names: the notice with the fields sent, and the ids it hands out. */
function auditedRecords(notice: Notification, fields: readonly string[]): AuditedRecord[] {
  const records: AuditedRecord[] = [{ kind: 'notification', id: notice.id, fields: [...fields] }];
  if (fields.includes('subjectId') && notice.subjectId) records.push({ kind: 'subject', id: notice.subjectId, referenced: true });
  if (fields.includes('recordId') && notice.recordId) records.push({ kind: 'record', id: notice.recordId, referenced: true });
  return records;
}

/**
 * Reads one notice as the socket's principal, in a transaction of its own with the principal's row
 * security, and writes its READ event in that transaction with the check that the principal is
 * unchanged. Null: not in the inbox (any more), or not audited (then nothing is sent). A principal
 * that changed (logged out, disabled, roles changed) closes the socket.
 */
async function readAndAudit(
  ctx: RequestContext,
  live: LiveConnection,
  id: string,
  fields: readonly string[],
): Promise<Notification | null> {
  const principal = live.principal;
  let transaction: RequestTransaction | undefined;
  try {
    transaction = await RequestTransaction.open(ctx.dataSource, beginForPrincipal(principal));
    const notice = await findNoticeFor(transaction.manager, principal, id);
    if (!notice) {
      await transaction.rollback();
      return null;
    }
    const event = {
      action: AuditAction.READ,
      outcome: AuditOutcome.ALLOWED,
      operationField: NOTIFICATION_ADDED,
      records: auditedRecords(notice, fields),
      details: { arguments: {}, transport: 'websocket' },
    };
    const { principalUnchanged } = await writeAuditEvents(
      transaction.manager,
      auditActor({ ...ctx, principal }),
      [event],
      principalUnchangedSql(principal),
    );
    const outcome = await transaction.commit();
    if (!principalUnchanged) {
      live.close(CloseCode.Unauthorized, 'Session ended');
      return null;
    }
    if (outcome !== 'committed') {
      ctx.log.error({ outcome }, 'a pushed notice could not be audited: not sent');
      return null;
    }
    return notice;
  } catch (err) {
    await transaction?.rollback();
    ctx.log.error({ err }, 'a pushed notice could not be read or audited: not sent');
    return null;
  }
}
