import { DEMO_CRIMES, DEMO_REPORTS_BY_DIVISION } from '../../src/demo/demo-records';
import { codes, startTestApp, type TestApp } from '../support/test-app';

/** Statistics against the demo data: the GMP figures exactly, and the same table under disclosure control. */

const RANGE = 'from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z"';
const ANALYST = 'analyst@gmp.example';
const SUPERVISOR = 'supervisor@gmp.example';
const INVESTIGATOR = 'investigator@gmp.example';
const VOLUNTARY = 'reporter@safe-futures.example';

interface Row {
  division: { id: string; name: string } | null;
  sourceType: string | null;
  month: string | null;
  count: number | null;
  suppressed: boolean;
  withheld: number;
}
interface CrimeRow {
  division: { id: string; name: string } | null;
  month: string | null;
  crimes: number | null;
  victims: number | null;
  suspects: number | null;
  suppressed: boolean;
}

let app: TestApp;
const tokens = new Map<string, string>();
const tokenFor = async (email: string) => {
  if (!tokens.has(email)) tokens.set(email, (await app.login(email)).accessToken);
  return tokens.get(email)!;
};

const ROW = 'division { id name } sourceType month count suppressed withheld';
async function intelligence(as: string, groupBy: string, range = RANGE) {
  const r = await app.gql<{ intelligenceStats: { total: number | null; withheld: number; rows: Row[] } }>(
    `{ intelligenceStats(${range}${groupBy ? `, groupBy: ${groupBy}` : ''}) { total withheld rows { ${ROW} } } }`,
    {},
    await tokenFor(as),
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.intelligenceStats;
}
const CROW = 'division { id name } month crimes victims suspects suppressed';
async function crimes(as: string, groupBy: string) {
  const r = await app.gql<{ crimeStats: { total: CrimeRow; rows: CrimeRow[] } }>(
    `{ crimeStats(${RANGE}${groupBy ? `, groupBy: ${groupBy}` : ''}) { total { ${CROW} } rows { ${CROW} } } }`,
    {},
    await tokenFor(as),
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.crimeStats;
}

const DIVISION_NAMES: Record<string, string> = {
  rochdale: 'Rochdale',
  'north-manchester': 'North Manchester',
  bury: 'Bury',
  wigan: 'Wigan',
  'south-manchester': 'South Manchester',
  salford: 'Salford',
  oldham: 'Oldham',
  stockport: 'Stockport',
  bolton: 'Bolton',
  trafford: 'Trafford',
  tameside: 'Tameside',
};

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

describe('a police analyst sees the GMP figures exactly', () => {
  it('2,286 pieces of intelligence, by division as docs/architecture.md lists them, and one with no division', async () => {
    const stats = await intelligence(ANALYST, '[DIVISION]');
    expect(stats.total).toBe(2286);
    const byName = Object.fromEntries(stats.rows.map((r) => [r.division?.name ?? 'none', r.count]));
    expect(byName).toEqual({
      none: 1,
      Rochdale: 693,
      'North Manchester': 130,
      Bury: 65,
      Wigan: 151,
      'South Manchester': 269,
      Salford: 75,
      Oldham: 224,
      Stockport: 191,
      Bolton: 162,
      Trafford: 115,
      Tameside: 210,
    });
    // The seed's own plan agrees (the figures live in one place).
    for (const [slug, n] of Object.entries(DEMO_REPORTS_BY_DIVISION)) expect(byName[DIVISION_NAMES[slug]]).toBe(n);
    expect(stats.rows.every((r) => !r.suppressed && r.sourceType === null && r.month === null)).toBe(true);
  });

  it('105 crimes with 402 victims and 242 suspects; Rochdale 37, 47, 49', async () => {
    const stats = await crimes(ANALYST, '[DIVISION]');
    expect(stats.total).toMatchObject({ crimes: DEMO_CRIMES.total, victims: DEMO_CRIMES.victims, suspects: DEMO_CRIMES.suspects });
    expect(stats.total).toMatchObject({ crimes: 105, victims: 402, suspects: 242, suppressed: false, division: null, month: null });
    const rochdale = stats.rows.find((r) => r.division?.id === 'rochdale');
    expect(rochdale).toMatchObject({ crimes: 37, victims: 47, suspects: 49 });
    expect(stats.rows.reduce((n, r) => n + r.crimes!, 0)).toBe(105);
  });

  it('a supervisor sees the same; an investigator the table under disclosure control', async () => {
    expect(await intelligence(SUPERVISOR, '[DIVISION]')).toEqual(await intelligence(ANALYST, '[DIVISION]'));
    const investigator = await intelligence(INVESTIGATOR, '[DIVISION]');
    expect(investigator.withheld).toBeGreaterThan(0);
  });

  it('every grouping adds up to the same total, months are first days, and the order is stable', async () => {
    for (const groupBy of ['[SOURCE_TYPE]', '[MONTH]', '[DIVISION, MONTH]', '[MONTH, SOURCE_TYPE]', '[DIVISION, SOURCE_TYPE, MONTH]']) {
      const stats = await intelligence(ANALYST, groupBy);
      expect(stats.total).toBe(2286);
      expect(stats.rows.reduce((n, r) => n + r.count!, 0)).toBe(2286);
      expect(stats.rows.every((r) => r.count! > 0)).toBe(true);
      for (const r of stats.rows) {
        expect(r.month === null).toBe(!groupBy.includes('MONTH'));
        expect(r.sourceType === null).toBe(!groupBy.includes('SOURCE_TYPE'));
        if (r.month) expect(r.month).toMatch(/^\d{4}-\d{2}-01$/);
      }
    }
    const months = await intelligence(ANALYST, '[MONTH]');
    expect(months.rows.map((r) => r.month)).toEqual([
      '2013-04-01',
      '2013-05-01',
      '2013-06-01',
      '2013-07-01',
      '2013-08-01',
      '2013-09-01',
      '2013-10-01',
      '2013-11-01',
      '2013-12-01',
      '2014-01-01',
    ]);
    // The order of groupBy does not change the table.
    expect(await intelligence(ANALYST, '[MONTH, DIVISION]')).toEqual(await intelligence(ANALYST, '[DIVISION, MONTH]'));
    const crimeMonths = await crimes(ANALYST, '[DIVISION, MONTH]');
    expect(crimeMonths.rows.reduce((n, r) => n + r.crimes!, 0)).toBe(105);
  });

  it('without groupBy, the total alone', async () => {
    const stats = await intelligence(ANALYST, '');
    expect(stats).toEqual({ total: 2286, withheld: 0, rows: [] });
  });

  it.each([
    ['months, whole days and partial days', '2013-04-15T10:20:00Z', '2013-11-20T03:00:00Z'],
    ['whole days within a month', '2013-05-03T00:00:00Z', '2013-05-19T00:00:00Z'],
    ['within one day', '2013-05-03T01:00:00Z', '2013-05-03T20:00:00Z'],
    ['an offset that is not UTC', '2013-06-30T23:30:00+01:00', '2013-09-01T00:30:00+01:00'],
    ['an empty range', '2013-06-01T00:00:00Z', '2013-06-01T00:00:00Z'],
  ])('%s: each month counts exactly as the reports say (rollups and reports combined)', async (_, from, to) => {
    const expected = (await app.ownerQuery(
      `SELECT to_char(date_trunc('month', received_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS month, count(*)::int AS count
         FROM intelligence_reports WHERE received_at >= $1 AND received_at < $2 GROUP BY 1 ORDER BY 1`,
      [from, to],
    )) as { month: string; count: number }[];
    const stats = await intelligence(ANALYST, '[MONTH]', `from: "${from}", to: "${to}"`);
    expect(stats.rows.map((r) => ({ month: r.month, count: r.count }))).toEqual(expected);
    expect(stats.total).toBe(expected.reduce((n, r) => n + r.count, 0));
  });

  it('a new report counts at once (the rollup follows the reports)', async () => {
    const before = await intelligence(ANALYST, '[SOURCE_TYPE]', 'from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z"');
    const submitted = await app.gql(
      'mutation { submitIntelligence(input: { sourceType: VOLUNTARY, narrative: "Synthetic stats note", divisionId: "bury" }) { id } }',
      {},
      await tokenFor(VOLUNTARY),
    );
    expect(submitted.body.errors).toBeUndefined();
    const after = await intelligence(ANALYST, '[SOURCE_TYPE]', 'from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z"');
    expect(after.total).toBe((before.total ?? 0) + 1);
  });
});

describe('everyone else sees the published grid (whole months, each cell withheld from 1 to 4 on its own)', () => {
  const GRID = '[DIVISION, SOURCE_TYPE, MONTH]';
  const coordOf = (r: Row, d: string) => (d === 'DIVISION' ? (r.division?.id ?? 'none') : d === 'SOURCE_TYPE' ? r.sourceType : r.month);

  it('a voluntary reporter: every published grid cell as the analyst counts it, every withheld one from 1 to 4', async () => {
    const full = await intelligence(ANALYST, GRID);
    const grid = await intelligence(VOLUNTARY, GRID);
    const key = (r: Row) => ['DIVISION', 'SOURCE_TYPE', 'MONTH'].map((d) => coordOf(r, d)).join('|');
    const truth = new Map(full.rows.map((r) => [key(r), r.count!]));
    expect(grid.rows.map(key)).toEqual(full.rows.map(key));
    for (const r of grid.rows) {
      const n = truth.get(key(r))!;
      expect(r).toMatchObject(n <= 4 ? { count: null, suppressed: true, withheld: 1 } : { count: n, suppressed: false, withheld: 0 });
    }
  });

  it.each(['', '[DIVISION]', '[SOURCE_TYPE]', '[MONTH]', '[DIVISION, MONTH]', '[DIVISION, SOURCE_TYPE]', '[SOURCE_TYPE, MONTH]'])(
    '%s: the total and every row are the sums of the published grid cells in them, within the bounds the withheld ones allow',
    async (groupBy) => {
      const grid = await intelligence(VOLUNTARY, GRID);
      const stats = await intelligence(VOLUNTARY, groupBy);
      const full = await intelligence(ANALYST, groupBy);
      const dims = ['DIVISION', 'SOURCE_TYPE', 'MONTH'].filter((d) => groupBy.includes(d));
      const key = (r: Row) => dims.map((d) => coordOf(r, d)).join('|');
      const sum = (cells: Row[]) => cells.reduce((n, c) => n + (c.count ?? 0), 0);
      const withheld = (cells: Row[]) => cells.filter((c) => c.count === null).length;
      expect(stats.total).toBe(sum(grid.rows));
      expect(stats.withheld).toBe(withheld(grid.rows));
      expect(stats.total! + stats.withheld).toBeLessThanOrEqual(2286);
      expect(stats.total! + 4 * stats.withheld).toBeGreaterThanOrEqual(2286);
      expect(stats.rows.map(key)).toEqual(full.rows.map(key));
      for (const r of stats.rows) {
        const cells = grid.rows.filter((c) => key(c) === key(r));
        expect(r).toMatchObject({
          count: cells.every((c) => c.count === null) ? null : sum(cells),
          withheld: withheld(cells),
          suppressed: cells.every((c) => c.count === null),
        });
      }
      // The null-division row is one report: withheld whole.
      if (groupBy === '[DIVISION]') expect(stats.rows.find((r) => r.division === null)).toMatchObject({ count: null, suppressed: true });
    },
  );

  it('a range is widened to the whole UTC months it touches, and the answer says so; an analyst gets the range as asked', async () => {
    const ask = async (as: string, range: string) => {
      const r = await app.gql<{ intelligenceStats: { from: string; to: string; total: number; withheld: number } }>(
        `{ intelligenceStats(${range}) { from to total withheld } }`,
        {},
        await tokenFor(as),
      );
      expect(r.body.errors).toBeUndefined();
      return r.body.data!.intelligenceStats;
    };
    const mid = 'from: "2013-04-15T10:20:00Z", to: "2013-11-20T03:00:00Z"';
    const widened = await ask(VOLUNTARY, mid);
    expect([new Date(widened.from).toISOString(), new Date(widened.to).toISOString()]).toEqual([
      '2013-04-01T00:00:00.000Z',
      '2013-12-01T00:00:00.000Z',
    ]);
    expect(widened).toMatchObject({ total: (await ask(VOLUNTARY, 'from: "2013-04-01T00:00:00Z", to: "2013-12-01T00:00:00Z"')).total });
    const exact = await ask(ANALYST, mid);
    expect([new Date(exact.from).toISOString(), new Date(exact.to).toISOString()]).toEqual([
      '2013-04-15T10:20:00.000Z',
      '2013-11-20T03:00:00.000Z',
    ]);
    expect(exact.withheld).toBe(0);
  });

  it('crimes: the grid of month × division; victims and suspects are police-only', async () => {
    const stats = await crimes(VOLUNTARY, '[DIVISION]');
    const grid = await crimes(VOLUNTARY, '[DIVISION, MONTH]');
    const full = await crimes(ANALYST, '[DIVISION, MONTH]');
    const sum = (rows: CrimeRow[]) => rows.reduce((n, r) => n + (r.crimes ?? 0), 0);
    expect(stats.total).toMatchObject({ crimes: sum(grid.rows), victims: null, suspects: null });
    expect(grid.rows.length).toBe(full.rows.length);
    for (const r of grid.rows) {
      const n = full.rows.find((f) => f.division?.id === r.division?.id && f.month === r.month)!.crimes!;
      expect(r).toMatchObject({ crimes: n <= 4 ? null : n, victims: null, suspects: null, suppressed: n <= 4 });
    }
    for (const r of stats.rows) {
      const cells = grid.rows.filter((c) => c.division?.id === r.division?.id);
      expect(r.crimes).toBe(cells.every((c) => c.crimes === null) ? null : sum(cells));
    }
  });

  it('an OVERSIGHT auditor, an admin and a school lead see the same grid; a partner app sees no statistics', async () => {
    const reporter = await intelligence(VOLUNTARY, '[DIVISION]');
    for (const as of ['auditor@oversight.example', 'lead@brookfield-high.example', 'admin@oversight.example', INVESTIGATOR]) {
      expect(await intelligence(as, '[DIVISION]')).toEqual(reporter);
    }
    const app2 = await app.gql<{ serviceToken: { accessToken: string } }>(
      'mutation { serviceToken(clientId: "safe-futures-app", clientSecret: "safeshare-demo-secret") { accessToken } }',
    );
    const r = await app.gql(`{ intelligenceStats(${RANGE}) { total } }`, {}, app2.body.data!.serviceToken.accessToken);
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(`{ intelligenceStats(${RANGE}) { total } }`))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('flag statistics', () => {
  it('flags in force by kind and risk level, due for review, and the under-flagging share', async () => {
    const q = `{ flagStats(${RANGE}) { asOf activeTotal active { division { id } kind riskLevel count suppressed }
                 dueForReview dueForReviewSuppressed underFlagging { reports unflagged unflaggedShare suppressed } } }`;
    const full = await app.gql<{ flagStats: Record<string, unknown> & { active: { count: number | null; suppressed: boolean }[] } }>(
      q,
      {},
      await tokenFor(ANALYST),
    );
    expect(full.body.errors).toBeUndefined();
    const [{ n }] = (await app.ownerQuery(`SELECT count(*)::int AS n FROM flags WHERE status = 'ACTIVE'`)) as { n: number }[];
    const stats = full.body.data!.flagStats;
    expect(stats.activeTotal).toBe(n);
    expect(stats.active.reduce((s, r) => s + r.count!, 0)).toBe(n);
    const [under] = (await app.ownerQuery(
      `SELECT count(*)::int AS reports, count(*) FILTER (WHERE NOT flagged)::int AS unflagged FROM (
         SELECT bool_or(EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = rs.subject_id AND f.kind = 'CSE_RISK' AND f.status = 'ACTIVE')) AS flagged
           FROM intelligence_reports r JOIN report_subjects rs ON rs.report_id = r.id AND rs.role = 'POTENTIAL_VICTIM'
          WHERE r.received_at >= '2013-04-01' AND r.received_at < '2014-02-01' AND r.risk_indicators <> '{}' GROUP BY r.id) x`,
    )) as { reports: number; unflagged: number }[];
    expect(stats.underFlagging).toMatchObject({ ...under, suppressed: false });
    expect(await app.gql(q, {}, await tokenFor(SUPERVISOR))).toMatchObject({ body: { data: { flagStats: { activeTotal: n } } } });

    // Police links and flags: no one outside police analysis reads them, an investigator included.
    for (const as of [VOLUNTARY, INVESTIGATOR, 'lead@brookfield-high.example', 'auditor@oversight.example']) {
      expect(codes(await app.gql(q, {}, await tokenFor(as)))).toEqual(['FORBIDDEN']);
    }
  });
});

describe('bad input', () => {
  it.each([
    ['from after to', 'from: "2014-02-01T00:00:00Z", to: "2013-04-01T00:00:00Z"', '', 'from'],
    ['a range over ten years', 'from: "2003-01-01T00:00:00Z", to: "2013-01-01T00:00:01Z"', '', 'to'],
    ['an empty groupBy', RANGE, ', groupBy: []', 'groupBy'],
    ['a repeated groupBy', RANGE, ', groupBy: [DIVISION, MONTH, DIVISION]', 'groupBy'],
  ])('%s is BAD_USER_INPUT', async (_, range, groupBy, field) => {
    for (const query of [
      `{ intelligenceStats(${range}${groupBy}) { total } }`,
      `{ crimeStats(${range}${groupBy}) { total { crimes } } }`,
    ]) {
      const r = await app.gql(query, {}, await tokenFor(ANALYST));
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.body.errors![0].extensions!.field).toBe(field);
    }
  });

  it('exactly ten years is allowed; crimes have no source type; flagStats checks its range', async () => {
    const ok = await app.gql(
      `{ intelligenceStats(from: "2004-01-01T00:00:00Z", to: "2014-01-01T00:00:00Z") { total } }`,
      {},
      await tokenFor(ANALYST),
    );
    expect(ok.body.errors).toBeUndefined();
    const r = await app.gql(`{ crimeStats(${RANGE}, groupBy: [SOURCE_TYPE]) { total { crimes } } }`, {}, await tokenFor(ANALYST));
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    const f = await app.gql(
      `{ flagStats(from: "2014-02-01T00:00:00Z", to: "2013-04-01T00:00:00Z") { activeTotal } }`,
      {},
      await tokenFor(ANALYST),
    );
    expect(codes(f)).toEqual(['BAD_USER_INPUT']);
    const bad = await app.gql(
      `{ intelligenceStats(from: "yesterday", to: "2014-01-01T00:00:00Z") { total } }`,
      {},
      await tokenFor(ANALYST),
    );
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });
});

it('statistics are audited as aggregate reads', async () => {
  const [{ mark }] = (await app.ownerQuery('SELECT coalesce(max(id), 0)::text AS mark FROM audit_events')) as { mark: string }[];
  await intelligence(VOLUNTARY, '[DIVISION]');
  const events = (await app.ownerQuery(`SELECT action, outcome, operation_field FROM audit_events WHERE id > $1`, [mark])) as Record<
    string,
    string
  >[];
  expect(events).toEqual([{ action: 'AGGREGATE', outcome: 'ALLOWED', operation_field: 'intelligenceStats' }]);
});
