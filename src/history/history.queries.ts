import type { Principal } from '../auth/principal';
import { run, sql, type Queryable } from '../db/sql';
import { storableJson } from '../db/safe-text';
import { historyScope } from '../policy/edges';
import type { HistoryEntry } from './history.types';
import type { RecordChange } from './record-change';

/**
 * Appends the changes to their records' histories in one statement, as made by `actor`, and returns
 * the new entries' ids in the changes' order.
 */
export async function insertHistoryEntries(db: Queryable, actor: Principal, changes: readonly RecordChange[]): Promise<string[]> {
  const rows = changes.map((c, ord) => ({ ord, record_kind: c.kind, record_id: c.id, action: c.action, before: c.before, after: c.after }));
  // Ids drawn in the changes' order (the CTE is evaluated once), so each audit event points at its own entry.
  const entries = await run<{ id: string }>(
    db,
    sql`WITH c AS (
          SELECT nextval('record_history_id_seq')::text AS id, x.*
            FROM (SELECT * FROM jsonb_to_recordset(${storableJson(rows)}::jsonb)
                    AS x(ord int, record_kind text, record_id uuid, action text, before jsonb, after jsonb) ORDER BY ord) x),
        written AS (
          INSERT INTO record_history (id, record_kind, record_id, action, actor_id, actor_agency_id, before, after)
          SELECT id::bigint, record_kind, record_id, action, ${actor.id}::uuid, ${actor.agency.id}::uuid, before, after FROM c)
        SELECT id FROM c ORDER BY ord`,
  );
  return entries.map((e) => e.id);
}

export interface HistoryRow {
  key: string;
  action: string;
  actor_id: string;
  actor_agency_id: string;
  changed_at: Date;
  before: unknown;
  after: unknown;
}

/** The changes of the records named by `keys` (`${recordKind}:${recordId}`), oldest first; none for a caller who reads no history. */
export function historyOfRecords(db: Queryable, principal: Principal | null, keys: readonly string[]): Promise<HistoryRow[]> {
  const [kinds, ids] = [keys.map((k) => k.split(':')[0]), keys.map((k) => k.split(':')[1])];
  return run<HistoryRow>(
    db,
    sql`SELECT h.record_kind || ':' || h.record_id AS key, h.action, h.actor_id, h.actor_agency_id, h.changed_at, h.before, h.after
              FROM record_history h JOIN unnest(${kinds}::text[], ${ids}::uuid[]) AS k(kind, id)
                ON h.record_kind = k.kind AND h.record_id = k.id
             WHERE ${historyScope(principal)}
             ORDER BY h.changed_at, h.id`,
  );
}

export const toHistoryEntry = (row: HistoryRow): HistoryEntry => ({
  action: row.action,
  actorId: row.actor_id,
  actorAgencyId: row.actor_agency_id,
  changedAt: row.changed_at,
  before: row.before,
  after: row.after,
});
