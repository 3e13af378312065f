import type { Queryable } from '../db/sql';
import { badInput } from '../errors';
import { referenceData } from './reference-data';

/** Refuses a division id that is not one of the GMP divisions, naming the field it came from. */
export async function assertDivisionExists(db: Queryable, divisionId: string, field: string): Promise<void> {
  // Blank is neither a division nor "no division" (that is null, or leaving the field out).
  if (!divisionId.trim()) throw badInput(`${field} must not be blank: leave it out for no division`, field);
  // Reference data, cached in process (see reference-data.ts); an unknown id is checked in the database.
  if (!(await referenceData(db).division(divisionId))) throw badInput(`Unknown division: ${divisionId}`, field);
}
