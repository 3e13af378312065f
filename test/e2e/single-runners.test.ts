import type { DataSource } from 'typeorm';
import { startAuditMaintenance } from '../../src/audit/maintenance';
import { verifyAuditTrail } from '../../src/audit/seal';
import { createDataSource } from '../../src/db/data-source';
import { singleRunner } from '../../src/db/single-runner';
import { createLogger } from '../../src/logger';
import { startRollupFold } from '../../src/stats/rollup';
import { codes, startTestApp, type TestApp } from '../support/test-app';

// Several instances on one database (docs/scaling.md, "Single runners"): each periodic unit of work
// runs on one of them at a time, the others skip, and every unit happens once.

let app: TestApp;
const pools: DataSource[] = [];
beforeAll(async () => {
  app = await startTestApp();
  for (let i = 0; i < 3; i++) {
    const db = createDataSource({ url: app.databaseUrl, poolMax: 3, role: app.config.dbAppRole });
    await db.initialize();
    pools.push(db);
  }
});
afterAll(async () => {
  await Promise.all(pools.map((db) => db.destroy()));
  await app.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('runs a task on one instance of three started at once; the others skip that turn', async () => {
  let running = 0;
  let most = 0;
  let runs = 0;
  const task = async () => {
    running++;
    most = Math.max(most, running);
    runs++;
    await sleep(300);
    running--;
  };
  const ran = await Promise.all(pools.map((db) => singleRunner(db, 'test-task', task)()));
  expect(ran.filter(Boolean)).toHaveLength(1);
  expect({ runs, most }).toEqual({ runs: 1, most: 1 });
  // The lock is given back: the next turn runs again.
  expect(await singleRunner(pools[1], 'test-task', task)()).toBe(true);
});

it('seals each audit event once and folds each report once while three instances maintain the trail and fold', async () => {
  const logger = createLogger('silent');
  const runners = pools.flatMap((db) => [startAuditMaintenance(db, 50, logger), startRollupFold(db, 50, logger)]);
  const investigator = (await app.login('investigator@gmp.example')).accessToken;
  const reportsBefore = await app.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM intelligence_reports`);
  for (let i = 0; i < 30; i++) {
    const r = await app.gql(
      `mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id } }`,
      { i: { sourceType: 'POLICE', narrative: `Single runner report ${i}` } },
      investigator,
    );
    expect(codes(r)).toEqual([]);
    if (i % 10 === 0) await sleep(60);
  }
  await sleep(300);
  await Promise.all(runners.map((r) => r.stop()));
  // One last turn, alone, so everything settled is sealed and folded.
  for (const r of [startAuditMaintenance(pools[0], 60_000, logger), startRollupFold(pools[0], 60_000, logger)]) await r.stop();

  // As the owner: the seals are the auditors' to read, not the service role's.
  const [{ sealed, distinct }] = (await app.ownerQuery(
    `SELECT count(*)::int AS sealed, count(DISTINCT id)::int AS distinct FROM (SELECT unnest(event_ids) AS id FROM audit_seals) s`,
  )) as { sealed: number; distinct: number }[];
  // No event in two seals, and every event either sealed or still waiting (transaction ids are
  // the cluster's: another database's open transaction can hold the settled horizon back).
  expect(distinct).toBe(sealed);
  const verification = await verifyAuditTrail(app.db);
  expect(verification).toMatchObject({ valid: true, problem: null });
  const [{ events }] = (await app.ownerQuery(`SELECT count(*)::int AS events FROM audit_events`)) as { events: number }[];
  expect(sealed + verification.unsealedEvents).toBe(events);
  expect(events).toBeGreaterThan(30);

  // Each report counted once in the rollups (the deltas folded once) as in the reports themselves.
  const [{ rolled }] = await app.db.query<{ rolled: string }[]>(
    `SELECT (SELECT coalesce(sum(reports), 0) FROM report_daily_counts) + (SELECT coalesce(sum(reports), 0) FROM report_count_deltas) AS rolled`,
  );
  const [{ n }] = await app.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM intelligence_reports`);
  expect(n).toBe(reportsBefore[0].n + 30);
  expect(Number(rolled)).toBe(n);

  // The partitions ahead exist once each.
  const partitions = await app.db.query<{ relname: string }[]>(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_events'::regclass`,
  );
  expect(new Set(partitions.map((p) => p.relname)).size).toBe(partitions.length);
  expect(partitions.length).toBeGreaterThanOrEqual(3);
});
