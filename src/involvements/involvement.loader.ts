import type { Principal } from '../auth/principal';
import type { Queryable } from '../db/sql';
import { groupedLoader } from '../graphql/grouped-loader';
import { involvedAgenciesOfSubjects, type InvolvedRow, toInvolvedAgency } from './involvement.queries';
import type { InvolvedAgency } from './involvement.types';

/** The agencies actively involved with each subject (name and contact only), for subjects the caller may read. */
export function involvementLoaders(db: Queryable, principal: Principal | null) {
  return {
    involvedAgenciesBySubject: groupedLoader<string, InvolvedRow, InvolvedAgency>(
      (ids) => involvedAgenciesOfSubjects(db, principal, ids),
      (row) => row.subject_id,
      toInvolvedAgency,
    ),
  };
}
