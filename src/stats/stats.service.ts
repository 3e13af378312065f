import { referenceData } from '../agencies/reference-data';
import type { Sql } from '../db/sql';
import { readReplica } from '../db/replica';
import type { RequestContext } from '../context/request-context';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { measureAccess, StatisticsMeasure } from '../policy/statistics';
import { forbidden } from '../errors';
import type { SourceType } from '../intelligence/intelligence.enums';
import type { FlagKind, RiskLevel } from '../flags/flag.enums';
import { type Cell, type Coord, type GridSum, marginalCubes, sumPublishedGrid } from './disclosure-control';
import {
  checkRange,
  CRIME_DIMENSIONS,
  cubeOf,
  dayOnOrAfter,
  dayOnOrBefore,
  INTELLIGENCE_DIMENSIONS,
  publishedMonths,
  nextMonth,
} from './stats.range';
import {
  activeFlagCounts,
  crimeGridCells,
  dailyReportCounts,
  exactCrimeCells,
  flagCoverage,
  monthlyReportCounts,
  partialDayReportCounts,
  sumReportCounts,
} from './stats.queries';
import type { CrimeStats, CrimeStatsRow, FlagStats, FlagStatsArgs, IntelligenceStats, StatsArgs } from './stats.types';

/** A published table: the total and each cell of the asked-for cube with its counts, null where withheld. */
interface Published {
  total: { counts: (number | null)[]; suppressed: boolean; withheld: number };
  rows: { coords: Coord[]; counts: (number | null)[]; suppressed: boolean; withheld: number }[];
}

/** Every count of the cube `mask` and the total, exactly (police ANALYST and SUPERVISOR). */
function exact(k: number, top: readonly Cell[], mask: number): Published {
  const cubes = marginalCubes(k, top, [0, mask]);
  const view = (m: number) => cubes[m].map((c) => ({ coords: [...c.coords], counts: [...c.counts], suppressed: false, withheld: 0 }));
  const [total] = view(0);
  return { total: total ?? { counts: [], suppressed: false, withheld: 0 }, rows: mask ? view(mask) : [] };
}

/** The cube `mask` and the total summed from the published grid `grid` (everyone else; disclosure-control.ts). */
function fromGrid(grid: readonly Cell[], mask: number): Published {
  const sums = sumPublishedGrid(grid, mask);
  const view = (c: GridSum) => ({ coords: c.coords, counts: [c.count], suppressed: c.count === null, withheld: c.withheld });
  return { total: view(sums.total), rows: sums.rows.map(view) };
}

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
  // Cached reference data: a division's name is no record of anyone's.
  const found = await Promise.all(wanted.map((id) => referenceData(ctx.db).division(id)));
  return new Map(wanted.map((id, i) => [id, found[i]]));
}

/**
 * The parts of [from, to) exactly: whole months from the monthly rollup, whole days from the daily
 * one, and the partial days at either end from the reports (UTC).
 */
function exactReportCounts(from: Date, to: Date): Sql[] {
  // [from, to) = partial day + whole days + whole months + whole days + partial day (UTC).
  const firstDay = dayOnOrAfter(from);
  const lastDay = dayOnOrBefore(to);
  const parts: Sql[] = [];
  if (firstDay < lastDay) {
    const firstMonth = firstDay.endsWith('-01') ? firstDay : nextMonth(firstDay);
    const lastMonth = `${lastDay.slice(0, 8)}01`;
    if (firstMonth < lastMonth) {
      parts.push(monthlyReportCounts(firstMonth, lastMonth));
      if (firstDay < firstMonth) parts.push(dailyReportCounts(firstDay, firstMonth));
      if (lastMonth < lastDay) parts.push(dailyReportCounts(lastMonth, lastDay));
    } else parts.push(dailyReportCounts(firstDay, lastDay));
  }
  // The partial days, counted from the reports themselves.
  parts.push(partialDayReportCounts(from, to, firstDay, lastDay));
  return parts;
}

const utcDay = (day: string) => new Date(`${day}T00:00:00Z`);

/**
 * Intelligence reports received in [from, to), grouped by any of division, source type and month
 * (UTC). Police ANALYST and SUPERVISOR get the exact range; everyone else the published grid of
 * the whole months it touches that have ended (policy/statistics.ts), from the monthly rollup alone.
 */
export async function intelligenceStats(ctx: RequestContext, args: StatsArgs): Promise<IntelligenceStats> {
  const principal = authorize(ctx, Permission.READ_STATISTICS);
  checkRange(args.from, args.to);
  const mask = cubeOf(args.groupBy, INTELLIGENCE_DIMENSIONS);
  const grid = measureAccess(principal, StatisticsMeasure.REPORTS) === 'GRID';
  const months = grid ? publishedMonths(args.from, args.to, new Date()) : null;
  const parts = months
    ? months.from < months.to
      ? [monthlyReportCounts(months.from, months.to)]
      : []
    : exactReportCounts(args.from, args.to);
  const rows = await readReplica(ctx).read((db) => sumReportCounts(db, parts));
  const top: Cell[] = rows.map((r) => ({ coords: [r.division_id, r.source_type, r.month], counts: [r.n] }));
  const table = grid ? fromGrid(top, mask) : exact(3, top, mask);
  const divisions = await divisionsById(
    ctx,
    table.rows.map((r) => r.coords[0]),
  );
  return {
    total: table.total.suppressed ? null : (table.total.counts[0] ?? 0),
    withheld: table.total.withheld,
    from: months ? utcDay(months.from) : args.from,
    to: months ? utcDay(months.to) : args.to,
    rows: table.rows
      .sort((a, b) => compareCoords(a.coords, b.coords))
      .map((r) => ({
        division: mask & 1 && r.coords[0] ? (divisions.get(r.coords[0]) ?? null) : null,
        sourceType: mask & 2 ? (r.coords[1] as SourceType) : null,
        month: mask & 4 ? r.coords[2] : null,
        count: r.counts[0],
        suppressed: r.suppressed,
        withheld: r.withheld,
      })),
  };
}

/**
 * CSE-linked crimes recorded in [from, to) (a crime recorded on a day counts when that day's
 * midnight UTC is in the range), by division and month. Police ANALYST and SUPERVISOR also get
 * distinct victims and suspects; distinct counts do not add up, so every grouping comes from SQL
 * (grouping sets), not from sums. Everyone else gets the published grid of crimes per month and
 * division over the whole months the range touches that have ended, and no people (policy/statistics.ts).
 */
export async function crimeStats(ctx: RequestContext, args: StatsArgs): Promise<CrimeStats> {
  const principal = authorize(ctx, Permission.READ_STATISTICS);
  checkRange(args.from, args.to);
  const mask = cubeOf(args.groupBy, CRIME_DIMENSIONS);
  const grid = measureAccess(principal, StatisticsMeasure.CRIMES) === 'GRID';
  const people = measureAccess(principal, StatisticsMeasure.CRIME_PEOPLE) === 'EXACT';
  const months = grid ? publishedMonths(args.from, args.to, new Date()) : null;
  let table: Published;
  if (months) {
    const rows = await readReplica(ctx).read((db) => crimeGridCells(db, months.from, months.to));
    table = fromGrid(
      rows.map((r) => ({ coords: [r.division_id, r.month], counts: [r.crimes] })),
      mask,
    );
  } else {
    const rows = await readReplica(ctx).read((db) => exactCrimeCells(db, dayOnOrAfter(args.from), dayOnOrAfter(args.to)));
    // GROUPING() sets a bit for each column *not* grouped by: division is its high bit.
    const cubes: Cell[][] = [[], [], [], []];
    for (const r of rows) {
      const m = (r.g & 2 ? 0 : 1) | (r.g & 1 ? 0 : 2);
      if (m === 0 || r.crimes > 0) cubes[m].push({ coords: [r.division_id, r.month], counts: [r.crimes, r.victims, r.suspects] });
    }
    const view = (m: number) => cubes[m].map((c) => ({ coords: [...c.coords], counts: [...c.counts], suppressed: false, withheld: 0 }));
    table = { total: view(0)[0] ?? { counts: [0, 0, 0], suppressed: false, withheld: 0 }, rows: mask ? view(mask) : [] };
  }
  const divisions = await divisionsById(
    ctx,
    table.rows.map((r) => r.coords[0]),
  );
  const toRow = (r: { coords: Coord[]; counts: (number | null)[]; suppressed: boolean; withheld: number }): CrimeStatsRow => ({
    division: mask & 1 && r.coords[0] ? (divisions.get(r.coords[0]) ?? null) : null,
    month: mask & 2 ? r.coords[1] : null,
    crimes: r.counts[0] ?? null,
    victims: people ? (r.counts[1] ?? null) : null,
    suspects: people ? (r.counts[2] ?? null) : null,
    suppressed: r.suppressed,
    withheld: r.withheld,
  });
  return {
    total: toRow({ ...table.total, coords: [null, null] }),
    rows: table.rows.sort((a, b) => compareCoords(a.coords, b.coords)).map(toRow),
    from: months ? utcDay(months.from) : args.from,
    to: months ? utcDay(months.to) : args.to,
  };
}

/**
 * Flags in force by kind, risk level and the division of the subject's latest report; those due
 * for review; and the under-flagging check over reports received in [from, to). Police links and
 * flags only: police ANALYST and SUPERVISOR, every count exact (policy/statistics.ts).
 */
export async function flagStats(ctx: RequestContext, args: FlagStatsArgs): Promise<FlagStats> {
  const principal = authorize(ctx, Permission.READ_FLAG_STATISTICS);
  if (measureAccess(principal, StatisticsMeasure.FLAGS) !== 'EXACT') throw forbidden();
  checkRange(args.from, args.to);
  // Both tables are kept by trigger (migrations/1765400000000-flag-statistics.ts): flags in force
  // placed in their subject's latest division, and reports with risk indicators with how many of
  // their potential victims carry a CSE_RISK flag in force.
  const [active, [under]] = await readReplica(ctx).read(
    async (db) => [await activeFlagCounts(db), await flagCoverage(db, args.from, args.to)] as const,
  );
  const divisions = await divisionsById(
    ctx,
    active.map((r) => r.division_id),
  );
  const cells = active.filter((r) => r.n > 0).map((r) => ({ coords: [r.division_id, r.kind, r.risk_level] as Coord[], n: r.n }));
  return {
    asOf: under.as_of,
    activeTotal: cells.reduce((sum, r) => sum + r.n, 0),
    active: cells
      .sort((a, b) => compareCoords(a.coords, b.coords))
      .map((r) => ({
        division: r.coords[0] ? (divisions.get(r.coords[0]) ?? null) : null,
        kind: r.coords[1] as FlagKind,
        riskLevel: r.coords[2] as RiskLevel,
        count: r.n,
        suppressed: false,
      })),
    dueForReview: active.reduce((sum, r) => sum + r.due, 0),
    dueForReviewSuppressed: false,
    underFlagging: {
      reports: under.reports,
      unflagged: under.unflagged,
      unflaggedShare: under.reports === 0 ? null : under.unflagged / under.reports,
      suppressed: false,
    },
  };
}
