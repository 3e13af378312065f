import type { MigrationInterface } from 'typeorm';
import { IdentitySchema1764342000000 } from './1764342000000-identity-schema';

/** Every migration, in order. Landed migrations are never edited: add a new one. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [IdentitySchema1764342000000];
