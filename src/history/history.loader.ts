import type { Principal } from '../auth/principal';
import type { Queryable } from '../db/sql';
import { groupedLoader } from '../graphql/grouped-loader';
import { historyOfRecords, type HistoryRow, toHistoryEntry } from './history.queries';
import type { HistoryEntry } from './history.types';

/** A record's changes, oldest first, keyed by `${recordKind}:${recordId}`; none for a caller who reads no history. */
export function historyLoader(db: Queryable, principal: Principal | null) {
  return groupedLoader<string, HistoryRow, HistoryEntry>(
    (keys) => historyOfRecords(db, principal, keys),
    (row) => row.key,
    toHistoryEntry,
  );
}
