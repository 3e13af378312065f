import type { RequestContext } from '../context/request-context';
import { recordChangesAudit } from '../audit/audit.service';
import { run, sql } from '../db/sql';
import { storableJson } from '../db/safe-text';
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
 * events in another, whatever their number (a batch of submissions).
 */
export async function recordChanges(ctx: RequestContext, changes: readonly RecordChange[]): Promise<void> {
  const actor = ctx.principal;
  if (!actor) throw new Error('a change needs a signed-in actor');
  if (changes.length === 0) return;
  const rows = changes.map((c, ord) => ({ ord, record_kind: c.kind, record_id: c.id, action: c.action, before: c.before, after: c.after }));
  // Ids drawn in the changes' order (the CTE is evaluated once), so each audit event points at its own entry.
  const entries = await run<{ id: string }>(
    ctx.db,
    sql`WITH c AS (
          SELECT nextval('record_history_id_seq')::text AS id, x.*
            FROM (SELECT * FROM jsonb_to_recordset(${storableJson(rows)}::jsonb)
                    AS x(ord int, record_kind text, record_id uuid, action text, before jsonb, after jsonb) ORDER BY ord) x),
        written AS (
          INSERT INTO record_history (id, record_kind, record_id, action, actor_id, actor_agency_id, before, after)
          SELECT id::bigint, record_kind, record_id, action, ${actor.id}::uuid, ${actor.agency.id}::uuid, before, after FROM c)
        SELECT id FROM c ORDER BY ord`,
  );
  await recordChangesAudit(
    ctx,
    changes.map((change, i) => ({ change, historyId: entries[i].id })),
  );
}
