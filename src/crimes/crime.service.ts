import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page, PageRequest } from '../db/paging';
import { assertDivisionExists } from '../agencies/divisions';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { CrimeRole } from './crime.enums';
import { findCrime, insertCrime, insertCrimeSubjects, pageCrimes, visibleSubjectIds } from './crime.queries';
import type { Crime, CrimeFilter, RecordCrimeInput } from './crime.types';

export function getCrime(ctx: RequestContext, id: string): Promise<Crime> {
  return findCrime(ctx.db, authorize(ctx, Permission.READ_CRIMES), id);
}

/** Crimes, most recently recorded first, within the caller's scope. */
export function listCrimes(ctx: RequestContext, args: PageRequest & { filter?: CrimeFilter }): Promise<Page<Crime>> {
  return pageCrimes(ctx.db, authorize(ctx, Permission.READ_CRIMES), args);
}

/** Records a CSE-linked crime with its victims and suspects (subjects the caller can see). */
export async function recordCrime(ctx: RequestContext, input: RecordCrimeInput): Promise<Crime> {
  const principal = authorize(ctx, Permission.RECORD_CRIMES);
  const suspectIds = input.suspectIds ?? [];
  const both = input.victimIds.filter((id) => suspectIds.includes(id));
  if (both.length) throw badInput('The same person cannot be both victim and suspect of one crime', 'input.suspectIds');
  if (input.recordedOn > new Date().toISOString().slice(0, 10)) throw badInput('recordedOn must not be in the future', 'input.recordedOn');
  if (input.recordedOn < '1970-01-01') throw badInput('recordedOn is implausibly early', 'input.recordedOn');
  return inTransaction(ctx, async (ctx) => {
    if (input.divisionId != null) await assertDivisionExists(ctx.db, input.divisionId, 'input.divisionId');
    const people = [...input.victimIds, ...suspectIds];
    const found = await visibleSubjectIds(ctx.db, principal, people);
    const missing = people.filter((id) => !found.includes(id));
    if (missing.length)
      throw notFound(`Subject ${missing.join(', ')}`, input.victimIds.includes(missing[0]) ? 'input.victimIds' : 'input.suspectIds');

    let id: string;
    try {
      id = await insertCrime(ctx.db, {
        crimeReference: input.crimeReference,
        offence: input.offence.trim(),
        divisionId: input.divisionId ?? null,
        recordedOn: input.recordedOn,
        recordedByUserId: principal.id,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('A crime with this reference already exists', { field: 'input.crimeReference' });
      throw error;
    }
    const roles = [...input.victimIds.map(() => CrimeRole.VICTIM), ...suspectIds.map(() => CrimeRole.SUSPECT)];
    await insertCrimeSubjects(ctx.db, id, people, roles);
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
