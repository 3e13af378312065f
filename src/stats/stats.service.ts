import type { Principal } from '../auth/principal';
import { join, run, type Sql, sql } from '../db/sql';
import type { RequestContext } from '../graphql/context';
import { authorize } from '../policy/auth-checker';
import { Permission } from '../policy/permissions';
import { statisticsDetail } from '../policy/statistics';
import type { SourceType } from '../intelligence/intelligence.enums';
import type { FlagKind, RiskLevel } from '../flags/flag.enums';
import { type Cell, cellKey, type Coord, isSmall, marginalCubes, suppressionPattern, type SuppressionPattern } from './disclosure-control';
import { checkRange, CRIME_DIMENSIONS, cubeOf, dayOnOrAfter, dayOnOrBefore, INTELLIGENCE_DIMENSIONS, nextMonth } from './stats.range';
import type { CrimeStats, CrimeStatsRow, FlagStats, FlagStatsArgs, IntelligenceStats, StatsArgs } from './stats.types';

/**
 * Lattices and suppression patterns of recent tables, by the table's cells: under disclosure
 * control they cost tens of milliseconds of CPU, and dashboards ask for the same range again and
 * again (every grouping of one range shares a lattice, so one pattern serves them all). Any
 * changed count is another table.
 */
const RECENT_TABLES = 64;
function remember<V>(recent: Map<string, V>, key: string, compute: () => V): V {
  let value = recent.get(key);
  if (value === undefined) value = compute();
  else recent.delete(key);
  recent.set(key, value); // most recent last; the oldest goes first
  if (recent.size > RECENT_TABLES) recent.delete(recent.keys().next().value!);
  return value;
}
const tableKey = (k: number, cubes: readonly (readonly Cell[])[]) => {
  let key = String(k);
  cubes.forEach((cube, mask) => {
    key += `#${mask}`;
    for (const c of cube) key += `${JSON.stringify(c.coords)}=${c.counts.join(',')};`;
  });
  return key;
};
const recentLattices = new Map<string, Cell[][]>();
const recentPatterns = new Map<string, SuppressionPattern>();
/** The pattern of cubes this module built (a remembered lattice) is found without building the key again. */
const patternsOfLattice = new WeakMap<Cell[][], SuppressionPattern>();
function patternOf(k: number, cubes: Cell[][]): SuppressionPattern {
  let pattern = patternsOfLattice.get(cubes);
  if (!pattern) {
    pattern = remember(recentPatterns, tableKey(k, cubes), () => suppressionPattern(k, cubes));
    patternsOfLattice.set(cubes, pattern);
  }
  return pattern;
}

/** A published table: each cell of the asked-for cube with its counts, null where suppressed. */
interface Published {
  total: { counts: (number | null)[]; suppressed: boolean };
  rows: { coords: Coord[]; counts: (number | null)[]; suppressed: boolean }[];
}

/**
 * The cube `mask` of a lattice, as this principal may see it. `cubes` holds every cube of the
 * lattice (all of them are needed to choose a suppression pattern that no other grouping undoes).
 */
function publish(principal: Principal, k: number, cubes: Cell[][], mask: number, measures = 1): Published {
  const full = statisticsDetail(principal) === 'FULL';
  const pattern = full ? null : patternOf(k, cubes);
  const view = (m: number) => {
    const hidden = pattern?.[m] ?? new Map<string, Coord[]>();
    const rows = cubes[m].map((c) => {
      const suppressed = pattern !== null && hidden.has(cellKey(m, c.coords));
      return { coords: [...c.coords], counts: c.counts.map((n) => (suppressed ? null : n)), suppressed };
    });
    // Zero cells hidden as complements are listed too: absent would say 0.
    for (const [key, coords] of hidden) {
      if (!cubes[m].some((c) => cellKey(m, c.coords) === key))
        rows.push({ coords, counts: Array<null>(measures).fill(null), suppressed: true });
    }
    return rows;
  };
  const [total] = view(0);
  return { total: total ?? { coords: [], counts: [], suppressed: false }, rows: mask ? view(mask) : [] };
}

/** The cubes `publish` needs: the whole lattice under disclosure control (the pattern must hold in every grouping), else the total and the asked cube. */
const cubesFor = (principal: Principal, k: number, top: readonly Cell[], mask: number) =>
  statisticsDetail(principal) === 'FULL'
    ? marginalCubes(k, top, [0, mask])
    : remember(recentLattices, tableKey(k, [top]), () => marginalCubes(k, top));

const compareCoords = (a: Coord[], b: Coord[]) => {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (a[i] === null) return 1;
    if (b[i] === null) return -1;
    return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
};

async function divisionsById(ctx: RequestContext, ids: Coord[]) {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const found = await ctx.loaders.divisionById.loadMany(wanted);
  return new Map(wanted.map((id, i) => [id, found[i] instanceof Error ? undefined : found[i]]));
}

/**
 * Intelligence reports received in [from, to), grouped by any of division, source type and month
 * (UTC). Whole months come from the monthly rollup, whole days from the daily one, and the partial
 * days at either end from the reports.
 */
export async function intelligenceStats(ctx: RequestContext, args: StatsArgs): Promise<IntelligenceStats> {
  const principal = authorize(ctx, Permission.READ_STATISTICS);
  checkRange(args.from, args.to);
  const mask = cubeOf(args.groupBy, INTELLIGENCE_DIMENSIONS);

  // [from, to) = partial day + whole days + whole months + whole days + partial day (UTC).
  const firstDay = dayOnOrAfter(args.from);
  const lastDay = dayOnOrBefore(args.to);
  const parts: Sql[] = [];
  if (firstDay < lastDay) {
    const firstMonth = firstDay.endsWith('-01') ? firstDay : nextMonth(firstDay);
    const lastMonth = `${lastDay.slice(0, 8)}01`;
    // Each rollup with the deltas not yet folded into it: one statement sees both before or both after a fold.
    const days = (a: string, b: string) =>
      sql`SELECT division_id, source_type, (day - extract(day FROM day)::int + 1)::text AS month, sum(reports) AS n
            FROM (SELECT day, division_id, source_type, reports FROM report_daily_counts
                  UNION ALL SELECT day, division_id, source_type, reports FROM report_count_deltas) d
           WHERE day >= ${a}::date AND day < ${b}::date GROUP BY 1, 2, 3`;
    if (firstMonth < lastMonth) {
      parts.push(
        sql`SELECT division_id, source_type, month::text, sum(reports) AS n
              FROM (SELECT month, division_id, source_type, reports FROM report_monthly_counts
                    UNION ALL SELECT (day - extract(day FROM day)::int + 1), division_id, source_type, reports FROM report_count_deltas) m
             WHERE month >= ${firstMonth}::date AND month < ${lastMonth}::date GROUP BY 1, 2, 3`,
      );
      if (firstDay < firstMonth) parts.push(days(firstDay, firstMonth));
      if (lastMonth < lastDay) parts.push(days(lastMonth, lastDay));
    } else parts.push(days(firstDay, lastDay));
  }
  // The partial days, counted from the reports by statistics_report_cells: every report counts,
  // whoever asks, so it runs as the tables' owner beyond the caller's row-level security.
  const midnight = (day: string) => sql`${day}::date::timestamp AT TIME ZONE 'UTC'`;
  const partial =
    firstDay < lastDay
      ? sql`${args.from}::timestamptz, ${midnight(firstDay)}, ${midnight(lastDay)}, ${args.to}::timestamptz`
      : sql`${args.from}::timestamptz, ${args.to}::timestamptz, NULL, NULL`;
  parts.push(sql`SELECT division_id, source_type, month, n FROM statistics_report_cells(${partial})`);
  const rows = await run<{ division_id: string | null; source_type: SourceType; month: string; n: number }>(
    ctx.db,
    sql`SELECT division_id, source_type, month, sum(n)::int AS n FROM (${join(parts, ' UNION ALL ')}) cells
         GROUP BY 1, 2, 3 HAVING sum(n) > 0`,
  );
  const top: Cell[] = rows.map((r) => ({ coords: [r.division_id, r.source_type, r.month], counts: [r.n] }));
  const table = publish(principal, 3, cubesFor(principal, 3, top, mask), mask);
  const divisions = await divisionsById(
    ctx,
    table.rows.map((r) => r.coords[0]),
  );
  return {
    total: table.total.suppressed ? null : (table.total.counts[0] ?? 0),
    rows: table.rows
      .sort((a, b) => compareCoords(a.coords, b.coords))
      .map((r) => ({
        division: mask & 1 && r.coords[0] ? (divisions.get(r.coords[0]) ?? null) : null,
        sourceType: mask & 2 ? (r.coords[1] as SourceType) : null,
        month: mask & 4 ? r.coords[2] : null,
        count: r.counts[0],
        suppressed: r.suppressed,
      })),
  };
}

/**
 * CSE-linked crimes recorded in [from, to) (a crime recorded on a day counts when that day's
 * midnight UTC is in the range), with distinct victims and suspects, by division and month.
 * Distinct counts do not add up, so every grouping comes from SQL (grouping sets), not from sums.
 */
export async function crimeStats(ctx: RequestContext, args: StatsArgs): Promise<CrimeStats> {
  const principal = authorize(ctx, Permission.READ_STATISTICS);
  checkRange(args.from, args.to);
  const mask = cubeOf(args.groupBy, CRIME_DIMENSIONS);
  const rows = await run<{
    division_id: string | null;
    month: string | null;
    g: number;
    crimes: number;
    victims: number;
    suspects: number;
  }>(
    ctx.db,
    // Every crime counts whoever asks: statistics_crime_cells groups them as the tables' owner, beyond
    // the caller's row-level security (migrations/1766600000000-row-security.ts).
    sql`SELECT division_id, month, g, crimes, victims, suspects
          FROM statistics_crime_cells(${dayOnOrAfter(args.from)}::date, ${dayOnOrAfter(args.to)}::date)`,
  );
  // GROUPING() sets a bit for each column *not* grouped by: division is its high bit.
  const cubes: Cell[][] = [[], [], [], []];
  for (const r of rows) {
    const m = (r.g & 2 ? 0 : 1) | (r.g & 1 ? 0 : 2);
    if (m === 0 || r.crimes > 0) cubes[m].push({ coords: [r.division_id, r.month], counts: [r.crimes, r.victims, r.suspects] });
  }
  if (!cubes[0].length) cubes[0].push({ coords: [null, null], counts: [0, 0, 0] });
  const table = publish(principal, 2, cubes, mask, 3);
  const divisions = await divisionsById(
    ctx,
    table.rows.map((r) => r.coords[0]),
  );
  const toRow = (r: { coords: Coord[]; counts: (number | null)[]; suppressed: boolean }): CrimeStatsRow => ({
    division: mask & 1 && r.coords[0] ? (divisions.get(r.coords[0]) ?? null) : null,
    month: mask & 2 ? r.coords[1] : null,
    crimes: r.counts[0] ?? null,
    victims: r.counts[1] ?? null,
    suspects: r.counts[2] ?? null,
    suppressed: r.suppressed,
  });
  return {
    total: { ...toRow({ ...table.total, coords: [null, null] }) },
    rows: table.rows.sort((a, b) => compareCoords(a.coords, b.coords)).map(toRow),
  };
}

/** A single published count: null (and suppressed) from 1 to 4 unless the caller sees full detail. */
const oneCount = (principal: Principal, n: number) => {
  const suppressed = statisticsDetail(principal) !== 'FULL' && isSmall(n);
  return { count: suppressed ? null : n, suppressed };
};

/**
 * Flags in force by kind, risk level and the division of the subject's latest report; those due
 * for review; and the under-flagging check over reports received in [from, to).
 */
export async function flagStats(ctx: RequestContext, args: FlagStatsArgs): Promise<FlagStats> {
  const principal = authorize(ctx, Permission.READ_STATISTICS);
  checkRange(args.from, args.to);
  // Both tables are kept by trigger (migrations/1765400000000-flag-statistics.ts): flags in force
  // placed in their subject's latest division, and reports with risk indicators with how many of
  // their potential victims carry a CSE_RISK flag in force.
  const [active, [under]] = await Promise.all([
    run<{ division_id: string | null; kind: FlagKind; risk_level: RiskLevel; n: number; due: number }>(
      ctx.db,
      sql`SELECT p.division_id, p.kind, p.risk_level, count(*)::int AS n,
                 count(*) FILTER (WHERE p.review_date <= (now() AT TIME ZONE 'UTC')::date)::int AS due
            FROM active_flag_placements p
           GROUP BY 1, 2, 3`,
    ),
    run<{ reports: number; unflagged: number; as_of: Date }>(
      ctx.db,
      sql`SELECT count(*)::int AS reports, count(*) FILTER (WHERE flagged_victims = 0)::int AS unflagged, now() AS as_of
            FROM report_flag_coverage
           WHERE received_at >= ${args.from} AND received_at < ${args.to} AND victims > 0`,
    ),
  ]);
  const due = { n: active.reduce((sum, r) => sum + r.due, 0), as_of: under.as_of };
  const top: Cell[] = active.map((r) => ({ coords: [r.division_id, r.kind, r.risk_level], counts: [r.n] }));
  const table = publish(principal, 3, cubesFor(principal, 3, top, 7), 7);
  const divisions = await divisionsById(
    ctx,
    table.rows.map((r) => r.coords[0]),
  );
  const dueCount = oneCount(principal, due.n);
  // The flagged remainder is published implicitly (reports − unflagged), so it is checked too.
  const underHidden =
    statisticsDetail(principal) !== 'FULL' && [under.reports, under.unflagged, under.reports - under.unflagged].some(isSmall);
  return {
    asOf: due.as_of,
    activeTotal: table.total.suppressed ? null : (table.total.counts[0] ?? 0),
    active: table.rows
      .sort((a, b) => compareCoords(a.coords, b.coords))
      .map((r) => ({
        division: r.coords[0] ? (divisions.get(r.coords[0]) ?? null) : null,
        kind: r.coords[1] as FlagKind,
        riskLevel: r.coords[2] as RiskLevel,
        count: r.counts[0],
        suppressed: r.suppressed,
      })),
    dueForReview: dueCount.count,
    dueForReviewSuppressed: dueCount.suppressed,
    underFlagging: {
      reports: underHidden ? null : under.reports,
      unflagged: underHidden ? null : under.unflagged,
      unflaggedShare: underHidden || under.reports === 0 ? null : under.unflagged / under.reports,
      suppressed: underHidden,
    },
  };
}
