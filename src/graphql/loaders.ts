import type DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { divisionsByAgencyLoader, type DivisionRef } from '../agencies/agency.loader';

/** Per-request batch loaders: nested fields cost one query per field, not one per row. */
export interface Loaders {
  divisionsByAgency: DataLoader<string, DivisionRef[]>;
}

export function createLoaders(db: DataSource): Loaders {
  return { divisionsByAgency: divisionsByAgencyLoader(db) };
}
