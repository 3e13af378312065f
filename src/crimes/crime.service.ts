import { assertDivisionExists } from '../agencies/divisions';
import type { Principal } from '../auth/principal';
import { isUniqueViolation } from '../db/errors';
import { and, raw, run, sql, type Sql, type Queryable } from '../db/sql';
import { badInput, conflict, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { crimeSubjectLinkScope, orNone } from '../policy/edges';
import { crimeReadScope, requireScope, subjectReadScope } from '../policy/records';
import { CrimeRole } from './crime.enums';
import type { Crime, CrimeFilter, RecordCrimeInput } from './crime.types';

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

export async function findCrime(db: Queryable, principal: Principal, id: string): Promise<Crime> {
  const [row] = await run<CrimeRow>(db, sql`SELECT ${CRIME_COLUMNS} FROM crimes c WHERE c.id = ${id}::uuid AND ${crimeScopeOf(principal)}`);
  if (!row) throw notFound('Crime');
  return toCrimeView(row);
}

export function getCrime(ctx: RequestContext, id: string): Promise<Crime> {
  return findCrime(ctx.db, authorize(ctx, Permission.READ_CRIMES), id);
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

/** Crimes, most recently recorded first, within the caller's scope. */
export async function listCrimes(ctx: RequestContext, args: PageRequest & { filter?: CrimeFilter }): Promise<Page<Crime>> {
  const principal = authorize(ctx, Permission.READ_CRIMES);
  const where = and([crimeScopeOf(principal), ...(await filterConditions(ctx.db, principal, args.filter))]);
  const page = await keysetPage<CrimeRow>(
    ctx.db,
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

/** Records a CSE-linked crime with its victims and suspects (subjects the caller can see). */
export async function recordCrime(ctx: RequestContext, input: RecordCrimeInput): Promise<Crime> {
  const principal = authorize(ctx, Permission.RECORD_CRIMES);
  const suspectIds = input.suspectIds ?? [];
  const both = input.victimIds.filter((id) => suspectIds.includes(id));
  if (both.length) throw badInput('The same person cannot be both victim and suspect of one crime', 'input.suspectIds');
  if (input.recordedOn > new Date().toISOString().slice(0, 10)) throw badInput('recordedOn must not be in the future', 'input.recordedOn');
  if (input.recordedOn < '1970-01-01') throw badInput('recordedOn is implausibly early', 'input.recordedOn');
  const subjectScope = subjectReadScope(principal) ?? raw('false');
  return inTransaction(ctx, async (ctx) => {
    if (input.divisionId != null) await assertDivisionExists(ctx.db, input.divisionId, 'input.divisionId');
    const people = [...input.victimIds, ...suspectIds];
    const found = await run<{ id: string }>(
      ctx.db,
      sql`SELECT s.id FROM subjects s WHERE s.id = ANY(${people}::uuid[]) AND ${subjectScope}`,
    );
    const missing = people.filter((id) => !found.some((f) => f.id === id));
    if (missing.length)
      throw notFound(`Subject ${missing.join(', ')}`, input.victimIds.includes(missing[0]) ? 'input.victimIds' : 'input.suspectIds');

    let id: string;
    try {
      [{ id }] = await run<{ id: string }>(
        ctx.db,
        sql`INSERT INTO crimes (crime_reference, offence, division_id, recorded_on, recorded_by_user_id)
            VALUES (${input.crimeReference}, ${input.offence.trim()}, ${input.divisionId ?? null}, ${input.recordedOn}::date, ${principal.id}::uuid)
            RETURNING id`,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('A crime with this reference already exists', { field: 'input.crimeReference' });
      throw error;
    }
    const roles = [...input.victimIds.map(() => CrimeRole.VICTIM), ...suspectIds.map(() => CrimeRole.SUSPECT)];
    await run(
      ctx.db,
      sql`INSERT INTO crime_subjects (crime_id, subject_id, role) SELECT ${id}::uuid, p.subject_id, p.role
          FROM unnest(${people}::uuid[], ${roles}::crime_role[]) AS p(subject_id, role)`,
    );
    const crime = await findCrime(ctx.db, principal, id);
    await recordChange(ctx, {
      kind: 'crime',
      id,
      action: 'recorded',
      before: null,
      after: { ...crime, victimIds: input.victimIds, suspectIds },
    });
    return crime;
  });
}
