import { badInput } from '../errors';
import { StatsDimension } from './stats.types';

/** The longest range a statistics query may span. */
export const MAX_RANGE_YEARS = 10;

/** Dimensions in the canonical order of a statistics lattice (bit `i` of a cube mask is dimension `i`). */
export const INTELLIGENCE_DIMENSIONS = [StatsDimension.DIVISION, StatsDimension.SOURCE_TYPE, StatsDimension.MONTH] as const;
export const CRIME_DIMENSIONS = [StatsDimension.DIVISION, StatsDimension.MONTH] as const;

const DAY_MS = 86_400_000;

/** Midnight UTC on or after `t`, as YYYY-MM-DD: the first whole day in a range starting at `t`. */
export const dayOnOrAfter = (t: Date) => new Date(Math.ceil(t.getTime() / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
/** Midnight UTC on or before `t`, as YYYY-MM-DD. */
export const dayOnOrBefore = (t: Date) => new Date(Math.floor(t.getTime() / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/** The first day of the month after the one `day` (YYYY-MM-DD) is in. */
export function nextMonth(day: string): string {
  const d = new Date(`${day.slice(0, 8)}01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * The published granularity of a range (the GRID of policy/statistics.ts): the whole UTC calendar
 * months it touches, from the first day of `from`'s month to the first month start at or after
 * `to`, as YYYY-MM-DD; an empty range stays empty (at the start of `from`'s month). Any two ranges
 * that touch the same months are the same range here.
 */
export function monthsTouched(from: Date, to: Date): { from: string; to: string } {
  const start = `${from.toISOString().slice(0, 7)}-01`;
  if (to.getTime() <= from.getTime()) return { from: start, to: start };
  const last = `${to.toISOString().slice(0, 7)}-01`;
  return { from: start, to: new Date(`${last}T00:00:00Z`).getTime() === to.getTime() ? last : nextMonth(last) };
}

/**
 * The months of a range the grid publishes at `now`: those it touches that have ended. A cell of
 * the month under way would show a caller who asks every second the moment each record arrives.
 */
export function publishedMonths(from: Date, to: Date, now: Date): { from: string; to: string } {
  const touched = monthsTouched(from, to);
  const current = `${now.toISOString().slice(0, 7)}-01`;
  const end = touched.to < current ? touched.to : current;
  return { from: touched.from < end ? touched.from : end, to: end };
}

/** Refuses a range running backwards or longer than ten years. */
export function checkRange(from: Date, to: Date): void {
  if (from.getTime() > to.getTime()) throw badInput('from must not be after to', 'from');
  const limit = new Date(from);
  limit.setUTCFullYear(limit.getUTCFullYear() + MAX_RANGE_YEARS);
  if (to.getTime() > limit.getTime()) throw badInput(`A statistics range may span at most ${MAX_RANGE_YEARS} years`, 'to');
}

/**
 * The cube a grouping asks for, as a mask over `dimensions`: 0 (the total alone) when omitted.
 * An empty list, a repeated dimension, or one the table does not have is BAD_USER_INPUT.
 */
export function cubeOf(groupBy: readonly StatsDimension[] | null | undefined, dimensions: readonly StatsDimension[]): number {
  if (groupBy == null) return 0;
  if (!groupBy.length) throw badInput('groupBy must name at least one dimension, or be left out for the total alone', 'groupBy');
  let mask = 0;
  for (const dimension of groupBy) {
    const i = dimensions.indexOf(dimension);
    if (i < 0) throw badInput(`This table cannot be grouped by ${dimension}`, 'groupBy');
    if (mask & (1 << i)) throw badInput(`groupBy names ${dimension} more than once`, 'groupBy');
    mask |= 1 << i;
  }
  return mask;
}
