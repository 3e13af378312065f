// What every benchmark script shares: the build it runs, the environment its servers get, and the
// helpers that start, sign in to and load them.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setInterval, clearInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

/** The heap limits the Dockerfile sets (docs/performance.md, item 9); NODE_OPTIONS in the environment overrides them. */
export const SERVER_NODE_OPTIONS = '--max-old-space-size=160';

/** The Safeshare CLI of this checkout's build (`npm run build`). */
export const MAIN = new URL('../dist/src/main.js', import.meta.url).pathname;

/**
 * Environment for a Safeshare process on a benchmark database: production mode (what is deployed;
 * graphql-js skips its development-only checks), loopback only, no demo re-seeding, and rate
 * limits far above the load so the limiter still runs (and costs what it costs) but refuses
 * nothing. Production refuses AUDIT_READS=false: the audit-off server is bench/unaudited-server.mjs.
 * The peers get the same environment and heap limits as Safeshare.
 */
export function serverEnv(databaseUrl, extra = {}) {
  return {
    ...process.env,
    NODE_OPTIONS: process.env.NODE_OPTIONS ?? SERVER_NODE_OPTIONS,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: 'bench-only-secret-bench-only-secret-0123456789',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    // The generated accounts sign in with a password alone (docs/accounts.md, "Second factor").
    TOTP_REQUIRED_ROLES: 'none',
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_ADDRESS: '10000000',
    RATE_LIMIT_PER_PRINCIPAL: '10000000',
    RATE_LIMIT_SIGN_IN: '10000',
    ...extra,
  };
}

/** The demo accounts' password (docs/api.md). */
export const DEMO_PASSWORD = 'safeshare-demo';

/**
 * Waits until the servers' queries have finished (at most the statement timeout and a little): a
 * slow scenario's requests still running after its time is up must not weigh on the next one.
 */
export async function drained(db) {
  for (let i = 0; i < 60; i++) {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
          AND application_name IN ('safeshare', '')`,
    );
    if (rows[0].n === 0) return;
    await sleep(250);
  }
}
export async function ready(port, child) {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`server on ${port} exited (${child.exitCode})`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`server on ${port} did not start`);
}
/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

export async function gql(port, query, { token, variables } = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}
export async function login(port, email) {
  const body = await gql(port, `mutation { login(email: "${email}", password: "${DEMO_PASSWORD}") { accessToken } }`);
  if (!body.data) throw new Error(`login ${email}: ${JSON.stringify(body.errors)}`);
  return body.data.login.accessToken;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux unless built otherwise). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), rest: stat.slice(close + 2).split(' ') };
}

/** CPU time (user + system, clock ticks) a process has used so far, from /proc (Linux); NaN if gone. */
export function cpuTicks(pid) {
  try {
    const { rest } = statFields(pid);
    // rest[0] is field 3 (state): utime and stime are fields 14 and 15.
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return NaN;
  }
}

/**
 * CPU time (clock ticks) of every process named `postgres` on the machine: each one's user and
 * system time, plus the time of the children it has reaped (the postmaster reaps backends and
 * parallel workers, so one that exits mid-measurement still counts). Whatever else uses this
 * PostgreSQL at the time (another database, another suite) counts too.
 */
export function postgresCpuTicks() {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const { comm, rest } = statFields(name);
      if (comm !== 'postgres') continue;
      // utime, stime, cutime, cstime: fields 14 to 17.
      total += Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
    } catch {
      // exited while we looked
    }
  }
  return total;
}

const percentile = (sorted, p) =>
  sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) / 10 : NaN;

/**
 * Drives `port` with `bodies` (rotated, one per request) for `duration` seconds; returns throughput,
 * exact latency percentiles from every response, errors (transport, non-2xx, GraphQL `errors`), the
 * server's largest RSS while loaded and the CPU per request of the server (`pid`) and of PostgreSQL,
 * over `connections` connections. `token` null sends no authorization header.
 */
export async function drive(port, token, bodies, duration, pid, connections) {
  const latencies = [];
  let graphqlErrors = 0;
  let firstError = null;
  let next = 0;
  let maxRss = 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(pid))), 200);
  const instance = autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    connections,
    duration,
    timeout: 60,
    // The peers take no token: they are sent none rather than one they would ignore.
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
        onResponse: (status, body) => {
          if (status !== 200) firstError ??= `HTTP ${status} ${body.slice(0, 300)}`;
          else if (body.includes('"errors"')) {
            graphqlErrors++;
            firstError ??= body.slice(0, 300);
          }
        },
      },
    ],
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const nodeBefore = cpuTicks(pid);
  const pgBefore = postgresCpuTicks();
  const result = await instance;
  const nodeTicks = cpuTicks(pid) - nodeBefore;
  const pgTicks = postgresCpuTicks() - pgBefore;
  clearInterval(sampler);
  maxRss = Math.max(maxRss, rssMb(pid));
  latencies.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    // No response at all within the run is a failure too (autocannon counts none as an error).
    errors: result.errors + result.timeouts + result.non2xx + graphqlErrors + (latencies.length ? 0 : 1),
    firstError:
      firstError ??
      (result.errors + result.timeouts ? `${result.errors} transport errors, ${result.timeouts} timeouts` : null) ??
      (latencies.length ? null : `no response within ${duration} s`),
    rssMb: maxRss,
    // CPU milliseconds per request over the timed window: the server's process, and all of PostgreSQL.
    nodeCpuMs: result.requests.total ? (nodeTicks * 1000) / CLOCK_TICKS / result.requests.total : NaN,
    pgCpuMs: result.requests.total ? (pgTicks * 1000) / CLOCK_TICKS / result.requests.total : NaN,
  };
}
