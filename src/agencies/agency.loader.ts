import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';

export interface DivisionRef {
  id: string;
  name: string;
}

/** Batches `Agency.divisions` across a whole response into one query. */
export function divisionsByAgencyLoader(db: EntityManager): DataLoader<string, DivisionRef[]> {
  return new DataLoader(async (agencyIds) => {
    const rows: { agency_id: string; id: string; name: string }[] = await db.query(
      `SELECT ad.agency_id, d.id, d.name
         FROM agency_divisions ad JOIN divisions d ON d.id = ad.division_id
        WHERE ad.agency_id = ANY($1::uuid[])
        ORDER BY d.name`,
      [agencyIds],
    );
    const byAgency = new Map<string, DivisionRef[]>();
    for (const { agency_id, id, name } of rows) {
      byAgency.set(agency_id, [...(byAgency.get(agency_id) ?? []), { id, name }]);
    }
    return agencyIds.map((id) => byAgency.get(id) ?? []);
  });
}
