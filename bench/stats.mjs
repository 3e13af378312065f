// Statistics latency on the benchmark data (bench/generate.mjs): every statistics query over ten
// months, for a police analyst (full detail) and a voluntary reporter (disclosure control), through
// the HTTP API with autocannon. Prints p50/p95/p99 per query; the target is p95 under 100 ms.
//
//   npm run bench:data && npm run bench:stats
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/safeshare_bench_100k npm run bench:stats
//
// BENCH_SECONDS per query (default 5), BENCH_CONNECTIONS (default 4), BENCH_QUERIES (a regular
// expression naming the queries to run, default all). The server listens on
// 127.0.0.1:4211 and is stopped at the end.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { MAIN, serverEnv } from './common.mjs';

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/safeshare_bench_1m';
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 4);
const port = 4211;
const main = MAIN;
const RANGE = 'from: "2025-01-01T00:00:00Z", to: "2025-11-01T00:00:00Z"';
const ROW = 'division { id } sourceType month count suppressed';
const CROW = 'division { id } month crimes victims suspects suppressed';
const QUERIES = {
  // Not statistics: the cost of any authenticated, audited request on this machine, for comparison.
  'reference: divisions': '{ divisions { id name } }',
  'intelligence total': `{ intelligenceStats(${RANGE}) { total } }`,
  'intelligence [DIVISION]': `{ intelligenceStats(${RANGE}, groupBy: [DIVISION]) { total rows { ${ROW} } } }`,
  'intelligence [DIVISION, MONTH]': `{ intelligenceStats(${RANGE}, groupBy: [DIVISION, MONTH]) { total rows { ${ROW} } } }`,
  'intelligence [DIVISION, SOURCE_TYPE, MONTH]': `{ intelligenceStats(${RANGE}, groupBy: [DIVISION, SOURCE_TYPE, MONTH]) { total rows { ${ROW} } } }`,
  'intelligence, partial days at both ends': `{ intelligenceStats(from: "2025-01-01T09:30:00Z", to: "2025-10-31T17:45:00Z", groupBy: [DIVISION, MONTH]) { total rows { ${ROW} } } }`,
  'crimes [DIVISION, MONTH]': `{ crimeStats(${RANGE}, groupBy: [DIVISION, MONTH]) { total { ${CROW} } rows { ${CROW} } } }`,
  flagStats: `{ flagStats(${RANGE}) { activeTotal active { division { id } kind riskLevel count suppressed } dueForReview underFlagging { reports unflagged unflaggedShare } } }`,
};
const only = process.env.BENCH_QUERIES ? new RegExp(process.env.BENCH_QUERIES) : null;
const USERS = { analyst: 'analyst@gmp.example', voluntary: 'reporter@safe-futures.example' };
/** Police ANALYST and SUPERVISOR only (FORBIDDEN for anyone else, policy/statistics.ts): measured for the analyst. */
const POLICE_ONLY = new Set(['flagStats']);

const server = spawn('node', [main, 'serve'], {
  env: serverEnv(url, { PORT: String(port) }),
  stdio: ['ignore', 'inherit', 'inherit'],
});
const stop = () => server.exitCode === null && server.kill('SIGTERM');
process.on('SIGINT', () => (stop(), process.exit(130)));

const endpoint = `http://127.0.0.1:${port}/graphql`;
async function gql(query, token) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return res.json();
}

try {
  for (let i = 0; ; i++) {
    if (server.exitCode !== null) throw new Error(`server exited (${server.exitCode})`);
    if (
      await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 600) throw new Error('server did not start');
    await sleep(200);
  }
  const results = [];
  for (const [who, email] of Object.entries(USERS)) {
    const login = await gql(`mutation { login(email: "${email}", password: "safeshare-demo") { accessToken } }`);
    const token = login.data.login.accessToken;
    for (const [name, query] of Object.entries(QUERIES).filter(
      ([n]) => (!only || only.test(n)) && (who === 'analyst' || !POLICE_ONLY.has(n)),
    )) {
      const probe = await gql(query, token);
      if (probe.errors) {
        results.push({ caller: who, query: name, failed: probe.errors[0].extensions?.code ?? probe.errors[0].message });
        continue;
      }
      const latencies = [];
      let errors = 0;
      const instance = autocannon({
        url: endpoint,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      instance.on('response', (_client, status, _bytes, time) => {
        if (status !== 200) errors++;
        latencies.push(time);
      });
      await new Promise((resolve) => instance.on('done', resolve));
      latencies.sort((a, b) => a - b);
      const pct = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] * 10) / 10;
      results.push({
        caller: who,
        query: name,
        requests: latencies.length,
        'p50 ms': pct(50),
        'p95 ms': pct(95),
        'p99 ms': pct(99),
        errors,
      });
    }
  }
  console.table(results);
  const worst = Math.max(...results.filter((r) => !r.query.startsWith('reference')).map((r) => r['p95 ms'] ?? Infinity));
  console.log(`worst p95: ${worst} ms over ten months (${connections} connections, target < 100 ms): ${worst < 100 ? 'met' : 'NOT met'}`);
} finally {
  stop();
}
