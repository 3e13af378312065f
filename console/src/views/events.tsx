import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { type Agency, type AuditEvent, type EventPage, loadAgencies, withActors } from '../events';
import type { Session } from '../session';
import { Field, isoOf, Status, useLoad, useTask } from '../ui';
import { EventTable } from './event-table';
import { StaffSearch } from './staff-search';

const ACTIONS = [
  'ACCESS_REQUEST',
  'AGGREGATE',
  'BREAK_GLASS',
  'CHANGE',
  'DECLINE',
  'DELIVER',
  'DISCLOSE',
  'EXPORT',
  'LIST',
  'LOGIN',
  'LOGOUT',
  'NOTIFY',
  'READ',
  'REFRESH',
];
const OUTCOMES = ['ALLOWED', 'DENIED', 'FAILED'];

type Filter = Record<'actorId' | 'agencyId' | 'subjectId' | 'recordId' | 'action' | 'outcome' | 'from' | 'to', string>;
const EMPTY: Filter = { actorId: '', agencyId: '', subjectId: '', recordId: '', action: '', outcome: '', from: '', to: '' };

/** The filter as the API takes it: empty fields left out, local UTC times as ISO. */
function apiFilter(f: Filter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(f)) {
    if (!value.trim()) continue;
    out[key] = key === 'from' || key === 'to' ? (isoOf(value) ?? '') : value.trim();
  }
  return out;
}

const PAGE = 25;

/** GET /audit/export with the bearer token in a header (never in the URL), saved as a download. */
async function exportEvents(session: Session, filter: Record<string, string>, format: 'csv' | 'ndjson'): Promise<void> {
  const params = new URLSearchParams({ format, ...filter });
  let response: Response;
  try {
    response = await fetch(`/audit/export?${params}`, { headers: { authorization: `Bearer ${session.accessToken}` } });
  } catch {
    throw new ApiError('NETWORK');
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { errors?: { message: string; extensions?: { code?: string } }[] };
    const error = body.errors?.[0];
    throw new ApiError(error?.extensions?.code ?? 'INTERNAL_SERVER_ERROR', error?.message);
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `audit-events.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function EventsView({ session }: { session: Session }) {
  const agencies = useLoad(() => loadAgencies(session), []);
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [applied, setApplied] = useState<Record<string, string>>({});
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [page, setPage] = useState<EventPage['pageInfo'] & { total: number }>();
  const [exported, setExported] = useState('');

  const [load, fetchPage] = useTask(async (filter: Record<string, string>, after: string | null) => {
    // A new search forgets the last one's results at once, so nothing stale is read as its answer.
    if (!after) {
      setEvents([]);
      setPage(undefined);
    }
    const { auditEvents } = await withActors<{ auditEvents: EventPage }>(
      session,
      (fields) =>
        `query Events($filter: AuditFilter, $first: Int, $after: String) { auditEvents(filter: $filter, first: $first, after: $after) { ${fields} } }`,
      { filter, first: PAGE, after },
    );
    setEvents((prev) => [...(after ? prev : []), ...auditEvents.edges.map((e) => e.node)]);
    setPage({ ...auditEvents.pageInfo, total: auditEvents.totalCount });
  });
  const [exporting, runExport] = useTask(async (format: 'csv' | 'ndjson') => {
    await exportEvents(session, applied, format);
    setExported(`Exported the events matching the filter as ${format.toUpperCase()}.`);
  });

  useLoad(() => fetchPage({}, null), []);

  const set = (key: keyof Filter) => (e: Event) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value });
  const search = (e: Event) => {
    e.preventDefault();
    const filter = apiFilter(draft);
    setApplied(filter);
    void fetchPage(filter, null);
  };
  const agencyList: Agency[] = agencies.state === 'done' ? agencies.value : [];

  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Audit events</h1>
      <StaffSearch session={session} onChoose={(actorId) => setDraft({ ...draft, actorId })} />
      <form class="filters" onSubmit={search} aria-label="Filter audit events">
        <Field label="Actor id">
          <input name="actorId" value={draft.actorId} onInput={set('actorId')} />
        </Field>
        <Field label="Agency">
          <select name="agencyId" value={draft.agencyId} onChange={set('agencyId')}>
            <option value="">Any agency</option>
            {agencyList.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Subject id">
          <input name="subjectId" value={draft.subjectId} onInput={set('subjectId')} />
        </Field>
        <Field label="Record id">
          <input name="recordId" value={draft.recordId} onInput={set('recordId')} />
        </Field>
        <Field label="Action">
          <select name="action" value={draft.action} onChange={set('action')}>
            <option value="">Any action</option>
            {ACTIONS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </Field>
        <Field label="Outcome">
          <select name="outcome" value={draft.outcome} onChange={set('outcome')}>
            <option value="">Any outcome</option>
            {OUTCOMES.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </Field>
        <Field label="From (UTC)">
          <input type="datetime-local" name="from" value={draft.from} onInput={set('from')} />
        </Field>
        <Field label="To (UTC)">
          <input type="datetime-local" name="to" value={draft.to} onInput={set('to')} />
        </Field>
        <div class="actions">
          <button type="submit">Search</button>
          <button type="button" onClick={() => setDraft(EMPTY)}>
            Clear
          </button>
        </div>
      </form>
      <div class="actions" role="group" aria-label="Export the events matching the filter">
        <button type="button" onClick={() => void runExport('csv')} disabled={exporting.state === 'loading'}>
          Export CSV
        </button>
        <button type="button" onClick={() => void runExport('ndjson')} disabled={exporting.state === 'loading'}>
          Export NDJSON
        </button>
        <span role="status">{exporting.state === 'error' ? exporting.message : exporting.state === 'done' ? exported : ''}</span>
      </div>
      {page && <p>{page.total.toLocaleString('en-GB')} events match.</p>}
      {events.length > 0 && <EventTable events={events} agencies={agencyList} caption="Audit events, newest first" />}
      <Status load={load} empty={events.length === 0} />
      {page?.hasNextPage && load.state !== 'loading' && (
        <button type="button" onClick={() => void fetchPage(applied, page.endCursor)}>
          Load more
        </button>
      )}
    </section>
  );
}
