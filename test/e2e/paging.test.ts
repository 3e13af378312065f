import { codes, type GqlResult, startTestApp, type TestApp } from '../support/test-app';

let app: TestApp;
const t: Record<string, string> = {};
beforeAll(async () => {
  app = await startTestApp();
  for (const email of ['analyst@gmp.example', 'admin@oversight.example']) t[email.split('@')[0]] = (await app.login(email)).accessToken;
});
afterAll(() => app.close());

interface Connection {
  totalCount: number;
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Follows endCursor to the last page; returns every id seen and the totalCount of each page. */
async function walk(field: string, query: string, token: string, variables: Record<string, unknown> = {}) {
  const ids: string[] = [];
  const totals = new Set<number>();
  let after: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const r: GqlResult<Record<string, Connection>> = await app.gql<Record<string, Connection>>(
      query,
      { ...variables, first: 7, after },
      token,
    );
    expect(r.body.errors).toBeUndefined();
    const conn = r.body.data![field];
    ids.push(...conn.edges.map((e) => e.node.id));
    totals.add(conn.totalCount);
    if (!conn.pageInfo.hasNextPage) return { ids, totals };
    after = conn.pageInfo.endCursor;
  }
  throw new Error('paging did not end');
}

const agencyId = async (name: string) => (await app.db.query<{ id: string }[]>(`SELECT id FROM agencies WHERE name = $1`, [name]))[0].id;

// Rows created in one transaction share now() to the microsecond; the second batch differs only
// below the millisecond. Both defeat a cursor that keeps milliseconds.
describe('keyset paging over rows created in one transaction', () => {
  it('lists every subject exactly once', async () => {
    const gmp = await agencyId('Greater Manchester Police');
    await app.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO subjects (full_name, created_by_agency_id) SELECT 'Paging Same ' || g, $1 FROM generate_series(1, 23) g`,
        [gmp],
      );
      await tx.query(
        `INSERT INTO subjects (full_name, created_by_agency_id, created_at)
         SELECT 'Paging Micro ' || g, $1, now() + g * interval '1 microsecond' FROM generate_series(1, 23) g`,
        [gmp],
      );
    });
    const [{ n }] = await app.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM subjects`);
    const { ids, totals } = await walk(
      'subjects',
      `query($first: Int, $after: String) { subjects(first: $first, after: $after) {
         totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
      t.analyst,
    );
    expect([...totals]).toEqual([n]);
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
  });

  it('lists every intelligence report exactly once', async () => {
    const gmp = await agencyId('Greater Manchester Police');
    const [{ id: analyst }] = await app.db.query<{ id: string }[]>(`SELECT id FROM users WHERE email = 'analyst@gmp.example'`);
    await app.db.query(
      `INSERT INTO intelligence_reports (source_type, received_at, narrative, submitted_by_agency_id, submitted_by_user_id)
       SELECT 'POLICE', '2020-06-01T12:00:00.123456Z'::timestamptz + (g % 2) * g * interval '1 microsecond', 'Paging ' || g, $1, $2
         FROM generate_series(1, 40) g`,
      [gmp, analyst],
    );
    const { ids, totals } = await walk(
      'intelligenceReports',
      `query($first: Int, $after: String, $f: IntelligenceFilter) { intelligenceReports(first: $first, after: $after, filter: $f) {
         totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
      t.analyst,
      { f: { receivedFrom: '2020-06-01T00:00:00Z', receivedTo: '2020-06-02T00:00:00Z' } },
    );
    expect([...totals]).toEqual([40]);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it("lists every one of an agency's users exactly once", async () => {
    const oversight = await agencyId('Office of the Police and Crime Commissioner');
    await app.db.query(
      `INSERT INTO users (agency_id, email, display_name, password_hash, roles)
       SELECT $1, 'paging' || g || '@oversight.example', 'Paging ' || g, 'x', '{AUDITOR}' FROM generate_series(1, 30) g`,
      [oversight],
    );
    const [{ n }] = await app.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM users WHERE agency_id = $1`, [oversight]);
    const { ids, totals } = await walk(
      'users',
      `query($first: Int, $after: String) { users(first: $first, after: $after) {
         totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
      t.admin,
    );
    expect([...totals]).toEqual([n]);
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
  });

  it('ranks every search match exactly once, counted alike on every page and past the end', async () => {
    const gmp = await agencyId('Greater Manchester Police');
    const [{ id: analyst }] = await app.db.query<{ id: string }[]>(`SELECT id FROM users WHERE email = 'analyst@gmp.example'`);
    // Ranks tie in groups (one, two or three mentions), so the order falls back to time and id.
    await app.db.query(
      `INSERT INTO intelligence_reports (source_type, received_at, narrative, submitted_by_agency_id, submitted_by_user_id)
       SELECT 'POLICE', '2020-07-01T12:00:00Z'::timestamptz + (g % 4) * interval '1 second', repeat('Quillsworth ', 1 + g % 3) || g, $1, $2
         FROM generate_series(1, 30) g`,
      [gmp, analyst],
    );
    const query = `query($first: Int, $after: String) { searchIntelligence(text: "Quillsworth", first: $first, after: $after) {
         totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
    const { ids, totals } = await walk('searchIntelligence', query, t.analyst);
    expect([...totals]).toEqual([30]);
    expect(new Set(ids).size).toBe(30);
    // The last page's end cursor leads to an empty page, which counts on its own.
    const last = await app.gql<Record<string, Connection>>(query, { first: 100, after: null }, t.analyst);
    const beyond = await app.gql<Record<string, Connection>>(
      query,
      { first: 7, after: last.body.data!.searchIntelligence.pageInfo.endCursor },
      t.analyst,
    );
    expect(beyond.body.data!.searchIntelligence).toMatchObject({ totalCount: 30, edges: [] });
  });

  it('still refuses a forged cursor', async () => {
    const forged = Buffer.from(JSON.stringify(['2020-06-01T12:00:00.1234567Z', '00000000-0000-4000-8000-000000000000'])).toString(
      'base64url',
    );
    const r = await app.gql(`query($a: String) { subjects(first: 5, after: $a) { totalCount } }`, { a: forged }, t.analyst);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
  });
});
