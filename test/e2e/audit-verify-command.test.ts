import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { GENESIS_SEAL_HASH, issueCheckpoint } from '../../src/audit/checkpoint';
import { sealAuditTrail } from '../../src/audit/seal';
import { buildAuditKeyRing } from '../../src/audit/signing-keys';
import { runAuditVerify, VERIFY_EXIT } from '../../src/audit/verify-command';
import type { Config } from '../../src/config';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { createLogger } from '../../src/logger';
import { TEST_AUDIT_KEY, testConfig } from '../support/test-config';
import { databaseUrl, openTestDatabase, TEST_ADMIN_URL_ENV, withAdminClient } from '../support/test-database';

const logger = createLogger('silent');
const adminUrl = () => process.env[TEST_ADMIN_URL_ENV]!;
const tmp = mkdtempSync(path.join(tmpdir(), 'safeshare-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function verifyCli(config: Config, args: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAuditVerify(config, logger, args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  const json = out.length ? (JSON.parse(out.join('\n')) as Record<string, unknown>) : null;
  return { code, json, err: err.join('\n') };
}

async function withClient<T>(url: string, work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** Every relation in the database, and every user table's row count: what a verification must leave as it found it. */
const footprint = (url: string) =>
  withClient(url, async (c) => {
    const relations = (
      await c.query<{ name: string }>(`SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1`)
    ).rows.map((r) => r.name);
    const tables = (await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows;
    const counts: Record<string, number> = {};
    for (const { t } of tables)
      counts[t] = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${c.escapeIdentifier(t)}`)).rows[0].n;
    return { relations, counts };
  });

async function scratchDatabase(setup?: string[]): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `safeshare_v_${Math.random().toString(36).slice(2, 10)}`;
  await withAdminClient(adminUrl(), (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  const url = databaseUrl(adminUrl(), name);
  if (setup) await withClient(url, async (c) => void (await c.query(setup.join(';'))));
  return {
    url,
    drop: () => withAdminClient(adminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * Waits until every transaction that has written an event so far has ended, so a seal can cover it:
 * the horizon is cluster-wide, and other work on the same server holds it back for a while at times.
 */
async function settled(db: { query(text: string): Promise<unknown> }): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const [{ ok }] = (await db.query(
      `SELECT pg_snapshot_xmin(pg_current_snapshot()) > coalesce((SELECT tx_id FROM audit_events ORDER BY tx_id DESC LIMIT 1), '0'::xid8) AS ok`,
    )) as { ok: boolean }[];
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sealEverything(db: DataSource): Promise<void> {
  await settled(db);
  await sealAuditTrail(db);
}

const addEvents = (db: DataSource, n: number) =>
  db.query(`INSERT INTO audit_events (action, outcome, operation_field) SELECT 'READ', 'ALLOWED', 'test' FROM generate_series(1, $1)`, [n]);

const checkpointFile = async (db: DataSource, name: string, key = TEST_AUDIT_KEY) => {
  const cp = await issueCheckpoint(db, buildAuditKeyRing({ signingKey: key, verificationKeys: [], generateKey: false }));
  const file = path.join(tmp, name);
  // As an auditor would save it: the whole GraphQL response.
  writeFileSync(file, JSON.stringify({ data: { auditCheckpoint: cp } }));
  return { file, cp };
};

const publicKeyFile = (name: string, privateKey: string) => {
  const file = path.join(tmp, name);
  writeFileSync(file, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString());
  return file;
};

describe('audit:verify refuses what is not a Safeshare trail, and creates nothing', () => {
  it('an empty database: exit 3, still no tables', async () => {
    const empty = await scratchDatabase();
    try {
      const r = await verifyCli(testConfig(empty.url));
      expect(r.code).toBe(VERIFY_EXIT.notATrail);
      expect(r.err).toMatch(/Not a Safeshare database/);
      expect(await footprint(empty.url)).toEqual({ relations: [], counts: {} });
    } finally {
      await empty.drop();
    }
  });

  it('another application’s database: exit 3, its tables and rows untouched, no migrations table', async () => {
    const other = await scratchDatabase([
      'CREATE TABLE customers (id serial PRIMARY KEY, name text)',
      `INSERT INTO customers (name) VALUES ('a'), ('b')`,
      'CREATE TABLE audit_events (id int)', // a namesake is not the trail
    ]);
    try {
      const before = await footprint(other.url);
      const r = await verifyCli(testConfig(other.url));
      expect(r.code).toBe(VERIFY_EXIT.notATrail);
      expect(r.err).toMatch(/Not a Safeshare database: .* has no audit trail/);
      expect(await footprint(other.url)).toEqual(before);
    } finally {
      await other.drop();
    }
  });

  it('a database that does not exist: exit 3', async () => {
    const r = await verifyCli(testConfig(databaseUrl(adminUrl(), 'safeshare_no_such_database')));
    expect(r.code).toBe(VERIFY_EXIT.notATrail);
    expect(r.err).toMatch(/Not a Safeshare database/);
  });

  it('unknown options: exit 2 before connecting', async () => {
    expect((await verifyCli(testConfig('postgres://nobody@127.0.0.1:1/x'), ['--seal'])).code).toBe(VERIFY_EXIT.usage);
    expect((await verifyCli(testConfig('postgres://nobody@127.0.0.1:1/x'), ['--checkpoint'])).code).toBe(VERIFY_EXIT.usage);
  });
});

describe('audit:verify on a trail only reads', () => {
  let trail: { db: DataSource; close(): Promise<void> };
  let url: string;
  beforeAll(async () => {
    trail = await openTestDatabase();
    url = (trail.db.options as { url: string }).url;
    await addEvents(trail.db, 30);
    await sealEverything(trail.db);
  });
  afterAll(() => trail.close());

  it('valid, with unsealed events left unsealed, and every table as it was (no seal, no migration)', async () => {
    await addEvents(trail.db, 5);
    const before = await footprint(url);
    const r = await verifyCli(testConfig(url));
    expect(r.code).toBe(VERIFY_EXIT.valid);
    expect(r.json).toMatchObject({ valid: true, problem: null, unsealedEvents: 5 });
    expect(await footprint(url)).toEqual(before);
  });

  it('a checkpoint taken earlier verifies; after the newest seal and its events are deleted it fails, naming why', async () => {
    await addEvents(trail.db, 7);
    await sealEverything(trail.db);
    const { file, cp } = await checkpointFile(trail.db, 'checkpoint.json');
    const keyFile = publicKeyFile('service.pem', TEST_AUDIT_KEY);
    // Offline: the verifier holds only the public key it kept, no signing key.
    const offline = testConfig(url, { AUDIT_SIGNING_KEY: '' });
    const ok = await verifyCli(offline, ['--checkpoint', file, '--public-key', keyFile]);
    expect(ok).toMatchObject({ code: VERIFY_EXIT.valid, json: { valid: true, checkpointSealNumber: cp.sealNumber } });

    const otherKey = publicKeyFile(
      'other.pem',
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    const foreign = await verifyCli(offline, ['--checkpoint', file, '--public-key', otherKey]);
    expect(foreign.code).toBe(VERIFY_EXIT.invalid);
    expect(foreign.json!.problem).toMatch(/checkpoint refused: .*not a key this verifier trusts/);
    const noKey = await verifyCli(offline, [`--checkpoint=${file}`]);
    expect(noKey.json!.problem).toMatch(/checkpoint refused/);

    await withClient(url, async (c) => {
      await c.query('BEGIN');
      await c.query('SET LOCAL session_replication_role = replica');
      await c.query('DELETE FROM audit_events WHERE id = ANY ((SELECT event_ids FROM audit_seals WHERE id = $1)::bigint[])', [
        cp.sealNumber,
      ]);
      await c.query('DELETE FROM audit_seals WHERE id = $1', [cp.sealNumber]);
      await c.query('COMMIT');
    });
    const blind = await verifyCli(testConfig(url));
    expect(blind).toMatchObject({ code: VERIFY_EXIT.valid, json: { valid: true } });
    const anchored = await verifyCli(testConfig(url), ['--checkpoint', file]);
    expect(anchored.code).toBe(VERIFY_EXIT.invalid);
    expect(anchored.json!.problem).toMatch(new RegExp(`seal ${cp.sealNumber} of the checkpoint is missing.*truncated`));
  });

  it('a rewritten sealed event: exit 1 naming it', async () => {
    const [{ id }] = await trail.db.query<{ id: string }[]>(
      `SELECT max(e.id)::text AS id FROM audit_events e JOIN audit_seals s ON e.id = ANY (s.event_ids)`,
    );
    await withClient(url, async (c) => {
      await c.query('BEGIN');
      await c.query('SET LOCAL session_replication_role = replica');
      await c.query(`UPDATE audit_events SET outcome = 'DENIED' WHERE id = $1`, [id]);
      await c.query('COMMIT');
    });
    const r = await verifyCli(testConfig(url));
    expect(r).toMatchObject({ code: VERIFY_EXIT.invalid, json: { valid: false, firstBadEventId: id } });
  });
});

describe('the genesis checkpoint', () => {
  it('a trail with nothing sealed gets seal 0, which verifies on that trail', async () => {
    const fresh = await scratchDatabase();
    const db = createDataSource({ url: fresh.url, poolMax: 2 });
    await db.initialize();
    try {
      await runMigrations(db);
      const { file, cp } = await checkpointFile(db, 'genesis.json');
      expect(cp).toMatchObject({ sealNumber: 0, sealHash: GENESIS_SEAL_HASH });
      expect(JSON.parse(cp.statement)).toMatchObject({ sealNumber: 0, lastEventId: null });
      const r = await verifyCli(testConfig(fresh.url), ['--checkpoint', file]);
      expect(r).toMatchObject({ code: VERIFY_EXIT.valid, json: { valid: true, checkedSeals: 0, checkpointSealNumber: 0 } });
    } finally {
      await db.destroy();
      await fresh.drop();
    }
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');

/** Runs the built CLI as an operator would, beside the server. */
function cli(env: Record<string, string>, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [MAIN, ...args], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 90_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('beside a server on the embedded PostgreSQL (the built CLI)', () => {
  const dataDir = path.join(tmp, 'data');
  let env: Record<string, string>;
  let server: ChildProcess | undefined;
  beforeAll(async () => {
    // The real commands, so the real build: the embedded PostgreSQL package cannot load inside jest.
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
    // As root, PostgreSQL runs as `postgres`, which must reach its cluster.
    chmodSync(tmp, 0o711);
    env = {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      PORT: '0',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      EMBEDDED_PG_PORT: String(await freePort()),
    };
  }, 240_000);
  afterAll(() => server?.kill('SIGKILL'));

  it('no cluster in DATA_DIR: refused, and none is created', async () => {
    const r = await cli({ ...env, EMBEDDED_PG_PORT: String(await freePort()) }, ['audit:verify']);
    expect(r.code).toBe(VERIFY_EXIT.notATrail);
    expect(r.stderr).toMatch(/Not a Safeshare database: no embedded PostgreSQL cluster/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('verifies (and mints a token) on the running cluster instead of starting a second; starts one only if none runs', async () => {
    const running = spawn('node', [MAIN, 'serve'], { cwd: ROOT, env: { PATH: process.env.PATH, ...env } });
    server = running;
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      running.stdout.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const m = /"url":"(http:[^"]+)".*Safeshare is serving/.exec(log);
        if (m) resolve(m[1]);
      });
      running.on('exit', () => reject(new Error(`server exited: ${log}`)));
    });
    const pid = readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0];
    // Another port configured on purpose: the commands must find the running postmaster from its pid file.
    const beside = { ...env, LOG_LEVEL: 'silent', EMBEDDED_PG_PORT: String(await freePort()) };
    const verified = await cli(beside, ['audit:verify']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true, database: 'safeshare' });
    // The embedded demo generated its checkpoint key into DATA_DIR; the CLI beside it trusts that key.
    const gql = async (query: string, token?: string) =>
      (await (
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query }),
        })
      ).json()) as { data: Record<string, Record<string, unknown>> };
    const login = await gql('mutation { login(email: "auditor@oversight.example", password: "safeshare-demo") { accessToken } }');
    const checkpoint = await gql('{ auditCheckpoint { sealNumber statement signature } }', login.data.login.accessToken as string);
    const file = path.join(tmp, 'live-checkpoint.json');
    writeFileSync(file, JSON.stringify(checkpoint));
    const anchored = await cli(beside, ['audit:verify', '--checkpoint', file]);
    expect(anchored.code).toBe(0);
    expect(JSON.parse(anchored.stdout)).toMatchObject({ valid: true, checkpointSealNumber: checkpoint.data.auditCheckpoint.sealNumber });
    const token = await cli(beside, ['token', 'analyst@gmp.example']);
    expect(token.code).toBe(0);
    expect(token.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    // The server's PostgreSQL is the same process, and the server still reaches it.
    expect(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]).toBe(pid);
    expect((await fetch(url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);

    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
    server = undefined;
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    const alone = await cli(beside, ['audit:verify']);
    expect(alone.code).toBe(0);
    expect(JSON.parse(alone.stdout)).toMatchObject({ valid: true });
    // It stopped the PostgreSQL it started.
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 180_000);
});
