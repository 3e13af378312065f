// The SQL cost of row-level security on the list: the statements a `intelligenceReports(first: 20,
// filter: { division: "rochdale" })` request runs (the page, and for police its subjects), replayed
// in a transaction opened for the principal, once as the service's role under row-level security
// and once as the owner (no row security), in interleaved rounds. Prints the median time per
// request's statements for each and their ratio (docs/security.md, "Row-level security").
//
//   npm run build && BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/safeshare_bench_smoke node bench/row-security.mjs
//
// BENCH_ROUNDS (default 10) rounds of BENCH_ITERATIONS (default 200) requests per variant and user;
// BENCH_USERS (comma-separated emails; default the police analyst and the school lead).
import pg from 'pg';
import { MAIN } from './common.mjs';

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/safeshare_bench_smoke';
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const iterations = Number(process.env.BENCH_ITERATIONS ?? 200);
const users = (process.env.BENCH_USERS ?? 'analyst@gmp.example,lead@brookfield-high.example').split(',');
const appRole = process.env.DB_APP_ROLE ?? 'safeshare_app';
const dist = new URL('.', `file://${MAIN}`).href;

const { listReports } = await import(`${dist}intelligence/intelligence.queries.js`);
const { reportLoaders } = await import(`${dist}intelligence/intelligence.loader.js`);
const { reportRedactions } = await import(`${dist}policy/records.js`);
const { principalContextSql } = await import(`${dist}db/row-security.js`);

const client = new pg.Client({ connectionString: url });
await client.connect();

async function principalOf(email) {
  const {
    rows: [u],
  } = await client.query(
    `SELECT u.id, u.roles::text[] AS roles, a.id AS agency_id, a.name, a.kind FROM users u JOIN agencies a ON a.id = u.agency_id WHERE u.email = $1`,
    [email],
  );
  return {
    kind: 'USER',
    id: u.id,
    displayName: email,
    agency: { id: u.agency_id, name: u.name, kind: u.kind },
    roles: u.roles,
    scopes: [],
    sessionId: '00000000-0000-4000-8000-000000000000',
    tokenId: 'bench',
  };
}

/** The statements one list request runs for `principal`, as the service builds them. */
async function listStatements(principal) {
  const captured = [];
  const recorder = {
    query: async (text, values) => {
      captured.push({ text, values });
      return (await client.query(text, values)).rows;
    },
  };
  const page = await listReports(recorder, principal, { first: 20, filter: { division: 'rochdale' } });
  if (!reportRedactions(principal).includes('subjects')) {
    await reportLoaders(recorder, principal).subjectLinksByReport.loadMany(page.edges.map((e) => e.node.id));
  }
  return captured;
}

/** Milliseconds for `n` requests' statements, each in its own transaction opened for `principal`. */
async function time(statements, principal, rls, n) {
  const context = principalContextSql(principal).toQuery();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    await client.query('BEGIN');
    // The same round trips either way: the service's connections are its role from the start.
    await client.query(rls ? `SET LOCAL ROLE ${appRole}` : 'RESET ROLE');
    await client.query(context.text, context.values);
    for (const s of statements) await client.query(s.text, s.values);
    await client.query('COMMIT');
  }
  return Number(process.hrtime.bigint() - start) / 1e6 / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (const email of users) {
  const principal = await principalOf(email);
  const statements = await listStatements(principal);
  // The same rows either way, or the comparison means nothing.
  const rowsOf = async (rls) => {
    await client.query('BEGIN');
    if (rls) await client.query(`SET LOCAL ROLE ${appRole}`);
    const context = principalContextSql(principal).toQuery();
    await client.query(context.text, context.values);
    const out = [];
    for (const s of statements) out.push(JSON.stringify((await client.query(s.text, s.values)).rows));
    await client.query('ROLLBACK');
    return out.join('\n');
  };
  if ((await rowsOf(true)) !== (await rowsOf(false))) throw new Error(`${email}: different rows under row-level security`);
  await time(statements, principal, true, iterations);
  await time(statements, principal, false, iterations);
  const on = [];
  const off = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so drift in the machine's speed falls on both.
    if (r % 2) {
      off.push(await time(statements, principal, false, iterations));
      on.push(await time(statements, principal, true, iterations));
    } else {
      on.push(await time(statements, principal, true, iterations));
      off.push(await time(statements, principal, false, iterations));
    }
  }
  const ratios = on.map((x, i) => x / off[i]);
  results.push({
    user: email,
    statements: statements.length,
    'owner ms': median(off).toFixed(3),
    'row security ms': median(on).toFixed(3),
    'ratio (median of rounds)': median(ratios).toFixed(3),
    'ratio min..max': `${Math.min(...ratios).toFixed(3)}..${Math.max(...ratios).toFixed(3)}`,
  });
}
console.table(results);
await client.end();
