import { run, sql, type Queryable } from '../db/sql';
import type { Urgency } from '../disclosures/disclosure.enums';

/** One cell of the timeliness grid (g = 0: month × urgency), or one urgency over the range (g = 1). */
export interface TimelinessCellRow {
  month: string | null;
  urgency: Urgency;
  g: number;
  requested: number;
  in_time: number;
  late: number;
  pending_overdue: number;
  decided: number;
  median_hours: number | null;
}

/** Access requests made in [from, to), counted by month and urgency and by urgency (a definer function: counts only). */
export function timelinessCells(db: Queryable, from: string, to: string): Promise<TimelinessCellRow[]> {
  return run<TimelinessCellRow>(db, sql`SELECT * FROM statistics_access_request_cells(${from}::timestamptz, ${to}::timestamptz)`);
}
