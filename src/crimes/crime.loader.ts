import type { Principal } from '../auth/principal';
import type { Queryable } from '../db/sql';
import { groupedLoader } from '../graphql/grouped-loader';
import { toSubjectView } from '../subjects/subject.queries';
import type { Subject } from '../subjects/subject.types';
import type { CrimeRole } from './crime.enums';
import { type CrimePersonRow, crimesOfSubjects, peopleOfCrimes, type SubjectCrimeRow, toCrimeView } from './crime.queries';
import type { SubjectCrimeLink } from './crime.types';

/** Loaders for crimes' people and subjects' crimes; each applies the caller's scope in its SQL. */
export function crimeLoaders(db: Queryable, principal: Principal | null) {
  return {
    peopleByCrime: groupedLoader<string, CrimePersonRow, { role: CrimeRole; subject: Subject }>(
      (ids) => peopleOfCrimes(db, principal, ids),
      (row) => row.crime_id,
      (row) => ({ role: row.role, subject: toSubjectView(row, principal!) }),
    ),
    crimeLinksBySubject: groupedLoader<string, SubjectCrimeRow, SubjectCrimeLink>(
      (ids) => crimesOfSubjects(db, principal, ids),
      (row) => row.subject_id,
      (row) => ({ role: row.role, crime: toCrimeView(row) }),
    ),
  };
}
