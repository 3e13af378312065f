import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { mintToken } from './auth/auth.service';
import { buildKeyRing, withGeneratedKey } from './auth/keys';
import { TokenService } from './auth/tokens';
import { type Config, ConfigError, loadConfig } from './config';
import { createDataSource } from './db/data-source';
import { ReplicaReads } from './db/replica';
import type { EmbeddedDatabase } from './db/embedded';
import { runMigrations } from './db/migrate';
import { DEMO_AGENCIES, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERS, seedDemo } from './demo/demo-seed';
import { hasDemoAccounts } from './demo/demo.queries';
import { buildAppSchema, printAppSchema } from './graphql/schema';
import pino from 'pino';
import { createLogger } from './logger';
import { startServer } from './server';
import { startAuditMaintenance } from './audit/maintenance';
import { startRollupFold } from './stats/rollup';
import { runAuditVerify } from './audit/verify-command';
import { withGeneratedAuditKey } from './audit/signing-keys';

const USAGE = `Usage: node dist/src/main.js <command>
  serve          start the API (default); with no DATABASE_URL, on an embedded PostgreSQL in DATA_DIR
  migrate        apply pending migrations
  seed           seed the synthetic demo agencies and users (idempotent)
  token <email>  print an access token for a user (development)
  schema         write schema.graphql from the code
  audit:verify [--checkpoint file.json] [--public-key key.pem]
                 check the whole trail (and that a kept checkpoint is still in it) without writing;
                 exit 1 naming the first bad event, 3 if the database holds no Safeshare trail
Beside a server on the embedded PostgreSQL, migrate, seed, token and audit:verify use its running cluster.`;

/** In-flight requests get this long to finish before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 20_000;

interface Database {
  db: DataSource;
  embedded?: EmbeddedDatabase;
  config: Config;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL, and applies pending migrations as the
 * login user. `asAppRole`: the returned pool then acts as the application role (config.dbAppRole),
 * which may only append to the audit trail. `attach`: a command run beside the server uses the
 * embedded PostgreSQL the server is running rather than trying to start a second one on its cluster.
 */
async function openDatabase(config: Config, logger: Logger, asAppRole = false, attach = false): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    // Loaded lazily: only the embedded default needs the PostgreSQL binaries.
    const { openEmbeddedPostgres, startEmbeddedPostgres } = await import('./db/embedded');
    const options = { dataDir: config.dataDir, port: config.embeddedPgPort, database: 'safeshare', log: logger };
    embedded = await (attach ? openEmbeddedPostgres(options) : startEmbeddedPostgres(options));
    url = embedded.url;
    logger.info(
      { dataDir: path.resolve(config.dataDir), attached: embedded.attached ?? false },
      embedded.attached ? 'using the running embedded PostgreSQL' : 'embedded PostgreSQL running',
    );
  }
  if (config.generateJwtKey) config = { ...config, jwt: withGeneratedKey(config.jwt, config.dataDir) };
  const options = { url, poolMax: config.dbPoolMax, statementTimeoutMs: config.dbStatementTimeoutMs };
  // Migrations may rewrite or backfill large tables: the statement timeout is for requests, not them.
  let db = createDataSource({ ...options, statementTimeoutMs: 0 });
  try {
    await db.initialize();
    const applied = await runMigrations(db);
    if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
    await db.destroy();
    db = createDataSource(asAppRole ? { ...options, role: config.dbAppRole } : options);
    await db.initialize();
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return {
    db,
    embedded,
    config,
    async close() {
      if (db.isInitialized) await db.destroy();
      logger.debug('pool closed');
      await embedded?.stop();
    },
  };
}

const demoAgencyName = (key: string) => DEMO_AGENCIES.find((a) => a.key === key)?.name ?? key;

async function serve(config: Config, logger: Logger): Promise<void> {
  const database = await openDatabase(config, logger, true);
  const { db, embedded } = database;
  config = database.config;
  config = { ...config, auditSigning: withGeneratedAuditKey(config.auditSigning, config.dataDir) };
  if (!config.auditSigning.signingKey) {
    logger.warn('no AUDIT_SIGNING_KEY: auditCheckpoint is unavailable (set one, or AUDIT_GENERATE_KEY=true on a single instance)');
  }
  // The embedded demo is brought up to the current demo on every start (the seed is idempotent).
  if (config.seedDemo ?? embedded !== undefined) {
    await seedDemo(db, config.argon2, { currentCohort: true });
    logger.info('synthetic demo data seeded');
  }
  const tokens = new TokenService(buildKeyRing(config.jwt), config.jwt);
  const maintenance = startAuditMaintenance(db, config.auditSealIntervalMs, logger);
  const rollupFold = startRollupFold(db, config.rollupFoldIntervalMs, logger);
  const replica = config.replica
    ? new ReplicaReads({
        url: config.replica.url,
        maxLagMs: config.replica.maxLagMs,
        retryAfterMs: config.replica.retryMs,
        role: config.dbAppRole,
        poolMax: config.dbPoolMax,
        statementTimeoutMs: config.dbStatementTimeoutMs,
        logger,
      })
    : undefined;
  const server = await startServer({ config, db, tokens, logger, replica }, { port: config.port, host: config.host });
  logger.info({ url: server.url }, 'Safeshare is serving GraphQL');
  if (embedded && (await hasDemoAccounts(db, DEMO_USERS[0].email))) {
    console.log(
      [
        '',
        `Safeshare is running at ${server.url} (embedded PostgreSQL, data in ${path.resolve(config.dataDir)})`,
        `Demo accounts, all with the password "${DEMO_PASSWORD}" (each user's guide: docs/guides/):`,
        ...DEMO_USERS.map((u) => `  ${u.email.padEnd(36)} ${demoAgencyName(u.agency).padEnd(44)} ${u.roles.join(', ')}`),
        `Demo partner app: clientId "${DEMO_CLIENT_ID}", clientSecret "${DEMO_CLIENT_SECRET}" (Safe Futures; submits and reads back its own)`,
        ...(config.console.enabled
          ? [`Console: open ${server.url.replace(/\/graphql$/, '/console')} in a browser (auditors' views and statistics: docs/console.md)`]
          : []),
        ...(config.explorer
          ? [`Explorer: open ${server.url} in a browser (GraphiQL; paste an accessToken into the Authorization header)`]
          : []),
        'Sign in:',
        `  curl -s ${server.url} -H 'content-type: application/json' \\`,
        `    -d '{"query":"mutation { login(email: \\"analyst@gmp.example\\", password: \\"${DEMO_PASSWORD}\\") { accessToken } }"}'`,
        '',
      ].join('\n'),
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    // npm and a process-group kill can deliver the same signal twice: drain once.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    setTimeout(() => {
      logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    try {
      await Promise.all([maintenance.stop(), rollupFold.stop()]);
      await server.close();
      await replica?.close();
      logger.info('http drained');
      await database.close();
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

async function withDatabase(config: Config, logger: Logger, work: (db: Database) => Promise<void>): Promise<void> {
  const database = await openDatabase(config, logger, false, true);
  try {
    await work(database);
  } finally {
    await database.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...args] = argv;
  if (command === 'schema') {
    const file = path.resolve('schema.graphql');
    writeFileSync(file, printAppSchema(await buildAppSchema()));
    console.log(`wrote ${file}`);
    return;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  // Only the server logs to stdout: a CLI command's output (a token) is its stdout alone.
  const logger =
    command === 'serve'
      ? createLogger(config.logLevel, undefined, config.env === 'development')
      : createLogger(config.logLevel, pino.destination(2));
  switch (command) {
    case 'serve':
      return serve(config, logger);
    case 'migrate':
      return withDatabase(config, logger, () => Promise.resolve(logger.info('database is up to date')));
    case 'seed':
      return withDatabase(config, logger, async ({ db, config: c }) => {
        await seedDemo(db, c.argon2, { currentCohort: true });
        logger.info('synthetic demo data seeded');
      });
    case 'token': {
      const email = args[0];
      if (!email) throw new Error('usage: token <email>');
      return withDatabase(config, logger, async ({ db, config: c }) => {
        const tokens = new TokenService(buildKeyRing(c.jwt), c.jwt);
        console.log(await mintToken(db, tokens, email));
      });
    }
    case 'audit:verify':
      // Never through openDatabase: verification must not migrate, seal or create anything.
      process.exitCode = await runAuditVerify(config, logger, args, { out: console.log, err: console.error });
      return;
    default:
      console.error(USAGE);
      process.exit(64);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
