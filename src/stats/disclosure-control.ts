/**
 * Statistical disclosure control on a fixed published grid, as pure logic (no database, no principal).
 *
 * Callers outside police analysis may ask any range and any grouping, as often as they like, before
 * and after any change. Suppressing the cells of each answer (however carefully within that answer)
 * does not survive that: two ranges 1 ms apart, or a total less its rows, give a suppressed cell
 * back. So nothing they receive is computed from the records directly. There is one grid, fixed
 * in advance and the same for every query: UTC calendar month × division (× source type for
 * intelligence). Each cell of it is published or withheld on its own, by its own count alone:
 *
 * - a cell from 1 to 4 is withheld (null); 0 and 5 or more are published as they are;
 * - every total and every row of any grouping is the sum of the *published* cells it covers, with
 *   the number of withheld cells in it (null only when all of them are withheld).
 *
 * A withheld count is dropped before anything is summed, so no answer depends on it: the
 * difference of any two answers, whatever their ranges and groupings, is a sum of published cells
 * and of nothing else. Ranges are widened to whole months before the grid is read, and months
 * not yet ended are left out (stats.range.ts), so a record's time is never seen below its month,
 * and a record changes its own cell only.
 */

export type Coord = string | null;

export interface Cell {
  /** One coordinate per dimension of the lattice; those outside the cell's cube are ignored. */
  coords: readonly Coord[];
  /** The first measure is additive (the one the grid publishes and sums). */
  counts: readonly number[];
}

export const SMALL_MIN = 1;
export const SMALL_MAX = 4;

/** True when a measure is a small non-zero count, which must not be published. */
export const isSmall = (n: number) => n >= SMALL_MIN && n <= SMALL_MAX;

/** The cube of a table over `k` dimensions grouping by the dimensions whose bits are set. */
export type CubeMask = number;

/**
 * Keys already built, per coordinates array and mask: summing asks for the same ones again and
 * again. Coordinates arrays are never changed once built.
 */
const keysOf = new WeakMap<readonly Coord[], string[]>();

/** A cell's identity within its cube: the coordinates of the cube's dimensions only. */
export function cellKey(mask: CubeMask, coords: readonly Coord[]): string {
  let keys = keysOf.get(coords);
  if (!keys) keysOf.set(coords, (keys = []));
  if (keys[mask] === undefined) {
    // JSON of the cube's coordinates, written by hand: the same text, without building an array.
    let key = '[';
    for (let d = 0; d < coords.length; d++) {
      if (!(mask & (1 << d))) continue;
      if (key.length > 1) key += ',';
      const c = coords[d];
      key += c === null ? 'null' : PLAIN.test(c) ? `"${c}"` : JSON.stringify(c);
    }
    keys[mask] = `${key}]`;
  }
  return keys[mask];
}
/** Text JSON writes as it is between quotes: no quote, backslash, control character or lone surrogate. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\u2027\u202a-\ud7ff\ue000-\uffff]*$/;

/**
 * The additive marginals of a top cube: every cube of the lattice, by mask, summing the measures
 * (for readers who see every count). With `only`, just those cubes are computed and the others
 * left empty.
 */
export function marginalCubes(k: number, top: readonly Cell[], only?: readonly CubeMask[]): Cell[][] {
  const cubes: Cell[][] = [];
  for (let mask = 0; mask < 1 << k; mask++) {
    if (only && !only.includes(mask)) {
      cubes.push([]);
      continue;
    }
    const byKey = new Map<string, { coords: Coord[]; counts: number[] }>();
    for (const cell of top) {
      const key = cellKey(mask, cell.coords);
      const acc = byKey.get(key);
      if (acc) cell.counts.forEach((n, i) => (acc.counts[i] += n));
      else byKey.set(key, { coords: cell.coords.map((c, d) => (mask & (1 << d) ? c : null)), counts: [...cell.counts] });
    }
    cubes.push([...byKey.values()].filter((c) => c.counts.some((n) => n !== 0)));
  }
  return cubes;
}

/** A grid cell as published: its count, or null when withheld. Decided by that cell's count alone. */
export const publishedCount = (n: number): number | null => (isSmall(n) ? null : n);

/** One cell of a grouping summed from the published grid. */
export interface GridSum {
  coords: Coord[];
  /** The sum of the published grid cells in it; null when every one of them is withheld. */
  count: number | null;
  /** How many grid cells in it are withheld (each from 1 to 4, left out of `count`). */
  withheld: number;
}

/**
 * The total and the cube `mask` of a grid (`grid`: its non-zero cells, the first measure counted),
 * from the published cells only. Rows are the cells of the cube with any non-zero grid cell.
 */
export function sumPublishedGrid(grid: readonly Cell[], mask: CubeMask): { total: GridSum; rows: GridSum[] } {
  const cells = grid.filter((c) => c.counts[0] !== 0).map((c) => ({ coords: c.coords, count: publishedCount(c.counts[0]) }));
  const cube = (m: CubeMask) => {
    const byKey = new Map<string, { coords: Coord[]; sum: number; published: number; withheld: number }>();
    for (const c of cells) {
      const key = cellKey(m, c.coords);
      let acc = byKey.get(key);
      if (!acc) byKey.set(key, (acc = { coords: c.coords.map((x, d) => (m & (1 << d) ? x : null)), sum: 0, published: 0, withheld: 0 }));
      if (c.count === null) acc.withheld++;
      else {
        acc.sum += c.count;
        acc.published++;
      }
    }
    return [...byKey.values()].map((a) => ({ coords: a.coords, count: a.published ? a.sum : null, withheld: a.withheld }));
  };
  const [total] = cube(0);
  return { total: total ?? { coords: [], count: 0, withheld: 0 }, rows: mask ? cube(mask) : [] };
}
