import { useState } from 'preact/hooks';
import { isMissingFromSchema } from '../api';
import { type AuditEvent, type EventPage, loadAgencies, withActors } from '../events';
import type { Session } from '../session';
import { Field, Status, useLoad, useTask } from '../ui';
import { EventTable } from './event-table';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAGE = 25;

const query = (argument: 'subjectId' | 'identifier') => (fields: string) =>
  `query History($key: ${argument === 'subjectId' ? 'ID!' : 'String!'}, $first: Int, $after: String) {
    subjectAccessHistory(${argument}: $key, first: $first, after: $after) { ${fields} } }`;

/**
 * Every access to one child's records. Found by an identifier (NHS number, UPN, police reference,
 * social care id) where the service matches them, or by the subject's record id.
 */
export function HistoryView({ session }: { session: Session }) {
  const agencies = useLoad(() => loadAgencies(session), []);
  const [key, setKey] = useState('');
  const [searched, setSearched] = useState<{ key: string; argument: 'subjectId' | 'identifier' }>();
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [page, setPage] = useState<EventPage['pageInfo'] & { total: number }>();

  const [load, fetchPage] = useTask(async (value: string, after: string | null) => {
    const argument = UUID.test(value) ? 'subjectId' : 'identifier';
    if (!after) {
      setEvents([]);
      setPage(undefined);
    }
    const variables = { key: value, first: PAGE, after };
    let history: EventPage;
    try {
      ({ subjectAccessHistory: history } = await withActors<{ subjectAccessHistory: EventPage }>(session, query(argument), variables));
    } catch (error) {
      if (argument === 'identifier' && isMissingFromSchema(error))
        throw new Error('This service finds a child by record id only: enter the subject id.');
      throw error;
    }
    setSearched({ key: value, argument });
    setEvents((prev) => [...(after ? prev : []), ...history.edges.map((e) => e.node)]);
    setPage({ ...history.pageInfo, total: history.totalCount });
  });

  const submit = (e: Event) => {
    e.preventDefault();
    if (key.trim()) void fetchPage(key.trim(), null);
  };

  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">A child's access history</h1>
      <form class="filters" onSubmit={submit} aria-label="Find a child">
        <Field
          label="Identifier or subject id"
          hint="An NHS number, school UPN, police reference or social care id, or the subject's record id"
        >
          <input name="identifier" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} required />
        </Field>
        <div class="actions">
          <button type="submit">Show access history</button>
        </div>
      </form>
      {page && searched && (
        <p>
          {page.total.toLocaleString('en-GB')} accesses to the records of {searched.key}.
        </p>
      )}
      {events.length > 0 && (
        <EventTable events={events} agencies={agencies.state === 'done' ? agencies.value : []} caption="Accesses, newest first" />
      )}
      <Status load={load} empty={events.length === 0} />
      {page?.hasNextPage && searched && load.state !== 'loading' && (
        <button type="button" onClick={() => void fetchPage(searched.key, page.endCursor)}>
          Load more
        </button>
      )}
    </section>
  );
}
