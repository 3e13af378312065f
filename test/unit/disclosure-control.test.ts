import fc from 'fast-check';
import {
  type Cell,
  cellKey,
  type Coord,
  isSmall,
  marginalCubes,
  suppressionPattern,
  type SuppressionPattern,
} from '../../src/stats/disclosure-control';

/** A 2-D table written as rows of counts; row and column labels are r0.., c0... */
const table2 = (rows: number[][]): Cell[] =>
  rows.flatMap((row, i) => row.flatMap((n, j) => (n ? [{ coords: [`r${i}`, `c${j}`], counts: [n] }] : [])));

const patternOf = (k: number, top: Cell[]) => suppressionPattern(k, marginalCubes(k, top));
const suppressedIn = (p: SuppressionPattern, mask: number) => [...p[mask].keys()].sort();
const key = (...coords: Coord[]) => JSON.stringify(coords);

// ---- an independent attacker: everything published, solved by rank (not by the module's solver) ----

/** Rank of a dense matrix (Gaussian elimination with partial pivoting). */
function rank(m: number[][]): number {
  const a = m.map((r) => [...r]);
  let r = 0;
  const cols = a[0]?.length ?? 0;
  for (let c = 0; c < cols && r < a.length; c++) {
    let best = r;
    for (let i = r; i < a.length; i++) if (Math.abs(a[i][c]) > Math.abs(a[best][c])) best = i;
    if (Math.abs(a[best][c]) < 1e-9) continue;
    [a[r], a[best]] = [a[best], a[r]];
    for (let i = 0; i < a.length; i++) {
      if (i === r) continue;
      const f = a[i][c] / a[r][c];
      for (let j = c; j < cols; j++) a[i][j] -= f * a[r][j];
    }
    r++;
  }
  return r;
}

/**
 * The small cells (in any cube) an attacker holding every published cell of every cube, and
 * knowing that absent cells are 0, can compute exactly: unknowns are the suppressed cells, and each
 * marginal is the sum of its cells along every dimension. A cell is recoverable when adding its
 * unit row does not raise the rank.
 */
function recoverableSmallCells(k: number, cubes: Cell[][], pattern: SuppressionPattern): string[] {
  const unknowns: { mask: number; key: string }[] = [];
  for (let mask = 0; mask < 1 << k; mask++) for (const key of pattern[mask].keys()) unknowns.push({ mask, key });
  const col = new Map(unknowns.map((u, i) => [`${u.mask}/${u.key}`, i]));
  const rows: number[][] = [];
  for (let child = 0; child < 1 << k; child++)
    for (let d = 0; d < k; d++) {
      if (!(child & (1 << d))) continue;
      const parent = child & ~(1 << d);
      const eqs = new Map<string, number[]>();
      const eq = (pkey: string) => eqs.get(pkey) ?? eqs.set(pkey, Array<number>(unknowns.length).fill(0)).get(pkey)!;
      for (const [ckey, coords] of pattern[child]) eq(cellKey(parent, coords))[col.get(`${child}/${ckey}`)!] += 1;
      for (const pkey of pattern[parent].keys()) eq(pkey)[col.get(`${parent}/${pkey}`)!] -= 1;
      rows.push(...eqs.values());
    }
  const base = rows.length ? rank(rows) : 0;
  const small = (mask: number, key: string) => cubes[mask].some((c) => cellKey(mask, c.coords) === key && c.counts.some(isSmall));
  return unknowns
    .filter((u, i) => small(u.mask, u.key) && rank([...rows, unknowns.map((_, j) => (j === i ? 1 : 0))]) === base)
    .map((u) => `${u.mask}/${u.key}`);
}

/** Every small non-zero cell of every cube is suppressed, and none is recoverable. */
function expectProtected(k: number, cubes: Cell[][], pattern: SuppressionPattern) {
  for (let mask = 0; mask < 1 << k; mask++)
    for (const c of cubes[mask]) if (c.counts.some(isSmall)) expect(pattern[mask].has(cellKey(mask, c.coords))).toBe(true);
  expect(recoverableSmallCells(k, cubes, pattern)).toEqual([]);
}

describe('primary suppression', () => {
  it('suppresses counts from 1 to 4 and publishes 0 and 5', () => {
    const top = [0, 1, 2, 3, 4, 5, 6, 100].map((n, i) => ({ coords: [`d${i}`], counts: [n] }));
    const p = patternOf(1, top);
    for (const n of [1, 2, 3, 4]) expect(p[1].has(key(`d${n}`))).toBe(true);
    expect(p[1].has(key('d0'))).toBe(false);
    expect(p[1].has(key('d7'))).toBe(false);
  });

  it('suppresses a small total, and a table whose every cell is small', () => {
    const top = [1, 2].map((n, i) => ({ coords: [`d${i}`], counts: [n] }));
    const p = patternOf(1, top);
    expect(p[0].size).toBe(1);
    expect(suppressedIn(p, 1)).toEqual([key('d0'), key('d1')]);
  });

  it('treats a null coordinate (no division) as a value of its own', () => {
    const top = [
      { coords: [null], counts: [1] },
      { coords: ['bury'], counts: [65] },
      { coords: ['rochdale'], counts: [693] },
    ];
    const p = patternOf(1, top);
    expect(p[1].has(key(null))).toBe(true);
  });
});

describe('secondary suppression', () => {
  it('hides a second cell when one small cell would follow from the total', () => {
    const top = [
      { coords: [null], counts: [1] },
      { coords: ['bury'], counts: [65] },
      { coords: ['rochdale'], counts: [693] },
    ];
    const p = patternOf(1, top);
    // The smallest other cell is the complement; the total stays published.
    expect(suppressedIn(p, 1)).toEqual([key('bury'), key(null)].sort());
    expect(p[0].size).toBe(0);
    expectProtected(1, marginalCubes(1, top), p);
  });

  it('protects a single small cell in a 2-D table against row and column differencing', () => {
    const top = table2([
      [20, 30, 40],
      [25, 3, 50],
      [60, 70, 80],
    ]);
    const cubes = marginalCubes(2, top);
    const p = suppressionPattern(2, cubes);
    // At least a rectangle: two per row and column through the small cell.
    expect(p[3].size).toBeGreaterThanOrEqual(4);
    expectProtected(2, cubes, p);
  });

  it('does not publish zero cells as suppressed unless a line has nothing else to hide', () => {
    const top = table2([
      [0, 10, 10],
      [2, 10, 10],
      [0, 10, 10],
    ]);
    const cubes = marginalCubes(2, top);
    const p = suppressionPattern(2, cubes);
    expectProtected(2, cubes, p);
    // Column c0's only non-zero cell equals its marginal: the marginal is small and hidden too.
    expect(p[1].has(key('c0'))).toBe(false); // mask 1 = rows
    expect(p[2].has(key('c0'))).toBe(true); // mask 2 = columns
  });

  it('is not fooled by a bridge between two protected rectangles', () => {
    // Two blocks of small cells joined by one row: each line holds two suppressed cells, yet a
    // naive "two per line" rule would leave cells recoverable through the block sums.
    const top = table2([
      [2, 2, 0, 0, 9],
      [2, 2, 3, 0, 9],
      [0, 0, 2, 2, 9],
      [0, 0, 2, 2, 9],
      [9, 9, 9, 9, 9],
    ]);
    const cubes = marginalCubes(2, top);
    expectProtected(2, cubes, suppressionPattern(2, cubes));
  });

  it('protects three-dimensional tables and every marginal of them', () => {
    const top: Cell[] = [];
    for (const a of ['a0', 'a1', 'a2'])
      for (const b of ['b0', 'b1']) for (const m of ['m0', 'm1', 'm2']) top.push({ coords: [a, b, m], counts: [12] });
    top[4] = { ...top[4], counts: [1] };
    top[13] = { ...top[13], counts: [3] };
    const cubes = marginalCubes(3, top);
    expectProtected(3, cubes, suppressionPattern(3, cubes));
  });

  it('protects non-additive measures by the first one, hiding a row when any measure is small', () => {
    // crimes, victims: the second measure makes the cell sensitive.
    const cubes: Cell[][] = [
      [{ coords: [null], counts: [40, 60] }],
      [
        { coords: ['x'], counts: [10, 3] },
        { coords: ['y'], counts: [30, 57] },
      ],
    ];
    const p = suppressionPattern(1, cubes);
    expect(suppressedIn(p, 1)).toEqual([key('x'), key('y')]);
  });

  it('is the same whichever way the cells arrive', () => {
    const top = table2([
      [1, 30, 40, 7],
      [25, 3, 50, 0],
      [60, 70, 2, 9],
    ]);
    const a = patternOf(2, top);
    const b = patternOf(2, [...top].reverse());
    expect(a.map((m) => [...m.keys()].sort())).toEqual(b.map((m) => [...m.keys()].sort()));
  });
});

describe('property: no suppressed small cell is recoverable by subtraction', () => {
  const cellCount = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: 40 }));

  it('for random 2-D tables', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((r) => fc.array(fc.array(cellCount, { minLength: 4, maxLength: 4 }), { minLength: r, maxLength: r })),
        (rows) => {
          const cubes = marginalCubes(2, table2(rows));
          expectProtected(2, cubes, suppressionPattern(2, cubes));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('for random 3-D tables', () => {
    const dims = [
      ['a0', 'a1', 'a2'],
      ['b0', 'b1'],
      ['m0', 'm1', 'm2'],
    ];
    const coords = dims[0].flatMap((a) => dims[1].flatMap((b) => dims[2].map((m) => [a, b, m])));
    fc.assert(
      fc.property(fc.array(cellCount, { minLength: coords.length, maxLength: coords.length }), (counts) => {
        const top = coords.flatMap((c, i) => (counts[i] ? [{ coords: c, counts: [counts[i]] }] : []));
        const cubes = marginalCubes(3, top);
        expectProtected(3, cubes, suppressionPattern(3, cubes));
      }),
      { numRuns: 150 },
    );
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
