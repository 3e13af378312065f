import { assertDivisionExists } from '../agencies/divisions';
import type { Principal } from '../auth/principal';
import { and, raw, run, sql, type Sql, type Queryable } from '../db/sql';
import { badInput, notFound } from '../errors';
import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { crimeSubjectLinkScope, orNone } from '../policy/edges';
import { crimeReadScope, requireScope, subjectReadScope } from '../policy/records';
import { SUBJECT_COLUMNS, type SubjectRow } from '../subjects/subject.queries';
import type { CrimeRole } from './crime.enums';
import type { Crime, CrimeFilter } from './crime.types';

export interface CrimeRow {
  id: string;
  crime_reference: string;
  offence: string;
  division_id: string | null;
  recorded_on: string;
  created_at: Date;
}

export const CRIME_COLUMNS = raw('c.id, c.crime_reference, c.offence, c.division_id, c.recorded_on::text AS recorded_on, c.created_at');

export const toCrimeView = (row: CrimeRow): Crime => ({
  id: row.id,
  crimeReference: row.crime_reference,
  offence: row.offence,
  divisionId: row.division_id,
  recordedOn: row.recorded_on,
  createdAt: row.created_at,
});

const crimeScopeOf = (principal: Principal) => requireScope(crimeReadScope(principal));

/** One crime within the caller's scope, or NOT_FOUND exactly as if it did not exist. */
export async function findCrime(db: Queryable, principal: Principal, id: string): Promise<Crime> {
  const [row] = await run<CrimeRow>(db, sql`SELECT ${CRIME_COLUMNS} FROM crimes c WHERE c.id = ${id}::uuid AND ${crimeScopeOf(principal)}`);
  if (!row) throw notFound('Crime');
  return toCrimeView(row);
}

async function filterConditions(db: Queryable, principal: Principal, filter: CrimeFilter = {}): Promise<Sql[]> {
  const conditions: Sql[] = [];
  if (filter.division != null) {
    await assertDivisionExists(db, filter.division, 'filter.division');
    conditions.push(sql`c.division_id = ${filter.division}`);
  }
  if (filter.recordedFrom) conditions.push(sql`c.recorded_on >= ${filter.recordedFrom}::date`);
  if (filter.recordedTo) conditions.push(sql`c.recorded_on <= ${filter.recordedTo}::date`);
  if (filter.recordedFrom && filter.recordedTo && filter.recordedFrom > filter.recordedTo) {
    throw badInput('recordedFrom must not be after recordedTo', 'filter.recordedFrom');
  }
  if (filter.subjectId)
    conditions.push(
      sql`EXISTS (SELECT 1 FROM crime_subjects cs WHERE cs.crime_id = c.id AND cs.subject_id = ${filter.subjectId}::uuid AND ${orNone(crimeSubjectLinkScope(principal))})`,
    );
  return conditions;
}

/** Crimes, most recently recorded first, within the caller's scope; the filter refines it. */
export async function pageCrimes(db: Queryable, principal: Principal, args: PageRequest & { filter?: CrimeFilter }): Promise<Page<Crime>> {
  const where = and([crimeScopeOf(principal), ...(await filterConditions(db, principal, args.filter))]);
  const page = await keysetPage<CrimeRow>(
    db,
    {
      list: 'crimes',
      select: CRIME_COLUMNS,
      from: raw('crimes c'),
      where,
      sortColumn: raw('c.recorded_on'),
      idColumn: raw('c.id'),
      sortType: 'date',
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toCrimeView(e.node) })) };
}

/** Those of `ids` that name a subject the caller can see. */
export async function visibleSubjectIds(db: Queryable, principal: Principal, ids: string[]): Promise<string[]> {
  const subjectScope = subjectReadScope(principal) ?? raw('false');
  const found = await run<{ id: string }>(db, sql`SELECT s.id FROM subjects s WHERE s.id = ANY(${ids}::uuid[]) AND ${subjectScope}`);
  return found.map((f) => f.id);
}

export interface NewCrime {
  crimeReference: string;
  offence: string;
  divisionId: string | null;
  recordedOn: string;
  recordedByUserId: string;
}

/** Inserts the crime and returns its id; a taken crime reference fails with a unique violation. */
export async function insertCrime(db: Queryable, crime: NewCrime): Promise<string> {
  const [{ id }] = await run<{ id: string }>(
    db,
    sql`INSERT INTO crimes (crime_reference, offence, division_id, recorded_on, recorded_by_user_id)
            VALUES (${crime.crimeReference}, ${crime.offence}, ${crime.divisionId}, ${crime.recordedOn}::date, ${crime.recordedByUserId}::uuid)
            RETURNING id`,
  );
  return id;
}

/** Links each of `subjectIds` to the crime in the role at the same position of `roles`. */
export async function insertCrimeSubjects(db: Queryable, crimeId: string, subjectIds: string[], roles: CrimeRole[]): Promise<void> {
  await run(
    db,
    sql`INSERT INTO crime_subjects (crime_id, subject_id, role) SELECT ${crimeId}::uuid, p.subject_id, p.role
          FROM unnest(${subjectIds}::uuid[], ${roles}::crime_role[]) AS p(subject_id, role)`,
  );
}

export type CrimePersonRow = SubjectRow & { crime_id: string; role: CrimeRole };

/** The victims and suspects of the crimes, by name, that the caller may see on them. */
export function peopleOfCrimes(db: Queryable, principal: Principal | null, crimeIds: readonly string[]): Promise<CrimePersonRow[]> {
  const subjectScope = (principal && subjectReadScope(principal)) ?? raw('false');
  // Crime.victims/suspects and Subject.crimes: one edge, one decision (policy/edges.ts).
  const linkScope = orNone(principal && crimeSubjectLinkScope(principal));
  return run(
    db,
    sql`SELECT cs.crime_id, cs.role, ${SUBJECT_COLUMNS} FROM crime_subjects cs JOIN subjects s ON s.id = cs.subject_id
               WHERE cs.crime_id = ANY(${[...crimeIds]}::uuid[]) AND ${subjectScope} AND ${linkScope}
               ORDER BY s.full_name, s.id`,
  );
}

export type SubjectCrimeRow = CrimeRow & { subject_id: string; role: CrimeRole };

/** The crimes the subjects are part of, most recently recorded first, that the caller may see on them. */
export function crimesOfSubjects(db: Queryable, principal: Principal | null, subjectIds: readonly string[]): Promise<SubjectCrimeRow[]> {
  const linkScope = orNone(principal && crimeSubjectLinkScope(principal));
  return run(
    db,
    sql`SELECT cs.subject_id, cs.role, ${CRIME_COLUMNS} FROM crime_subjects cs JOIN crimes c ON c.id = cs.crime_id
               WHERE cs.subject_id = ANY(${[...subjectIds]}::uuid[]) AND ${linkScope}
               ORDER BY c.recorded_on DESC, c.id DESC`,
  );
}
