import fc from 'fast-check';
import { AgencyKind } from '../../src/agencies/agency-kind';
import type { Principal } from '../../src/auth/principal';
import { decide, Permission } from '../../src/policy/permissions';
import { Role, ROLE_AGENCY_KINDS } from '../../src/policy/roles';
import { measureAccess, StatisticsMeasure } from '../../src/policy/statistics';
import { type Cell, cellKey, type Coord, isSmall, publishedCount, sumPublishedGrid } from '../../src/stats/disclosure-control';
import { monthsTouched, publishedMonths } from '../../src/stats/stats.range';

/**
 * The published grid: each cell withheld on its own, every number a sum of published cells. The
 * properties are those an attacker needs broken: an answer that moves when a withheld count moves,
 * or two answers whose difference is not made of published cells.
 */

const DIVISIONS: Coord[] = ['bury', 'rochdale', 'wigan', null];
const SOURCES: Coord[] = ['POLICE', 'VOLUNTARY', 'HEALTH'];
const MONTHS: Coord[] = ['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01'];

/** A grid over division × source × month with counts weighted towards small ones. */
const gridArb = fc
  .array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: 40 })), {
    minLength: DIVISIONS.length * SOURCES.length * MONTHS.length,
    maxLength: DIVISIONS.length * SOURCES.length * MONTHS.length,
  })
  .map((counts) =>
    counts.flatMap((n, i): Cell[] => {
      const coords = [DIVISIONS[i % 4], SOURCES[Math.floor(i / 4) % 3], MONTHS[Math.floor(i / 12)]];
      return n ? [{ coords, counts: [n] }] : [];
    }),
  );
const maskArb = fc.integer({ min: 0, max: 7 });
/** The months of a range: a run of consecutive months. */
const rangeArb = fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 })).map(([a, b]) => MONTHS.slice(Math.min(a, b), Math.max(a, b) + 1));
const within = (grid: Cell[], months: Coord[]) => grid.filter((c) => months.includes(c.coords[2]));
const answer = (grid: Cell[], months: Coord[], mask: number) => sumPublishedGrid(within(grid, months), mask);

describe('each grid cell on its own', () => {
  it('withholds counts from 1 to 4 and publishes 0 and 5 or more as they are', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 100].map(publishedCount)).toEqual([0, null, null, null, null, 5, 6, 100]);
  });

  it('sums published cells into rows and the total, with the number withheld; null only when all are', () => {
    const grid: Cell[] = [
      { coords: ['bury', 'POLICE', '2024-01-01'], counts: [7] },
      { coords: ['bury', 'HEALTH', '2024-01-01'], counts: [2] },
      { coords: ['wigan', 'POLICE', '2024-01-01'], counts: [3] },
      { coords: [null, 'POLICE', '2024-02-01'], counts: [9] },
    ];
    const byDivision = sumPublishedGrid(grid, 1);
    expect(byDivision.total).toEqual({ coords: [null, null, null], count: 16, withheld: 2 });
    expect(byDivision.rows).toEqual([
      { coords: ['bury', null, null], count: 7, withheld: 1 },
      { coords: ['wigan', null, null], count: null, withheld: 1 },
      { coords: [null, null, null], count: 9, withheld: 0 },
    ]);
    expect(sumPublishedGrid([], 3)).toEqual({ total: { coords: [], count: 0, withheld: 0 }, rows: [] });
  });
});

describe('property: nothing an answer says depends on a withheld count', () => {
  it('any answer is unchanged when any withheld cell takes any other value from 1 to 4', () => {
    fc.assert(
      fc.property(gridArb, rangeArb, maskArb, fc.array(fc.integer({ min: 1, max: 4 })), (grid, months, mask, others) => {
        let j = 0;
        const moved = grid.map((c) => (isSmall(c.counts[0]) ? { ...c, counts: [others[j++ % Math.max(others.length, 1)] ?? 1] } : c));
        expect(answer(moved, months, mask)).toEqual(answer(grid, months, mask));
      }),
      { numRuns: 300 },
    );
  });

  it('two answers (any ranges, any groupings) differ by sums of published cells: nested ones never by 1 to 4', () => {
    fc.assert(
      fc.property(gridArb, rangeArb, rangeArb, maskArb, maskArb, (grid, r1, r2, m1, m2) => {
        const published = (months: Coord[]) => within(grid, months).reduce((n, c) => n + (publishedCount(c.counts[0]) ?? 0), 0);
        const [a, b] = [answer(grid, r1, m1), answer(grid, r2, m2)];
        // Totals and rows are each a sum of published cells, whatever the grouping.
        expect(a.total.count ?? 0).toBe(published(r1));
        expect(a.rows.reduce((n, r) => n + (r.count ?? 0), 0)).toBe(m1 ? published(r1) : 0);
        // Nested ranges: the difference is the published cells of the months between.
        const [inner, outer] = r1.every((m) => r2.includes(m)) ? [a, b] : r2.every((m) => r1.includes(m)) ? [b, a] : [null, null];
        if (inner && outer) expect(isSmall((outer.total.count ?? 0) - (inner.total.count ?? 0))).toBe(false);
        for (const row of [...a.rows, ...b.rows]) if (row.count !== null) expect(isSmall(row.count)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ranges are read as the whole UTC months they touch', () => {
  const t0 = Date.UTC(2012, 0, 1);
  const tArb = fc.integer({ min: t0, max: Date.UTC(2030, 0, 1) });
  const monthOf = (t: number) => new Date(t).toISOString().slice(0, 7);
  const isMonthStart = (t: number) => new Date(t).toISOString().endsWith('-01T00:00:00.000Z');

  it('cover the range, start and end on month starts, and ignore where inside a month the ends fall', () => {
    fc.assert(
      fc.property(tArb, tArb, fc.integer({ min: 1, max: 40 * 86_400_000 }), (a, b, shift) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const m = monthsTouched(new Date(from), new Date(to));
        expect(m.from).toBe(`${monthOf(from)}-01`);
        expect(m.to.endsWith('-01')).toBe(true);
        if (from < to) expect(Date.parse(`${m.to}T00:00:00Z`)).toBeGreaterThanOrEqual(to);
        else expect(m.to).toBe(m.from);
        // An end moved within its month (not onto or off a month start) reads the same months.
        const later = to + (shift % 1000);
        if (from < to && monthOf(later) === monthOf(to) && !isMonthStart(to) && !isMonthStart(later))
          expect(monthsTouched(new Date(from), new Date(later))).toEqual(m);
      }),
      { numRuns: 500 },
    );
    expect(monthsTouched(new Date('2013-04-01T00:00:00Z'), new Date('2014-02-01T00:00:00Z'))).toEqual({
      from: '2013-04-01',
      to: '2014-02-01',
    });
    expect(monthsTouched(new Date('2013-04-15T10:00:00Z'), new Date('2013-04-15T10:00:00.001Z'))).toEqual({
      from: '2013-04-01',
      to: '2013-05-01',
    });
  });
  it('publish only months that have ended: never the one under way, whatever the range', () => {
    fc.assert(
      fc.property(tArb, tArb, tArb, (a, b, now) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const m = publishedMonths(new Date(from), new Date(to), new Date(now));
        const current = `${monthOf(now)}-01`;
        expect(m.to <= current && m.from <= m.to).toBe(true);
        const touched = monthsTouched(new Date(from), new Date(to));
        if (touched.to <= current) expect(m).toEqual(touched);
      }),
      { numRuns: 500 },
    );
  });
});

describe('restricted measures (policy/statistics.ts)', () => {
  const user = (kind: AgencyKind, roles: Role[]): Principal => ({
    kind: 'USER',
    id: 'u',
    displayName: 'u',
    agency: { id: 'a', name: 'a', kind },
    roles,
    scopes: [],
    sessionId: 's',
    tokenId: 't',
  });
  const everyone = Object.values(Role).flatMap((role) => ROLE_AGENCY_KINDS[role].map((kind) => user(kind, [role])));

  it('police ANALYST and SUPERVISOR read every measure exactly but timeliness (the grid); everyone else the grid, no people, no flags, no timeliness', () => {
    for (const p of everyone) {
      const analyst = p.agency.kind === AgencyKind.POLICE && (p.roles.includes(Role.ANALYST) || p.roles.includes(Role.SUPERVISOR));
      expect(Object.values(StatisticsMeasure).map((m) => measureAccess(p, m))).toEqual(
        analyst ? ['EXACT', 'EXACT', 'EXACT', 'EXACT', 'GRID'] : ['GRID', 'GRID', 'WITHHELD', 'FORBIDDEN', 'FORBIDDEN'],
      );
      // The permission on flagStats says what the FLAGS measure says; on accessRequestTimeliness, TIMELINESS.
      expect(decide(Permission.READ_FLAG_STATISTICS, p) === 'ALLOW').toBe(measureAccess(p, StatisticsMeasure.FLAGS) !== 'FORBIDDEN');
      expect(decide(Permission.READ_TIMELINESS_STATISTICS, p) === 'ALLOW').toBe(
        measureAccess(p, StatisticsMeasure.TIMELINESS) !== 'FORBIDDEN',
      );
    }
  });
});

describe('cell keys', () => {
  it('are the JSON of the cube coordinates, whatever the text (their order decides ties)', () => {
    const awkward = ['rochdale', '', 'quote " inside', 'back\\slash', 'new\nline', '\u2028', '\ud800 lone', 'émigré', null];
    for (const a of awkward)
      for (const b of awkward)
        for (let mask = 0; mask < 4; mask++) {
          const coords = [a, b];
          expect(cellKey(mask, coords)).toBe(JSON.stringify(coords.filter((_, d) => mask & (1 << d))));
          expect(cellKey(mask, coords)).toBe(cellKey(mask, [a, b])); // and the same again from the cache
        }
  });
});
