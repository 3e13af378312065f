import { EXPORT_BATCH } from '../../src/audit/audit.export';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The export has exactly one line per event: across several batch boundaries, with events that
 * share a timestamp to the microsecond across a boundary, and with events written while it streams.
 */

let app: TestApp;
let auditor: string;
let analyst: string;
beforeAll(async () => {
  app = await startTestApp();
  auditor = (await app.login('auditor@oversight.example')).accessToken;
  analyst = (await app.login('analyst@gmp.example')).accessToken;
  // Over three batch boundaries: rows a microsecond apart (clock_timestamp()), and a run of 40
  // rows sharing one timestamp placed so that it spans the second boundary.
  const [{ n }] = await app.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_events`);
  const shared = 2 * EXPORT_BATCH - n - 20;
  await app.ownerQuery(
    `INSERT INTO audit_events (action, outcome, request_id) SELECT 'READ', 'ALLOWED', 'export-' || g FROM generate_series(1, $1::int) g`,
    [shared],
  );
  await app.ownerQuery(
    `INSERT INTO audit_events (action, outcome, request_id, occurred_at)
     SELECT 'READ', 'ALLOWED', 'export-same-' || g, t.at FROM (SELECT clock_timestamp() AS at) t, generate_series(1, 40) g`,
  );
  await app.ownerQuery(
    `INSERT INTO audit_events (action, outcome, request_id) SELECT 'READ', 'ALLOWED', 'export-tail-' || g FROM generate_series(1, 1600) g`,
  );
});
afterAll(() => app.close());

/** Reads the export, pausing after the first chunk to let `meanwhile` write events while it is open. */
async function exportLines(format: 'csv' | 'ndjson', meanwhile: () => Promise<void> = () => Promise.resolve()): Promise<string[]> {
  const res = await fetch(`${app.baseUrl}/audit/export?format=${format}`, { headers: { authorization: `Bearer ${auditor}` } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let first = true;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (first) {
      first = false;
      await meanwhile();
    }
  }
  return text.split('\n').filter((l) => l !== '');
}

const allIds = async () => (await app.db.query<{ id: string }[]>(`SELECT id::text FROM audit_events`)).map((r) => r.id);

it('has more than three batches to export', async () => {
  expect((await allIds()).length).toBeGreaterThan(3 * EXPORT_BATCH);
});

it('NDJSON: one line per event, every event once, across every batch boundary', async () => {
  const before = await allIds();
  const ids = (await exportLines('ndjson')).map((l) => (JSON.parse(l) as { id: string }).id);
  expect(ids.length).toBe(new Set(ids).size);
  // Everything that existed, plus the export's own EXPORT event.
  expect(new Set(ids)).toEqual(new Set([...before, ...ids.filter((id) => !before.includes(id))]));
  expect(ids.length).toBe(before.length + 1);
});

it('CSV: a header and one line per event', async () => {
  const before = await allIds();
  const lines = await exportLines('csv');
  const ids = lines.slice(1).map((l) => JSON.parse(l.split(',')[0]) as string);
  expect(ids.length).toBe(new Set(ids).size);
  expect(ids.length).toBe(before.length + 1);
});

it('with events written while the export streams: still one line per event, and all that existed when it began', async () => {
  const before = await allIds();
  const ids = (
    await exportLines('ndjson', async () => {
      await Promise.all(Array.from({ length: 20 }, () => app.gql('{ subjects(first: 3) { edges { node { id } } } }', {}, analyst)));
      await app.ownerQuery(
        `INSERT INTO audit_events (action, outcome, request_id) SELECT 'READ', 'ALLOWED', 'export-during-' || g FROM generate_series(1, 500) g`,
      );
    })
  ).map((l) => (JSON.parse(l) as { id: string }).id);
  expect(ids.length).toBe(new Set(ids).size);
  const exported = new Set(ids);
  expect(before.filter((id) => !exported.has(id))).toEqual([]);
});
