import type { Queryable } from '../db/sql';
import { agenciesById, allDivisions, type AgencyRow, type DivisionRow } from './agency.queries';

// The cache holds the rows as read; its users name them from here.
export type { AgencyRow, DivisionRow } from './agency.queries';

/**
 * Divisions and agencies, cached in the process: every list request used to look them up (a
 * division filter's existence, each report's submitting agency), one round trip each.
 *
 * Why a cache is safe here: divisions are written only by migrations (foreign keys RESTRICT their
 * removal), and the service creates agencies but never renames, re-kinds or removes one. Neither
 * decides access (the principal's own agency comes from its live lookup, not from here). A miss
 * reads the database, so a division or agency added after start is found at once; entries expire
 * after `REFERENCE_TTL_MS`, so a change made by hand in SQL shows within that time.
 */
export const REFERENCE_TTL_MS = 60_000;
/** Far above any real count of agencies; past it the cache starts afresh rather than grow. */
const MAX_AGENCIES = 10_000;

interface Cached<T> {
  value: T;
  expires: number;
}

class ReferenceData {
  private divisions?: Cached<Map<string, DivisionRow>>;
  private divisionsLoading?: Promise<Map<string, DivisionRow>>;
  private readonly agencyCache = new Map<string, Cached<AgencyRow>>();

  /** The division, or undefined if there is none with this id (checked against the database on a miss). */
  async division(db: Queryable, id: string): Promise<DivisionRow | undefined> {
    const now = Date.now();
    const cached = this.divisions && this.divisions.expires > now ? this.divisions.value : undefined;
    return cached?.get(id) ?? (await this.loadDivisions(db)).get(id);
  }

  /** Agencies by id, in order; undefined for an id that names none. One query for all the misses. */
  async agencies(db: Queryable, ids: readonly string[]): Promise<(AgencyRow | undefined)[]> {
    const now = Date.now();
    // Answered from what this call saw and fetched, not from the cache afterwards: another call may
    // clear it (past MAX_AGENCIES) while this one waits for the database.
    const found = new Map<string, AgencyRow>();
    const missing = new Set<string>();
    for (const id of ids) {
      const hit = this.agencyCache.get(id);
      if (hit && hit.expires > now) found.set(id, hit.value);
      else missing.add(id);
    }
    if (missing.size) {
      const rows = await agenciesById(db, [...missing]);
      if (this.agencyCache.size + rows.length > MAX_AGENCIES) this.agencyCache.clear();
      for (const row of rows) {
        found.set(row.id, row);
        this.agencyCache.set(row.id, { value: row, expires: now + REFERENCE_TTL_MS });
      }
    }
    return ids.map((id) => found.get(id));
  }

  /** All divisions in one query; concurrent misses share it. */
  private loadDivisions(db: Queryable): Promise<Map<string, DivisionRow>> {
    this.divisionsLoading ??= (async () => {
      try {
        const rows = await allDivisions(db);
        const value = new Map(rows.map((row) => [row.id, row]));
        this.divisions = { value, expires: Date.now() + REFERENCE_TTL_MS };
        return value;
      } finally {
        this.divisionsLoading = undefined;
      }
    })();
    return this.divisionsLoading;
  }
}

// One cache per database (tests run several in one process), keyed by the long-lived DataSource.
const caches = new WeakMap<object, ReferenceData>();

/**
 * The reference data of the database behind `db` (a DataSource, or a transaction's manager). A miss
 * reads through `db`, so inside a request it costs no second connection. A row a request created and
 * then rolled back may stay cached until it expires: harmless, as nothing here decides access and
 * nothing refers to a row that does not exist.
 */
export function referenceData(db: Queryable): {
  division(id: string): Promise<DivisionRow | undefined>;
  agencies(ids: readonly string[]): Promise<(AgencyRow | undefined)[]>;
} {
  const key = (db as { connection?: object }).connection ?? db;
  let cache = caches.get(key);
  if (!cache) caches.set(key, (cache = new ReferenceData()));
  const shared = cache;
  return { division: (id) => shared.division(db, id), agencies: (ids) => shared.agencies(db, ids) };
}
