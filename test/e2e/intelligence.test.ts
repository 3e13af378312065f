import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/demo/demo-seed';
import { codes, countRows, startTestApp, type TestApp } from '../support/test-app';

let app: TestApp;
const tokens: Record<string, string> = {};
beforeAll(async () => {
  app = await startTestApp();
  for (const email of [
    'analyst@gmp.example',
    'investigator@gmp.example',
    'supervisor@gmp.example',
    'lead@brookfield-high.example',
    'nurse@northern-health.example',
    'reporter@safe-futures.example',
    'practitioner@rochdale-csc.example',
    'auditor@oversight.example',
    'admin@oversight.example',
  ]) {
    tokens[email.split('@')[0]] = (await app.login(email)).accessToken;
  }
  const service = await app.gql<{ serviceToken: { accessToken: string } }>(
    'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken } }',
    { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET },
  );
  tokens.app = service.body.data!.serviceToken.accessToken;
});
afterAll(() => app.close());

const SUBMIT = `mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id reference status redactedFields } }`;
const GET = `query($id: ID!) { intelligenceReport(id: $id) { id narrative sourceEvaluation informant { name contact } redactedFields } }`;
const ASSESS = `mutation($id: ID!, $i: AssessmentInput!) { assessIntelligence(id: $id, input: $i) { status sourceEvaluation handlingCode } }`;
const LIST = `query($f: IntelligenceFilter, $first: Int, $after: String) { intelligenceReports(filter: $f, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id narrative } } } }`;

/** INT- and two groups of five Crockford base32 characters (no I, L, O or U). */
const OPAQUE_REFERENCE = /^INT-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

let counter = 0;
async function submit(token: string, input: Record<string, unknown>) {
  const r = await app.gql<{ submitIntelligence: { id: string; reference: string; status: string; redactedFields: string[] } }>(
    SUBMIT,
    { i: { sourceType: 'EDUCATION', narrative: `Concern number ${++counter} about a pupil`, ...input } },
    token,
  );
  return r;
}
const idOf = (r: Awaited<ReturnType<typeof submit>>) => r.body.data!.submitIntelligence.id;

describe('submitIntelligence', () => {
  it('gives each report a reference and the SUBMITTED status', async () => {
    const r = await submit(tokens.lead, {});
    expect(r.body.data!.submitIntelligence).toMatchObject({ reference: expect.stringMatching(OPAQUE_REFERENCE), status: 'SUBMITTED' });
  });

  it('gives opaque references: random, unique, and no count of anyone else’s submissions', async () => {
    const refs = [];
    for (let i = 0; i < 5; i++) {
      refs.push((await submit(tokens.lead, {})).body.data!.submitIntelligence.reference);
      // Another agency submitting in between must leave no trace in the next reference.
      await submit(tokens.nurse, { sourceType: 'HEALTH' });
    }
    expect(refs.every((r) => OPAQUE_REFERENCE.test(r))).toBe(true);
    expect(new Set(refs).size).toBe(refs.length);
  });

  it('is idempotent: the same key and payload return the same report; another payload is CONFLICT', async () => {
    const input = {
      idempotencyKey: 'retry-1',
      narrative: 'Pupil seen with older youths near the retail park',
      riskIndicators: ['SCHOOL_ABSENCE', 'OLDER_PARTNER'],
    };
    const first = await submit(tokens.lead, input);
    const before = await countRows(app.db, 'intelligence_reports');
    // Same content, indicators in another order: still the same submission.
    const retry = await submit(tokens.lead, { ...input, riskIndicators: ['OLDER_PARTNER', 'SCHOOL_ABSENCE'] });
    expect(idOf(retry)).toBe(idOf(first));
    const other = await submit(tokens.lead, { ...input, narrative: 'Something else entirely' });
    expect(codes(other)).toEqual(['CONFLICT']);
    expect(await countRows(app.db, 'intelligence_reports')).toBe(before);
  });

  it('scopes idempotency keys to the submitter', async () => {
    const a = await submit(tokens.lead, { idempotencyKey: 'shared-key', narrative: 'From the school' });
    const b = await submit(tokens.reporter, { idempotencyKey: 'shared-key', sourceType: 'VOLUNTARY', narrative: 'From the charity' });
    expect(idOf(a)).not.toBe(idOf(b));
  });

  it('handles concurrent retries with one report', async () => {
    const input = { idempotencyKey: 'burst', narrative: 'Burst of retries from a flaky school network' };
    const results = await Promise.all([1, 2, 3, 4].map(() => submit(tokens.lead, input)));
    expect(new Set(results.map(idOf)).size).toBe(1);
  });

  it.each([
    ['a school', 'POLICE', 'lead'],
    ['a school', 'HEALTH', 'lead'],
    ['a health trust', 'EDUCATION', 'nurse'],
    ['a voluntary group', 'OTHER_AGENCY', 'reporter'],
  ])('refuses %s submitting %s intelligence', async (_who, sourceType, who) => {
    expect(codes(await submit(tokens[who], { sourceType }))).toEqual(['BAD_USER_INPUT']);
  });

  it('lets police record public tip-offs with informant details, read back only by a supervisor', async () => {
    const r = await submit(tokens.investigator, {
      sourceType: 'PUBLIC',
      narrative: 'Caller reports girls taken to a flat above the kebab shop',
      informant: { name: 'Anonymous neighbour', contact: '07700 900123' },
    });
    expect(codes(r)).toEqual([]);
    const id = idOf(r);
    const asSupervisor = await app.gql<{ intelligenceReport: { informant: unknown; redactedFields: string[] } }>(
      GET,
      { id },
      tokens.supervisor,
    );
    expect(asSupervisor.body.data!.intelligenceReport.informant).toEqual({ name: 'Anonymous neighbour', contact: '07700 900123' });
    expect(asSupervisor.body.data!.intelligenceReport.redactedFields).toEqual([]);
    for (const who of ['analyst', 'investigator']) {
      const other = await app.gql<{ intelligenceReport: { informant: unknown; redactedFields: string[] } }>(GET, { id }, tokens[who]);
      expect(other.body.data!.intelligenceReport.informant).toBeNull();
      expect(other.body.data!.intelligenceReport.redactedFields).toEqual(['informant']);
    }
  });

  it('lets a partner app submit and read back its own submissions, with grading withheld', async () => {
    const r = await submit(tokens.app, { sourceType: 'VOLUNTARY', narrative: 'Outreach van saw a girl in a car with two men' });
    expect(codes(r)).toEqual([]);
    const back = await app.gql<{ intelligenceReport: { sourceEvaluation: unknown; redactedFields: string[] } }>(
      GET,
      { id: idOf(r) },
      tokens.app,
    );
    expect(back.body.data!.intelligenceReport.redactedFields).toEqual(expect.arrayContaining(['sourceEvaluation', 'informant']));
  });

  it.each([
    ['practitioner', 'FORBIDDEN'],
    ['auditor', 'FORBIDDEN'],
    ['admin', 'FORBIDDEN'],
  ])('refuses a %s who is no reporter: %s', async (who, code) => {
    expect(codes(await submit(tokens[who], { sourceType: 'SOCIAL_CARE' }))).toEqual([code]);
  });

  const longNarrative = 'x'.repeat(20_001);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
  it.each([
    ['an unknown source type', { sourceType: 'RUMOUR' }],
    ['an empty narrative', { narrative: '' }],
    ['a blank narrative', { narrative: '   \n ' }],
    ['a narrative over 20,000 characters', { narrative: longNarrative }],
    ['an occurredAt in the future', { occurredAt: tomorrow }],
    ['a receivedAt in the future', { receivedAt: tomorrow }],
    ['an occurredAt after receivedAt', { receivedAt: '2024-01-01T00:00:00Z', occurredAt: '2024-02-01T00:00:00Z' }],
    ['a malformed date', { occurredAt: 'last Tuesday' }],
    ['a receivedAt in year 1', { receivedAt: '0001-01-01T00:00:00Z' }],
    ['an unknown division', { divisionId: 'atlantis' }],
    ['an unknown risk indicator', { riskIndicators: ['BAD_VIBES'] }],
    ['a repeated risk indicator', { riskIndicators: ['SELF_HARM', 'SELF_HARM'] }],
    ['informant details on a non-public report', { informant: { name: 'A teacher' } }],
    ['an overlong idempotency key', { idempotencyKey: 'k'.repeat(201) }],
  ])('refuses %s as BAD_USER_INPUT, naming the field, and writes nothing', async (_case, input) => {
    const before = await countRows(app.db, 'intelligence_reports');
    const r = await submit(tokens.lead, input);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    const error = r.body.errors![0];
    expect(JSON.stringify(error)).toMatch(new RegExp(Object.keys(input)[0]));
    expect(await countRows(app.db, 'intelligence_reports')).toBe(before);
  });
});

describe('reading intelligence', () => {
  let schoolReport: string;
  let charityReport: string;
  beforeAll(async () => {
    schoolReport = idOf(await submit(tokens.lead, { narrative: 'Scoped read check: school concern zanzibar' }));
    charityReport = idOf(
      await submit(tokens.reporter, { sourceType: 'VOLUNTARY', narrative: 'Scoped read check: charity concern zanzibar' }),
    );
  });

  it("gives an agency's reporter its own submissions only; another agency's report is NOT_FOUND", async () => {
    expect(codes(await app.gql(GET, { id: schoolReport }, tokens.lead))).toEqual([]);
    expect(codes(await app.gql(GET, { id: charityReport }, tokens.lead))).toEqual(['NOT_FOUND']);
    const missing = await app.gql(GET, { id: '00000000-0000-4000-8000-000000000000' }, tokens.lead);
    expect(codes(missing)).toEqual(['NOT_FOUND']);
  });

  it('applies the scope before paging and counting', async () => {
    const [{ n }] = await app.db.query(
      `SELECT count(*)::int AS n FROM intelligence_reports r JOIN agencies a ON a.id = r.submitted_by_agency_id WHERE a.name = 'Brookfield High School'`,
    );
    const list = await app.gql<{ intelligenceReports: { totalCount: number } }>(LIST, { first: 1 }, tokens.lead);
    expect(list.body.data!.intelligenceReports.totalCount).toBe(n);
    const all = await app.gql<{ intelligenceReports: { totalCount: number } }>(LIST, { first: 1 }, tokens.analyst);
    expect(all.body.data!.intelligenceReports.totalCount).toBe(await countRows(app.db, 'intelligence_reports'));
  });

  it('is FORBIDDEN to roles that read no intelligence', async () => {
    for (const who of ['auditor', 'admin']) {
      expect(codes(await app.gql(LIST, {}, tokens[who]))).toEqual(['FORBIDDEN']);
    }
    expect(codes(await app.gql(LIST, {}))).toEqual(['UNAUTHENTICATED']);
  });

  it('gives a care reader who is not a reporter only the reports of its break-glass grants: none without one', async () => {
    const r = await app.gql<{ intelligenceReports: { totalCount: number } }>(LIST, {}, tokens.practitioner);
    expect(codes(r)).toEqual([]);
    expect(r.body.data!.intelligenceReports.totalCount).toBe(0);
  });

  it('pages newest first with stable cursors: every report exactly once, in order', async () => {
    const seen: string[] = [];
    const filter = { receivedFrom: '2000-01-01T00:00:00Z' };
    let after: string | undefined;
    let total = 0;
    for (let page = 0; page < 500; page++) {
      const r = await app.gql<{
        intelligenceReports: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string };
          edges: { node: { id: string } }[];
        };
      }>(LIST, { f: filter, first: 100, after }, tokens.analyst);
      const conn = r.body.data!.intelligenceReports;
      total = conn.totalCount;
      seen.push(...conn.edges.map((e) => e.node.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
  });

  it.each([
    ['first over 100', { first: 101 }],
    ['first of 0', { first: 0 }],
    ['first of 99999999', { first: 99_999_999 }],
    ['a forged cursor', { after: Buffer.from('["x", "y"]').toString('base64url') }],
    ['a garbage cursor', { after: "'; DROP TABLE intelligence_reports; --" }],
    [
      'a cursor with a date PostgreSQL cannot read',
      { after: Buffer.from('["1 2", "00000000-0000-4000-8000-000000000000"]').toString('base64url') },
    ],
    ['an unknown division filter', { f: { division: 'atlantis' } }],
    ['a reversed date range', { f: { receivedFrom: '2014-01-01T00:00:00Z', receivedTo: '2013-01-01T00:00:00Z' } }],
    ['a malformed subject id', { f: { subjectId: 'nope' } }],
  ])('refuses %s as BAD_USER_INPUT', async (_case, vars) => {
    expect(codes(await app.gql(LIST, vars, tokens.analyst))).toEqual(['BAD_USER_INPUT']);
  });

  it('does not let a reporter probe flags or subjects through filters', async () => {
    expect(codes(await app.gql(LIST, { f: { flagged: true } }, tokens.lead))).toEqual(['FORBIDDEN']);
  });

  it('filters by division (or none), source type, status, dates and risk indicator', async () => {
    const marker = 'filtertoken';
    const a = idOf(
      await submit(tokens.lead, {
        narrative: `${marker} one`,
        divisionId: 'bury',
        riskIndicators: ['SELF_HARM'],
        receivedAt: '2020-05-01T10:00:00Z',
      }),
    );
    const b = idOf(await submit(tokens.lead, { narrative: `${marker} two`, receivedAt: '2020-06-01T10:00:00Z' }));
    const ids = async (f: Record<string, unknown>) => {
      const r = await app.gql<{ intelligenceReports: { edges: { node: { id: string; narrative: string } }[] } }>(
        LIST,
        { f: { receivedFrom: '2020-01-01T00:00:00Z', receivedTo: '2021-01-01T00:00:00Z', ...f }, first: 100 },
        tokens.lead,
      );
      expect(codes(r)).toEqual([]);
      return r.body.data!.intelligenceReports.edges.filter((e) => e.node.narrative.startsWith(marker)).map((e) => e.node.id);
    };
    expect(await ids({})).toEqual([b, a]);
    expect(await ids({ division: 'bury' })).toEqual([a]);
    expect(await ids({ division: 'none' })).toEqual([b]);
    expect(await ids({ riskIndicator: 'SELF_HARM' })).toEqual([a]);
    expect(await ids({ sourceType: 'PUBLIC' })).toEqual([]);
    expect(await ids({ status: 'SUBMITTED' })).toEqual([b, a]);
    expect(await ids({ receivedTo: '2020-05-15T00:00:00Z' })).toEqual([a]);
  });
});

describe('assessIntelligence', () => {
  let id: string;
  beforeEach(async () => {
    id = idOf(await submit(tokens.lead, { narrative: 'A report to grade' }));
  });
  const grade = { sourceEvaluation: 'UNTESTED', intelligenceAssessment: 'NOT_KNOWN', handlingCode: 'P' };

  it('moves through the lifecycle: under assessment, assessed with grading, actioned', async () => {
    expect((await app.gql(ASSESS, { id, i: { status: 'UNDER_ASSESSMENT' } }, tokens.analyst)).body.data).toEqual({
      assessIntelligence: { status: 'UNDER_ASSESSMENT', sourceEvaluation: null, handlingCode: null },
    });
    expect((await app.gql(ASSESS, { id, i: grade }, tokens.analyst)).body.data).toEqual({
      assessIntelligence: { status: 'ASSESSED', sourceEvaluation: 'UNTESTED', handlingCode: 'P' },
    });
    expect((await app.gql(ASSESS, { id, i: { status: 'ACTIONED' } }, tokens.supervisor)).body.data).toMatchObject({
      assessIntelligence: { status: 'ACTIONED' },
    });
    expect(codes(await app.gql(ASSESS, { id, i: { status: 'NO_FURTHER_ACTION' } }, tokens.analyst))).toEqual(['BAD_USER_INPUT']);
    const [{ n }] = await app.db.query(`SELECT count(*)::int AS n FROM record_history WHERE record_id = $1`, [id]);
    expect(n).toBe(4);
  });

  it('allows re-grading an assessed report and keeps the earlier grade in the history', async () => {
    await app.gql(ASSESS, { id, i: grade }, tokens.analyst);
    await app.gql(ASSESS, { id, i: { ...grade, sourceEvaluation: 'RELIABLE' } }, tokens.analyst);
    const [row] = await app.db.query(
      `SELECT before->>'sourceEvaluation' AS was FROM record_history WHERE record_id = $1 ORDER BY id DESC LIMIT 1`,
      [id],
    );
    expect(row.was).toBe('UNTESTED');
  });

  it.each([
    ['skipping to ACTIONED', { status: 'ACTIONED' }],
    ['ASSESSED without grading', { status: 'ASSESSED' }],
    ['partial grading', { sourceEvaluation: 'RELIABLE', handlingCode: 'P' }],
    ['handling code C without conditions', { ...grade, handlingCode: 'C' }],
    ['conditions with handling code P', { ...grade, handlingConditions: 'only police' }],
    ['grading with another status', { ...grade, status: 'ACTIONED' }],
    ['nothing to do', {}],
    ['an unknown grade', { ...grade, sourceEvaluation: 'GOSSIP' }],
  ])('refuses %s as BAD_USER_INPUT and changes nothing', async (_case, input) => {
    expect(codes(await app.gql(ASSESS, { id, i: input }, tokens.analyst))).toEqual(['BAD_USER_INPUT']);
    const [row] = await app.db.query(`SELECT status, source_evaluation FROM intelligence_reports WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'SUBMITTED', source_evaluation: null });
  });

  it('is FORBIDDEN to investigators and non-police, NOT_FOUND for an unknown report', async () => {
    expect(codes(await app.gql(ASSESS, { id, i: grade }, tokens.investigator))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(ASSESS, { id, i: grade }, tokens.lead))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(ASSESS, { id: '00000000-0000-4000-8000-000000000000', i: grade }, tokens.analyst))).toEqual(['NOT_FOUND']);
  });
});

describe('searchIntelligence', () => {
  it('finds words in narratives and locations, ranks better matches first, and respects filters', async () => {
    const both = idOf(
      await submit(tokens.lead, {
        narrative: 'Girl seen with a mauvecar driver, another mauvecar sighting later',
        location: 'mauvecar depot',
      }),
    );
    const once = idOf(await submit(tokens.lead, { narrative: 'One mauvecar mention only' }));
    const r = await app.gql<{ searchIntelligence: { totalCount: number; edges: { node: { id: string } }[] } }>(
      `query($t: String!) { searchIntelligence(text: $t) { totalCount edges { node { id } } } }`,
      { t: 'mauvecar' },
      tokens.analyst,
    );
    expect(r.body.data!.searchIntelligence.edges.map((e) => e.node.id)).toEqual([both, once]);
    expect(r.body.data!.searchIntelligence.totalCount).toBe(2);
  });

  it('treats SQL and search syntax in the text as words', async () => {
    for (const t of ["'; DROP TABLE intelligence_reports; --", 'a & | ! ( ) :* <->', '"unterminated', '🙂 ümlaut ß']) {
      const r = await app.gql(`query($t: String!) { searchIntelligence(text: $t) { totalCount } }`, { t }, tokens.analyst);
      expect(codes(r)).toEqual([]);
    }
  });

  it('is for police analysts and supervisors', async () => {
    const q = `{ searchIntelligence(text: "taxi") { totalCount } }`;
    expect(codes(await app.gql(q, {}, tokens.investigator))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(q, {}, tokens.lead))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(q, {}, tokens.supervisor))).toEqual([]);
    expect(codes(await app.gql(`{ searchIntelligence(text: "  ") { totalCount } }`, {}, tokens.analyst))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('a partner app that may only submit', () => {
  it('gets its submission back but cannot read it later', async () => {
    await app.db.query(`UPDATE service_accounts SET scopes = '{SUBMIT_INTELLIGENCE}' WHERE client_id = $1`, [DEMO_CLIENT_ID]);
    try {
      const token = (
        await app.gql<{ serviceToken: { accessToken: string } }>(
          'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken } }',
          { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET },
        )
      ).body.data!.serviceToken.accessToken;
      const input = { idempotencyKey: 'submit-only', sourceType: 'VOLUNTARY', narrative: 'Submit-only app report' };
      const r = await submit(token, input);
      expect(codes(r)).toEqual([]);
      expect(idOf(await submit(token, input))).toBe(idOf(r));
      expect(codes(await app.gql(GET, { id: idOf(r) }, token))).toEqual(['FORBIDDEN']);
    } finally {
      await app.db.query(`UPDATE service_accounts SET scopes = '{SUBMIT_INTELLIGENCE,READ_OWN_SUBMISSIONS}' WHERE client_id = $1`, [
        DEMO_CLIENT_ID,
      ]);
    }
  });
});
