import { startTestApp, type TestApp } from '../support/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

type FlagView = { id: string; history: { action: string }[] };
const SUBJECT = 'query($id: ID!) { subject(id: $id) { activeFlags { id history { action } } } }';

it('a flag’s history (who proposed and approved it) reaches police readers only', async () => {
  const lead = (await app.login('lead@brookfield-high.example')).accessToken;
  const known = await app.gql<{ subjects: { edges: { node: { id: string } }[] } }>(
    '{ subjects(first: 50) { edges { node { id } } } }',
    {},
    lead,
  );
  // One the school knows that has no CSE_PERPETRATOR flag in force or proposed (which subject the
  // list puts first varies with the demo's random ids).
  const ids = known.body.data!.subjects.edges.map((e) => e.node.id);
  const [{ id: subjectId }] = await app.db.query<{ id: string }[]>(
    `SELECT id FROM unnest($1::uuid[]) AS k(id) WHERE NOT EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = k.id
       AND f.kind = 'CSE_PERPETRATOR' AND f.status IN ('ACTIVE', 'PROPOSED')) LIMIT 1`,
    [ids],
  );
  const supervisor = (await app.login('supervisor@gmp.example')).accessToken;
  const flagged = await app.gql(
    'mutation($s: ID!) { flagSubject(subjectId: $s, input: { kind: CSE_PERPETRATOR, riskLevel: HIGH, reason: "Synthetic test flag" }) { id } }',
    { s: subjectId },
    supervisor,
  );
  expect(flagged.body.errors).toBeUndefined();

  const police = await app.gql<{ subject: { activeFlags: FlagView[] } }>(SUBJECT, { id: subjectId }, supervisor);
  expect(police.body.data!.subject.activeFlags.some((f) => f.history.length > 0)).toBe(true);
  const school = await app.gql<{ subject: { activeFlags: FlagView[] } }>(SUBJECT, { id: subjectId }, lead);
  expect(school.body.data!.subject.activeFlags.length).toBeGreaterThan(0);
  expect(school.body.data!.subject.activeFlags.every((f) => f.history.length === 0)).toBe(true);
});
