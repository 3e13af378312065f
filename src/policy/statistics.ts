import type { Principal } from '../auth/principal';
import { isPoliceAnalyst } from './permissions';

/**
 * How much of a statistics table a principal sees. Everyone signed in sees aggregate statistics
 * over all case data (that is their point: each agency sees the whole picture, no single record);
 * police ANALYST and SUPERVISOR see every count, anyone else the table under disclosure control
 * (counts from 1 to 4 suppressed, with secondary suppression; src/stats/disclosure-control.ts).
 */
export type StatisticsDetail = 'FULL' | 'CONTROLLED';

export function statisticsDetail(p: Principal): StatisticsDetail {
  return isPoliceAnalyst(p) ? 'FULL' : 'CONTROLLED';
}

/**
 * Flags that count in statistics: those in force. Proposed and rejected flags are police working
 * material (policy/records.ts shows them to police readers only), so no statistic reflects them.
 * The tables flagStats reads are kept by trigger with these flags only
 * (migrations/1765400000000-flag-statistics.ts); test/e2e/flag-statistics.test.ts holds them to this rule.
 */
export const STATISTICS_FLAG_STATUS = 'ACTIVE';
