import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import type { AgencyStatus } from './agency-status';

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

/**
 * Batches `Agency.status` where the agency came from the reference-data cache (which keeps no
 * status: it changes on approval). Read live, once per response.
 */
export function agencyStatusLoader(db: EntityManager): DataLoader<string, AgencyStatus | undefined> {
  return new DataLoader(async (ids) => {
    const rows: { id: string; status: AgencyStatus }[] = await db.query(`SELECT id, status FROM agencies WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
    const byId = new Map(rows.map((r) => [r.id, r.status]));
    return ids.map((id) => byId.get(id));
  });
}
