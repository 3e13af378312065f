import { and, type Queryable, raw, run, type Sql, sql } from '../db/sql';
import { offsetPage, type Page, type PageRequest } from '../db/paging';
import type { AgencyKind } from '../agencies/agency-kind';
import type { Role } from '../policy/roles';
import type { StaffMember } from './staff-directory.types';

/** People and partner apps alike, as the directory alias `m` (with its agency `a`). */
const DIRECTORY = raw(`(SELECT u.id, 'USER'::text AS kind, u.display_name, u.agency_id, u.roles::text[] AS roles,
         u.disabled_at IS NULL AS enabled FROM users u
       UNION ALL
       SELECT s.id, 'SERVICE'::text, s.name, s.agency_id, '{}'::text[], s.disabled_at IS NULL FROM service_accounts s) m
  JOIN agencies a ON a.id = m.agency_id`);

const COLUMNS = raw(`m.id, m.kind, m.display_name, m.roles, m.enabled, a.id AS agency_id, a.name AS agency_name, a.kind AS agency_kind`);

interface StaffRow {
  id: string;
  kind: 'USER' | 'SERVICE';
  display_name: string;
  roles: Role[];
  enabled: boolean;
  agency_id: string;
  agency_name: string;
  agency_kind: AgencyKind;
}

const toStaffMember = (r: StaffRow): StaffMember => ({
  id: r.id,
  kind: r.kind,
  displayName: r.display_name,
  roles: r.roles,
  enabled: r.enabled,
  agency: { id: r.agency_id, name: r.agency_name, kind: r.agency_kind },
});

export interface DirectoryFilter {
  agencyId?: string;
  search?: string;
}

/** The directory's condition: the caller's scope, then the filter (case-insensitive name search). */
export function directoryWhere(scope: Sql, filter: DirectoryFilter): Sql {
  const c: Sql[] = [scope];
  if (filter.agencyId) c.push(sql`m.agency_id = ${filter.agencyId.toLowerCase()}::uuid`);
  if (filter.search) c.push(sql`strpos(lower(m.display_name), lower(${filter.search})) > 0`);
  return and(c);
}

/** Entries within `scope`, by name; the scope and filter apply to the page and its totalCount alike. */
export async function listStaff(db: Queryable, scope: Sql, filter: DirectoryFilter, args: PageRequest): Promise<Page<StaffMember>> {
  const page = await offsetPage<StaffRow>(
    db,
    {
      list: 'staffDirectory',
      select: COLUMNS,
      from: DIRECTORY,
      where: directoryWhere(scope, filter),
      orderBy: raw('lower(m.display_name), m.id'),
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toStaffMember(e.node) })) };
}

/** The entries of these ids within `scope`, in one query (the directory's batch loader). */
export async function staffByIds(db: Queryable, scope: Sql, ids: readonly string[]): Promise<StaffMember[]> {
  const rows = await run<StaffRow>(db, sql`SELECT ${COLUMNS} FROM ${DIRECTORY} WHERE m.id = ANY(${[...ids]}::uuid[]) AND ${scope}`);
  return rows.map(toStaffMember);
}
