/**
 * Statistical disclosure control by cell suppression, as pure logic (no database, no principal).
 *
 * A statistics table groups by up to a few dimensions. Whoever may call it with one grouping may
 * call it with any other over the same range, so we protect the whole *lattice*: the cube for every
 * subset of the dimensions (the grand total is the empty subset), each a marginal of the cubes above
 * it. One suppression pattern is computed for the whole lattice and every query publishes its
 * cube's part of it, so nothing learnt from one grouping undoes another's suppression.
 *
 * - Primary: a cell with any measure from 1 to 4 is suppressed. 0 is published (absent rows are 0).
 * - Secondary: cubes are protected from the total upwards. In each, a suppressed cell alone on a
 *   line whose marginal is published gets a complement (the smallest non-zero cell on that line);
 *   then an exact check solves the linear system "every marginal is the sum of its cells" over the
 *   suppressed cells and adds complements until no primary cell is determined by subtraction,
 *   whatever published cells and totals an attacker combines. If that fails to converge, the whole
 *   cube is suppressed, which provably adds nothing to what its marginals say.
 *
 * Measures after the first need not be additive (distinct victims); the pattern is chosen on the
 * first (additive) measure, and hides every measure of a suppressed cell.
 */

export type Coord = string | null;

export interface Cell {
  /** One coordinate per dimension of the lattice; those outside the cell's cube are ignored. */
  coords: readonly Coord[];
  /** The first measure is additive (used for the linear checks and to rank complements). */
  counts: readonly number[];
}

export const SMALL_MIN = 1;
export const SMALL_MAX = 4;

/** True when a measure is a small non-zero count, which must not be published. */
export const isSmall = (n: number) => n >= SMALL_MIN && n <= SMALL_MAX;

/** The cube of a lattice over `k` dimensions grouping by the dimensions whose bits are set. */
export type CubeMask = number;

const bitsOf = (mask: CubeMask, k: number) => Array.from({ length: k }, (_, d) => d).filter((d) => mask & (1 << d));
const popcount = (mask: CubeMask) => {
  let n = 0;
  for (let m = mask; m; m &= m - 1) n++;
  return n;
};

/**
 * Keys already built, per coordinates array and mask: the suppression search asks for the same ones
 * over and over (it was half its time). Coordinates arrays are never changed once built.
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
 * The additive marginals of a top cube: every cube of the lattice, by mask, summing the measures.
 * With `only`, just those cubes are computed and the others left empty (a reader who sees every
 * count needs no suppression pattern, so not the whole lattice).
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

interface Entry {
  key: string;
  coords: Coord[];
  weight: number;
  primary: boolean;
}

/** Suppressed cells per cube (by mask): key → coordinates. Zero cells may appear (complements). */
export type SuppressionPattern = Map<string, Coord[]>[];

const MAX_ROUNDS = 12;
const EPS = 1e-9;

/**
 * The suppression pattern of a lattice over `k` dimensions. `cubes[mask]` lists the non-zero cells
 * of the cube grouping by `mask`; every cube of the lattice must be given (see `marginalCubes`).
 */
export function suppressionPattern(k: number, cubes: readonly (readonly Cell[])[]): SuppressionPattern {
  if (cubes.length !== 1 << k) throw new Error(`a lattice over ${k} dimensions has ${1 << k} cubes`);
  const entries: Map<string, Entry>[] = cubes.map((cells, mask) => {
    const byKey = new Map<string, Entry>();
    for (const cell of cells) {
      const key = cellKey(mask, cell.coords);
      const coords = cell.coords.slice(0, k).map((c, d) => (mask & (1 << d) ? c : null));
      byKey.set(key, { key, coords, weight: cell.counts[0] ?? 0, primary: cell.counts.some(isSmall) });
    }
    return byKey;
  });
  const pattern: SuppressionPattern = cubes.map(() => new Map<string, Coord[]>());
  const order = Array.from({ length: 1 << k }, (_, m) => m).sort((a, b) => popcount(a) - popcount(b) || a - b);
  const done: CubeMask[] = [];
  for (const mask of order) {
    done.push(mask);
    protectCube(k, mask, entries, pattern, done);
  }
  return pattern;
}

function protectCube(k: number, mask: CubeMask, entries: Map<string, Entry>[], pattern: SuppressionPattern, done: CubeMask[]): void {
  const own = entries[mask];
  const supp = pattern[mask];
  for (const e of [...own.values()].sort(byKey)) if (e.primary) supp.set(e.key, e.coords);
  const dims = bitsOf(mask, k);
  const domains = dims.map((d) => [...new Set([...own.values()].map((e) => e.coords[d]))].sort(compareCoord));

  /** Cells of this cube on the line through `coords` along dimension `d` (present ones). */
  const lines = new Map<string, Entry[]>();
  const lineKey = (d: number, coords: readonly Coord[]) => `${d}:${cellKey(mask & ~(1 << d), coords)}`;
  for (const e of own.values())
    for (const d of dims) {
      const lk = lineKey(d, e.coords);
      const line = lines.get(lk);
      if (line) line.push(e);
      else lines.set(lk, [e]);
    }

  /** How many suppressed cells each line holds. */
  const hiddenOnLine = new Map<string, number>();
  const queue: Coord[][] = [];
  const hide = (key: string, coords: Coord[]) => {
    if (supp.has(key)) return;
    supp.set(key, coords);
    queue.push(coords);
    for (const d of dims) hiddenOnLine.set(lineKey(d, coords), (hiddenOnLine.get(lineKey(d, coords)) ?? 0) + 1);
  };
  const primaries = [...supp.entries()];
  supp.clear();
  for (const [key, coords] of primaries) hide(key, coords);

  /** Suppresses one more cell on the line through `coords` along `d`; false when none is left. */
  const addComplement = (d: number, coords: readonly Coord[]): boolean => {
    const present = (lines.get(lineKey(d, coords)) ?? []).filter((e) => !supp.has(e.key));
    // Prefer a cell whose other lines already hide one (closing a rectangle rather than starting a
    // cascade of complements), then the smallest.
    const opened = (e: Entry) =>
      dims.filter((d2) => {
        if (d2 === d) return false;
        const parentMask = mask & ~(1 << d2);
        return !pattern[parentMask].has(cellKey(parentMask, e.coords)) && !hiddenOnLine.get(lineKey(d2, e.coords));
      }).length;
    const nonZero = present
      .filter((e) => e.weight > 0)
      .map((e) => ({ e, opens: opened(e) }))
      .sort((a, b) => a.opens - b.opens || a.e.weight - b.e.weight || byKey(a.e, b.e))
      .map(({ e }) => e);
    if (nonZero.length) {
      hide(nonZero[0].key, nonZero[0].coords);
      return true;
    }
    // Only zero cells remain: suppress one (it then reads as "unknown", not as 0).
    const domain = domains[dims.indexOf(d)];
    for (const value of domain) {
      const candidate = coords.map((c, i) => (i === d ? value : c));
      const key = cellKey(mask, candidate);
      if (!supp.has(key) && !own.has(key)) {
        hide(key, candidate);
        return true;
      }
    }
    return false;
  };

  /** Every suppressed cell alone on a line whose marginal is published gets a complement there. */
  const hypercubePass = () => {
    queue.sort((a, b) => byKey({ key: cellKey(mask, a) }, { key: cellKey(mask, b) }));
    while (queue.length) {
      const coords = queue.shift()!;
      for (const d of dims) {
        const parentMask = mask & ~(1 << d);
        if (pattern[parentMask].has(cellKey(parentMask, coords))) continue; // its marginal is itself unknown
        if ((hiddenOnLine.get(lineKey(d, coords)) ?? 0) < 2) addComplement(d, coords);
      }
    }
  };

  for (let round = 0; round < MAX_ROUNDS; round++) {
    hypercubePass();
    const exposed = determinedCells(k, done, entries, pattern);
    if (!exposed.some((v) => v.primary)) return;
    let added = false;
    for (const v of exposed) {
      if (v.mask === mask) {
        for (const d of dims) added = addComplement(d, v.coords) || added;
      } else if ((v.mask & ~mask) === 0) {
        // A lower cell read off this cube: hide the smallest of its published cells here.
        const children = [...own.values()]
          .filter((e) => !supp.has(e.key) && cellKey(v.mask, e.coords) === v.key)
          .sort((a, b) => a.weight - b.weight || byKey(a, b));
        if (children.length) {
          hide(children[0].key, children[0].coords);
          added = true;
        }
      }
    }
    if (!added) break;
  }
  // Last resort: every cell of the cube's grid unknown, so it says nothing its marginals do not.
  for (const coords of grid(k, dims, domains)) hide(cellKey(mask, coords), coords);
}

function* grid(k: number, dims: number[], domains: Coord[][]): Generator<Coord[]> {
  const coords: Coord[] = Array<Coord>(k).fill(null);
  function* walk(i: number): Generator<Coord[]> {
    if (i === dims.length) {
      yield [...coords];
      return;
    }
    for (const v of domains[i]) {
      coords[dims[i]] = v;
      yield* walk(i + 1);
    }
  }
  yield* walk(0);
}

const compareCoord = (a: Coord, b: Coord) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export interface DeterminedCell {
  mask: CubeMask;
  key: string;
  coords: Coord[];
  primary: boolean;
}

/**
 * The suppressed cells of the given cubes whose value follows from the published cells by linear
 * algebra (sums and differences of marginals): each is a row of the system's reduced echelon form
 * with no free variable in it.
 */
export function determinedCells(
  k: number,
  masks: readonly CubeMask[],
  entries: readonly Map<string, { primary: boolean }>[],
  pattern: SuppressionPattern,
): DeterminedCell[] {
  const vars: DeterminedCell[] = [];
  const index = new Map<string, number>();
  for (const mask of masks)
    for (const [key, coords] of pattern[mask]) {
      index.set(`${mask}/${key}`, vars.length);
      vars.push({ mask, key, coords, primary: entries[mask].get(key)?.primary ?? false });
    }
  if (!vars.length) return [];

  // One equation per marginal cell and dimension summed out: Σ children − parent = published part.
  const signed: { v: number; c: number }[][] = [];
  const inLattice = new Set(masks);
  for (const child of masks)
    for (const d of bitsOf(child, k)) {
      const parent = child & ~(1 << d);
      if (!inLattice.has(parent)) continue;
      const rows = new Map<string, { v: number; c: number }[]>();
      for (const [key, coords] of pattern[child]) {
        const pkey = cellKey(parent, coords);
        const row = rows.get(pkey) ?? rows.set(pkey, []).get(pkey)!;
        row.push({ v: index.get(`${child}/${key}`)!, c: 1 });
      }
      for (const pkey of pattern[parent].keys()) {
        const row = rows.get(pkey) ?? rows.set(pkey, []).get(pkey)!;
        row.push({ v: index.get(`${parent}/${pkey}`)!, c: -1 });
      }
      signed.push(...rows.values());
    }

  // Independent groups of variables are solved apart (union-find over shared equations).
  const parent = vars.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (const eq of signed) for (const t of eq.slice(1)) parent[find(t.v)] = find(eq[0].v);
  const groups = new Map<number, { vars: number[]; eqs: typeof signed }>();
  for (let i = 0; i < vars.length; i++) {
    const g = groups.get(find(i)) ?? groups.set(find(i), { vars: [], eqs: [] }).get(find(i))!;
    g.vars.push(i);
  }
  for (const eq of signed) groups.get(find(eq[0].v))!.eqs.push(eq);

  const determined: DeterminedCell[] = [];
  for (const g of groups.values()) for (const i of solveGroup(g.vars, g.eqs)) determined.push(vars[i]);
  return determined;
}

/** Gauss-Jordan elimination; returns the variables fixed by the equations. */
function solveGroup(vars: number[], eqs: { v: number; c: number }[][]): number[] {
  if (!eqs.length) return [];
  const col = new Map(vars.map((v, i) => [v, i]));
  const n = vars.length;
  const rows = eqs.map((eq) => {
    const r = new Float64Array(n);
    for (const t of eq) r[col.get(t.v)!] += t.c;
    return r;
  });
  const pivotOf: number[] = []; // row index → pivot column
  let rank = 0;
  for (let c = 0; c < n && rank < rows.length; c++) {
    let best = -1;
    for (let r = rank; r < rows.length; r++)
      if (Math.abs(rows[r][c]) > EPS && (best < 0 || Math.abs(rows[r][c]) > Math.abs(rows[best][c]))) best = r;
    if (best < 0) continue;
    [rows[rank], rows[best]] = [rows[best], rows[rank]];
    const pr = rows[rank];
    const pv = pr[c];
    for (let j = c; j < n; j++) pr[j] /= pv;
    for (let r = 0; r < rows.length; r++) {
      if (r === rank) continue;
      const f = rows[r][c];
      if (Math.abs(f) <= EPS) continue;
      const rr = rows[r];
      for (let j = c; j < n; j++) rr[j] -= f * pr[j];
    }
    pivotOf.push(c);
    rank++;
  }
  const isPivot = new Uint8Array(n);
  for (const c of pivotOf) isPivot[c] = 1;
  const fixed: number[] = [];
  for (let r = 0; r < rank; r++) {
    let free = false;
    for (let j = 0; j < n && !free; j++) if (!isPivot[j] && Math.abs(rows[r][j]) > EPS) free = true;
    if (!free) fixed.push(vars[pivotOf[r]]);
  }
  return fixed;
}
