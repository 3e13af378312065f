import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { run, sql } from '../db/sql';
import { historyScope } from '../policy/edges';
import { groupedLoader } from '../graphql/grouped-loader';
import type { HistoryEntry } from './history.types';

interface HistoryRow {
  key: string;
  action: string;
  actor_id: string;
  actor_agency_id: string;
  changed_at: Date;
  before: unknown;
  after: unknown;
}

/** A record's changes, oldest first, keyed by `${recordKind}:${recordId}`; none for a caller who reads no history. */
export function historyLoader(db: EntityManager, principal: Principal | null) {
  return groupedLoader<string, HistoryRow, HistoryEntry>(
    (keys) => {
      const [kinds, ids] = [keys.map((k) => k.split(':')[0]), keys.map((k) => k.split(':')[1])];
      return run<HistoryRow>(
        db,
        sql`SELECT h.record_kind || ':' || h.record_id AS key, h.action, h.actor_id, h.actor_agency_id, h.changed_at, h.before, h.after
              FROM record_history h JOIN unnest(${kinds}::text[], ${ids}::uuid[]) AS k(kind, id)
                ON h.record_kind = k.kind AND h.record_id = k.id
             WHERE ${historyScope(principal)}
             ORDER BY h.changed_at, h.id`,
      );
    },
    (row) => row.key,
    (row) => ({
      action: row.action,
      actorId: row.actor_id,
      actorAgencyId: row.actor_agency_id,
      changedAt: row.changed_at,
      before: row.before,
      after: row.after,
    }),
  );
}
