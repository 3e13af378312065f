import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { raw, run, sql } from '../db/sql';
import { groupedLoader } from '../graphql/grouped-loader';
import { crimeSubjectLinkScope, orNone } from '../policy/edges';
import { subjectReadScope } from '../policy/records';
import { SUBJECT_COLUMNS, type SubjectRow, toSubjectView } from '../subjects/subject.queries';
import type { Subject } from '../subjects/subject.types';
import type { CrimeRole } from './crime.enums';
import { CRIME_COLUMNS, type CrimeRow, toCrimeView } from './crime.service';
import type { SubjectCrimeLink } from './crime.types';

/** Loaders for crimes' people and subjects' crimes; each applies the caller's scope in its SQL. */
export function crimeLoaders(db: EntityManager, principal: Principal | null) {
  const subjectScope = (principal && subjectReadScope(principal)) ?? raw('false');
  // Crime.victims/suspects and Subject.crimes: one edge, one decision (policy/edges.ts).
  const linkScope = orNone(principal && crimeSubjectLinkScope(principal));
  return {
    peopleByCrime: groupedLoader<string, SubjectRow & { crime_id: string; role: CrimeRole }, { role: CrimeRole; subject: Subject }>(
      (ids) =>
        run(
          db,
          sql`SELECT cs.crime_id, cs.role, ${SUBJECT_COLUMNS} FROM crime_subjects cs JOIN subjects s ON s.id = cs.subject_id
               WHERE cs.crime_id = ANY(${[...ids]}::uuid[]) AND ${subjectScope} AND ${linkScope}
               ORDER BY s.full_name, s.id`,
        ),
      (row) => row.crime_id,
      (row) => ({ role: row.role, subject: toSubjectView(row, principal!) }),
    ),
    crimeLinksBySubject: groupedLoader<string, CrimeRow & { subject_id: string; role: CrimeRole }, SubjectCrimeLink>(
      (ids) =>
        run(
          db,
          sql`SELECT cs.subject_id, cs.role, ${CRIME_COLUMNS} FROM crime_subjects cs JOIN crimes c ON c.id = cs.crime_id
               WHERE cs.subject_id = ANY(${[...ids]}::uuid[]) AND ${linkScope}
               ORDER BY c.recorded_on DESC, c.id DESC`,
        ),
      (row) => row.subject_id,
      (row) => ({ role: row.role, crime: toCrimeView(row) }),
    ),
  };
}
