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

const ROW = 'division { id name } sourceType month count suppressed';
async function intelligence(as: string, groupBy: string, range = RANGE) {
  const r = await app.gql<{ intelligenceStats: { total: number | null; rows: Row[] } }>(
    `{ intelligenceStats(${range}${groupBy ? `, groupBy: ${groupBy}` : ''}) { total rows { ${ROW} } } }`,
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
  it('2,286 pieces of intelligence, by division as DESIGN.md, and one with no division', async () => {
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
    expect(investigator.rows.some((r) => r.suppressed)).toBe(true);
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
    expect(stats).toEqual({ total: 2286, rows: [] });
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

describe('everyone else sees the same table with small cells suppressed', () => {
  it('a voluntary reporter: the null-division cell and a complement are hidden, the rest as the analyst sees it', async () => {
    const full = await intelligence(ANALYST, '[DIVISION]');
    const controlled = await intelligence(VOLUNTARY, '[DIVISION]');
    expect(controlled.total).toBe(2286);
    const none = controlled.rows.find((r) => r.division === null)!;
    expect(none).toMatchObject({ count: null, suppressed: true });
    // Secondary suppression: with the total published, a second cell must go too.
    const hidden = controlled.rows.filter((r) => r.suppressed);
    expect(hidden.length).toBeGreaterThanOrEqual(2);
    for (const r of controlled.rows) {
      const same = full.rows.find((f) => f.division?.id === r.division?.id)!;
      if (!r.suppressed) expect(r.count).toBe(same.count);
    }
    expect(full.rows.map((r) => r.division?.id)).toEqual(controlled.rows.map((r) => r.division?.id));
  });

  it.each(['[DIVISION]', '[SOURCE_TYPE]', '[MONTH]', '[DIVISION, MONTH]', '[DIVISION, SOURCE_TYPE]', '[DIVISION, SOURCE_TYPE, MONTH]'])(
    '%s: no published cell is from 1 to 4, and no total or difference reveals a hidden one',
    async (groupBy) => {
      const stats = await intelligence(VOLUNTARY, groupBy);
      for (const r of stats.rows) {
        if (r.suppressed) expect(r.count).toBeNull();
        else expect(r.count! === 0 || r.count! >= 5).toBe(true);
      }
      // Differencing along every dimension: each line (cells sharing all but one coordinate) with a
      // hidden cell must hide at least two, or its own marginal (from the coarser grouping) is hidden.
      const dims = ['DIVISION', 'SOURCE_TYPE', 'MONTH'].filter((d) => groupBy.includes(d));
      const coord = (r: Row, d: string) => (d === 'DIVISION' ? (r.division?.id ?? 'none') : d === 'SOURCE_TYPE' ? r.sourceType : r.month);
      for (const d of dims) {
        const others = dims.filter((o) => o !== d);
        const coarser = others.length ? await intelligence(VOLUNTARY, `[${others.join(', ')}]`) : null;
        const lines = new Map<string, Row[]>();
        for (const r of stats.rows) {
          const key = others.map((o) => coord(r, o)).join('|');
          lines.set(key, [...(lines.get(key) ?? []), r]);
        }
        for (const [key, line] of lines) {
          const hiddenHere = line.filter((r) => r.suppressed).length;
          if (hiddenHere !== 1) continue;
          const marginalHidden = coarser
            ? coarser.rows.find((m) => others.map((o) => coord(m, o)).join('|') === key)?.suppressed
            : stats.total === null;
          expect(marginalHidden).toBe(true);
        }
      }
    },
  );

  it('crimes: small rows hidden with a complement, the total published', async () => {
    const stats = await crimes(VOLUNTARY, '[DIVISION]');
    expect(stats.total).toMatchObject({ crimes: 105, victims: 402, suspects: 242, suppressed: false });
    for (const r of stats.rows) {
      if (r.suppressed) expect([r.crimes, r.victims, r.suspects]).toEqual([null, null, null]);
      else for (const n of [r.crimes!, r.victims!, r.suspects!]) expect(n === 0 || n >= 5).toBe(true);
    }
    expect(stats.rows.filter((r) => r.suppressed).length).not.toBe(1);
  });

  it('an OVERSIGHT auditor and a school lead see statistics too; a partner app does not', async () => {
    for (const as of ['auditor@oversight.example', 'lead@brookfield-high.example', 'admin@oversight.example']) {
      expect((await intelligence(as, '[DIVISION]')).total).toBe(2286);
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

    const controlled = await app.gql<{ flagStats: { active: { count: number | null; suppressed: boolean }[] } }>(
      q,
      {},
      await tokenFor(VOLUNTARY),
    );
    expect(controlled.body.errors).toBeUndefined();
    for (const r of controlled.body.data!.flagStats.active) expect(r.suppressed ? r.count === null : r.count! >= 5).toBe(true);
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
