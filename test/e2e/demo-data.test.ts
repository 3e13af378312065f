import type { DataSource } from 'typeorm';
import { DEMO_REPORTS_BY_DIVISION, seedDemoRecords } from '../../src/demo/demo-records';
import { seedDemo } from '../../src/demo/demo-seed';
import { TEST_ARGON2 } from '../support/test-config';
import { openTestDatabase } from '../support/test-database';

/** The seeded demo reproduces GMP's figures for April 2013 to January 2014 exactly (DESIGN.md). */
let db: DataSource;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await openTestDatabase());
});
afterAll(() => close());

const one = async <T>(sql: string): Promise<T> => (await db.query<T[]>(sql))[0];

it('holds 2,286 reports received in the ten months, by division as published, one with no division', async () => {
  const rows: { division: string | null; n: number }[] = await db.query(
    `SELECT division_id AS division, count(*)::int AS n FROM intelligence_reports
      WHERE received_at >= '2013-04-01' AND received_at < '2014-02-01' GROUP BY division_id`,
  );
  const byDivision = Object.fromEntries(rows.map((r) => [r.division ?? 'none', r.n]));
  expect(byDivision).toEqual({
    rochdale: 693,
    'south-manchester': 269,
    oldham: 224,
    tameside: 210,
    stockport: 191,
    bolton: 162,
    wigan: 151,
    'north-manchester': 130,
    trafford: 115,
    salford: 75,
    bury: 65,
    none: 1,
  });
  expect(rows.reduce((sum, r) => sum + r.n, 0)).toBe(2286);
  expect(Object.values(DEMO_REPORTS_BY_DIVISION).reduce((a, b) => a + b, 0)).toBe(2285);
});

it('mixes every source type, each submitted by an agency it fits', async () => {
  const rows: { source_type: string; kind: string }[] = await db.query(
    `SELECT DISTINCT r.source_type, a.kind FROM intelligence_reports r JOIN agencies a ON a.id = r.submitted_by_agency_id`,
  );
  expect(new Set(rows.map((r) => r.source_type)).size).toBe(7);
  const fits: Record<string, string> = { SOCIAL_CARE: 'SOCIAL_CARE', EDUCATION: 'EDUCATION', HEALTH: 'HEALTH', VOLUNTARY: 'VOLUNTARY' };
  for (const r of rows) expect(r.kind).toBe(fits[r.source_type] ?? 'POLICE');
});

it('holds 105 CSE-linked crimes with 402 distinct victims and 242 distinct suspects; Rochdale 37, 47, 49', async () => {
  const count = (where = 'true') =>
    one<{ crimes: number; victims: number; suspects: number }>(
      `SELECT count(DISTINCT c.id)::int AS crimes,
              count(DISTINCT cs.subject_id) FILTER (WHERE cs.role = 'VICTIM')::int AS victims,
              count(DISTINCT cs.subject_id) FILTER (WHERE cs.role = 'SUSPECT')::int AS suspects
         FROM crimes c JOIN crime_subjects cs ON cs.crime_id = c.id WHERE ${where}`,
    );
  expect(await count()).toEqual({ crimes: 105, victims: 402, suspects: 242 });
  expect(await count(`c.division_id = 'rochdale'`)).toEqual({ crimes: 37, victims: 47, suspects: 49 });
});

it('links every crime participant to a report in the same division', async () => {
  const { unlinked } = await one<{ unlinked: number }>(
    `SELECT count(*)::int AS unlinked FROM crime_subjects cs JOIN crimes c ON c.id = cs.crime_id
      WHERE NOT EXISTS (SELECT 1 FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
                         WHERE rs.subject_id = cs.subject_id AND r.division_id = c.division_id)`,
  );
  expect(unlinked).toBe(0);
});

it('gives only valid NHS numbers (modulus 11, checked independently here)', async () => {
  const rows: { nhs_number: string }[] = await db.query(`SELECT nhs_number FROM subjects WHERE nhs_number IS NOT NULL`);
  expect(rows.length).toBeGreaterThan(100);
  for (const { nhs_number } of rows) {
    const sum = [...nhs_number.slice(0, 9)].reduce((s, d, i) => s + Number(d) * (10 - i), 0);
    expect((11 - (sum % 11)) % 11).toBe(Number(nhs_number[9]));
  }
});

it('flags a plausible share of victims and suspects', async () => {
  const { risk, perpetrator } = await one<{ risk: number; perpetrator: number }>(
    `SELECT count(*) FILTER (WHERE kind = 'CSE_RISK' AND status = 'ACTIVE')::int AS risk,
            count(*) FILTER (WHERE kind = 'CSE_PERPETRATOR' AND status = 'ACTIVE')::int AS perpetrator FROM flags`,
  );
  expect(risk).toBeGreaterThan(402 * 0.4);
  expect(risk).toBeLessThan(402 * 0.8);
  expect(perpetrator).toBeGreaterThan(242 * 0.3);
});

it('finds taxis by full-text search', async () => {
  const { n } = await one<{ n: number }>(
    `SELECT count(*)::int AS n FROM intelligence_reports WHERE report_search_vector(location, narrative) @@ websearch_to_tsquery('english', 'taxi')`,
  );
  expect(n).toBeGreaterThan(0);
});

it('seeding again changes nothing', async () => {
  const counts = () =>
    one(
      `SELECT (SELECT count(*) FROM intelligence_reports) r, (SELECT count(*) FROM subjects) s, (SELECT count(*) FROM flags) f, (SELECT count(*) FROM users) u`,
    );
  const before = await counts();
  await seedDemo(db, TEST_ARGON2);
  await db.transaction((tx) => seedDemoRecords(tx));
  expect(await counts()).toEqual(before);
});
