import { useState } from 'preact/hooks';
import { isMissingFromSchema } from '../api';
import type { Session } from '../session';
import { Field, isoOf, Status, useLoad, useTask, when } from '../ui';

const OUTCOMES = ['JUSTIFIED', 'NOT_JUSTIFIED', 'REFERRED'];
const DAY = 86_400_000;
const localOf = (ms: number) => new Date(ms).toISOString().slice(0, 16);

interface Anomaly {
  id?: string;
  kind: string;
  actorId: string;
  actorAgencyId: string | null;
  count: number;
  baseline: number | null;
  occurredAt: string | null;
  reviewedAt?: string | null;
  reviewOutcome?: string | null;
}

interface Grant {
  id: string;
  grantedAt: string;
  expiresAt: string;
  reason: string;
  subjectId: string;
  userId: string;
  reviewedAt: string | null;
  reviewOutcome?: string | null;
  user?: { displayName: string; agency: { name: string } } | null;
}

/** A review: outcome and note, sent with `mutation`; the service enforces scope and separation of duties. */
function ReviewForm({
  session,
  id,
  mutation,
  label,
  onDone,
}: {
  session: Session;
  id: string;
  mutation: string;
  label: string;
  onDone: () => void;
}) {
  const [outcome, setOutcome] = useState(OUTCOMES[0]);
  const [note, setNote] = useState('');
  const [sent, send] = useTask(async () => {
    await session.query(
      `mutation Review($id: ID!, $outcome: String!, $note: String!) { ${mutation}(id: $id, outcome: $outcome, note: $note) { id } }`,
      {
        id,
        outcome,
        note,
      },
    );
    onDone();
  });
  return (
    <form
      class="review"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <Field label="Outcome">
        <select name="outcome" value={outcome} onChange={(e) => setOutcome((e.target as HTMLSelectElement).value)}>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o.replace('_', ' ').toLowerCase()}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Note">
        <textarea name="note" value={note} maxLength={2000} required onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
      </Field>
      <button type="submit" disabled={sent.state === 'loading'}>
        Record review
      </button>
      <span role="status">{sent.state === 'error' ? sent.message : sent.state === 'done' ? 'Review recorded.' : ''}</span>
    </form>
  );
}

async function loadAnomalies(session: Session, from: string, to: string): Promise<{ anomalies: Anomaly[]; reviewable: boolean }> {
  const vars = { from: isoOf(from), to: isoOf(to) };
  const q = (fields: string) => `query Anomalies($from: DateTime!, $to: DateTime!) { accessAnomalies(from: $from, to: $to) { ${fields} } }`;
  const base = 'kind actorId actorAgencyId count baseline occurredAt';
  try {
    const r = await session.query<{ accessAnomalies: Anomaly[] }>(q(`id ${base} reviewedAt reviewOutcome`), vars);
    return { anomalies: r.accessAnomalies, reviewable: true };
  } catch (error) {
    if (!isMissingFromSchema(error)) throw error;
    const r = await session.query<{ accessAnomalies: Anomaly[] }>(q(base), vars);
    return { anomalies: r.accessAnomalies, reviewable: false };
  }
}

/** Break-glass grants awaiting review, or undefined where the service has no such list yet. */
async function loadGrants(session: Session): Promise<Grant[] | undefined> {
  try {
    const r = await session.query<{ breakGlassGrants: { edges: { node: Grant }[] } }>(
      `query Grants { breakGlassGrants(reviewed: false, first: 50) { edges { node {
        id grantedAt expiresAt reason subjectId userId reviewedAt reviewOutcome user { displayName agency { name } } } } } }`,
    );
    return r.breakGlassGrants.edges.map((e) => e.node);
  } catch (error) {
    if (isMissingFromSchema(error)) return undefined;
    throw error;
  }
}

export function ReviewsView({ session }: { session: Session }) {
  const [from, setFrom] = useState(localOf(Date.now() - 30 * DAY));
  const [to, setTo] = useState(localOf(Date.now() + 60_000));
  const [anomalies, find] = useTask(() => loadAnomalies(session, from, to));
  const [round, setRound] = useState(0);
  const grants = useLoad(() => loadGrants(session), [round]);
  useLoad(() => find(), [round]);

  return (
    <section aria-labelledby="reviews-title">
      <h1 id="reviews-title">Anomalies and break-glass reviews</h1>
      <h2>Break-glass grants awaiting review</h2>
      <Status load={grants} empty={grants.state === 'done' && grants.value?.length === 0}>
        {grants.state === 'done' && grants.value === undefined && (
          <p class="status">Break-glass review is not available on this service yet.</p>
        )}
        {grants.state === 'done' && grants.value && (
          <ul class="cards">
            {grants.value.map((g) => (
              <li key={g.id} class="card">
                <p>
                  <strong>{g.user ? `${g.user.displayName} (${g.user.agency.name})` : g.userId}</strong> broke the glass on subject{' '}
                  <code>{g.subjectId}</code> at {when(g.grantedAt)}.
                </p>
                <p>Reason given: {g.reason}</p>
                <ReviewForm
                  session={session}
                  id={g.id}
                  mutation="reviewBreakGlass"
                  label={`Review break-glass ${g.id}`}
                  onDone={() => setRound(round + 1)}
                />
              </li>
            ))}
          </ul>
        )}
      </Status>
      <h2>Access anomalies</h2>
      <form
        class="filters"
        aria-label="Period to review"
        onSubmit={(e) => {
          e.preventDefault();
          void find();
        }}
      >
        <Field label="From (UTC)">
          <input type="datetime-local" name="from" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="To (UTC)">
          <input type="datetime-local" name="to" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </Field>
        <div class="actions">
          <button type="submit">Find anomalies</button>
        </div>
      </form>
      <Status load={anomalies} empty={anomalies.state === 'done' && anomalies.value.anomalies.length === 0}>
        {anomalies.state === 'done' && (
          <ul class="cards">
            {anomalies.value.anomalies.map((a, i) => (
              <li key={a.id ?? i} class="card">
                <p>
                  <strong>{a.kind.replaceAll('_', ' ').toLowerCase()}</strong>: actor <code>{a.actorId}</code>, {a.count} records
                  {a.baseline !== null ? ` against a norm of ${a.baseline}` : ''}
                  {a.occurredAt ? `, at ${when(a.occurredAt)}` : ''}.
                </p>
                {a.reviewedAt ? (
                  <p>
                    Reviewed {when(a.reviewedAt)}: {a.reviewOutcome}
                  </p>
                ) : anomalies.value.reviewable && a.id ? (
                  <ReviewForm
                    session={session}
                    id={a.id}
                    mutation="reviewAccessAnomaly"
                    label={`Review anomaly ${i + 1}`}
                    onDone={() => setRound(round + 1)}
                  />
                ) : (
                  <p class="status">Reviewing anomalies is not available on this service yet.</p>
                )}
              </li>
            ))}
          </ul>
        )}
      </Status>
    </section>
  );
}
