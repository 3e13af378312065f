// Load benchmarks: autocannon against Safeshare (audit on and off) and two peers on the same data
// made by bench/generate.mjs: a bare Apollo Server + pg baseline and PostGraphile V5. Prints the
// list scenario's rounds, the other scenarios' latencies, CPU per request, RSS, and the targets of
// docs/performance.md ("The load suite" there says what each column means and the rules below).
//
//   npm run bench:data && npm run bench
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/safeshare_bench_100k BENCH_SCENARIOS=list-police,search npm run bench
//
// Knobs: BENCH_SECONDS per timed run (default 10) after BENCH_WARMUP seconds (default 2),
// BENCH_ROUNDS of the interleaved list scenario (default 3), BENCH_CONNECTIONS (default 20; smoke 5),
// BENCH_BATCH reports per submitIntelligenceBatch request (default 200; smoke 5), BENCH_SCENARIOS
// (comma-separated: list-police, list-school, subject, search, fuzzy, stats, writes; default all),
// BENCH_JSON (write the results there too), BENCH_MAIN (another build's dist/src/main.js to measure),
// BENCH_ADMIN_URL (a database to run CREATE/DROP DATABASE from; default `postgres` on the same server).
// BENCH_SMOKE=1: short, and exits 1 on any error or disagreeing answer (targets are reported, not
// enforced). Servers listen on 127.0.0.1 only, ports 4201-4205.
//
// Honesty rules the suite enforces (it stops, or fails, rather than print a figure that breaks one):
// - The dataset is verified unchanged before every read scenario (row counts and a checksum of the
//   newest page); writes go to a copy of the database, made at the start and dropped at the end.
// - Every server runs in production mode; the audit-off server is bench/unaudited-server.mjs, and
//   one probe each shows the audit-on server auditing a read and the audit-off one not.
// - Every peer's answer to the list is checked equal to Safeshare's before it is timed.
// - The four list servers run interleaved, in rounds, in a rotated order; ratios are per round, and
//   the median over rounds is what meets or misses a target.
import { spawn } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import pg from 'pg';
import { drained, drive, gql, login, MAIN, ready, rssMb, serverEnv } from './common.mjs';

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/safeshare_bench_1m';
const smoke = process.env.BENCH_SMOKE === '1';
const seconds = Number(process.env.BENCH_SECONDS ?? (smoke ? 2 : 10));
const warmup = Number(process.env.BENCH_WARMUP ?? (smoke ? 0.5 : 2));
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? (smoke ? 2 : 3)));
const connections = Number(process.env.BENCH_CONNECTIONS ?? (smoke ? 5 : 20));
const batch = Number(process.env.BENCH_BATCH ?? (smoke ? 5 : 200));
const only = process.env.BENCH_SCENARIOS
  ? new Set(process.env.BENCH_SCENARIOS.split(',').map((s) => (s.trim() === 'ingest' ? 'writes' : s.trim())))
  : null;
const wanted = (name) => !only || only.has(name);
// BENCH_MAIN: another build of Safeshare to measure (e.g. a branch's dist/src/main.js), default this checkout's.
const main = process.env.BENCH_MAIN ?? MAIN;
const script = (name) => new URL(`./${name}`, import.meta.url).pathname;
const databaseName = decodeURIComponent(new URL(url).pathname.slice(1));
const adminUrl = process.env.BENCH_ADMIN_URL ?? Object.assign(new URL(url), { pathname: '/postgres' }).toString();
/** The writes scenario's copy of the dataset (CREATE DATABASE ... TEMPLATE), dropped at the end. */
const scratchName = `${databaseName}_writes`;
const scratchUrl = Object.assign(new URL(url), { pathname: `/${scratchName}` }).toString();
const ident = (name) => `"${name.replace(/"/g, '""')}"`;

// ---------------------------------------------------------------------------------------------
// Queries

const LIST = `query List { intelligenceReports(first: 20, filter: { division: "rochdale" }) {
  edges { node { id reference narrative receivedAt submittedBy { name } subjects { role subject { id fullName } } } } } }`;
/** The same list in PostGraphile's own shape: its default (amber) schema, no hand-written resolvers. */
const PEER_LIST = `query List { allIntelligenceReports(first: 20, condition: { divisionId: "rochdale" }, orderBy: [RECEIVED_AT_DESC, ROW_ID_DESC]) {
  nodes { rowId reference narrative receivedAt agencyBySubmittedByAgencyId { name }
    reportSubjectsByReportId { nodes { role subjectBySubjectId { rowId fullName } } } } } }`;
const SUBJECT = `query Subject($id: ID!) { subject(id: $id) { id fullName aliases age
  flags { id kind riskLevel status setAt } reports { role report { id reference receivedAt division { name } } } } }`;
const SEARCH = `query Search($text: String!) { searchIntelligence(text: $text, first: 20) {
  totalCount edges { node { id reference narrative receivedAt division { name } } } } }`;
const FUZZY = `query Fuzzy($name: String!) { subjects(first: 20, filter: { name: $name }) { totalCount edges { node { id fullName aliases age } } } }`;
const STATS = `query Stats { intelligenceStats(from: "2025-01-01T00:00:00Z", to: "2025-11-01T00:00:00Z", groupBy: [DIVISION, MONTH]) {
  total rows { division { id } month count suppressed } } }`;
const SUBMIT_BATCH = `mutation Submit($inputs: [SubmitIntelligenceInput!]!) { submitIntelligenceBatch(inputs: $inputs) { id reference } }`;
/** One batch of `n` distinct submissions, as a partner app's outreach log would send them. */
const submissions = (n, run) =>
  Array.from({ length: n }, (_, i) => ({
    sourceType: 'VOLUNTARY',
    divisionId: 'rochdale',
    location: 'the bus station in Rochdale',
    narrative: `Outreach workers saw a girl aged about 14 driven away from the bus station by a man in a silver Ford Focus (bench ${run}-${i})`,
    riskIndicators: ['TRANSPORTED_BY_ADULTS', 'UNEXPLAINED_GIFTS'],
  }));

const SEARCH_TERMS = ['taxi Fothergill', 'taxi Birtwistle', 'vodka Rochdale', 'silver Vauxhall Astra', 'party Greenhalgh', 'A&E Prius'];
const NAMES = ['Chloe Ashworth', 'Jade Kershaw', 'Imran Holt', 'Megan Entwistle', 'Darren Clegg', 'Sana Whitworth', 'Kieran Lomax'];
const body = (query, variables) => JSON.stringify({ query, variables });

/**
 * A list answer in one shape, whichever server gave it: the reports in the order given, each with
 * its subject links sorted by subject id and role, times as ISO instants.
 */
function normalList(answer) {
  const nodes = answer.data?.intelligenceReports?.edges.map((e) => e.node) ?? answer.data?.allIntelligenceReports?.nodes;
  if (!nodes) return null;
  return nodes.map((n) => ({
    id: n.id ?? n.rowId,
    reference: n.reference,
    narrative: n.narrative,
    receivedAt: new Date(n.receivedAt).toISOString(),
    agency: (n.submittedBy ?? n.agencyBySubmittedByAgencyId)?.name ?? null,
    links: (n.subjects ?? n.reportSubjectsByReportId.nodes)
      .map((l) => {
        const subject = l.subject ?? l.subjectBySubjectId;
        return { role: l.role, id: subject.id ?? subject.rowId, fullName: subject.fullName };
      })
      .sort((a, b) => (a.id === b.id ? a.role.localeCompare(b.role) : a.id.localeCompare(b.id))),
  }));
}

// ---------------------------------------------------------------------------------------------
// Servers

const baseEnv = serverEnv(url);
const children = [];
/** Each server's output goes to a log file (a timeout under load would otherwise flood the table). */
const logOf = (port) => path.join(tmpdir(), `safeshare-bench-${port}.log`);
function start(port, args, env = baseEnv) {
  const log = openSync(logOf(port), 'w');
  const child = spawn('node', args, { env: { ...env, PORT: String(port) }, stdio: ['ignore', log, log] });
  children.push(child);
  return child;
}
const stop = (child) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => {
        // Safeshare drains for up to 20 s on SIGTERM; a server still there after 25 s is killed.
        const kill = setTimeout(() => child.kill('SIGKILL'), 25_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
const stopAll = () => Promise.all(children.map(stop));
process.on('SIGINT', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exit(130);
});

/** Safeshare's RSS, sampled throughout the run (not only while a scenario loads it), per server. */
const rssMax = {};
function sampleRss(label, child) {
  const timer = setInterval(() => {
    const mb = rssMb(child.pid);
    if (Number.isFinite(mb)) rssMax[label] = Math.max(rssMax[label] ?? 0, mb);
  }, 200);
  child.once('exit', () => clearInterval(timer));
}

// ---------------------------------------------------------------------------------------------
// The dataset, and its copy for writes

/** What the read scenarios depend on; audit_events is left out (every audited read adds to it). */
async function fingerprint(client) {
  const { rows } = await client.query(
    `SELECT (SELECT count(*) FROM intelligence_reports)::int AS reports, (SELECT count(*) FROM subjects)::int AS subjects,
            (SELECT count(*) FROM report_subjects)::int AS report_subjects, (SELECT count(*) FROM flags)::int AS flags,
            (SELECT md5(string_agg(p.id::text || '=' || coalesce(p.links, ''), ',' ORDER BY p.received_at DESC, p.id DESC))
               FROM (SELECT r.id, r.received_at,
                            (SELECT string_agg(rs.subject_id::text || '/' || rs.role, ';' ORDER BY rs.subject_id, rs.role)
                               FROM report_subjects rs WHERE rs.report_id = r.id) AS links
                       FROM intelligence_reports r WHERE r.division_id = 'rochdale'
                      ORDER BY r.received_at DESC, r.id DESC LIMIT 20) p) AS newest_page`,
  );
  return rows[0];
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
const dropScratch = () => admin.query(`DROP DATABASE IF EXISTS ${ident(scratchName)} WITH (FORCE)`);
let scratchMade = false;
if (wanted('writes')) {
  // Made before anything connects to the dataset: CREATE DATABASE ... TEMPLATE needs it unused.
  const t0 = Date.now();
  await dropScratch();
  const { rows } = await admin.query(`SELECT current_setting('server_version_num')::int AS v`);
  try {
    await admin.query(
      `CREATE DATABASE ${ident(scratchName)} TEMPLATE ${ident(databaseName)}${rows[0].v >= 150000 ? ' STRATEGY FILE_COPY' : ''}`,
    );
  } catch (error) {
    await admin.end();
    console.error(
      `cannot copy ${databaseName} for the writes scenario: ${error.message}\n` +
        `(no other session may be connected to it; or leave writes out with BENCH_SCENARIOS)`,
    );
    process.exit(1);
  }
  scratchMade = true;
  console.log(`writes go to ${scratchName}, a copy of ${databaseName} made in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const db = new pg.Client({ connectionString: url });
await db.connect();
const { rows: dataset } = await db.query(
  `SELECT (SELECT count(*) FROM intelligence_reports)::int AS reports, (SELECT count(*) FROM subjects)::int AS subjects,
          (SELECT count(*) FROM audit_events)::int AS audit_events,
          (SELECT count(*) FROM intelligence_reports WHERE division_id = 'rochdale')::int AS rochdale`,
);
const original = await fingerprint(db);
/** Stops the suite if the read scenarios' data is no longer what it was at the start. */
async function verifyDataset(before) {
  const now = await fingerprint(db);
  const changed = Object.keys(original).filter((k) => now[k] !== original[k]);
  if (changed.length) {
    throw new Error(
      `the dataset changed before "${before}": ${changed.map((k) => `${k} ${original[k]} -> ${now[k]}`).join(', ')}; ` +
        'its figures would not measure the same data',
    );
  }
}
// Subjects with flags and linked reports, for the subject scenario (rotated so no one row stays hot).
const { rows: subjectRows } = await db.query(
  `SELECT f.subject_id AS id FROM flags f WHERE EXISTS (SELECT 1 FROM report_subjects rs WHERE rs.subject_id = f.subject_id)
    ORDER BY f.subject_id LIMIT 500`,
);
console.log(
  `dataset: ${dataset[0].reports.toLocaleString('en-GB')} reports (Rochdale ${dataset[0].rochdale.toLocaleString('en-GB')}), ` +
    `${dataset[0].subjects.toLocaleString('en-GB')} subjects, ${original.report_subjects.toLocaleString('en-GB')} links, ` +
    `${original.flags.toLocaleString('en-GB')} flags, ${dataset[0].audit_events.toLocaleString('en-GB')} audit events; ` +
    `newest page ${original.newest_page}; ${connections} connections, ${seconds} s per run after ${warmup} s warm-up, ` +
    `${rounds} list round${rounds === 1 ? '' : 's'}`,
);

const servers = {
  on: { port: 4201, label: 'Safeshare', safeshare: true, child: start(4201, [main, 'serve']) },
  off: { port: 4202, label: 'Safeshare, audit off', safeshare: true, child: start(4202, [script('unaudited-server.mjs'), main]) },
  baseline: { port: 4203, label: 'baseline (Apollo + pg)', child: start(4203, [script('baseline-server.mjs')]) },
  postgraphile: { port: 4204, label: 'PostGraphile V5', peerList: true, child: start(4204, [script('postgraphile-server.mjs')]) },
};
for (const s of Object.values(servers)) if (s.safeshare) sampleRss(s.label, s.child);
/** The writes scenario's Safeshare, on the copy; started when its turn comes. */
const writesServer = { port: 4205, label: 'Safeshare (on the copy)', safeshare: true, child: null };

const results = [];
const listRuns = [];
const checks = [];
let failed = false;
let aborted = null;
/** Fails the suite (the run goes on, so the rest is still reported). */
const fail = (message) => {
  failed = true;
  checks.push({ check: message, ok: false });
  console.log(`  FAIL ${message}`);
};
const pass = (message) => {
  checks.push({ check: message, ok: true });
  console.log(`  ok   ${message}`);
};

/** Whether the server's schema has a root field (a field it lacks fails validation by its name). */
async function hasOperation(port, token, name, kind = 'query') {
  const answer = await gql(port, `${kind} { ${name} }`, { token });
  return !(answer.errors ?? []).some((e) => e.message.includes(`Cannot query field "${name}"`));
}

/** The dataset check (reads only), warm-up, drain, the timed run, drain; one row of figures. */
async function measure(s, server, token, client = db) {
  if (!s.writes) await verifyDataset(s.title);
  if (warmup > 0) await drive(server.port, token, s.bodies, warmup, server.child.pid, connections);
  await drained(client);
  const r = await drive(server.port, token, s.bodies, seconds, server.child.pid, connections);
  await drained(client);
  const out = {
    scenario: s.title,
    server: server.label,
    ...(s.round !== undefined ? { round: s.round + 1 } : {}),
    'req/s': Math.round(r.rps),
    ...(s.perRequest ? { 'reports/s': Math.round(r.rps * s.perRequest) } : {}),
    'p50 ms': r.p50,
    'p95 ms': r.p95,
    'p99 ms': r.p99,
    'node ms/req': Math.round(r.nodeCpuMs * 100) / 100,
    'pg ms/req': Math.round(r.pgCpuMs * 100) / 100,
    errors: r.errors,
    'RSS MB': Math.round(r.rssMb),
    ...(s.note ? { note: s.note } : {}),
  };
  if (r.errors) {
    failed = true;
    out.note = `${out.note ? `${out.note}; ` : ''}first error: ${r.firstError}`;
  }
  console.log(
    `- ${s.title} [${server.label}${s.round !== undefined ? `, round ${s.round + 1}` : ''}]: ${Math.round(r.rps)} req/s, ` +
      `p95 ${r.p95} ms, p99 ${r.p99} ms, node ${out['node ms/req']} ms/req, pg ${out['pg ms/req']} ms/req, errors ${r.errors}`,
  );
  return { ...out, key: s.key, rps: r.rps };
}

try {
  await Promise.all(Object.values(servers).map((s) => ready(s.port, s.child)));
  const analyst = { on: await login(servers.on.port, 'analyst@gmp.example'), off: await login(servers.off.port, 'analyst@gmp.example') };

  // -- Checks before any timing ------------------------------------------------------------------
  console.log('checks:');
  // Audit on audits the read, audit off does not: each probe is named so its events can be found.
  const since = (await db.query('SELECT now() AS t')).rows[0].t;
  const probe = (name) => `query ${name} { intelligenceReports(first: 1, filter: { division: "rochdale" }) { edges { node { id } } } }`;
  const probeOn = await gql(servers.on.port, probe('BenchAuditProbeOn'), { token: analyst.on });
  const probeOff = await gql(servers.off.port, probe('BenchAuditProbeOff'), { token: analyst.off });
  if (probeOn.errors || probeOff.errors) fail(`audit probe failed: ${JSON.stringify((probeOn.errors ?? probeOff.errors)[0])}`);
  const { rows: audited } = await db.query(
    `SELECT operation_name, count(*)::int AS n FROM audit_events
      WHERE occurred_at >= $1 AND operation_name IN ('BenchAuditProbeOn', 'BenchAuditProbeOff') AND outcome = 'ALLOWED'
      GROUP BY operation_name`,
    [since],
  );
  const auditedBy = Object.fromEntries(audited.map((r) => [r.operation_name, r.n]));
  if (!auditedBy.BenchAuditProbeOn) fail('the audit-on server wrote no audit event for a read');
  else if (auditedBy.BenchAuditProbeOff) fail('the audit-off server audited a read: it is not the server it is meant to be');
  else pass(`audit on audits the read (${auditedBy.BenchAuditProbeOn} event), audit off does not`);

  // Every server's list is Safeshare's list.
  const listAnswers = {};
  for (const [key, s] of Object.entries(servers)) {
    listAnswers[key] = await gql(s.port, s.peerList ? PEER_LIST : LIST, { token: analyst[key] });
  }
  const reference = normalList(listAnswers.on);
  const expected = Math.min(20, dataset[0].rochdale);
  const agreeing = new Set();
  if (!reference || reference.length !== expected) {
    fail(
      `Safeshare's list has ${reference?.length ?? 'no'} reports (${expected} expected): ${JSON.stringify(listAnswers.on.errors ?? '')}`,
    );
  } else {
    agreeing.add('on');
    for (const key of ['off', 'baseline', 'postgraphile']) {
      const answer = normalList(listAnswers[key]);
      const label = servers[key].label;
      if (!answer) {
        fail(`${label} gave no list: ${JSON.stringify(listAnswers[key].errors ?? listAnswers[key]).slice(0, 300)}`);
        continue;
      }
      const at = reference.findIndex((r, i) => JSON.stringify(r) !== JSON.stringify(answer[i]));
      if (answer.length !== reference.length || at !== -1) {
        const i = at === -1 ? reference.length : at;
        fail(
          `${label}'s list differs from Safeshare's at report ${i + 1}: ${JSON.stringify(answer[i])} against ${JSON.stringify(reference[i])}`,
        );
        continue;
      }
      agreeing.add(key);
      pass(
        `${label} answers the list as Safeshare does (${answer.length} reports, ${answer.reduce((n, r) => n + r.links.length, 0)} links)`,
      );
    }
  }

  // -- The list, interleaved in rounds ----------------------------------------------------------------
  if (wanted('list-police')) {
    const order = ['on', 'off', 'baseline', 'postgraphile'];
    for (let round = 0; round < rounds; round++) {
      const turn = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
      for (const key of turn) {
        const server = servers[key];
        if (!agreeing.has(key)) {
          results.push({
            scenario: 'list 20, one division (police analyst)',
            server: server.label,
            round: round + 1,
            skipped: 'not timed: its answer disagrees',
          });
          continue;
        }
        const row = await measure(
          {
            title: 'list 20, one division (police analyst)',
            key: `list/${key}`,
            round,
            bodies: [body(server.peerList ? PEER_LIST : LIST)],
          },
          server,
          analyst[key] ?? null,
        );
        results.push(row);
        listRuns.push({ round, key, rps: row.rps, row });
      }
    }
  }

  // -- The other reads, on Safeshare with audit on ----------------------------------------------------
  const involvementPolicy = await hasOperation(servers.on.port, analyst.on, 'registerInvolvement', 'mutation');
  const reads = [
    {
      name: 'list-school',
      title: 'list 20, one division (school lead)',
      user: 'lead@brookfield-high.example',
      bodies: [body(LIST)],
      note: involvementPolicy
        ? 'school lead: involvement and disclosure scope'
        : 'school lead: scope is own agency submissions (involvement policy not in the schema yet)',
    },
    {
      name: 'subject',
      title: 'one subject with flags and reports',
      requires: 'subject',
      bodies: subjectRows.map((r) => body(SUBJECT, { id: r.id })),
    },
    {
      name: 'search',
      title: 'full-text search',
      requires: 'searchIntelligence',
      bodies: SEARCH_TERMS.map((text) => body(SEARCH, { text })),
    },
    { name: 'fuzzy', title: 'fuzzy name search', requires: 'subjects', bodies: NAMES.map((name) => body(FUZZY, { name })) },
    { name: 'stats', title: 'statistics, ten months', requires: 'intelligenceStats', bodies: [body(STATS)] },
  ].filter((s) => wanted(s.name));
  const run = async (s, server, client) => {
    const row = { scenario: s.title, server: server.label };
    const token = await login(server.port, s.user ?? 'analyst@gmp.example');
    if (s.requires && !(await hasOperation(server.port, token, s.requires, s.kind))) {
      results.push({ ...row, skipped: `${s.requires} is not in the schema yet` });
      console.log(`- ${s.title}: skipped (${s.requires} is not in the schema yet)`);
      return;
    }
    // One request first: a scenario that cannot work at all is reported, not hammered.
    const first = JSON.parse(s.bodies[0]);
    const answer = await gql(server.port, first.query, { token, variables: first.variables });
    if (answer.errors) {
      const message = `${answer.errors[0].extensions?.code ?? ''} ${answer.errors[0].message}`.trim();
      results.push({ ...row, skipped: `fails: ${message}` });
      console.log(`- ${s.title}: fails on its first request: ${message}`);
      failed = true;
      return;
    }
    results.push(await measure({ ...s, key: `${s.name}/${server === writesServer ? 'writes' : 'on'}` }, server, token, client));
  };
  for (const s of reads) await run(s, servers.on, db);
  await verifyDataset('the writes scenario (all reads done)');

  // -- Writes, on the copy ----------------------------------------------------------------------------
  if (scratchMade) {
    writesServer.child = start(writesServer.port, [main, 'serve'], serverEnv(scratchUrl));
    sampleRss(writesServer.label, writesServer.child);
    await ready(writesServer.port, writesServer.child);
    const scratch = new pg.Client({ connectionString: scratchUrl });
    await scratch.connect();
    try {
      const before = (await scratch.query('SELECT count(*)::int AS n FROM intelligence_reports')).rows[0].n;
      await run(
        {
          name: 'writes',
          title: `submitIntelligenceBatch, ${batch} per request`,
          user: 'reporter@safe-futures.example',
          requires: 'submitIntelligenceBatch',
          kind: 'mutation',
          writes: true,
          perRequest: batch,
          bodies: Array.from({ length: 64 }, (_, i) =>
            body(SUBMIT_BATCH, { inputs: submissions(batch, `${Date.now().toString(36)}-${i}`) }),
          ),
        },
        writesServer,
        scratch,
      );
      const after = (await scratch.query('SELECT count(*)::int AS n FROM intelligence_reports')).rows[0].n;
      const row = results.find((r) => r.key === 'writes/writes');
      if (row) {
        if (after > before)
          pass(`the writes landed in ${scratchName} (${(after - before).toLocaleString('en-GB')} reports), not in ${databaseName}`);
        else fail(`the writes scenario reported ${row['req/s']} req/s but ${scratchName} holds no new report`);
      }
    } finally {
      await scratch.end();
      await stop(writesServer.child);
    }
    await verifyDataset('the end of the run (after writes)');
    pass(
      `${databaseName} unchanged from start to end (${original.reports.toLocaleString('en-GB')} reports, newest page ${original.newest_page})`,
    );
  }
} catch (error) {
  aborted = error instanceof Error ? error.message : String(error);
  failed = true;
} finally {
  await stopAll();
  await db.end();
  if (scratchMade) await dropScratch();
  await admin.end();
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
console.log('');
console.table(results.map(({ key: _key, rps: _rps, ...rest }) => rest));

// Ratios of the list's throughput, per round, then the median over rounds.
const ratioDefs = {
  'safeshare/baseline': ['on', 'baseline'],
  'safeshare/postgraphile': ['on', 'postgraphile'],
  'audit-on/audit-off': ['on', 'off'],
};
const perRound = Array.from({ length: rounds }, (_, round) => {
  const rps = (key) => listRuns.find((r) => r.round === round && r.key === key)?.rps ?? NaN;
  return Object.fromEntries(Object.entries(ratioDefs).map(([name, [a, b]]) => [name, rps(a) / rps(b)]));
});
const ratios = Object.fromEntries(Object.keys(ratioDefs).map((name) => [name, median(perRound.map((r) => r[name]))]));
// Each list server's figures, median over the rounds (the rows above are each round's).
const listMedians = Object.fromEntries(
  ['on', 'off', 'baseline', 'postgraphile']
    .filter((key) => listRuns.some((r) => r.key === key))
    .map((key) => {
      const rows = listRuns.filter((r) => r.key === key).map((r) => r.row);
      const of = (column) => Math.round(median(rows.map((r) => r[column])) * 100) / 100;
      return [
        key,
        {
          server: rows[0].server,
          'req/s': Math.round(median(rows.map((r) => r.rps))),
          ...Object.fromEntries(['p50 ms', 'p95 ms', 'p99 ms', 'node ms/req', 'pg ms/req', 'RSS MB'].map((c) => [c, of(c)])),
        },
      ];
    }),
);
if (listRuns.length) {
  console.log(`list, each server's median over ${rounds} round${rounds === 1 ? '' : 's'}:`);
  console.table(Object.values(listMedians));
  console.log('list throughput ratios (per round; median):');
  for (const name of Object.keys(ratioDefs)) {
    console.log(`  ${name.padEnd(24)} ${perRound.map((r) => fmt(r[name])).join('  ')}   median ${fmt(ratios[name])}`);
  }
}

const find = (key) => results.find((r) => r.key === key);
const search = find('search/on');
const fuzzy = find('fuzzy/on');
const stats = find('stats/on');
const writes = find('writes/writes');
const rssValues = Object.values(rssMax);
const maxRss = rssValues.length ? Math.max(...rssValues) : NaN;
const p95 = (row, limit) => [
  row?.['p95 ms'] !== undefined ? row['p95 ms'] < limit : null,
  row?.['p95 ms'] !== undefined ? `${row['p95 ms']} ms` : (row?.skipped ?? 'not run'),
];
const ratioTarget = (name, limit) => [Number.isFinite(ratios[name]) ? ratios[name] >= limit : null, fmt(ratios[name])];
const targets = [
  ['list: at least 0.85 of the baseline (median Safeshare/baseline)', ...ratioTarget('safeshare/baseline', 0.85)],
  ['list: at least 1.2 of PostGraphile (median Safeshare/PostGraphile)', ...ratioTarget('safeshare/postgraphile', 1.2)],
  ['list: audit on at least 0.9 of audit off (median)', ...ratioTarget('audit-on/audit-off', 0.9)],
  ['full-text search: p95 under 50 ms', ...p95(search, 50)],
  ['fuzzy name search: p95 under 50 ms', ...p95(fuzzy, 50)],
  ['statistics: p95 under 100 ms', ...p95(stats, 100)],
  [
    'ingest: at least 5,000 reports/s',
    writes?.['reports/s'] !== undefined ? writes['reports/s'] >= 5000 : null,
    writes?.['reports/s'] !== undefined ? `${writes['reports/s']} reports/s` : (writes?.skipped ?? 'not run'),
  ],
  [
    'Safeshare RSS under 200 MB throughout (largest of every Safeshare server)',
    Number.isFinite(maxRss) ? maxRss < 200 : null,
    Number.isFinite(maxRss)
      ? `${Math.round(maxRss)} MB (${Object.entries(rssMax)
          .map(([k, v]) => `${k} ${Math.round(v)}`)
          .join(', ')})`
      : 'n/a',
  ],
];
const atScale = dataset[0].reports >= 1_000_000 && connections === 20;
console.log(
  `\ntargets (${smoke ? 'smoke run: reported, not enforced' : `${connections} connections`}` +
    `${atScale ? '' : `; the targets are for 1M reports at 20 connections, this is ${dataset[0].reports.toLocaleString('en-GB')} at ${connections}`}):`,
);
for (const [name, met, value] of targets) console.log(`  ${met === null ? 'n/a ' : met ? 'met ' : 'MISS'}  ${name}: ${value}`);

if (process.env.BENCH_JSON) {
  writeFileSync(
    process.env.BENCH_JSON,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        dataset: { ...dataset[0], fingerprint: original },
        connections,
        seconds,
        warmup,
        rounds,
        batch,
        checks,
        results: results.map(({ rps: _rps, ...rest }) => rest),
        ratios: { perRound, median: ratios },
        listMedians,
        rssMaxMb: rssMax,
        targets: targets.map(([target, met, value]) => ({ target, met, value })),
        ...(aborted ? { aborted } : {}),
      },
      null,
      2,
    ),
  );
}
if (aborted) console.error(`\nthe suite stopped: ${aborted}`);
if (failed) {
  console.error(
    `\nthe run failed (errors, a failed check or a disagreeing answer: see above; server logs in ${logOf(4201)} and beside it)`,
  );
  process.exitCode = 1;
}
