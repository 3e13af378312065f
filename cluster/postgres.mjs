// A PostgreSQL primary and a hot standby by streaming replication, each in a data directory of its
// own under the cluster's temp dir, on loopback ports. As root the binaries run as the `postgres`
// OS user (PostgreSQL refuses root).
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Where the PostgreSQL binaries are: PG_BIN, else the newest /usr/lib/postgresql/<n>/bin, else PATH. */
export function pgBin(name) {
  if (process.env.PG_BIN) return path.join(process.env.PG_BIN, name);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(path.join(root, v, 'bin', name)))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return path.join(root, versions[0], 'bin', name);
  }
  return name;
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary (as `postgres` when we are root); throws with its output on failure. */
export function pgRun(name, args, options = {}) {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', pgBin(name), ...args]] : [pgBin(name), args];
  return execFileSync(cmd, argv, { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 120_000, ...options });
}

/** A directory PostgreSQL (the `postgres` user, as root) may own. */
export function pgDir(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  return dir;
}

/** The server options both nodes start with: loopback TCP only, no Unix socket. */
const serverOptions = (port) => `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;

export class PgNode {
  constructor(name, dir, port, logFile) {
    Object.assign(this, { name, dir, port, logFile });
  }

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/safeshare`;
  }

  start() {
    pgRun('pg_ctl', ['-D', this.dir, '-l', this.logFile, '-w', '-t', '60', '-o', serverOptions(this.port), 'start']);
  }

  /** `fast` rolls back and disconnects clients, then checkpoints; `immediate` is a crash (recovery at next start). */
  stop(mode = 'fast') {
    pgRun('pg_ctl', ['-D', this.dir, '-w', '-t', '60', '-m', mode, 'stop']);
  }

  /** Stops it if it runs; never throws (cleanup). */
  stopQuietly() {
    try {
      if (existsSync(path.join(this.dir, 'postmaster.pid'))) this.stop('immediate');
    } catch {
      // Already stopped, or gone with its directory.
    }
  }

  psql(sqlText, database = 'postgres') {
    return pgRun('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-d',
      database,
      '-XAtq',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      sqlText,
    ]).trim();
  }
}

/**
 * The primary: initdb (trust on loopback, as the machine's test PostgreSQL), WAL for replicas, a
 * replication role and a physical slot for the standby (WAL is kept until it has replayed it), and
 * the `safeshare` database.
 */
export function createPrimary(root, port) {
  const node = new PgNode('primary', pgDir(path.join(root, 'primary')), port, path.join(pgDir(path.join(root, 'pg-logs')), 'primary.log'));
  pgRun('initdb', ['-D', node.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
  appendFileSync(
    path.join(node.dir, 'postgresql.conf'),
    [
      '',
      '# safeshare cluster (cluster/postgres.mjs)',
      'wal_level = replica',
      'max_wal_senders = 5',
      'max_replication_slots = 5',
      'hot_standby = on',
      'hot_standby_feedback = on',
      'max_connections = 200',
      'shared_buffers = 128MB',
      '',
    ].join('\n'),
  );
  appendFileSync(path.join(node.dir, 'pg_hba.conf'), '\nhost replication replicator 127.0.0.1/32 trust\n');
  node.start();
  node.psql(`CREATE ROLE replicator WITH REPLICATION LOGIN`);
  node.psql(`SELECT pg_create_physical_replication_slot('standby1')`);
  node.psql(`CREATE DATABASE safeshare`);
  return node;
}

/** The standby: a base backup of the primary with `-R` (standby.signal, primary_conninfo) on the slot. */
export function createStandby(root, port, primary) {
  const node = new PgNode('standby', pgDir(path.join(root, 'standby')), port, path.join(pgDir(path.join(root, 'pg-logs')), 'standby.log'));
  pgRun('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'replicator',
    '-D',
    node.dir,
    '-R',
    '-S',
    'standby1',
    '-X',
    'stream',
    '-c',
    'fast',
  ]);
  node.start();
  return node;
}
