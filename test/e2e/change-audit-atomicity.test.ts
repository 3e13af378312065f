import { Client } from 'pg';
import { type AuditFaults, installAuditFaults, stateDigest } from '../support/audit-faults';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * A change, its CHANGE events and the request's own audit event commit together or not at all, and
 * the answer never says "not done" for something committed. Every mutation is also tried with its
 * audit failing in audit-coverage.test.ts; these are the outcomes that need more than that.
 */

let app: TestApp;
let owner: Client;
let faults: AuditFaults;
let reporter: string;
let practitioner: string;
/** Subjects the practitioner's agency does not know, so it can neither read them nor has asked. */
let hidden: string[];

const SUBMIT = 'mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id } }';
const codes = (r: { body: { errors?: { extensions?: { code?: string } }[] } }) => (r.body.errors ?? []).map((e) => e.extensions?.code);

beforeAll(async () => {
  app = await startTestApp();
  owner = new Client({ connectionString: app.databaseUrl });
  await owner.connect();
  faults = await installAuditFaults(owner, app.config.dbAppRole);
  reporter = (await app.login('reporter@safe-futures.example')).accessToken;
  practitioner = (await app.login('practitioner@rochdale-csc.example')).accessToken;
  hidden = (
    await owner.query<{ id: string }>(
      `SELECT s.id FROM subjects s, agencies a WHERE a.name = 'Rochdale Children''s Social Care'
          AND NOT EXISTS (SELECT 1 FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
                           WHERE rs.subject_id = s.id AND r.submitted_by_agency_id = a.id)
          AND NOT EXISTS (SELECT 1 FROM report_subjects rs JOIN disclosures d ON d.report_id = rs.report_id
                           WHERE rs.subject_id = s.id AND d.recipient_agency_id = a.id)
          AND NOT EXISTS (SELECT 1 FROM involvements i WHERE i.subject_id = s.id AND i.agency_id = a.id)
          AND NOT EXISTS (SELECT 1 FROM access_requests q WHERE q.subject_id = s.id)
        ORDER BY s.id LIMIT 3`,
    )
  ).rows.map((r) => r.id);
});

afterAll(async () => {
  await owner.end();
  await app.close();
});

it('a break-glass whose audit is lost leaves no grant: the child stays hidden, and the attempt is on its history', async () => {
  const [subjectId] = hidden;
  const read = () => app.gql('query($id: ID!) { subject(id: $id) { id } }', { id: subjectId }, practitioner);
  expect(codes(await read())).toEqual(['NOT_FOUND']);
  const r = await faults.during('insert', () =>
    app.gql('mutation($s: ID!) { breakGlass(subjectId: $s, reason: "Child missing overnight") { id } }', { s: subjectId }, practitioner),
  );
  expect(r.status).toBe(503);
  expect(r.body.data ?? null).toBeNull();
  expect(codes(await read())).toEqual(['NOT_FOUND']);
  expect((await owner.query('SELECT 1 FROM break_glass_grants WHERE subject_id = $1', [subjectId])).rowCount).toBe(0);
  const events = (
    await owner.query<{ action: string; outcome: string }>(
      `SELECT action, outcome FROM audit_events WHERE $1 = ANY (subject_ids) AND operation_field = 'breakGlass'`,
      [subjectId],
    )
  ).rows;
  expect(events).toEqual([{ action: 'BREAK_GLASS', outcome: 'FAILED' }]);
});

it('a COMMIT whose connection is lost answers OUTCOME_UNKNOWN; a retry with the idempotency key records the report once', async () => {
  const input = { idempotencyKey: `lost-commit-${Date.now()}`, sourceType: 'VOLUNTARY', narrative: 'Synthetic: seen getting into a car' };
  const lost = await faults.during('disconnect', () => app.gql(SUBMIT, { i: input }, reporter));
  expect(lost.status).toBe(503);
  expect(codes(lost)).toEqual(['OUTCOME_UNKNOWN']);
  expect(lost.body.errors![0].message).toMatch(/idempotency key/);
  // The pool replaced the dead connection: the retry is answered, exactly one report has the key.
  const retried = await app.gql<{ submitIntelligence: { id: string } }>(SUBMIT, { i: input }, reporter);
  expect(retried.body.errors).toBeUndefined();
  const again = await app.gql<{ submitIntelligence: { id: string } }>(SUBMIT, { i: input }, reporter);
  expect(again.body.data!.submitIntelligence.id).toBe(retried.body.data!.submitIntelligence.id);
  const stored = await owner.query('SELECT id FROM intelligence_reports WHERE idempotency_key = $1', [input.idempotencyKey]);
  expect(stored.rows).toEqual([{ id: retried.body.data!.submitIntelligence.id }]);
});

it('a refused COMMIT answers that nothing was done, and nothing was', async () => {
  const before = await stateDigest(owner);
  const r = await faults.during('commit', () =>
    app.gql(SUBMIT, { i: { sourceType: 'VOLUNTARY', narrative: 'Synthetic: refused at commit' } }, reporter),
  );
  expect(r.status).toBe(503);
  expect(codes(r)).toEqual(['INTERNAL_SERVER_ERROR']);
  expect(r.body.errors![0].message).toMatch(/nothing was changed/);
  expect(await stateDigest(owner)).toEqual(before);
});

it('each mutation field runs in its own savepoint: a failing one leaves nothing, the others and every event commit', async () => {
  const nurse = (await app.login('nurse@northern-health.example')).accessToken;
  const [, , missing] = hidden;
  const narrative = `Synthetic: disclosed at clinic ${Date.now()}`;
  const [{ m }] = (await owner.query<{ m: string }>('SELECT coalesce(max(id), 0)::text AS m FROM audit_events')).rows;
  const r = await app.gql(
    `mutation($n: String!, $b: ID!) {
       ok: submitIntelligence(input: { sourceType: HEALTH, narrative: $n }) { id }
       bad: breakGlass(subjectId: $b, reason: "   ") { id }
     }`,
    { n: narrative, b: missing },
    nurse,
  );
  // Root mutation fields are non-null, so the failing one nulls `data`; `errors` names only it.
  expect(r.body.errors!.map((e) => [(e as { path?: string[] }).path, e.extensions?.code])).toEqual([[['bad'], 'BAD_USER_INPUT']]);
  expect((await owner.query('SELECT 1 FROM intelligence_reports WHERE narrative = $1', [narrative])).rowCount).toBe(1);
  expect((await owner.query('SELECT 1 FROM break_glass_grants WHERE subject_id = $1', [missing])).rowCount).toBe(0);
  const events = (
    await owner.query<{ action: string; outcome: string; operation_field: string }>(
      `SELECT action, outcome, operation_field FROM audit_events WHERE id > $1 AND action <> 'LOGIN' ORDER BY id`,
      [m],
    )
  ).rows;
  expect(events.map((e) => [e.action, e.outcome])).toEqual([
    ['CHANGE', 'ALLOWED'],
    ['WRITE', 'ALLOWED'],
    ['BREAK_GLASS', 'FAILED'],
  ]);
});
