import { type Queryable, run, sql } from '../db/sql';
import { badInput } from '../errors';

/** Refuses a division id that is not one of the GMP divisions, naming the field it came from. */
export async function assertDivisionExists(db: Queryable, divisionId: string, field: string): Promise<void> {
  // Blank is neither a division nor "no division" (that is null, or leaving the field out).
  if (!divisionId.trim()) throw badInput(`${field} must not be blank: leave it out for no division`, field);
  const [known] = await run(db, sql`SELECT 1 FROM divisions WHERE id = ${divisionId}`);
  if (!known) throw badInput(`Unknown division: ${divisionId}`, field);
}
