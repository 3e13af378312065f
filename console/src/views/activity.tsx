import { useMemo, useState } from 'preact/hooks';
import { isMissingFromSchema } from '../api';
import { Chart, type ChartSeries } from '../chart';
import type { Session } from '../session';
import { Field, Status, useLoad, useTask } from '../ui';

interface DayCount {
  day: string;
  agency: { name: string } | null;
  outcome: string;
  count: number;
}

const DAY = 86_400_000;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Accesses per UTC day by the actor's agency and outcome (auditAccessesPerDay), where the service offers it. */
export function ActivityView({ session }: { session: Session }) {
  const [from, setFrom] = useState(dateOf(Date.now() - 30 * DAY));
  const [to, setTo] = useState(dateOf(Date.now() + DAY));
  const [load, run] = useTask(async (): Promise<DayCount[] | undefined> => {
    try {
      const r = await session.query<{ auditAccessesPerDay: DayCount[] }>(
        'query PerDay($from: DateTime!, $to: DateTime!) { auditAccessesPerDay(from: $from, to: $to) { day agency { name } outcome count } }',
        { from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` },
      );
      return r.auditAccessesPerDay;
    } catch (error) {
      if (isMissingFromSchema(error)) return undefined;
      throw error;
    }
  });
  useLoad(() => run(), []);
  const rows = load.state === 'done' ? load.value : undefined;
  const { days, series } = useMemo(() => {
    const dayList = [...new Set((rows ?? []).map((r) => r.day))].sort();
    const keys = [...new Set((rows ?? []).map((r) => `${r.agency?.name ?? 'no agency'} — ${r.outcome.toLowerCase()}`))].sort();
    const out: ChartSeries[] = keys.map((label) => ({
      label,
      values: dayList.map((d) => {
        const hit = rows?.find((r) => r.day === d && `${r.agency?.name ?? 'no agency'} — ${r.outcome.toLowerCase()}` === label);
        return hit ? hit.count : 0;
      }),
    }));
    return { days: dayList, series: out };
  }, [rows]);

  return (
    <section aria-labelledby="activity-title">
      <h1 id="activity-title">Accesses per day</h1>
      <form
        class="filters"
        aria-label="Days to chart"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <Field label="From (UTC date)">
          <input type="date" name="from" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="To (UTC date, exclusive)">
          <input type="date" name="to" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </Field>
        <div class="actions">
          <button type="submit">Show</button>
        </div>
      </form>
      <Status load={load} empty={rows !== undefined && rows.length === 0}>
        {load.state === 'done' && rows === undefined && <p class="status">Accesses per day are not available on this service yet.</p>}
        {rows && rows.length > 0 && (
          <>
            <Chart title="Accesses per day by agency and outcome" categories={days} series={series} />
            <div class="table-wrap" tabIndex={0} role="region" aria-label="Accesses per day table">
              <table>
                <caption>Accesses per day by agency and outcome</caption>
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Agency</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Accesses</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={`${r.day}-${r.agency?.name}-${r.outcome}`}>
                      <td>{r.day}</td>
                      <td>{r.agency?.name ?? 'no agency'}</td>
                      <td>{r.outcome}</td>
                      <td>{r.count.toLocaleString('en-GB')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Status>
    </section>
  );
}
