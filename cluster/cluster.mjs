// The local scale-out topology (docs/scaling.md): a PostgreSQL primary and a hot standby, a Redis,
// three Safeshare instances and nginx in front, all on loopback ports, everything under one temp
// dir. `startCluster()` returns handles to each part; `stop()` ends every process it started and
// removes the dir.
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPrimary, createStandby } from './postgres.mjs';
import { nginxConfig } from './nginx.mjs';

export const MAIN = new URL('../dist/src/main.js', import.meta.url).pathname;

/** Ports (CLUSTER_BASE_PORT moves them all): nginx base, instances base+1.., PostgreSQL 5441/5442, Redis 6390. */
export function clusterPorts(env = process.env) {
  const base = Number(env.CLUSTER_BASE_PORT ?? 4100);
  const instances = Number(env.CLUSTER_INSTANCES ?? 3);
  return {
    nginx: base,
    apps: Array.from({ length: instances }, (_, i) => base + 1 + i),
    primary: Number(env.CLUSTER_PRIMARY_PORT ?? 5441),
    standby: Number(env.CLUSTER_STANDBY_PORT ?? 5442),
    redis: Number(env.CLUSTER_REDIS_PORT ?? 6390),
  };
}

/** Spawns a long-running child with its output appended to `logFile`; its own process group. */
function daemon(cmd, args, logFile, env = process.env) {
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], env, detached: true });
  child.unref();
  // Every pid this cluster started, for cluster/cleanup.mjs.
  appendFileSync(path.join(path.dirname(logFile), 'pids'), `${child.pid}\n`);
  return child;
}

function alive(child) {
  return child && child.exitCode === null && child.signalCode === null;
}

/** Sends `signal` to the child and waits (up to `ms`) for it to exit. */
async function end(child, signal = 'SIGTERM', ms = 10_000) {
  if (!alive(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(child.pid, signal);
  } catch {
    return;
  }
  if (await Promise.race([exited.then(() => true), sleep(ms).then(() => false)])) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // Gone meanwhile.
  }
  await Promise.race([exited, sleep(2000)]);
}

/** Polls `url` until it answers 2xx, up to `ms`; returns the time it took. */
export async function waitFor(url, ms = 60_000, check = (res) => res.ok) {
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (await check(res)) return Date.now() - started;
    } catch {
      // Not up yet.
    }
    if (Date.now() - started > ms) throw new Error(`${url} not ready after ${ms} ms`);
    await sleep(100);
  }
}

/** The environment every instance shares (the same secrets), and its own port. */
function instanceEnv(shared, port) {
  return { ...shared, PORT: String(port) };
}

/**
 * Starts the whole topology. `log(line)` hears progress. Everything started is stopped by
 * `cluster.stop()`, which the caller must reach (finally / signal handlers).
 */
export async function startCluster({ log = () => undefined, env = process.env } = {}) {
  if (!existsSync(MAIN)) throw new Error(`no build at ${MAIN}: run npm run build first`);
  const ports = clusterPorts(env);
  const root = mkdtempSync(path.join(tmpdir(), 'safeshare-cluster-'));
  // PostgreSQL (as `postgres`) and nginx's workers must reach their files under it.
  chmodSync(root, 0o755);
  // For cluster/cleanup.mjs, should this process die before its own cleanup ran (CI's safety net).
  if (env.CLUSTER_STATE_FILE) writeFileSync(env.CLUSTER_STATE_FILE, root);
  const asRoot = process.getuid?.() === 0;
  const cluster = {
    root,
    ports,
    url: `http://127.0.0.1:${ports.nginx}`,
    primary: null,
    standby: null,
    redis: null,
    nginx: null,
    apps: [],
    env: null,
    logOf: (name) => path.join(root, `${name}.log`),
    async stop() {
      await Promise.all(cluster.apps.map((a) => end(a.child)));
      await end(cluster.nginx, 'SIGQUIT');
      await end(cluster.redis);
      cluster.standby?.stopQuietly();
      cluster.primary?.stopQuietly();
      if (!env.CLUSTER_KEEP) rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    log(`temp dir ${root}`);
    cluster.primary = createPrimary(root, ports.primary);
    log(`primary PostgreSQL on ${ports.primary}`);

    const secret = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const shared = {
      ...env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DATABASE_URL: cluster.primary.url,
      DATABASE_REPLICA_URL: `postgres://postgres@127.0.0.1:${ports.standby}/safeshare`,
      REPLICA_MAX_LAG_MS: env.REPLICA_MAX_LAG_MS ?? '5000',
      REPLICA_RETRY_MS: env.REPLICA_RETRY_MS ?? '2000',
      REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
      // One secret for all instances: a token one signs, every one accepts.
      JWT_SECRET: env.CLUSTER_JWT_SECRET ?? `cluster-only-${Math.random().toString(36).slice(2)}-0123456789abcdef`,
      AUDIT_SIGNING_KEY: secret,
      TRUST_PROXY: 'true',
      SEED_DEMO: 'false',
      // The cluster runs the seeded demo, whose accounts sign in with a password alone; production's
      // default would have its police and auditor accounts enrol a second factor first.
      TOTP_REQUIRED_ROLES: env.TOTP_REQUIRED_ROLES ?? 'none',
      CONSOLE_ENABLED: 'false',
      LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      AUDIT_SEAL_INTERVAL_MS: '2000',
      // Far above the test's load: the limiter still runs (on Redis) but refuses nothing.
      RATE_LIMIT_PER_ADDRESS: '10000000',
      RATE_LIMIT_PER_PRINCIPAL: '10000000',
      RATE_LIMIT_SIGN_IN: '100000',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      // Argon2 as in production costs ~50 ms a sign-in per core: fine, the test signs in a few times.
    };
    cluster.env = shared;
    // Migrations and the demo once, before any instance (each would also migrate, under a lock).
    execFileSync(process.execPath, [MAIN, 'migrate'], { env: shared, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync(process.execPath, [MAIN, 'seed'], { env: shared, stdio: ['ignore', 'ignore', 'pipe'] });
    log('migrated and seeded the demo');

    cluster.standby = createStandby(root, ports.standby, cluster.primary);
    log(`hot standby on ${ports.standby} (streaming from the primary, slot standby1)`);

    cluster.redis = daemon(
      'redis-server',
      ['--port', String(ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', root],
      cluster.logOf('redis'),
    );
    log(`Redis on ${ports.redis}`);

    for (const [i, port] of ports.apps.entries()) cluster.apps.push(startApp(cluster, i + 1, port));
    await Promise.all(cluster.apps.map((a) => waitFor(`http://127.0.0.1:${a.port}/readyz`)));
    log(`instances on ${ports.apps.join(', ')}`);

    for (const dir of ['nginx-body', 'nginx-proxy', 'nginx-fastcgi', 'nginx-uwsgi', 'nginx-scgi']) mkdirSync(path.join(root, dir));
    const conf = path.join(root, 'nginx.conf');
    writeFileSync(
      conf,
      nginxConfig({ root, listen: `127.0.0.1:${ports.nginx}`, upstreams: ports.apps.map((p) => `127.0.0.1:${p}`), asRoot }),
    );
    cluster.nginx = daemon('nginx', ['-p', root, '-c', conf, '-g', 'daemon off;'], cluster.logOf('nginx'));
    await waitFor(`${cluster.url}/readyz`, 20_000);
    log(`nginx on ${ports.nginx}`);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

/** Starts instance `n` (1-based) on `port`; `restart()` starts it again after a kill. */
function startApp(cluster, n, port) {
  const app = {
    n,
    port,
    child: daemon(process.execPath, [MAIN, 'serve'], cluster.logOf(`app${n}`), instanceEnv(cluster.env, port)),
    /** kill -9: no drain, no goodbye. */
    kill() {
      process.kill(app.child.pid, 'SIGKILL');
    },
    async restart() {
      await end(app.child, 'SIGKILL', 2000);
      app.child = daemon(process.execPath, [MAIN, 'serve'], cluster.logOf(`app${n}`), instanceEnv(cluster.env, port));
      return waitFor(`http://127.0.0.1:${port}/readyz`);
    },
  };
  return app;
}

/** Starts Redis again after a kill (the same port and options). */
export function restartRedis(cluster) {
  cluster.redis = daemon(
    'redis-server',
    ['--port', String(cluster.ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', cluster.root],
    cluster.logOf('redis'),
  );
}

export { end as endProcess };
