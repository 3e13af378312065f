import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * Nested fields batch through per-request DataLoaders: a page of 100 reports with their subjects,
 * flags and crimes costs the same number of SQL queries as a page of 10.
 */
let app: TestApp;
let analyst: string;
beforeAll(async () => {
  app = await startTestApp();
  analyst = (await app.login('analyst@gmp.example')).accessToken;
  // 120 reports in a division of their own (by date), each with two subjects, one flagged, one crime.
  await app.db.query(`
    WITH u AS (SELECT id, agency_id FROM users WHERE email = 'investigator@gmp.example'),
    reports AS (
      INSERT INTO intelligence_reports (source_type, received_at, division_id, narrative, submitted_by_agency_id, submitted_by_user_id)
      SELECT 'POLICE', timestamptz '1999-01-01' + g * interval '1 hour', 'wigan', 'Query count fixture ' || g, u.agency_id, u.id
        FROM generate_series(1, 120) g, u RETURNING id),
    people AS (
      INSERT INTO subjects (full_name, approximate_age, created_by_agency_id)
      SELECT 'Fixture Person ' || g, 15 + g % 30, u.agency_id FROM generate_series(1, 240) g, u RETURNING id),
    numbered_reports AS (SELECT id, row_number() OVER () AS n FROM reports),
    numbered_people AS (SELECT id, row_number() OVER () AS n FROM people)
    INSERT INTO report_subjects (report_id, subject_id, role, linked_by_user_id)
    SELECT r.id, p.id, CASE WHEN p.n % 2 = 0 THEN 'POTENTIAL_VICTIM'::subject_role ELSE 'POTENTIAL_PERPETRATOR'::subject_role END, u.id
      FROM numbered_reports r JOIN numbered_people p ON (p.n + 1) / 2 = r.n, u`);
  await app.db.query(`
    INSERT INTO flags (subject_id, kind, risk_level, reason, set_by_user_id, set_by_agency_id)
    SELECT s.id, 'CSE_RISK', 'HIGH', 'fixture', u.id, u.agency_id
      FROM subjects s, users u WHERE s.full_name LIKE 'Fixture Person %' AND u.email = 'supervisor@gmp.example'`);
  await app.db.query(`
    WITH u AS (SELECT id FROM users WHERE email = 'investigator@gmp.example'),
    c AS (INSERT INTO crimes (crime_reference, offence, recorded_on, recorded_by_user_id)
          SELECT 'QC-' || g, 'fixture offence', date '1999-02-01', u.id FROM generate_series(1, 1) g, u RETURNING id)
    INSERT INTO crime_subjects (crime_id, subject_id, role)
    SELECT c.id, s.id, 'VICTIM' FROM c, subjects s WHERE s.full_name LIKE 'Fixture Person %'`);
});
afterAll(() => app.close());

const QUERY = `query($first: Int) {
  intelligenceReports(first: $first, filter: { receivedTo: "2000-01-01T00:00:00Z", division: "wigan" }) {
    totalCount
    edges { node {
      id reference division { name } submittedBy { name kind }
      subjects { role subject { id fullName activeFlags { kind riskLevel } flags { status } crimes { role crime { crimeReference victims { id } } } } }
      history { action }
    } }
  }
}`;

async function queriesFor(first: number): Promise<{ count: number; reports: number }> {
  app.queries.length = 0;
  const r = await app.gql<{ intelligenceReports: { edges: { node: { subjects: unknown[] } }[] } }>(QUERY, { first }, analyst);
  expect(codes(r)).toEqual([]);
  const edges = r.body.data!.intelligenceReports.edges;
  expect(edges.every((e) => e.node.subjects.length === 2)).toBe(true);
  // Every request runs in one transaction: its BEGIN (with the caller's setting) and COMMIT are not counted.
  expect(app.queries.filter((q) => q.startsWith('BEGIN;') || q === 'COMMIT')).toHaveLength(2);
  return { count: app.queries.length - 2, reports: edges.length };
}

it('costs a constant number of queries whatever the page size', async () => {
  await queriesFor(10); // the first request loads the reference data (divisions, agencies) into the process
  const small = await queriesFor(10);
  const large = await queriesFor(100);
  expect(small.reports).toBe(10);
  expect(large.reports).toBe(100);
  expect(large.count).toBe(small.count);
  // page, count, then one per nested field kind (division and agency are cached), the audit insert
  // (which also confirms the principal, cached since the first request)
  expect(large.count).toBeLessThanOrEqual(9);
});

it('lists a division with agencies and subjects in three queries in its transaction: page, subject links, audit (which confirms the cached principal)', async () => {
  const list = `{ intelligenceReports(first: 20, filter: { division: "wigan" }) {
    edges { node { id reference narrative receivedAt submittedBy { name } subjects { role subject { id fullName } } } } } }`;
  await app.gql(list, {}, analyst);
  app.queries.length = 0;
  expect(codes(await app.gql(list, {}, analyst))).toEqual([]);
  const statements = app.queries.slice(1, -1);
  expect(app.queries[0]).toMatch(/^BEGIN; SELECT set_config\('safeshare.principal', '\{"id":/);
  expect(app.queries.at(-1)).toBe('COMMIT');
  expect(statements.map((q) => q.replace(/\s+/g, ' ').slice(0, 40))).toHaveLength(3);
  expect(statements.filter((q) => /FROM (divisions|agencies)\b/.test(q))).toEqual([]);
  // The principal is not looked up on its own, but checked in the statement that writes the audit event.
  expect(statements.at(-1)).toMatch(/auth_sessions[\s\S]*INSERT INTO audit_events/);
});

it('counts the matching rows only when totalCount is asked for', async () => {
  const list = (fields: string) => `{ intelligenceReports(first: 5, filter: { division: "wigan" }) { ${fields} } }`;
  app.queries.length = 0;
  expect(codes(await app.gql(list('edges { node { id } }'), {}, analyst))).toEqual([]);
  expect(app.queries.filter((q) => /count\(\*\)/i.test(q))).toEqual([]);
  app.queries.length = 0;
  const counted = await app.gql<{ intelligenceReports: { totalCount: number } }>(list('totalCount'), {}, analyst);
  expect(counted.body.data!.intelligenceReports.totalCount).toBeGreaterThan(5);
  expect(app.queries.filter((q) => /count\(\*\)/i.test(q))).toHaveLength(1);
});
