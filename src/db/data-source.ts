import { DataSource, type Logger } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './naming';

export interface DataSourceOptions {
  url: string;
  poolMax?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
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
      // Applied by the server to every statement on every pooled connection.
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      application_name: options.applicationName ?? 'safeshare',
    },
  });
}
