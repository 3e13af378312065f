import { AgencyKind } from '../agencies/agency-kind';
import type { Principal } from '../auth/principal';
import { and, raw, run, sql, type Queryable } from '../db/sql';
import { notFound } from '../errors';
import { keysetPage, type Page } from '../db/paging';
import { orNone, subjectInvolvementScope } from '../policy/edges';
import { involvementReadScope, knownToAgency, requireScope } from '../policy/records';
import { normaliseNhsNumber } from '../subjects/nhs-number';
import type { InvolvedAgency, Involvement, InvolvementListArgs } from './involvement.types';
import type { InvolvementKind, LawfulBasis } from './involvement.enums';

export interface InvolvementRow {
  id: string;
  subject_id: string;
  agency_id: string;
  kind: InvolvementKind;
  lawful_basis: LawfulBasis;
  contact: string;
  registered_by_user_id: string;
  registered_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
}

export const INVOLVEMENT_COLUMNS = raw(`i.id, i.subject_id, i.agency_id, i.kind, i.lawful_basis, i.contact, i.registered_by_user_id,
  i.registered_at, i.ended_at, i.end_reason`);

export const toInvolvementView = (row: InvolvementRow): Involvement => ({
  id: row.id,
  subjectId: row.subject_id,
  agencyId: row.agency_id,
  kind: row.kind,
  lawfulBasis: row.lawful_basis,
  contact: row.contact,
  registeredByUserId: row.registered_by_user_id,
  registeredAt: row.registered_at,
  endedAt: row.ended_at,
  endReason: row.end_reason,
  active: row.ended_at === null,
});

/** One involvement within the caller's scope (locked with `lock`), or NOT_FOUND on `id`. */
export async function findInvolvement(db: Queryable, principal: Principal, id: string, lock = false): Promise<Involvement> {
  const [row] = await run<InvolvementRow>(
    db,
    sql`SELECT ${INVOLVEMENT_COLUMNS} FROM involvements i WHERE i.id = ${id}::uuid AND ${requireScope(involvementReadScope(principal))}
        ${raw(lock ? 'FOR UPDATE' : '')}`,
  );
  if (!row) throw notFound('Involvement', 'id');
  return toInvolvementView(row);
}

/**
 * Whether the agency can reach the subject to register an involvement: the subject is known to it,
 * or (when `identifier` is given and `byIdentifier` allows it) carries the identifier the agency
 * gives out (an NHS number compared without its spaces). The subject is not yet known to the agency,
 * so outside its row-level security: subject_has_identifier matches the identifier of the caller's
 * kind of agency, and answers only that.
 */
export async function subjectReachable(
  db: Queryable,
  agency: Principal['agency'],
  subjectId: string,
  identifier: string | undefined,
  byIdentifier: boolean,
): Promise<boolean> {
  const known = sql`EXISTS (SELECT 1 FROM subjects s WHERE s.id = ${subjectId}::uuid AND ${knownToAgency(agency.id)})`;
  const issued = (id: string) =>
    byIdentifier
      ? sql`subject_has_identifier(${subjectId}::uuid, ${agency.kind}, ${agency.kind === AgencyKind.HEALTH ? normaliseNhsNumber(id) : id})`
      : raw('false');
  const reachable = identifier ? sql`(${known} OR ${issued(identifier)})` : known;
  const [{ found }] = await run<{ found: boolean }>(db, sql`SELECT ${reachable} AS found`);
  return found;
}

export interface NewInvolvement {
  subjectId: string;
  agencyId: string;
  kind: InvolvementKind;
  lawfulBasis: LawfulBasis;
  contact: string;
  registeredByUserId: string;
}

/** Inserts the involvement and returns its id; a second active one of its kind fails with a unique violation. */
export async function insertInvolvement(db: Queryable, involvement: NewInvolvement): Promise<string> {
  const [{ id }] = await run<{ id: string }>(
    db,
    sql`INSERT INTO involvements (subject_id, agency_id, kind, lawful_basis, contact, registered_by_user_id)
            VALUES (${involvement.subjectId}::uuid, ${involvement.agencyId}::uuid, ${involvement.kind}, ${involvement.lawfulBasis}, ${involvement.contact}, ${involvement.registeredByUserId}::uuid)
            RETURNING id`,
  );
  return id;
}

/** Ends the involvement; the row stays, with who ended it and why. */
export async function markInvolvementEnded(db: Queryable, id: string, endedByUserId: string, reason: string): Promise<void> {
  await run(
    db,
    sql`UPDATE involvements SET ended_at = now(), ended_by_user_id = ${endedByUserId}::uuid, end_reason = ${reason}
           WHERE id = ${id}::uuid`,
  );
}

/** Involvements newest first within the caller's scope, filtered by subject and by whether they are active. */
export async function pageInvolvements(db: Queryable, principal: Principal, args: InvolvementListArgs): Promise<Page<Involvement>> {
  const conditions = [requireScope(involvementReadScope(principal))];
  if (args.filter?.subjectId) conditions.push(sql`i.subject_id = ${args.filter.subjectId}::uuid`);
  if (args.filter?.active != null) conditions.push(args.filter.active ? raw('i.ended_at IS NULL') : raw('i.ended_at IS NOT NULL'));
  const page = await keysetPage<InvolvementRow>(
    db,
    {
      list: 'involvements',
      select: INVOLVEMENT_COLUMNS,
      from: raw('involvements i'),
      where: and(conditions),
      sortColumn: raw('i.registered_at'),
      idColumn: raw('i.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toInvolvementView(e.node) })) };
}

export interface InvolvedRow {
  subject_id: string;
  agency_id: string;
  name: string;
  kind: AgencyKind;
  contact: string;
}

/** The agencies actively involved with each subject (name and contact only), where the caller may see them. */
export function involvedAgenciesOfSubjects(
  db: Queryable,
  principal: Principal | null,
  subjectIds: readonly string[],
): Promise<InvolvedRow[]> {
  const scope = orNone(principal && subjectInvolvementScope(principal));
  return run(
    db,
    sql`SELECT i.subject_id, a.id AS agency_id, a.name, a.kind, i.contact
                FROM involvements i JOIN agencies a ON a.id = i.agency_id JOIN subjects s ON s.id = i.subject_id
               WHERE i.subject_id = ANY(${[...subjectIds]}::uuid[]) AND ${scope}
               ORDER BY a.name, i.registered_at`,
  );
}

export const toInvolvedAgency = (row: InvolvedRow): InvolvedAgency => ({
  agency: { id: row.agency_id, name: row.name, kind: row.kind },
  contact: row.contact,
});
