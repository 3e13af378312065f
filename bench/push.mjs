// Push sharing benchmark (docs/notifications.md, docs/performance.md).
//
//   npm run bench:push
//   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/safeshare_bench_100k npm run bench:push
//
// 1. Fan-out: a server on a scratch database (safeshare_bench_push, dropped and seeded with the demo
//    each run) with push workers on. Brookfield High's admin registers BENCH_PUSH_ENDPOINTS signed
//    webhooks (default 20) to loopback receivers, and BENCH_PUSH_SUBSCRIBERS graphql-ws subscribers
//    (default 50) listen as the school's lead. A police supervisor then makes BENCH_PUSH_EVENTS
//    disclosures to the school (default 1,000; BENCH_PUSH_PRODUCERS at a time, default 4), as fast as
//    it can, then again paced at BENCH_PUSH_RATE disclosures a second (default 5; 0 skips). Latency
//    runs from the moment the disclosure's response arrives (its commit acknowledged) to the moment a
//    receiver holds the notice; every webhook signature is verified. Goal: p95 < 1 s.
// 2. The list with push workers on and off: the police list of bench/load.mjs on BENCH_DATABASE_URL
//    (skipped when that database does not exist), one server at a time, in BENCH_ROUNDS interleaved
//    rounds (on off, off on, ...), BENCH_SECONDS each. Goal: on/off >= 0.95 (median of rounds).
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import WebSocket from 'ws';
import { drained, drive, gql, login, MAIN, ready, serverEnv } from './common.mjs';

const EVENTS = Number(process.env.BENCH_PUSH_EVENTS ?? 1000);
const ENDPOINTS = Number(process.env.BENCH_PUSH_ENDPOINTS ?? 20);
const SUBSCRIBERS = Number(process.env.BENCH_PUSH_SUBSCRIBERS ?? 50);
const PRODUCERS = Number(process.env.BENCH_PUSH_PRODUCERS ?? 4);
const RATE = Number(process.env.BENCH_PUSH_RATE ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const listUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/safeshare_bench_100k';
const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const scratchName = 'safeshare_bench_push';

const children = [];
function startServer(port, databaseUrl, extra) {
  const log = openSync(path.join(tmpdir(), `safeshare-bench-push-${port}.log`), 'w');
  const child = spawn('node', [MAIN, 'serve'], {
    // Development mode: its webhook receivers are plain http on the loopback, which production refuses.
    env: serverEnv(databaseUrl, { PORT: String(port), NODE_ENV: 'development', ...extra }),
    stdio: ['ignore', log, log],
  });
  children.push(child);
  return child;
}
async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] : NaN);
const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');
const median = (xs) => sorted(xs)[Math.floor((xs.length - 1) / 2)];

function must(body, what) {
  if (body.errors) throw new Error(`${what}: ${JSON.stringify(body.errors).slice(0, 300)}`);
  return body.data;
}

// ---------------------------------------------------------------------------------------------
// 1. Fan-out latency

async function withAdmin(work) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}
const scratchUrl = () => {
  const u = new URL(adminUrl);
  u.pathname = `/${scratchName}`;
  return u.toString();
};

/** A loopback receiver for `count` endpoints (paths /hook/0 …): verifies each delivery and notes when it arrived. */
async function startReceivers(count, secretOf, onDelivery) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const at = performance.now();
      const index = Number(/^\/hook\/(\d+)$/.exec(req.url ?? '')?.[1]);
      const body = Buffer.concat(chunks).toString();
      let verified = false;
      try {
        new Webhook(secretOf(index)).verify(body, req.headers);
        verified = true;
      } catch {
        // counted as a bad signature below
      }
      onDelivery({ index, body: JSON.parse(body), verified, at });
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, urlOf: (i) => `http://127.0.0.1:${server.address().port}/hook/${i}` };
}

async function fanOutBenchmark(rate) {
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${scratchName} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${scratchName}`);
  });
  const port = 4231;
  const child = startServer(port, scratchUrl(), {
    SEED_DEMO: 'true',
    PUSH_WORKERS: 'true',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    SUBSCRIPTION_MAX_CONNECTIONS_PER_PRINCIPAL: String(SUBSCRIBERS + 5),
  });
  const clients = [];
  let receivers;
  try {
    await ready(port, child);
    const api = `http://127.0.0.1:${port}/graphql`;
    const schoolAdmin = await login(port, 'admin@brookfield-high.example');
    const lead = await login(port, 'lead@brookfield-high.example');
    const supervisor = await login(port, 'supervisor@gmp.example');
    const school = must(await gql(port, '{ me { agency { id } } }', { token: lead }), 'me').me.agency.id;

    const committedAt = new Map(); // disclosure id -> when its response arrived
    const webhookAt = new Map(); // `${endpoint}:${disclosure id}` -> first receipt
    const subscriptionAt = new Map(); // `${subscriber}:${disclosure id}`
    let badSignatures = 0;
    let duplicates = 0;
    const secrets = [];
    receivers = await startReceivers(
      ENDPOINTS,
      (i) => secrets[i],
      ({ index, body, verified, at }) => {
        if (!verified) badSignatures++;
        const key = `${index}:${body.data?.recordId}`;
        if (webhookAt.has(key)) duplicates++;
        else webhookAt.set(key, at);
      },
    );
    for (let i = 0; i < ENDPOINTS; i++) {
      const reg = must(
        await gql(port, 'mutation($i: RegisterWebhookInput!) { registerWebhook(input: $i) { secret } }', {
          token: schoolAdmin,
          variables: { i: { url: receivers.urlOf(i), events: ['DISCLOSURE_RECEIVED'], description: `bench receiver ${i}` } },
        }),
        'registerWebhook',
      );
      secrets[i] = reg.registerWebhook.secret;
    }
    const subscribed = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const client = createClient({
        url: api.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${lead}` },
        lazy: false,
      });
      clients.push(client);
      subscribed.push(
        new Promise((resolve, reject) => {
          client.on('connected', resolve);
          client.on('closed', (e) => reject(new Error(`subscriber ${i} closed: ${e?.code} ${e?.reason}`)));
        }),
      );
      client.subscribe(
        { query: 'subscription { notificationAdded { id type recordId } }' },
        {
          next: ({ data }) => {
            const n = data?.notificationAdded;
            if (n?.type !== 'DISCLOSURE_RECEIVED') return;
            const key = `${i}:${n.recordId}`;
            if (subscriptionAt.has(key)) duplicates++;
            else subscriptionAt.set(key, performance.now());
          },
          error: (e) => console.error(`subscriber ${i}:`, e),
          complete: () => undefined,
        },
      );
    }
    await Promise.all(subscribed);
    await sleep(500); // the subscriptions themselves are registered just after the connection

    const reports = must(
      await gql(port, '{ intelligenceReports(first: 40) { edges { node { id } } } }', { token: supervisor }),
      'reports',
    ).intelligenceReports.edges.map((e) => e.node.id);
    const disclose = async (reportId) =>
      gql(port, 'mutation($i: DiscloseInput!) { discloseIntelligence(input: $i) { id } }', {
        token: supervisor,
        variables: {
          i: {
            reportId,
            recipientAgencyId: school,
            gateway: 'CHILDREN_ACT_2004_S11',
            purpose: 'Safeguarding a pupil (benchmark)',
            summary: 'Synthetic benchmark disclosure',
            noAgreementReason: 'Synthetic benchmark share',
            conditions: 'Designated safeguarding lead only',
            expiresAt: new Date(Date.now() + 7 * 86400e3).toISOString(),
            acknowledgeSensitive: true,
          },
        },
      });
    let reportId = null;
    for (const id of reports) {
      const first = await disclose(id);
      if (first.data) {
        reportId = id;
        committedAt.set(first.data.discloseIntelligence.id, performance.now());
        break;
      }
    }
    if (!reportId) throw new Error('no report the supervisor may disclose to the school');
    const started = performance.now();
    let made = 1;
    let failures = 0;
    await Promise.all(
      Array.from({ length: PRODUCERS }, async () => {
        while (made < EVENTS) {
          const due = started + (made * 1000) / (rate || Infinity);
          made++;
          if (due > performance.now()) await sleep(due - performance.now());
          const r = await disclose(reportId);
          if (r.data) committedAt.set(r.data.discloseIntelligence.id, performance.now());
          else failures++;
        }
      }),
    );
    const producedIn = (performance.now() - started) / 1000;
    const expectedWebhooks = committedAt.size * ENDPOINTS;
    const expectedPushes = committedAt.size * SUBSCRIBERS;
    const deadline = performance.now() + 120_000;
    while (performance.now() < deadline && (webhookAt.size < expectedWebhooks || subscriptionAt.size < expectedPushes)) await sleep(100);

    const latencies = (receipts) => {
      const out = [];
      for (const [key, at] of receipts) {
        const committed = committedAt.get(key.slice(key.indexOf(':') + 1));
        if (committed !== undefined) out.push(at - committed);
      }
      return sorted(out);
    };
    const webhook = latencies(webhookAt);
    const push = latencies(subscriptionAt);
    const all = sorted([...webhook, ...push]);
    console.log(
      `\nfan-out${rate ? ` paced at ${rate}/s` : ', as fast as they come'}: ${committedAt.size} disclosures in ${producedIn.toFixed(1)} s (${Math.round(committedAt.size / producedIn)}/s, ${failures} failed) ` +
        `to ${ENDPOINTS} webhooks and ${SUBSCRIBERS} subscribers`,
    );
    console.table([
      {
        channel: 'webhooks',
        received: `${webhook.length}/${expectedWebhooks}`,
        p50: ms(pct(webhook, 50)),
        p95: ms(pct(webhook, 95)),
        p99: ms(pct(webhook, 99)),
        max: ms(webhook.at(-1)),
      },
      {
        channel: 'subscriptions',
        received: `${push.length}/${expectedPushes}`,
        p50: ms(pct(push, 50)),
        p95: ms(pct(push, 95)),
        p99: ms(pct(push, 99)),
        max: ms(push.at(-1)),
      },
      {
        channel: 'both',
        received: `${all.length}/${expectedWebhooks + expectedPushes}`,
        p50: ms(pct(all, 50)),
        p95: ms(pct(all, 95)),
        p99: ms(pct(all, 99)),
        max: ms(all.at(-1)),
      },
    ]);
    console.log(`bad signatures: ${badSignatures}; duplicate receipts (at-least-once): ${duplicates}`);
    const complete = webhook.length === expectedWebhooks && push.length === expectedPushes && failures === 0 && badSignatures === 0;
    return { p95: pct(all, 95), complete };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    receivers?.server.close();
    await stop(child);
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${scratchName} WITH (FORCE)`));
  }
}

// ---------------------------------------------------------------------------------------------
// 2. The list with the outbox's workers on and off

async function listBenchmark() {
  const db = new pg.Client({ connectionString: listUrl });
  try {
    await db.connect();
  } catch {
    console.log(`\nlist with push workers on/off: skipped (${listUrl} not reachable; npm run bench:data makes it)`);
    return null;
  }
  const LIST = JSON.stringify({
    query: `query List { intelligenceReports(first: 20, filter: { division: "rochdale" }) {
      edges { node { id reference narrative receivedAt submittedBy { name } subjects { role subject { id fullName } } } } } }`,
  });
  const ratios = [];
  const rows = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['true', 'false'] : ['false', 'true'];
      const rps = {};
      for (const workers of order) {
        const port = 4232;
        const child = startServer(port, listUrl, { PUSH_WORKERS: workers });
        try {
          await ready(port, child);
          const token = await login(port, 'analyst@gmp.example');
          await drive(port, token, [LIST], 2, child.pid, CONNECTIONS);
          await drained(db);
          const r = await drive(port, token, [LIST], SECONDS, child.pid, CONNECTIONS);
          if (r.errors) throw new Error(`list with PUSH_WORKERS=${workers}: ${r.firstError}`);
          rps[workers] = r.rps;
          rows.push({ round: round + 1, 'push workers': workers === 'true' ? 'on' : 'off', 'req/s': Math.round(r.rps), 'p95 ms': r.p95 });
        } finally {
          await stop(child);
        }
      }
      ratios.push(rps.true / rps.false);
    }
  } finally {
    await db.end();
  }
  console.log(`\nlist (police analyst, Rochdale, ${CONNECTIONS} connections) on ${new URL(listUrl).pathname.slice(1)}:`);
  console.table(rows);
  console.log(`on/off per round: ${ratios.map((r) => r.toFixed(3)).join(', ')}; median ${median(ratios).toFixed(3)}`);
  return median(ratios);
}

try {
  const burst = await fanOutBenchmark(0);
  const paced = RATE > 0 ? await fanOutBenchmark(RATE) : null;
  const list = await listBenchmark();
  const verdict = (r) => (r.p95 < 1000 && r.complete ? 'met   ' : 'MISSED');
  console.log('\ntargets:');
  console.log(`  ${verdict(burst)} fan-out p95 from commit to receipt < 1 s, every notice received and verified (${ms(burst.p95)})`);
  if (paced) console.log(`  ${verdict(paced)} the same, paced at ${RATE} disclosures/s (${ms(paced.p95)})`);
  if (list !== null)
    console.log(`  ${list >= 0.95 ? 'met   ' : 'MISSED'} list throughput with push workers on >= 0.95 of off (${list.toFixed(3)})`);
} finally {
  stopAll();
}
