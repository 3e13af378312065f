import { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The row-hash trigger computes the hash itself when the session's zone is UTC and calls
 * `audit_row_hash` otherwise (migrations/1767000000000-audit-write-plans.ts). Whatever the writer's
 * zone, the stored hash must be the one verification recomputes, or the trail would fail to verify.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function insertIn(timeZone: string, marker: string): Promise<void> {
  const client = new Client({ connectionString: app.databaseUrl, options: `-c TimeZone=${timeZone}` });
  await client.connect();
  try {
    // A timestamp with a fraction, an array, text needing escapes and nested JSON: what the hash's
    // text form depends on.
    await client.query(
      `INSERT INTO audit_events (request_id, actor_kind, action, outcome, record_ids, details, occurred_at)
       VALUES ($1, 'USER', 'READ', 'ALLOWED', ARRAY[gen_random_uuid()], $2::jsonb, now() - interval '1 minute 0.123456 seconds')`,
      [marker, JSON.stringify({ note: 'quote " and \\ and ünïcödé', nested: { n: 1.5, list: [1, 'two', null] } })],
    );
  } finally {
    await client.end();
  }
}

it.each(['UTC', 'Etc/UTC', 'America/New_York', 'Asia/Kolkata', 'Europe/London'])(
  'stores the hash verification recomputes when written in %s',
  async (timeZone) => {
    const marker = `row-hash-${timeZone}`;
    await insertIn(timeZone, marker);
    const rows = (await app.ownerQuery(
      `SELECT e.row_hash = audit_row_hash(e) AS same, length(e.row_hash) AS bytes FROM audit_events e WHERE request_id = $1`,
      [marker],
    )) as { same: boolean; bytes: number }[];
    expect(rows).toEqual([{ same: true, bytes: 32 }]);
  },
);

it("writes the service's own events with the hash verification recomputes", async () => {
  const login = await app.login('analyst@gmp.example');
  expect(login.accessToken).toBeTruthy();
  const rows = (await app.ownerQuery(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE e.row_hash = audit_row_hash(e))::int AS same FROM audit_events e`,
  )) as { n: number; same: number }[];
  expect(rows[0].n).toBeGreaterThan(0);
  expect(rows[0].same).toBe(rows[0].n);
});
