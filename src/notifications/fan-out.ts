import type { DataSource } from 'typeorm';
import { AuditAction, AuditOutcome, serviceWorkActor } from '../audit/audit-event';
import { writeAuditEvents } from '../audit/audit.writer';
import { settledHorizon } from '../audit/audit.queries';
import { withSystemContext } from '../db/row-security';
import {
  claimAccessScanPosition,
  deliverToInboxes,
  fillNoticeFacts,
  lockPendingNotice,
  markFannedOut,
  noticeAgencies,
  raiseAccessNotices,
} from './notification.queries';
import { insertWebhookDeliveries } from '../webhooks/webhook.queries';

/**
 * Fans one notice out, in one transaction acting for nobody: the facts of its record filled in,
 * its recipients (decided by policy/notifications.ts, from who they are now) given it in their
 * inboxes, its webhook deliveries queued, the fan-out audited, and every instance told (NOTIFY at
 * COMMIT) so live subscriptions hear of it. Runs at least once per notice: a second run finds it
 * done and does nothing.
 */
export async function fanOutNotice(db: DataSource, eventId: string, jobId: string | null = null): Promise<void> {
  await withSystemContext(db, async (tx) => {
    const notice = await lockPendingNotice(tx, eventId);
    if (!notice) return;
    await fillNoticeFacts(tx, eventId);
    const recipients = await deliverToInboxes(tx, notice);
    const webhookAgencyIds = await noticeAgencies(tx, notice);
    const webhookDeliveryIds = await insertWebhookDeliveries(tx, eventId, notice.type, webhookAgencyIds);
    await writeAuditEvents(tx, serviceWorkActor('fan_out_notice', jobId), [
      {
        action: AuditAction.NOTIFY,
        outcome: AuditOutcome.ALLOWED,
        recordKind: 'notification',
        records: [{ kind: 'notification', id: eventId }],
        details: {
          type: notice.type,
          recipientIds: recipients.map((r) => r.principal_id),
          recipientAgencyIds: [...new Set(recipients.map((r) => r.agency_id))],
          webhookAgencyIds,
          webhookDeliveryIds,
        },
      },
    ]);
    await markFannedOut(
      tx,
      eventId,
      recipients.map((r) => r.principal_id),
    );
  });
}

/**
 * Reads the audit trail's settled events since the last scan for reads of CSE-flagged subjects out
 * of their care, and raises their SUBJECT_ACCESSED notices (policy/notifications.ts). The trail is
 * the source because it holds exactly the reads that handed a subject out ("no audit, no data"),
 * and reading it here keeps the request path as it was. Once across instances: the scan's position
 * row is locked, and an instance that finds it locked skips.
 */
export async function scanSubjectAccess(db: DataSource): Promise<number> {
  return withSystemContext(db, async (tx) => {
    const from = await claimAccessScanPosition(tx);
    if (from === null) return 0;
    const horizon = await settledHorizon(tx);
    if (BigInt(horizon) <= BigInt(from)) return 0;
    return raiseAccessNotices(tx, from, horizon);
  });
}
