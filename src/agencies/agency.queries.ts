import type { EntityManager } from 'typeorm';
import type { Queryable } from '../db/sql';
import type { AgencyKind } from './agency-kind';
import type { AgencyStatus } from './agency-status';
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
