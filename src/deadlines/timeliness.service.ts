import type { RequestContext } from '../context/request-context';
import { Urgency } from '../disclosures/disclosure.enums';
import { forbidden } from '../errors';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { measureAccess, StatisticsMeasure } from '../policy/statistics';
import { isSmall, SMALL_MAX } from '../stats/disclosure-control';
import { checkRange, publishedMonths } from '../stats/stats.range';
import { timelinessCells, type TimelinessCellRow } from './timeliness.queries';
import type { AccessRequestTimeliness, AccessRequestTimelinessRow, TimelinessArgs } from './timeliness.types';

const MEASURES = ['requested', 'in_time', 'late', 'pending_overdue'] as const;

/**
 * How promptly access requests made in [from, to) were answered, by urgency, on the published grid
 * (policy/statistics.ts, TIMELINESS): whole UTC months that have ended; each measure of a
 * month × urgency cell withheld when from 1 to 4, each row the sum of the published cells; the
 * median only over 5 decisions or more.
 */
export async function accessRequestTimeliness(ctx: RequestContext, args: TimelinessArgs): Promise<AccessRequestTimeliness> {
  const principal = authorize(ctx, Permission.READ_TIMELINESS_STATISTICS);
  // Outside police analysis, refused (the permission says the same); within it, the grid only.
  if (measureAccess(principal, StatisticsMeasure.TIMELINESS) !== 'GRID') throw forbidden();
  checkRange(args.from, args.to);
  const months = publishedMonths(args.from, args.to, new Date());
  const rows = await timelinessCells(ctx.db, `${months.from}T00:00:00Z`, `${months.to}T00:00:00Z`);
  return {
    countedFrom: new Date(`${months.from}T00:00:00Z`),
    countedTo: new Date(`${months.to}T00:00:00Z`),
    rows: [Urgency.RED, Urgency.AMBER, Urgency.GREEN].map((urgency): AccessRequestTimelinessRow => {
      const published = publishTimeliness(
        rows.filter((r) => r.urgency === urgency && r.g === 0),
        rows.find((r) => r.urgency === urgency && r.g === 1),
      );
      return { urgency, dueHours: ctx.config.deadlines.dueHours[urgency], ...published };
    }),
  };
}

type Measure = (typeof MEASURES)[number];

/**
 * One urgency's row from its month cells and its whole-range figures: each measure of each cell
 * on its own, a withheld one (1 to 4) dropped before anything is summed, so no number published
 * depends on a withheld cell; null when every non-zero cell of a measure is withheld. The median
 * needs more than SMALL_MAX decisions and no withheld cell of them.
 */
export function publishTimeliness(
  cells: readonly Pick<TimelinessCellRow, Measure>[],
  whole: Pick<TimelinessCellRow, 'decided' | 'median_hours'> | undefined,
): Omit<AccessRequestTimelinessRow, 'urgency' | 'dueHours'> {
  const sum = (m: Measure) => {
    const nonZero = cells.filter((c) => c[m] !== 0);
    const published = nonZero.filter((c) => !isSmall(c[m]));
    if (nonZero.length && !published.length) return null;
    return published.reduce((total, c) => total + c[m], 0);
  };
  return {
    requested: sum('requested'),
    decidedInTime: sum('in_time'),
    decidedLate: sum('late'),
    pendingOverdue: sum('pending_overdue'),
    // Over every decision of the range: published only when no cell of decisions is withheld, else
    // comparing ranges would place a withheld decision above or below it.
    medianDecisionHours:
      whole && whole.decided > SMALL_MAX && whole.median_hours !== null && !cells.some((c) => isSmall(c.in_time) || isSmall(c.late))
        ? whole.median_hours
        : null,
    withheldCells: cells.filter((c) => MEASURES.some((m) => isSmall(c[m]))).length,
  };
}
