import type { Principal } from '../auth/principal';
import { isPoliceAnalyst } from './permissions';

/**
 * How much of a statistics table a principal sees. Everyone signed in sees aggregate statistics
 * over all case data (that is their point: each agency sees the whole picture, no single record);
 * police ANALYST and SUPERVISOR see every count exactly, over any range; anyone else sees the
 * published grid (GRID below).
 */
export type StatisticsDetail = 'FULL' | 'CONTROLLED';

export function statisticsDetail(p: Principal): StatisticsDetail {
  return isPoliceAnalyst(p) ? 'FULL' : 'CONTROLLED';
}

/** What a statistics answer is made of. */
export enum StatisticsMeasure {
  /** intelligenceStats: reports received. */
  REPORTS = 'REPORTS',
  /** crimeStats `crimes`: CSE-linked crimes recorded. */
  CRIMES = 'CRIMES',
  /** crimeStats `victims` and `suspects`: people police linked to crimes. */
  CRIME_PEOPLE = 'CRIME_PEOPLE',
  /** flagStats: flags in force, flags due for review, and the under-flagging check (police links and flags). */
  FLAGS = 'FLAGS',
  /** accessRequestTimeliness: how promptly police answer access requests. */
  TIMELINESS = 'TIMELINESS',
}

/**
 * How a measure is published to a principal:
 * - EXACT: every count over the exact range asked.
 * - GRID: only the fixed published grid (src/stats/disclosure-control.ts): the range widened to the
 *   whole UTC calendar months it touches, months that have not ended left out (stats.range.ts),
 *   each cell of month × division (× source type) withheld
 *   on its own when from 1 to 4, and every total and row the sum of the published cells in it.
 *   So any two answers differ by published cells only, whatever ranges and groupings are combined.
 * - WITHHELD: never published (null), whatever the range.
 * - FORBIDDEN: the query is refused.
 */
export type MeasureAccess = 'EXACT' | 'GRID' | 'WITHHELD' | 'FORBIDDEN';

/**
 * Outside police analysis, counts of records every agency contributes to (reports) and of crimes
 * are published on the grid. What police derive from their own links and flags is not: a partner
 * who knows one record (its own report about a child) could read from a person count or a flag
 * count whether police linked that child or flagged them, at any granularity (a flag or a link
 * changes nothing else, so a before-and-after pair of answers isolates it). Those measures are
 * therefore police-only: victims and suspects WITHHELD (crime counts stay useful), and flagStats,
 * which is made of nothing else, FORBIDDEN (permission READ_FLAG_STATISTICS says the same).
 */
const CONTROLLED_ACCESS: Record<StatisticsMeasure, MeasureAccess> = {
  [StatisticsMeasure.REPORTS]: 'GRID',
  [StatisticsMeasure.CRIMES]: 'GRID',
  [StatisticsMeasure.CRIME_PEOPLE]: 'WITHHELD',
  [StatisticsMeasure.FLAGS]: 'FORBIDDEN',
  [StatisticsMeasure.TIMELINESS]: 'FORBIDDEN',
};

/**
 * The timeliness of access requests (accessRequestTimeliness) is police's view of its own answers,
 * so it is for police ANALYST and SUPERVISOR alone (READ_TIMELINESS_STATISTICS) — and even to them
 * it is published on the grid, never exactly: an analyst reads no access request itself, and a
 * count of one, or the median of one decision, would tell them about a single request (who asked,
 * and how long police took). Its grid is UTC calendar month × urgency over the months of the range
 * that have ended; each measure of a cell from 1 to 4 is withheld on its own, each row is the sum
 * of the published cells, and a median is published only over 5 decisions or more.
 */
const FULL_ACCESS: Partial<Record<StatisticsMeasure, MeasureAccess>> = {
  [StatisticsMeasure.TIMELINESS]: 'GRID',
};

export function measureAccess(p: Principal, measure: StatisticsMeasure): MeasureAccess {
  return statisticsDetail(p) === 'FULL' ? (FULL_ACCESS[measure] ?? 'EXACT') : CONTROLLED_ACCESS[measure];
}

/**
 * Flags that count in statistics: those in force. Proposed and rejected flags are police working
 * material (policy/records.ts shows them to police readers only), so no statistic reflects them.
 * The tables flagStats reads are kept by trigger with these flags only
 * (migrations/1765400000000-flag-statistics.ts); test/e2e/flag-statistics.test.ts holds them to this rule.
 */
export const STATISTICS_FLAG_STATUS = 'ACTIVE';
