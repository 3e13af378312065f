// The cost of auditing reads: throughput of a 20-row list query with audit on, divided by the same
// with audit off, measured in the same run on the same data, both in production mode. Production
// refuses AUDIT_READS=false, so the audit-off server is bench/unaudited-server.mjs. Goal: at least 0.9
// (npm run bench measures the same, interleaved in rounds, on the large dataset).
//
//   npm run bench:audit
//
// BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/safeshare_bench) is created,
// migrated and seeded with the demo if needed. BENCH_SECONDS (default 20) per configuration,
// BENCH_CONNECTIONS (default 20). Servers listen on 127.0.0.1 only.
import { spawn, execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { MAIN, serverEnv } from './common.mjs';

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/safeshare_bench';
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const main = MAIN;
const baseEnv = serverEnv(url);

const LIST = `{ intelligenceReports(first: 20, filter: { division: "rochdale" }) {
  edges { node { id reference narrative receivedAt submittedBy { name } subjects { role subject { id fullName } } } } } }`;

async function ensureDatabase() {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!exists.rowCount) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  await admin.end();
  execFileSync('node', [main, 'migrate'], { env: baseEnv, stdio: 'inherit' });
  execFileSync('node', [main, 'seed'], { env: baseEnv, stdio: 'inherit' });
}

async function startServer(port, auditReads) {
  const args = auditReads ? [main, 'serve'] : [new URL('./unaudited-server.mjs', import.meta.url).pathname, main];
  const child = spawn('node', args, {
    env: { ...baseEnv, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  child.kill();
  throw new Error(`server on ${port} did not start`);
}

async function login(port) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation { login(email: "analyst@gmp.example", password: "safeshare-demo") { accessToken } }' }),
  });
  return (await res.json()).data.login.accessToken;
}

function load(port, token, duration) {
  return autocannon({
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    connections,
    duration,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: LIST }),
  });
}

await ensureDatabase();
const configs = [
  { name: 'audit on', port: 4101, auditReads: true },
  { name: 'audit off', port: 4102, auditReads: false },
];
const servers = [];
try {
  for (const c of configs) {
    servers.push(await startServer(c.port, c.auditReads));
    c.token = await login(c.port);
    await load(c.port, c.token, 3); // warm-up: JIT, pools, caches
  }
  // Alternate halves so drift on the machine hits both alike.
  const totals = new Map(configs.map((c) => [c.name, { requests: 0, seconds: 0, errors: 0, non2xx: 0, p50: [], p95: [], p99: [] }]));
  for (let round = 0; round < 2; round++) {
    for (const c of configs) {
      const r = await load(c.port, c.token, seconds / 2);
      const t = totals.get(c.name);
      t.requests += r.requests.total;
      t.seconds += r.duration;
      t.errors += r.errors + r.timeouts;
      t.non2xx += r.non2xx;
      t.p50.push(r.latency.p50);
      t.p95.push(r.latency.p97_5 ?? r.latency.p99);
      t.p99.push(r.latency.p99);
    }
  }
  const rows = configs.map((c) => {
    const t = totals.get(c.name);
    const max = (xs) => Math.max(...xs);
    return {
      configuration: c.name,
      'req/s': Math.round(t.requests / t.seconds),
      'p50 ms': max(t.p50),
      'p97.5 ms': max(t.p95),
      'p99 ms': max(t.p99),
      errors: t.errors,
      non2xx: t.non2xx,
    };
  });
  console.table(rows);
  const ratio = rows[0]['req/s'] / rows[1]['req/s'];
  console.log(`audit-on / audit-off throughput: ${ratio.toFixed(3)} (goal >= 0.9), ${connections} connections, ${seconds} s each`);
  if (rows.some((r) => r.errors || r.non2xx)) process.exitCode = 1;
} finally {
  for (const s of servers) s.kill('SIGTERM');
}
