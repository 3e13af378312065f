import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { raw, run, sql } from '../db/sql';
import { FLAG_COLUMNS, type FlagRow, toFlagView } from '../flags/flag.service';
import type { Flag } from '../flags/flag.types';
import { groupedLoader } from '../graphql/grouped-loader';
import { orNone, subjectFlagScope } from '../policy/edges';

/** Loaders for the fields nested under a subject; each applies the caller's scope in its SQL. */
export function subjectLoaders(db: EntityManager, principal: Principal | null) {
  const scope = orNone(principal && subjectFlagScope(principal));
  const flagsOf = (ids: readonly string[], onlyActive: boolean) =>
    run<FlagRow>(
      db,
      sql`SELECT ${FLAG_COLUMNS} FROM flags f JOIN subjects s ON s.id = f.subject_id
           WHERE f.subject_id = ANY(${[...ids]}::uuid[]) AND ${onlyActive ? raw(`f.status = 'ACTIVE'`) : raw('true')}
             AND ${scope}
           ORDER BY f.set_at DESC, f.id`,
    );
  return {
    activeFlagsBySubject: groupedLoader<string, FlagRow, Flag>(
      (ids) => flagsOf(ids, true),
      (row) => row.subject_id,
      (row) => toFlagView(row, principal!),
    ),
    flagsBySubject: groupedLoader<string, FlagRow, Flag>(
      (ids) => flagsOf(ids, false),
      (row) => row.subject_id,
      (row) => toFlagView(row, principal!),
    ),
  };
}
