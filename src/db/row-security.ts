import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { type Sql, sql } from './sql';

/**
 * The second lock: PostgreSQL row-level security on the case tables (migrations/1766600000000-row-security.ts)
 * mirrors the read scopes of records.ts, from a transaction-local setting that names the caller.
 * Without it the service's role reads no case rows at all. See docs/security.md, "Row-level security".
 */
export const PRINCIPAL_SETTING = 'safeshare.principal';

/** What the policies know of a caller: who, of which agency, with which roles (users) or scopes (partner apps). */
export interface PrincipalFacts {
  id: string;
  kind: Principal['kind'];
  agency: { id: string; kind: Principal['agency']['kind'] };
  roles: Principal['roles'];
  scopes: Principal['scopes'];
}

/** The setting's value for a caller: JSON of the facts the policies derive everything from. */
export function principalSetting(principal: PrincipalFacts): string {
  const { id, kind, agency, roles, scopes } = principal;
  return JSON.stringify({ id, kind, agency: { id: agency.id, kind: agency.kind }, roles, scopes });
}

/** The setting's value for the service's own background work: every row. */
export const SYSTEM_SETTING = JSON.stringify({ system: true });

/**
 * `SELECT set_config('safeshare.principal', <json>, true)` as a bound statement: for this
 * transaction only (it ends with COMMIT or ROLLBACK, so a pooled connection never keeps it). Null
 * (no signed-in caller) sets it empty: nobody, no case rows.
 */
export function principalContextSql(principal: PrincipalFacts | null): Sql {
  return sql`SELECT set_config(${PRINCIPAL_SETTING}, ${principal ? principalSetting(principal) : ''}, true)`;
}

/** A SQL string literal (standard_conforming_strings, on since PostgreSQL 9.1: only quotes are doubled). */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * The text that opens a request's transaction for `principal` in one round trip (a simple-query
 * string of two statements, no parameters): `BEGIN; SELECT set_config('safeshare.principal', '<json>', true)`.
 */
export function beginForPrincipal(principal: PrincipalFacts | null): string {
  return `BEGIN; SELECT set_config(${literal(PRINCIPAL_SETTING)}, ${literal(principal ? principalSetting(principal) : '')}, true)`;
}

/** `SELECT set_config('safeshare.principal', '{"system":true}', true)`: the rest of this transaction sees every row. */
export const SYSTEM_CONTEXT_SQL = `SELECT set_config(${literal(PRINCIPAL_SETTING)}, ${literal(SYSTEM_SETTING)}, true)`;

/** Anything that opens a transaction: a DataSource, or an EntityManager (a nested one is a savepoint). */
type Transactional = { transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> };

/**
 * Runs `work` in a transaction that sees every case row: for the service's own work that acts for
 * nobody (seeding the demo). Never for a request: a request acts for its caller. In a transaction
 * that already has a principal, the setting stays system until that transaction ends.
 */
export function withSystemContext<T>(db: Transactional, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(SYSTEM_CONTEXT_SQL);
    return work(tx);
  });
}
