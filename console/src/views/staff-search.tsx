import { useState } from 'preact/hooks';
import { isMissingFromSchema } from '../api';
import type { Session } from '../session';
import { Field, Status, useTask } from '../ui';

interface StaffMember {
  id: string;
  displayName: string;
  roles: string[];
  enabled: boolean;
  kind: string;
  agency: { name: string };
}

/**
 * Finds an actor by name in the staff directory (staffDirectory: the caller's audit scope only),
 * so an auditor need not know anyone's id; a service without the directory says so.
 */
export function StaffSearch({ session, onChoose }: { session: Session; onChoose: (id: string) => void }) {
  const [search, setSearch] = useState('');
  const [found, find] = useTask(async (): Promise<StaffMember[] | undefined> => {
    try {
      const r = await session.query<{ staffDirectory: { edges: { node: StaffMember }[] } }>(
        `query Staff($search: String, $first: Int) { staffDirectory(search: $search, first: $first) {
          edges { node { id displayName roles enabled kind agency { name } } } } }`,
        { search, first: 10 },
      );
      return r.staffDirectory.edges.map((e) => e.node);
    } catch (error) {
      if (isMissingFromSchema(error)) return undefined;
      throw error;
    }
  });
  return (
    <div class="staff-search">
      <div class="filters">
        <Field label="Find an actor by name">
          <input name="staffSearch" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </Field>
        <div class="actions">
          <button type="button" onClick={() => void find()} disabled={!search.trim()}>
            Find staff
          </button>
        </div>
      </div>
      <Status load={found} empty={found.state === 'done' && found.value?.length === 0}>
        {found.state === 'done' && found.value === undefined && (
          <p class="status">Finding staff by name is not available on this service yet: enter the actor id.</p>
        )}
        {found.state === 'done' && found.value && found.value.length > 0 && (
          <ul class="staff">
            {found.value.map((m) => (
              <li key={m.id}>
                <button type="button" onClick={() => onChoose(m.id)}>
                  Choose
                </button>{' '}
                {m.displayName} · {m.agency.name} · {m.roles.join(', ') || m.kind}
                {m.enabled ? '' : ' (disabled)'}
              </li>
            ))}
          </ul>
        )}
      </Status>
    </div>
  );
}
