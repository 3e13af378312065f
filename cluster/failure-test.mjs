// npm run cluster:test: the cluster's failure tests (docs/scaling.md, "Failure tests"), bounded and on
// the loopback only. Starts the topology, then: kill -9 an instance under mixed load; pause the
// standby's replay past the lag bound; stop the standby; kill Redis; restart the primary. Prints a
// table of figures; exits 1 if a check fails.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { endProcess, MAIN, restartRedis, startCluster, waitFor } from './cluster.mjs';
import { gql, login, percentile, QUERIES } from './client.mjs';

const LIMIT_MS = Number(process.env.CLUSTER_TEST_LIMIT_MS ?? 5 * 60_000);
const LOAD_MS = Number(process.env.CLUSTER_LOAD_MS ?? 12_000);
const WORKERS = Number(process.env.CLUSTER_LOAD_WORKERS ?? 8);
const runId = Date.now().toString(36);
const started = Date.now();
const figures = [];
const failed = [];
const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
/** One row of the table; `ok` false makes the run fail. */
const figure = (scenario, what, value, ok = true) => {
  figures.push({ scenario, what, value: String(value), ok });
  if (!ok) failed.push(`${scenario}: ${what} = ${value}`);
};

let cluster;
const watchdog = setTimeout(async () => {
  console.error(`cluster test: over ${LIMIT_MS / 1000} s, stopping`);
  await cluster?.stop();
  process.exit(1);
}, LIMIT_MS);
// Whatever goes wrong, nothing is left running.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, async (error) => {
    console.error(`cluster test: ${event}`, error);
    await cluster?.stop();
    process.exit(1);
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await cluster?.stop();
    process.exit(130);
  });
}

/** Mixed load through nginx: reads as an analyst, submissions with idempotency keys as an investigator. */
async function mixedLoad(url, tokens, ms) {
  const result = { ok: 0, retryable: 0, errors: [], retryCodes: {}, latencies: [], acked: new Map(), retriedWrites: 0 };
  const until = Date.now() + ms;
  const note = (r, t0) => {
    result.latencies.push(Date.now() - t0);
    if (r.kind === 'ok') result.ok++;
    else if (r.kind === 'retryable') {
      result.retryable++;
      result.retryCodes[r.code] = (result.retryCodes[r.code] ?? 0) + 1;
    } else result.errors.push(`${r.code}: ${JSON.stringify(r.body?.errors?.[0]?.message ?? r.body)}`);
  };
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      for (let i = 0; Date.now() < until; i++) {
        const op = ['search', 'submit', 'stats', 'list', 'submit'][i % 5];
        if (op !== 'submit') {
          const t0 = Date.now();
          note(await gql(url, QUERIES[op], {}, tokens.analyst), t0);
          continue;
        }
        const key = `cluster-${runId}-${w}-${i}`;
        const input = { sourceType: 'POLICE', narrative: `Cluster test report ${key}`, idempotencyKey: key };
        for (let attempt = 0; attempt < 10; attempt++) {
          const t0 = Date.now();
          const r = await gql(url, QUERIES.submit, { i: input }, tokens.investigator);
          note(r, t0);
          if (r.kind === 'ok') {
            result.acked.set(key, r.body.data.submitIntelligence.id);
            if (attempt > 0) result.retriedWrites++;
            break;
          }
          if (r.kind === 'error') break;
          await sleep(100 * (attempt + 1));
        }
      }
    }),
  );
  return result;
}

async function standbyFigures(db) {
  const { rows } = await db.query(
    `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = 'safeshare')::bigint AS commits,
            CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000, 0) END::float8 AS lag_ms`,
  );
  return { commits: Number(rows[0].commits), lagMs: rows[0].lag_ms };
}

/** Each request in turn, timed; returns the latencies and the failures. */
async function probe(url, token, queries, n) {
  const latencies = [];
  const errors = [];
  for (let i = 0; i < n; i++) {
    const query = queries[i % queries.length];
    const t0 = Date.now();
    const r = await gql(url, query, {}, token);
    latencies.push(Date.now() - t0);
    if (r.kind !== 'ok') errors.push(r.code);
  }
  return { latencies: latencies.sort((a, b) => a - b), errors };
}

function auditVerify() {
  const run = spawnSync(process.execPath, [MAIN, 'audit:verify'], {
    env: { ...cluster.env, LOG_LEVEL: 'error' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim().split('\n').slice(-3).join(' | ') };
}

try {
  // A short lag bound, so the lagging-standby check below takes seconds.
  cluster = await startCluster({ log, env: { ...process.env, REPLICA_MAX_LAG_MS: process.env.REPLICA_MAX_LAG_MS ?? '1000' } });
  figure('start', 'primary, standby, Redis, 3 instances, nginx up (s)', ((Date.now() - started) / 1000).toFixed(1));
  const { url } = cluster;
  const primaryDb = new pg.Client({ connectionString: cluster.primary.url });
  const standbyDb = new pg.Client({ connectionString: cluster.standby.url });
  // Their servers stop under them below: an error on an idle client must not end the test.
  for (const db of [primaryDb, standbyDb]) db.on('error', () => undefined);
  await primaryDb.connect();
  await standbyDb.connect();
  const tokens = { analyst: await login(url, 'analyst@gmp.example'), investigator: await login(url, 'investigator@gmp.example') };

  // 1. kill -9 one instance under mixed load.
  log(`mixed load for ${LOAD_MS / 1000} s, ${WORKERS} clients; instance 2 killed at a third of it`);
  const before = await standbyFigures(standbyDb);
  let maxLag = 0;
  const lagSampler = setInterval(
    () =>
      standbyFigures(standbyDb).then(
        (f) => (maxLag = Math.max(maxLag, f.lagMs)),
        () => undefined,
      ),
    250,
  );
  const load = mixedLoad(url, tokens, LOAD_MS);
  await sleep(LOAD_MS / 3);
  cluster.apps[1].kill();
  log('instance 2 killed (SIGKILL)');
  const result = await load;
  clearInterval(lagSampler);
  const after = await standbyFigures(standbyDb);
  await standbyDb.end();
  const lat = result.latencies.sort((a, b) => a - b);
  figure(
    'kill -9',
    'requests answered / retryable / other errors',
    `${result.ok} / ${result.retryable} / ${result.errors.length}`,
    result.errors.length === 0,
  );
  if (result.errors.length) log(`errors: ${[...new Set(result.errors)].slice(0, 5).join('; ')}`);
  figure('kill -9', 'retryable errors seen', JSON.stringify(result.retryCodes) || '{}');
  figure(
    'kill -9',
    'throughput (req/s), p50 / p99 (ms)',
    `${(result.ok / (LOAD_MS / 1000)).toFixed(0)}, ${percentile(lat, 50)} / ${percentile(lat, 99)}`,
  );
  const keys = [...result.acked.keys()];
  const { rows } = await primaryDb.query(
    `SELECT idempotency_key, array_agg(id::text) AS ids FROM intelligence_reports WHERE idempotency_key = ANY($1::text[]) GROUP BY 1`,
    [keys],
  );
  const stored = new Map(rows.map((r) => [r.idempotency_key, r.ids]));
  const lost = keys.filter((k) => !stored.get(k)?.includes(result.acked.get(k)));
  const duplicated = rows.filter((r) => r.ids.length > 1);
  figure('kill -9', 'acknowledged writes / lost on the primary', `${keys.length} / ${lost.length}`, lost.length === 0 && keys.length > 0);
  figure('kill -9', 'keys with more than one report', duplicated.length, duplicated.length === 0);
  figure('kill -9', 'writes acknowledged after a retry', result.retriedWrites);
  // The same key again answers with the same report.
  let replays = 0;
  for (const key of keys.slice(0, 5)) {
    const r = await gql(
      url,
      QUERIES.submit,
      { i: { sourceType: 'POLICE', narrative: `Cluster test report ${key}`, idempotencyKey: key } },
      tokens.investigator,
    );
    if (r.kind === 'ok' && r.body.data.submitIntelligence.id === result.acked.get(key)) replays++;
  }
  figure(
    'kill -9',
    'resubmissions with a used key answered with its id',
    `${replays} / ${Math.min(5, keys.length)}`,
    replays === Math.min(5, keys.length),
  );
  figure(
    'kill -9',
    'standby transactions during the load / max replay lag (ms)',
    `${after.commits - before.commits} / ${maxLag.toFixed(0)}`,
    after.commits > before.commits,
  );
  const rejoin = await cluster.apps[1].restart();
  figure('kill -9', 'killed instance ready again after restart (ms)', rejoin);

  // 2. The standby lags (replay paused): a search finds a report submitted since, from the primary.
  cluster.standby.psql('SELECT pg_wal_replay_pause()', 'safeshare');
  const word = `lagprobe${runId.replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)])}`;
  const probeSubmit = await gql(
    url,
    QUERIES.submit,
    { i: { sourceType: 'POLICE', narrative: `Replica lag probe ${word}` } },
    tokens.investigator,
  );
  // Past the lag bound and the instances' once-a-second lag reading.
  await sleep(Number(cluster.env.REPLICA_MAX_LAG_MS) + 1500);
  const lagNow = cluster.standby.psql(`SELECT round(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000)`, 'safeshare');
  const found = await gql(
    url,
    `query($t: String!) { searchIntelligence(text: $t, first: 5) { edges { node { id } } } }`,
    { t: word },
    tokens.analyst,
  );
  const foundIds = found.kind === 'ok' ? found.body.data.searchIntelligence.edges.map((e) => e.node.id) : [];
  const probeId = probeSubmit.kind === 'ok' ? probeSubmit.body.data.submitIntelligence.id : null;
  figure(
    'standby lagging',
    `search finds a report written since, standby ${lagNow} ms behind (bound ${cluster.env.REPLICA_MAX_LAG_MS})`,
    probeId && foundIds.includes(probeId) ? 'found (read on the primary)' : `not found: ${found.code ?? foundIds.length}`,
    Boolean(probeId && foundIds.includes(probeId)),
  );
  cluster.standby.psql('SELECT pg_wal_replay_resume()', 'safeshare');

  // 3. The standby stops: statistics and search fall back to the primary.
  cluster.standby.stop('fast');
  log('standby stopped');
  const down = await probe(url, tokens.analyst, [QUERIES.stats, QUERIES.search], 30);
  figure('standby down', 'statistics and search answered', `${30 - down.errors.length} / 30`, down.errors.length === 0);
  figure('standby down', 'p50 / max latency (ms)', `${percentile(down.latencies, 50)} / ${down.latencies.at(-1)}`);
  cluster.standby.start();
  log('standby started again');

  // 4. Redis down: the rate limits fail open (logged), nothing else breaks.
  await endProcess(cluster.redis, 'SIGKILL');
  log('Redis killed');
  const noRedis = await probe(url, tokens.analyst, [QUERIES.search, QUERIES.list, QUERIES.stats], 30);
  const submitted = await gql(
    url,
    QUERIES.submit,
    { i: { sourceType: 'POLICE', narrative: `Cluster test without Redis ${runId}` } },
    tokens.investigator,
  );
  figure(
    'Redis down',
    'requests answered (reads + a submission)',
    `${30 - noRedis.errors.length + (submitted.kind === 'ok' ? 1 : 0)} / 31`,
    noRedis.errors.length === 0 && submitted.kind === 'ok',
  );
  const warned = cluster.apps.some((a) => readFileSync(cluster.logOf(`app${a.n}`), 'utf8').includes('rate limit store unavailable'));
  figure('Redis down', 'limiter failed open with a logged warning', warned ? 'yes' : 'no', warned);
  restartRedis(cluster);

  // 5. The primary restarts (an immediate stop: crash recovery at start).
  await primaryDb.end();
  const t0 = Date.now();
  cluster.primary.stop('immediate');
  log('primary stopped (immediate)');
  cluster.primary.start();
  const pgUp = Date.now() - t0;
  await waitFor(`${url}/readyz`, 60_000);
  const readyAt = Date.now() - t0;
  let writeAt = null;
  for (let attempt = 0; attempt < 200 && writeAt === null; attempt++) {
    const r = await gql(
      url,
      QUERIES.submit,
      { i: { sourceType: 'POLICE', narrative: `After restart ${runId}`, idempotencyKey: `restart-${runId}` } },
      tokens.investigator,
    );
    if (r.kind === 'ok') writeAt = Date.now() - t0;
    else await sleep(100);
  }
  figure('primary restart', 'PostgreSQL accepting connections (ms)', pgUp);
  figure('primary restart', '/readyz through nginx (ms)', readyAt);
  figure('primary restart', 'first acknowledged write (ms)', writeAt ?? 'none in 20 s', writeAt !== null);

  // 6. The audit trail has no gap: every event hashed and sealed in one unbroken chain.
  await sleep(2500);
  const verified = auditVerify();
  figure('audit', 'audit:verify on the primary', verified.ok ? 'valid' : verified.output, verified.ok);
  if (verified.ok) log(`audit:verify: ${verified.output}`);
} catch (error) {
  failed.push(`aborted: ${error.stack ?? error}`);
} finally {
  clearTimeout(watchdog);
  await cluster?.stop();
}

const width = (k) => Math.max(...figures.map((f) => f[k].length), k.length);
const [ws, ww, wv] = [width('scenario'), width('what'), width('value')];
console.log(`\n${'scenario'.padEnd(ws)}  ${'what'.padEnd(ww)}  ${'value'.padEnd(wv)}  check`);
for (const f of figures) console.log(`${f.scenario.padEnd(ws)}  ${f.what.padEnd(ww)}  ${f.value.padEnd(wv)}  ${f.ok ? 'ok' : 'FAILED'}`);
console.log(`\ncluster test: ${((Date.now() - started) / 1000).toFixed(0)} s`);
const passed = figures.filter((f) => f.ok).length;
console.log(`${passed} passed, ${failed.length} failed`);
if (failed.length) {
  console.error(failed.join('\n'));
  process.exit(1);
}
process.exit(0);
