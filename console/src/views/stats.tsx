import { useMemo, useState } from 'preact/hooks';
import { Chart } from '../chart';
import type { Session } from '../session';
import { count, Field, Status, useLoad, useTask } from '../ui';

/** The demo's GMP cohort reproduces the published figures for this range (docs/architecture.md, "The demo"). */
export const DEFAULT_FROM = '2013-04-01';
export const DEFAULT_TO = '2014-02-01';

interface IntelRow {
  division: { name: string } | null;
  count: number | null;
  suppressed: boolean;
  withheld: number;
}
interface CrimeRow {
  division: { name: string } | null;
  crimes: number | null;
  victims: number | null;
  suspects: number | null;
  suppressed: boolean;
}
interface FlagRow {
  kind: string;
  riskLevel: string;
  division: { name: string } | null;
  count: number | null;
  suppressed: boolean;
}
interface Stats {
  intelligence: { from: string; to: string; total: number | null; withheld: number; rows: IntelRow[] };
  crimes: { total: CrimeRow; rows: CrimeRow[] };
  flags?: {
    activeTotal: number | null;
    dueForReview: number | null;
    dueForReviewSuppressed: boolean;
    active: FlagRow[];
    underFlagging: { reports: number | null; unflagged: number | null; suppressed: boolean };
  };
}

const STATS = (withFlags: boolean) => `query Stats($from: DateTime!, $to: DateTime!) {
  intelligence: intelligenceStats(from: $from, to: $to, groupBy: [DIVISION]) { from to total withheld rows { division { name } count suppressed withheld } }
  crimes: crimeStats(from: $from, to: $to, groupBy: [DIVISION]) {
    total { crimes victims suspects suppressed } rows { division { name } crimes victims suspects suppressed } }
  ${withFlags ? 'flags: flagStats(from: $from, to: $to) { activeTotal dueForReview dueForReviewSuppressed active { kind riskLevel division { name } count suppressed } underFlagging { reports unflagged suppressed } }' : ''}
}`;

const divisionName = (d: { name: string } | null) => d?.name ?? 'No division';

/** Statistics for every signed-in role; suppressed cells read "suppressed", never zero. */
export function StatsView({ session }: { session: Session }) {
  const [from, setFrom] = useState(DEFAULT_FROM);
  const [to, setTo] = useState(DEFAULT_TO);
  const [load, run] = useTask(
    async () => await session.query<Stats>(STATS(session.isPoliceAnalyst), { from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` }),
  );
  useLoad(() => run(), []);
  const stats = load.state === 'done' ? load.value : undefined;
  const chart = useMemo(() => {
    const rows = stats?.intelligence.rows ?? [];
    return {
      categories: rows.map((r) => divisionName(r.division)),
      series: [{ label: 'Intelligence received', values: rows.map((r) => (r.suppressed ? null : r.count)) }],
    };
  }, [stats]);

  return (
    <section aria-labelledby="stats-title">
      <h1 id="stats-title">Statistics</h1>
      <form
        class="filters"
        aria-label="Range of the statistics"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <Field label="From (UTC date)">
          <input type="date" name="from" value={from} required onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="To (UTC date, exclusive)">
          <input type="date" name="to" value={to} required onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </Field>
        <div class="actions">
          <button type="submit">Show</button>
        </div>
      </form>
      <Status load={load}>
        {stats && (
          <>
            <h2>Intelligence received by division</h2>
            <p>
              Total: <strong>{count(stats.intelligence.total, stats.intelligence.total === null)}</strong>
              {stats.intelligence.withheld > 0 && ` (${stats.intelligence.withheld} small cells withheld by disclosure control)`}, counted
              from {stats.intelligence.from.slice(0, 10)} to {stats.intelligence.to.slice(0, 10)}.
            </p>
            {chart.categories.length > 0 ? (
              <Chart title="Intelligence received by division" categories={chart.categories} series={chart.series} bars />
            ) : (
              <p class="status">No intelligence in this range.</p>
            )}
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Intelligence by division table">
              <table>
                <caption>Intelligence received by division</caption>
                <thead>
                  <tr>
                    <th scope="col">Division</th>
                    <th scope="col">Reports</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.intelligence.rows.map((r) => (
                    <tr key={divisionName(r.division)}>
                      <th scope="row">{divisionName(r.division)}</th>
                      <td>{count(r.count, r.suppressed)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h2>Crimes, victims and suspects by division</h2>
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Crimes by division table">
              <table>
                <caption>CSE-linked crimes by division</caption>
                <thead>
                  <tr>
                    <th scope="col">Division</th>
                    <th scope="col">Crimes</th>
                    <th scope="col">Victims</th>
                    <th scope="col">Suspects</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.crimes.rows.map((r) => (
                    <tr key={divisionName(r.division)}>
                      <th scope="row">{divisionName(r.division)}</th>
                      <td>{count(r.crimes, r.suppressed)}</td>
                      <td>{count(r.victims, r.suppressed)}</td>
                      <td>{count(r.suspects, r.suppressed)}</td>
                    </tr>
                  ))}
                  <tr class="total">
                    <th scope="row">Total</th>
                    <td>{count(stats.crimes.total.crimes, stats.crimes.total.suppressed)}</td>
                    <td>{count(stats.crimes.total.victims, stats.crimes.total.suppressed)}</td>
                    <td>{count(stats.crimes.total.suspects, stats.crimes.total.suppressed)}</td>
                  </tr>
                </tbody>
              </table>
            </div>
            {stats.flags && (
              <>
                <h2>Flags</h2>
                <p>
                  In force: <strong>{count(stats.flags.activeTotal, stats.flags.activeTotal === null)}</strong>; due for review:{' '}
                  <strong>{count(stats.flags.dueForReview, stats.flags.dueForReviewSuppressed)}</strong>; reports in the range without a
                  flag: <strong>{count(stats.flags.underFlagging.unflagged, stats.flags.underFlagging.suppressed)}</strong> of{' '}
                  {count(stats.flags.underFlagging.reports, stats.flags.underFlagging.suppressed)}.
                </p>
                <div class="table-wrap" tabIndex={0} role="region" aria-label="Flags in force table">
                  <table>
                    <caption>Flags in force by kind, risk and division</caption>
                    <thead>
                      <tr>
                        <th scope="col">Kind</th>
                        <th scope="col">Risk</th>
                        <th scope="col">Division</th>
                        <th scope="col">Flags</th>
                      </tr>
                    </thead>
                    <tbody>
                      {stats.flags.active.map((r) => (
                        <tr key={`${r.kind}-${r.riskLevel}-${divisionName(r.division)}`}>
                          <td>{r.kind}</td>
                          <td>{r.riskLevel}</td>
                          <td>{divisionName(r.division)}</td>
                          <td>{count(r.count, r.suppressed)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </>
        )}
      </Status>
    </section>
  );
}
