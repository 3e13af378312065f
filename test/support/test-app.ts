import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { buildKeyRing } from '../../src/auth/keys';
import { TokenService } from '../../src/auth/tokens';
import type { Config } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { ReplicaReads } from '../../src/db/replica';
import { DEMO_PASSWORD } from '../../src/demo/demo-seed';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
import { testConfig } from './test-config';
import { createTestDatabase } from './test-database';

export interface GqlResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[] };
}

export interface TestApp {
  url: string;
  baseUrl: string;
  config: Config;
  /**
   * The service's role in the system context (row-level security lets it read every case row), for
   * fixtures and checks; the service itself runs on a data source of its own, with no such default.
   */
  db: DataSource;
  /** The service's own data source (destroy it to make the database stop answering the service). */
  serviceDb: DataSource;
  tokens: TokenService;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResult<T>>;
  /** Signs in a demo account (password safeshare-demo) and returns its tokens. */
  login(email: string): Promise<{ accessToken: string; refreshToken: string }>;
  /** The standby reads of DATABASE_REPLICA_URL, when `env` gives one. */
  replica?: ReplicaReads;
  /** Every SQL statement the service ran, in order (clear it to count a request's queries). */
  queries: string[];
  /** The same statements with their bound parameters (clear it to capture a request's). */
  statements: { query: string; parameters: unknown[] }[];
  /** Every log line the service wrote, parsed (the level comes from LOG_LEVEL in `env`). */
  logs: Record<string, unknown>[];
  /** The app database as its owner (a superuser in tests): for what the service itself may not do. */
  databaseUrl: string;
  /** Runs one statement as the database owner (schema changes, tampering), outside the service's role. */
  ownerQuery(text: string, params?: unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
}

/**
 * The real service over real HTTP on an ephemeral port, on a database of its own copied from the
 * seeded template. `env` overrides configuration as an operator would. `sameDatabaseAs`: a second
 * instance of the service on another app's database (several instances behind one database); its
 * close() leaves the database to its owner.
 */
export async function startTestApp(env: Record<string, string> = {}, sameDatabaseAs?: TestApp): Promise<TestApp> {
  const database = sameDatabaseAs ? { url: sameDatabaseAs.databaseUrl, drop: () => Promise.resolve() } : await createTestDatabase();
  const config = testConfig(database.url, env);
  const queries: string[] = [];
  const statements: TestApp['statements'] = [];
  const queryLogger = {
    logQuery: (query: string, parameters: unknown[] = []) => {
      queries.push(query);
      statements.push({ query, parameters: [...parameters] });
    },
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  // As in production, the service acts as the application role (append-only on the audit trail),
  // under row-level security; tests' own SQL (`db`) is the same role in the system context.
  const serviceDb = createDataSource({
    url: database.url,
    poolMax: 4,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    logger: queryLogger,
    role: config.dbAppRole,
  });
  const db = createDataSource({ url: database.url, poolMax: 2, role: config.dbAppRole, systemContext: true });
  await Promise.all([serviceDb.initialize(), db.initialize()]);
  const tokens = new TokenService(buildKeyRing(config.jwt), config.jwt);
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const replica = config.replica
    ? new ReplicaReads({
        url: config.replica.url,
        maxLagMs: config.replica.maxLagMs,
        retryAfterMs: config.replica.retryMs,
        role: config.dbAppRole,
        poolMax: 2,
        logger,
      })
    : undefined;
  const server = await startServer({ config, db: serviceDb, tokens, logger, replica }, { port: 0, host: '127.0.0.1' });

  const gql: TestApp['gql'] = async (query, variables = {}, token) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GqlResult<never>['body'] };
  };

  return {
    url: server.url,
    databaseUrl: database.url,
    async ownerQuery(text, params = []) {
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        return (await client.query(text, params)).rows as unknown[];
      } finally {
        await client.end();
      }
    },
    baseUrl: server.url.replace(/\/graphql$/, ''),
    config,
    db,
    serviceDb,
    tokens,
    gql,
    queries,
    statements,
    logs,
    async login(email) {
      const r = await gql<{ login: { accessToken: string; refreshToken: string } }>(
        'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }',
        { e: email, p: DEMO_PASSWORD },
      );
      if (!r.body.data?.login) throw new Error(`login ${email} failed: ${JSON.stringify(r.body)}`);
      return r.body.data.login;
    },
    replica,
    async close() {
      await server.close();
      await replica?.close();
      await Promise.all([serviceDb.destroy(), db.destroy()]);
      await database.drop();
    },
  };
}

/** The `extensions.code` of each error in a response. */
export const codes = (r: GqlResult) => (r.body.errors ?? []).map((e) => e.extensions?.code);

/** Row count of a table, to show that a refused request wrote nothing. */
export async function countRows(db: DataSource, table: string): Promise<number> {
  const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM ${table}`);
  return n as number;
}
