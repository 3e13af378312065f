import type { DataSource } from 'typeorm';
import { AuditAction, AuditOutcome, serviceWorkActor } from '../audit/audit-event';
import { writeAuditEvents } from '../audit/audit.writer';
import type { Config } from '../config';
import { withSystemContext } from '../db/row-security';
import { raiseNotices } from '../notifications/notification.queries';
import {
  expiringDisclosureNotices,
  overdueRequestNotices,
  reviewDueAgreementNotices,
  reviewDueFlagNotices,
  tryLockClocks,
} from './deadline.queries';

/** A disclosure is told to its recipient this long before it expires. */
export const DISCLOSURE_EXPIRING_HOURS = 48;

/** What one run of the clocks did: null when another instance was running them (this one skipped). */
export type ClockRun = { raised: Record<string, number> } | null;

/**
 * Runs the deadline clocks once (docs/notifications.md, "Deadlines"), in one transaction acting
 * for nobody: access requests past due (ACCESS_REQUEST_OVERDUE), disclosures expiring within 48 h
 * (DISCLOSURE_EXPIRING), flags whose review date has come (FLAG_REVIEW_DUE) and agreements due for
 * review (AGREEMENT_REVIEW_DUE, to their parties) raise their notices,
 * each once (its dedupe key). Who is told is policy/notifications.ts's, at fan-out. Once at a time
 * across instances: the run holds a transaction-level advisory lock, and an instance that cannot
 * take it skips. A run that raises notices is audited.
 */
export async function runDeadlineClocks(db: DataSource, config: Pick<Config, 'deadlines'>, jobId: string | null = null): Promise<ClockRun> {
  return withSystemContext(db, async (tx) => {
    if (!(await tryLockClocks(tx))) return null;
    const notices = [
      ...(await overdueRequestNotices(tx)),
      ...(await expiringDisclosureNotices(tx, DISCLOSURE_EXPIRING_HOURS)),
      ...(await reviewDueFlagNotices(tx, config.deadlines.flagReviewLookbackDays)),
      ...(await reviewDueAgreementNotices(tx)),
    ];
    const raised: Record<string, number> = {};
    for (const n of notices) raised[n.type] = (raised[n.type] ?? 0) + 1;
    if (notices.length === 0) return { raised };
    await raiseNotices(tx, notices);
    await writeAuditEvents(tx, serviceWorkActor('deadline_clocks', jobId), [
      {
        action: AuditAction.NOTIFY,
        outcome: AuditOutcome.ALLOWED,
        // The records whose deadlines raised notices: named, not handed out to anyone.
        records: notices.map((n) => ({ kind: n.recordKind, id: n.recordId, referenced: true })),
        details: { clock: 'deadlines', raised },
      },
    ]);
    return { raised };
  });
}
