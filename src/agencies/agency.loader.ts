import DataLoader from 'dataloader';
import type { Queryable } from '../db/sql';
import type { AgencyStatus } from './agency-status';
import { agencyStatuses, divisionsOfAgencies } from './agency.queries';

export interface DivisionRef {
  id: string;
  name: string;
}

/** Batches `Agency.divisions` across a whole response into one query. */
export function divisionsByAgencyLoader(db: Queryable): DataLoader<string, DivisionRef[]> {
  return new DataLoader(async (agencyIds) => {
    const rows = await divisionsOfAgencies(db, agencyIds);
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
export function agencyStatusLoader(db: Queryable): DataLoader<string, AgencyStatus | undefined> {
  return new DataLoader(async (ids) => {
    const rows = await agencyStatuses(db, ids);
    const byId = new Map(rows.map((r) => [r.id, r.status]));
    return ids.map((id) => byId.get(id));
  });
}
