import type { RequestContext } from '../context/request-context';
import { recordChangesAudit } from '../audit/audit.service';
import { raiseNotices } from '../notifications/notification.queries';
import { noticeOfChange } from '../policy/notifications';
import { insertHistoryEntries } from './history.queries';
import type { RecordChange } from './record-change';

export type { RecordChange, RecordKind } from './record-change';

/**
 * Appends one change (who, when, before, after) to the record's history and its audit event, both in
 * the caller's transaction (`ctx.db`): if either cannot be written, the change does not happen.
 */
export function recordChange(ctx: RequestContext, change: RecordChange): Promise<void> {
  return recordChanges(ctx, [change]);
}

/**
 * `recordChange` for many changes at once: their history entries in one statement and their audit
 * events in another, whatever their number (a batch of submissions). The notices the changes raise
 * (policy/notifications.ts `noticeOfChange`) go to the outbox in the same transaction: no change
 * without its notice, no notice without its change.
 */
export async function recordChanges(ctx: RequestContext, changes: readonly RecordChange[]): Promise<void> {
  const actor = ctx.principal;
  if (!actor) throw new Error('a change needs a signed-in actor');
  if (changes.length === 0) return;
  const entryIds = await insertHistoryEntries(ctx.db, actor, changes);
  await recordChangesAudit(
    ctx,
    changes.map((change, i) => ({ change, historyId: entryIds[i] })),
  );
  await raiseNotices(
    ctx.db,
    changes.flatMap((change) => {
      const type = noticeOfChange(change);
      return type
        ? [{ type, recordKind: change.kind, recordId: change.id, actingAgencyId: actor.agency.id, actingPrincipalId: actor.id }]
        : [];
    }),
  );
}
