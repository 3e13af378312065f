import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { agencyStatusLoader, divisionsByAgencyLoader } from '../agencies/agency.loader';
import { crimeLoaders } from '../crimes/crime.loader';
import { historyLoader } from '../history/history.loader';
import { reportLoaders } from '../intelligence/intelligence.loader';
import { subjectLoaders } from '../subjects/subject.loader';
import { involvementLoaders } from '../involvements/involvement.loader';
import { disclosureLoaders } from '../disclosures/disclosure.loader';
import { staffLoader } from '../users/staff-directory.loader';

/** Per-request batch loaders: nested fields cost one query per field, not one per row. */
export function createLoaders(db: EntityManager, principal: Principal | null) {
  return {
    divisionsByAgency: divisionsByAgencyLoader(db),
    agencyStatus: agencyStatusLoader(db),
    ...reportLoaders(db, principal),
    ...subjectLoaders(db, principal),
    ...crimeLoaders(db, principal),
    ...involvementLoaders(db, principal),
    ...disclosureLoaders(db, principal),
    history: historyLoader(db, principal),
    staffById: staffLoader(db, principal),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
