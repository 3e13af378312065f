import type { DataSource } from 'typeorm';
import type { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { raw, run, sql } from '../db/sql';
import { groupedLoader } from '../graphql/grouped-loader';
import { involvedAgencyScope } from '../policy/records';
import type { InvolvedAgency } from './involvement.types';

interface InvolvedRow {
  subject_id: string;
  agency_id: string;
  name: string;
  kind: AgencyKind;
  contact: string;
}

/** The agencies actively involved with each subject (name and contact only), for subjects the caller may read. */
export function involvementLoaders(db: DataSource, principal: Principal | null) {
  const scope = (principal && involvedAgencyScope(principal)) ?? raw('false');
  return {
    involvedAgenciesBySubject: groupedLoader<string, InvolvedRow, InvolvedAgency>(
      (ids) =>
        run(
          db,
          sql`SELECT i.subject_id, a.id AS agency_id, a.name, a.kind, i.contact
                FROM involvements i JOIN agencies a ON a.id = i.agency_id JOIN subjects s ON s.id = i.subject_id
               WHERE i.subject_id = ANY(${[...ids]}::uuid[]) AND ${scope}
               ORDER BY a.name, i.registered_at`,
        ),
      (row) => row.subject_id,
      (row) => ({ agency: { id: row.agency_id, name: row.name, kind: row.kind }, contact: row.contact }),
    ),
  };
}
