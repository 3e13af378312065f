import { DataSource, type Logger } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './naming';
import { PreparingClient } from './prepared-statements';
import { PRINCIPAL_SETTING, SYSTEM_SETTING } from './row-security';

export interface DataSourceOptions {
  url: string;
  poolMax?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
  /**
   * The PostgreSQL role every connection acts as (`SET ROLE` at connect). The service runs as the
   * application role, which may only append to the audit trail; migrations run as the login user.
   */
  role?: string;
  /**
   * Tests' fixtures and checks only (the service never sets it): every connection defaults to the
   * system context, so row-level security lets it read every case row (docs/security.md).
   */
  systemContext?: boolean;
  /** Sees every query (tests count them); none by default. */
  logger?: Logger;
}

/** A TypeORM data source over `pg`. Schema changes come only from migrations, never `synchronize`. */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    // gen_random_uuid() is built into PostgreSQL 13+, so no extension is needed for ids.
    uuidExtension: 'pgcrypto',
    synchronize: false,
    logging: options.logger ? ['query'] : false,
    logger: options.logger,
    extra: {
      max: options.poolMax ?? 10,
      Client: PreparingClient,
      // Applied by the server to every statement on every pooled connection.
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      application_name: options.applicationName ?? 'safeshare',
      // JIT compiles each scoped count and list afresh (hundreds of ms) for queries that run in a few:
      // off for the service's short OLTP statements. UTC: timestamps read back the same everywhere,
      // and the audit row hash takes its fast path (migrations/1767000000000-audit-write-plans.ts).
      options: [
        '-c jit=off',
        '-c TimeZone=UTC',
        ...(options.role ? [`-c role=${roleName(options.role)}`] : []),
        ...(options.systemContext ? [`-c ${PRINCIPAL_SETTING}=${SYSTEM_SETTING}`] : []),
      ].join(' '),
    },
  });
}

/** A role name fit to pass in connection options (no spaces or quotes to break out of `-c`). */
function roleName(role: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`invalid database role name: ${role}`);
  return role;
}

/** Resolves when the database answers a trivial query (the readiness probe); rejects when it does not. */
export async function pingDatabase(db: DataSource): Promise<void> {
  await db.query('SELECT 1');
}
