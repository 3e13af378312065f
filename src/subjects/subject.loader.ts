import type { Principal } from '../auth/principal';
import type { Queryable } from '../db/sql';
import { flagsOfSubjects, type FlagRow, toFlagView } from '../flags/flag.queries';
import type { Flag } from '../flags/flag.types';
import { groupedLoader } from '../graphql/grouped-loader';

/** Loaders for the fields nested under a subject; each applies the caller's scope in its SQL. */
export function subjectLoaders(db: Queryable, principal: Principal | null) {
  return {
    activeFlagsBySubject: groupedLoader<string, FlagRow, Flag>(
      (ids) => flagsOfSubjects(db, principal, ids, true),
      (row) => row.subject_id,
      (row) => toFlagView(row, principal!),
    ),
    flagsBySubject: groupedLoader<string, FlagRow, Flag>(
      (ids) => flagsOfSubjects(db, principal, ids, false),
      (row) => row.subject_id,
      (row) => toFlagView(row, principal!),
    ),
  };
}
