import { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/test-app';

/** The figure: 50 concurrent requests for 20 seconds. AUDIT_LOAD_SECONDS shortens it locally. */
const SECONDS = Number(process.env.AUDIT_LOAD_SECONDS ?? 20);
const CONCURRENCY = 50;

let app: TestApp;
let owner: Client;

beforeAll(async () => {
  app = await startTestApp();
  owner = new Client({ connectionString: app.databaseUrl });
  await owner.connect();
});

afterAll(async () => {
  await owner.end();
  await app.close();
});

it(`under ${CONCURRENCY} concurrent requests for ${SECONDS} s, every record returned is audited exactly once`, async () => {
  const token = (await app.login('analyst@gmp.example')).accessToken;
  const [{ mark }] = (await owner.query<{ mark: string }>('SELECT coalesce(max(id), 0)::text AS mark FROM audit_events')).rows;
  const deadline = Date.now() + SECONDS * 1000;
  const returned = new Map<string, number>();
  let requests = 0;
  const worker = async (n: number) => {
    for (let i = 0; Date.now() < deadline; i++) {
      // Different pages and filters, so the events differ and nothing is cached.
      const first = 1 + ((n + i) % 20);
      const r = await app.gql<{ intelligenceReports: { edges: { node: { id: string } }[] } }>(
        'query($first: Int) { intelligenceReports(first: $first) { edges { node { id narrative } } } }',
        { first },
        token,
      );
      const edges = r.body.data?.intelligenceReports.edges;
      if (!edges) throw new Error(JSON.stringify(r.body));
      requests++;
      for (const e of edges) returned.set(e.node.id, (returned.get(e.node.id) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => worker(n)));

  const events = await owner.query<{ id: string; n: string }>(
    `SELECT r.id, count(*)::text AS n FROM audit_events e, unnest(e.record_ids) AS r(id)
      WHERE e.id > $1 AND e.operation_field = 'intelligenceReports' GROUP BY r.id`,
    [mark],
  );
  const audited = new Map(events.rows.map((row) => [row.id, Number(row.n)]));
  const [{ n: eventCount }] = (
    await owner.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE id > $1 AND operation_field = 'intelligenceReports'`,
      [mark],
    )
  ).rows;
  expect(requests).toBeGreaterThan(CONCURRENCY);
  expect(eventCount).toBe(requests);
  expect(audited).toEqual(returned);
}, 120_000);
