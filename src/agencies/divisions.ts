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

/**
 * `assertDivisionExists` for many ids (each distinct id looked up once, from the cache); `fieldOf(i)` names the field the i-th id came
 * from (`inputs[3].divisionId`). Null and undefined ids (no division) pass.
 */
export async function assertDivisionsExist(
  db: Queryable,
  divisionIds: readonly (string | null | undefined)[],
  fieldOf: (i: number) => string,
): Promise<void> {
  divisionIds.forEach((id, i) => {
    if (id != null && !id.trim()) throw badInput(`${fieldOf(i)} must not be blank: leave it out for no division`, fieldOf(i));
  });
  const wanted = [...new Set(divisionIds.filter((id): id is string => id != null))];
  if (wanted.length === 0) return;
  const found = await Promise.all(wanted.map((id) => referenceData(db).division(id)));
  const known = new Set(wanted.filter((_, i) => found[i]));
  const i = divisionIds.findIndex((id) => id != null && !known.has(id));
  if (i >= 0) throw badInput(`${fieldOf(i)}: unknown division ${divisionIds[i]}`, fieldOf(i));
}
