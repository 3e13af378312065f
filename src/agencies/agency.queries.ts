import type { EntityManager } from 'typeorm';
import { type Queryable, run, sql } from '../db/sql';
import type { AgencyKind } from './agency-kind';
import { AgencyStatus } from './agency-status';
import { AgencyEntity } from './agency.entity';
import { DivisionEntity } from './division.entity';

/** All agencies, by name. */
export function agenciesByName(db: EntityManager): Promise<AgencyEntity[]> {
  return db.getRepository(AgencyEntity).find({ order: { name: 'ASC' } });
}

/** All divisions, by name. */
export function divisionsByName(db: EntityManager): Promise<DivisionEntity[]> {
  return db.getRepository(DivisionEntity).find({ order: { name: 'ASC' } });
}

/** The divisions among `ids` that exist (in no particular order). */
export function findDivisions(db: EntityManager, ids: readonly string[]): Promise<DivisionEntity[]> {
  return db.getRepository(DivisionEntity).findBy(ids.map((id) => ({ id })));
}

export interface NewAgency {
  name: string;
  kind: AgencyKind;
  status: AgencyStatus;
  divisions: DivisionEntity[];
}

/** Inserts the agency with its divisions; a name taken in any case fails with a unique violation. */
export function insertAgency(db: EntityManager, agency: NewAgency): Promise<AgencyEntity> {
  const agencies = db.getRepository(AgencyEntity);
  return agencies.save(agencies.create(agency));
}

export interface AgencyDivisionRow {
  agency_id: string;
  id: string;
  name: string;
}

/** The divisions of each of the agencies, by name. */
export function divisionsOfAgencies(db: Queryable, agencyIds: readonly string[]): Promise<AgencyDivisionRow[]> {
  return db.query(
    `SELECT ad.agency_id, d.id, d.name
         FROM agency_divisions ad JOIN divisions d ON d.id = ad.division_id
        WHERE ad.agency_id = ANY($1::uuid[])
        ORDER BY d.name`,
    [agencyIds],
  ) as Promise<AgencyDivisionRow[]>;
}

/** The agencies' statuses, read live (they change on approval). */
export function agencyStatuses(db: Queryable, ids: readonly string[]): Promise<{ id: string; status: AgencyStatus }[]> {
  return db.query(`SELECT id, status FROM agencies WHERE id = ANY($1::uuid[])`, [ids]) as Promise<{ id: string; status: AgencyStatus }[]>;
}

export interface DivisionRow {
  id: string;
  name: string;
}
export interface AgencyRow {
  id: string;
  name: string;
  kind: string;
}

/** Every division (a few dozen: reference data). */
export function allDivisions(db: Queryable): Promise<DivisionRow[]> {
  return db.query(`SELECT id, name FROM divisions`) as Promise<DivisionRow[]>;
}

/** The agencies of `ids` that exist (in no particular order). */
export function agenciesById(db: Queryable, ids: readonly string[]): Promise<AgencyRow[]> {
  return db.query(`SELECT id, name, kind FROM agencies WHERE id = ANY($1::uuid[])`, [ids]) as Promise<AgencyRow[]>;
}

export function findAgency(db: EntityManager, id: string): Promise<AgencyEntity | null> {
  return db.getRepository(AgencyEntity).findOneBy({ id });
}

/** The agency of a signed-in principal: it exists, or the principal would not have been loaded. */
export function getAgency(db: EntityManager, id: string): Promise<AgencyEntity> {
  return db.getRepository(AgencyEntity).findOneByOrFail({ id });
}

/** True when the agency is approved. */
export function agencyIsActive(db: EntityManager, agencyId: string): Promise<boolean> {
  return db.getRepository(AgencyEntity).existsBy({ id: agencyId, status: AgencyStatus.ACTIVE });
}

/** Locks the agency until the transaction ends: concurrent bootstraps of it wait on one another. */
export async function lockAgency(db: Queryable, agencyId: string): Promise<void> {
  await db.query('SELECT id FROM agencies WHERE id = $1 FOR UPDATE', [agencyId]);
}

/** The kind of an agency; undefined when there is none with this id. */
export async function findAgencyKind(db: Queryable, id: string): Promise<string | undefined> {
  const [agency] = await run<{ kind: string }>(db, sql`SELECT kind FROM agencies WHERE id = ${id}::uuid`);
  return agency?.kind;
}
