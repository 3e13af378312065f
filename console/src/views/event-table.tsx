import type { Agency, AuditEvent } from '../events';
import { when } from '../ui';

function Actor({ event, agencies }: { event: AuditEvent; agencies: Map<string, string> }) {
  if (event.actor)
    return (
      <>
        <span class="name">{event.actor.displayName}</span>
        <br />
        <small>
          {event.actor.agency.name} · {event.actor.roles.join(', ') || event.actorKind}
        </small>
      </>
    );
  const agency = event.actorAgencyId ? (agencies.get(event.actorAgencyId) ?? event.actorAgencyId) : 'no agency';
  return (
    <>
      <code>{event.actorId ?? 'the service'}</code>
      <br />
      <small>
        {agency} · {event.actorRoles.join(', ') || event.actorKind || '—'}
      </small>
    </>
  );
}

/** Audit events, newest first; `caption` names what the table holds. */
export function EventTable({ events, agencies, caption }: { events: AuditEvent[]; agencies: Agency[]; caption: string }) {
  const names = new Map(agencies.map((a) => [a.id, a.name]));
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table class="events">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            <th scope="col">Records</th>
            <th scope="col">Operation</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id} data-agency={e.actor?.agency.name ?? (e.actorAgencyId ? names.get(e.actorAgencyId) : '')}>
              <td>{when(e.occurredAt)}</td>
              <td>
                <Actor event={e} agencies={names} />
              </td>
              <td>{e.action}</td>
              <td class={`outcome-${e.outcome.toLowerCase()}`}>
                {e.outcome}
                {e.reason ? ` (${e.reason})` : ''}
              </td>
              <td>
                {e.recordCount} {e.recordKind ?? ''}
              </td>
              <td>{e.operationField ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
