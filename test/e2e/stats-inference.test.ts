import fc from 'fast-check';
import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * Inference through aggregates, attacked as the callers outside police analysis would attack it:
 * every demo role that sees statistics under disclosure control asks many overlapping questions
 * (ranges 1 ms and 1 day apart, nested ranges, complementary groupings, total against rows), and a
 * police user inserts a single report, link, flag or crime between questions. Nothing they can
 * combine may say more than the published grid (UTC month × division × source type for
 * intelligence, month × division for crimes, each cell withheld from 1 to 4 on its own):
 * - every number of every answer is the sum of the published cells of the grid it covers, so the
 *   difference of any two answers is a difference of published cells;
 * - no difference of nested answers, nor total less rows, is a count from 1 to 4;
 * - ranges that touch the same months give the same answer, so a record's time is never learnt
 *   below its month, and an inserted record changes its own grid cell and nothing else;
 * - the month under way is not published, so asking again and again does not time a new record;
 * - links and flags change nothing a restricted caller can read.
 */

const RESTRICTED = [
  'reporter@safe-futures.example',
  'lead@brookfield-high.example',
  'practitioner@rochdale-csc.example',
  'nurse@northern-health.example',
];
const INVESTIGATOR = 'investigator@gmp.example';
const SUPERVISOR = 'supervisor@gmp.example';
const DIMENSIONS = ['DIVISION', 'SOURCE_TYPE', 'MONTH'] as const;
const CRIME_DIMENSIONS = ['DIVISION', 'MONTH'] as const;
const SMALL = (n: number) => n >= 1 && n <= 4;
const DAY = 86_400_000;

let app: TestApp;
const tokens = new Map<string, string>();
const tokenFor = async (email: string) => {
  if (!tokens.has(email)) tokens.set(email, (await app.login(email)).accessToken);
  return tokens.get(email)!;
};
/** Receipt times of real reports (the attack's targets) and the span the data covers. */
let receipts: number[] = [];

beforeAll(async () => {
  app = await startTestApp();
  const rows = (await app.ownerQuery(
    `SELECT (extract(epoch FROM received_at) * 1000)::bigint::text AS t FROM intelligence_reports ORDER BY id LIMIT 400`,
  )) as { t: string }[];
  receipts = rows.map((r) => Number(r.t));
}, 60_000);
afterAll(() => app.close());

interface Row {
  division: { id: string } | null;
  sourceType: string | null;
  month: string | null;
  count: number | null;
  suppressed: boolean;
}
interface Table {
  total: number | null;
  rows: Row[];
}

async function gql<T>(as: string, query: string, variables: Record<string, unknown>) {
  const r = await app.gql<T>(query, variables, await tokenFor(as));
  expect(r.body.errors).toBeUndefined();
  return r.body.data!;
}
const iso = (t: number) => new Date(t).toISOString();

const INTELLIGENCE = `query($from: DateTime!, $to: DateTime!, $g: [StatsDimension!]) {
  intelligenceStats(from: $from, to: $to, groupBy: $g) { total rows { division { id } sourceType month count suppressed } } }`;
async function intelligence(as: string, from: number, to: number, groupBy: readonly string[] | null): Promise<Table> {
  return (await gql<{ intelligenceStats: Table }>(as, INTELLIGENCE, { from: iso(from), to: iso(to), g: groupBy })).intelligenceStats;
}
const CRIMES = `query($from: DateTime!, $to: DateTime!, $g: [StatsDimension!]) {
  crimeStats(from: $from, to: $to, groupBy: $g) { total { crimes victims suspects suppressed }
    rows { division { id } month crimes victims suspects suppressed } } }`;
interface CrimeRow {
  division?: { id: string } | null;
  month?: string | null;
  crimes: number | null;
  victims: number | null;
  suspects: number | null;
  suppressed: boolean;
}
async function crimes(as: string, from: number, to: number, groupBy: readonly string[] | null) {
  const r = await gql<{ crimeStats: { total: CrimeRow; rows: CrimeRow[] } }>(as, CRIMES, { from: iso(from), to: iso(to), g: groupBy });
  // As a table of the additive measure, so both statistics face the same checks.
  const asRow = (c: CrimeRow): Row => ({
    division: c.division ?? null,
    sourceType: null,
    month: c.month ?? null,
    count: c.crimes,
    suppressed: c.suppressed,
  });
  return { table: { total: r.crimeStats.total.crimes, rows: r.crimeStats.rows.map(asRow) }, raw: r.crimeStats };
}

/** A row's coordinates in the grouping it was asked in. */
const keyOf = (r: Row, groupBy: readonly string[]) =>
  groupBy.map((d) => (d === 'DIVISION' ? (r.division?.id ?? '-') : d === 'SOURCE_TYPE' ? r.sourceType : r.month)).join('|');
const countsOf = (t: Table, groupBy: readonly string[]) => new Map(t.rows.map((r) => [keyOf(r, groupBy), r.count]));

/** What the grid says a grouping must publish: each row the sum of the grid's published cells in it. */
function fromGrid(grid: Table, groupBy: readonly string[]) {
  const sums = new Map<string, number>();
  let total = 0;
  for (const cell of grid.rows) {
    const key = keyOf(cell, groupBy);
    sums.set(key, (sums.get(key) ?? 0) + (cell.count ?? 0));
    total += cell.count ?? 0;
  }
  return { total, sums };
}

/** Every number of `t` must be the sum of the published grid cells it covers (null only when all of them are withheld). */
function expectMadeOfGrid(t: Table, groupBy: readonly string[] | null, grid: Table) {
  const g = fromGrid(grid, groupBy ?? []);
  const allWithheld = grid.rows.length > 0 && grid.rows.every((c) => c.count === null);
  expect(t.total).toBe(allWithheld ? null : g.total);
  if (!groupBy) return;
  const rows = countsOf(t, groupBy);
  expect([...rows.keys()].sort()).toEqual([...g.sums.keys()].sort());
  for (const [key, sum] of g.sums) {
    const cells = grid.rows.filter((c) => keyOf(c, groupBy) === key);
    expect(rows.get(key)).toBe(cells.every((c) => c.count === null) ? null : sum);
  }
}

/** No difference between nested answers, nor between a total and its rows, is a count from 1 to 4. */
function expectNoSmallDifference(inner: Table, outer: Table, groupBy: readonly string[] | null) {
  const diffs: number[] = [];
  if (inner.total !== null && outer.total !== null) diffs.push(outer.total - inner.total);
  for (const t of [inner, outer]) {
    if (groupBy && t.total !== null && t.rows.every((r) => r.count !== null))
      diffs.push(t.total - t.rows.reduce((n, r) => n + r.count!, 0));
  }
  if (groupBy) {
    const a = countsOf(inner, groupBy);
    for (const [key, n] of countsOf(outer, groupBy)) {
      const m = a.get(key) ?? 0;
      if (n !== null && m !== null) diffs.push(n - m);
    }
  }
  for (const d of diffs) expect(SMALL(Math.abs(d))).toBe(false);
}

const groupingArb = fc.option(fc.subarray([...DIMENSIONS], { minLength: 1 }), { nil: null });
const crimeGroupingArb = fc.option(fc.subarray([...CRIME_DIMENSIONS], { minLength: 1 }), { nil: null });
/** A step off a target time: 1 ms, 1 day or up to a few weeks either way. */
const sameMonth = (a: number, b: number) => new Date(a).toISOString().slice(0, 7) === new Date(b).toISOString().slice(0, 7);
/**
 * True when ranges ending at `a` and at `b` end in the same published month: the first month start
 * at or after each is the same (the granularity docs/security.md documents; equal answers expected).
 */
const sameSnap = (a: number, b: number) => {
  const up = (t: number) => {
    const d = new Date(t);
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    return start === t ? t : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  };
  return up(a) === up(b);
};
const stepArb = fc.oneof(fc.constant(1), fc.constant(DAY), fc.integer({ min: 1, max: 40 * DAY }));

describe.each(RESTRICTED)('%s', (as) => {
  it('ranges around a real receipt time, nested and 1 ms or 1 day apart, differ by no hidden count', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: receipts.length - 1 }),
        fc.integer({ min: DAY, max: 200 * DAY }),
        stepArb,
        groupingArb,
        async (i, before, step, groupBy) => {
          const t = receipts[i];
          const from = t - before;
          const [inner, outer] = [await intelligence(as, from, t, groupBy), await intelligence(as, from, t + step, groupBy)];
          expectNoSmallDifference(inner, outer, groupBy);
          // [from, t) and [from, t + 1 ms): the target's own time must not show.
          const shifted = await intelligence(as, from, t + 1, groupBy);
          if (sameSnap(t, t + 1)) expect(shifted).toEqual(inner);
          // Each is made of the published grid of its own range.
          for (const [range, table] of [
            [[from, t], inner],
            [[from, t + step], outer],
          ] as const) {
            const grid = await intelligence(as, range[0], range[1], DIMENSIONS);
            expectMadeOfGrid(table, groupBy, grid);
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);

  it('complementary groupings of one range and [a, c) less [a, b) agree with the grid', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: receipts.length - 1 }),
        fc.integer({ min: 0, max: 120 * DAY }),
        fc.integer({ min: 1, max: 120 * DAY }),
        groupingArb,
        groupingArb,
        async (i, left, right, g1, g2) => {
          const a = receipts[i] - left;
          const c = receipts[i] + right;
          const grid = await intelligence(as, a, c, DIMENSIONS);
          for (const g of [g1, g2]) expectMadeOfGrid(await intelligence(as, a, c, g), g, grid);
          const [ab, ac] = [await intelligence(as, a, receipts[i], g1), await intelligence(as, a, c, g1)];
          expectNoSmallDifference(ab, ac, g1);
        },
      ),
      { numRuns: 10 },
    );
  }, 120_000);

  it('crimes: days apart and nested ranges differ by no hidden count; victims and suspects are police-only', async () => {
    const recorded = ((await app.ownerQuery(`SELECT recorded_on::text AS d FROM crimes ORDER BY id LIMIT 200`)) as { d: string }[]).map(
      (r) => Date.parse(`${r.d}T00:00:00Z`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...recorded),
        fc.integer({ min: DAY, max: 200 * DAY }),
        stepArb,
        crimeGroupingArb,
        async (t, before, step, groupBy) => {
          const from = t - before;
          const inner = await crimes(as, from, t, groupBy);
          const outer = await crimes(as, from, t + step, groupBy);
          expectNoSmallDifference(inner.table, outer.table, groupBy);
          const nextDay = await crimes(as, from, t + DAY, groupBy);
          if (sameSnap(t, t + DAY)) expect(nextDay.raw).toEqual(inner.raw);
          const grid = await crimes(as, from, t + step, CRIME_DIMENSIONS);
          expectMadeOfGrid(outer.table, groupBy, grid.table);
          for (const r of [outer.raw.total, ...outer.raw.rows]) expect([r.victims, r.suspects]).toEqual([null, null]);
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);

  it('flag statistics (links and flags are police working material) are FORBIDDEN', async () => {
    const r = await app.gql(
      `{ flagStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { activeTotal underFlagging { reports unflagged } } }`,
      {},
      await tokenFor(as),
    );
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });
});

// ---- a single record inserted by police between questions ----

let made = 0;
async function submit(as: string, input: Record<string, unknown>) {
  const d = await gql<{ submitIntelligence: { id: string } }>(
    as,
    `mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id } }`,
    { i: { narrative: `Synthetic inference test report ${++made}`, ...input } },
  );
  return d.submitIntelligence.id;
}
async function linkVictim(reportId: string) {
  const name = `Inference Child${++made}`;
  const d = await gql<{ linkSubject: { subjects: { subject: { id: string; fullName: string } }[] } }>(
    INVESTIGATOR,
    `mutation($r: ID!, $i: LinkSubjectInput!) { linkSubject(reportId: $r, input: $i) { subjects { subject { id fullName } } } }`,
    { r: reportId, i: { role: 'POTENTIAL_VICTIM', newSubject: { fullName: name, approximateAge: 14 } } },
  );
  return d.linkSubject.subjects.find((s) => s.subject.fullName === name)!.subject.id;
}
async function flagRisk(subjectId: string) {
  await gql(SUPERVISOR, `mutation($s: ID!, $i: FlagInput!) { flagSubject(subjectId: $s, input: $i) { id } }`, {
    s: subjectId,
    i: { kind: 'CSE_RISK', riskLevel: 'HIGH', reason: 'Inference test' },
  });
}
async function recordCrime(victimId: string, recordedOn: string, divisionId: string) {
  await gql(INVESTIGATOR, `mutation($i: RecordCrimeInput!) { recordCrime(input: $i) { id } }`, {
    i: { crimeReference: `INF/${++made}/${Date.now()}`, offence: 'Synthetic offence', recordedOn, divisionId, victimIds: [victimId] },
  });
}

/** Everything a restricted caller is asked around time t, as one comparable snapshot. */
async function around(as: string, t: number, groupBy: readonly string[] | null) {
  const from = t - 90 * DAY;
  const day = new Date(t).toISOString().slice(0, 10);
  const dayMs = Date.parse(`${day}T00:00:00Z`);
  // Ranges ending (and starting) at t and 1 ms, 1 s and 1 day after it, where those stay in t's month.
  const steps = [1, 1000, DAY].filter((d) => sameMonth(t, t + d));
  return {
    before: await intelligence(as, from, t, groupBy),
    after: await Promise.all(steps.map((d) => intelligence(as, from, t + d, groupBy))),
    from: await intelligence(as, t, t + 30 * DAY, groupBy),
    fromNext: await Promise.all(steps.map((d) => intelligence(as, t + d, t + 30 * DAY, groupBy))),
    grid: await intelligence(as, from, t + 30 * DAY, DIMENSIONS),
    crimesBefore: (await crimes(as, dayMs - 90 * DAY, dayMs, null)).raw,
    crimesAfter: (await crimes(as, dayMs - 90 * DAY, dayMs + DAY, null)).raw,
    crimeGrid: (await crimes(as, dayMs - 90 * DAY, dayMs + 30 * DAY, CRIME_DIMENSIONS)).raw,
    // The under-flagging share around t, as the reporter of the finding asked it: refused, or the answer.
    flags: await Promise.all(
      [t, t + 1].map(async (to) => {
        const r = await app.gql<{ flagStats: unknown }>(
          `query($from: DateTime!, $to: DateTime!) { flagStats(from: $from, to: $to) { activeTotal underFlagging { reports unflagged } } }`,
          { from: iso(from), to: iso(to) },
          await tokenFor(as),
        );
        return r.body.errors ? codes(r) : r.body.data;
      }),
    ),
  };
}

const DIVISIONS = ['rochdale', 'bury', 'wigan', 'oldham', 'salford', 'bolton'];

it('a single report, link, flag or crime inserted by police is not seen below its grid cell', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...RESTRICTED),
      fc.nat({ max: receipts.length - 1 }),
      fc.integer({ min: 1, max: 20 * 3_600_000 }),
      fc.constantFrom(...DIVISIONS),
      fc.constantFrom('REPORT', 'OWN_REPORT_LINK_FLAG', 'LINK_FLAG_CRIME'),
      groupingArb,
      async (as, i, offset, division, kind, groupBy) => {
        // A time inside a month with data, clear of month ends so t ± 1 ms stays in it.
        let t = receipts[i] + offset;
        if (!sameMonth(t - 1, t + 1)) t += 3_600_000;
        const was = await around(as, t, groupBy);
        for (const a of was.after) expect(a).toEqual(was.before);

        if (kind === 'REPORT') {
          await submit(INVESTIGATOR, {
            sourceType: 'POLICE',
            receivedAt: iso(t),
            divisionId: division,
            riskIndicators: ['MISSING_EPISODES'],
          });
        } else {
          // The restricted caller's own report (or a police one), then police work on it.
          const own = kind === 'OWN_REPORT_LINK_FLAG' && as === 'reporter@safe-futures.example';
          const reportId = own
            ? await submit(as, { sourceType: 'VOLUNTARY', receivedAt: iso(t), divisionId: division, riskIndicators: ['MISSING_EPISODES'] })
            : await existingReportAt(receipts[i]);
          const beforeWork = own ? await around(as, t, groupBy) : was;
          const child = await linkVictim(reportId);
          await flagRisk(child);
          if (kind === 'LINK_FLAG_CRIME') await recordCrime(child, new Date(receipts[i]).toISOString().slice(0, 10), division);
          const now = await around(as, t, groupBy);
          // Links and flags change nothing a restricted caller can read.
          expect({ ...now, crimesBefore: null, crimesAfter: null, crimeGrid: null }).toEqual({
            ...beforeWork,
            crimesBefore: null,
            crimesAfter: null,
            crimeGrid: null,
          });
          for (const r of [now.crimesAfter.total, ...now.crimesAfter.rows]) expect([r.victims, r.suspects]).toEqual([null, null]);
          const day = Date.parse(`${iso(t).slice(0, 10)}T00:00:00Z`);
          if (kind === 'LINK_FLAG_CRIME' && sameSnap(day, day + DAY)) {
            // The crime is seen only as its month × division cell: the day before and after read the same.
            expect(now.crimesAfter).toEqual(now.crimesBefore);
          }
          return;
        }

        const now = await around(as, t, groupBy);
        // Its time: [from, t) and [from, t + 1 ms, 1 s or 1 day) read the same, before and after the insert.
        for (const a of now.after) expect(a).toEqual(now.before);
        for (const a of now.fromNext) expect(a).toEqual(now.from);
        // Its existence: the grid changed in its own cell at most.
        const cellKey = (r: Row) => `${r.division?.id ?? '-'}|${r.sourceType}|${r.month}`;
        const own = `${division}|POLICE|${iso(t).slice(0, 7)}-01`;
        const cells = (g: Table) => new Map(g.rows.map((r) => [cellKey(r), r.count]));
        const [old, fresh] = [cells(was.grid), cells(now.grid)];
        for (const key of new Set([...old.keys(), ...fresh.keys()]))
          if (key !== own) expect([key, fresh.get(key)]).toEqual([key, old.get(key)]);
        // And every answer is still made of that grid.
        expectMadeOfGrid(now.from, groupBy, await intelligence(as, t, t + 30 * DAY, DIMENSIONS));
      },
    ),
    { numRuns: 16 },
  );
}, 300_000);

/** The id of a report received at `t` (a real one: the target of the attack). */
async function existingReportAt(t: number): Promise<string> {
  const [r] = (await app.ownerQuery(`SELECT id::text FROM intelligence_reports WHERE received_at = $1 ORDER BY id LIMIT 1`, [iso(t)])) as {
    id: string;
  }[];
  return r.id;
}

it('a report received now is not seen at all while its month is under way, however often one asks', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...RESTRICTED),
      fc.constantFrom(INVESTIGATOR, 'reporter@safe-futures.example'),
      fc.constantFrom(...DIVISIONS),
      groupingArb,
      async (as, submitter, division, groupBy) => {
        const now = Date.now();
        const ask = () =>
          Promise.all([intelligence(as, now - 60 * DAY, now + DAY, groupBy), intelligence(as, now - DAY, now + 1, DIMENSIONS)]);
        const was = await ask();
        await submit(submitter, {
          sourceType: submitter === INVESTIGATOR ? 'POLICE' : 'VOLUNTARY',
          divisionId: division,
          riskIndicators: ['MISSING_EPISODES'],
        });
        // A month that ends between the two questions publishes a new cell: that is its granularity.
        if (sameMonth(now, Date.now())) expect(await ask()).toEqual(was);
      },
    ),
    { numRuns: 12 },
  );
}, 120_000);
