import { codes, countRows, type GqlResult, startTestApp, type TestApp } from '../support/test-app';

// Inputs an agency system may well send: explicit nulls, empty strings, blank identifiers and
// upper-case UUIDs. None may be a 500, and null always means "not given".

let app: TestApp;
const t: Record<string, string> = {};
let reportId: string;
beforeAll(async () => {
  app = await startTestApp();
  for (const email of ['analyst@gmp.example', 'investigator@gmp.example', 'lead@brookfield-high.example']) {
    t[email.split('@')[0]] = (await app.login(email)).accessToken;
  }
  reportId = (await submit(t.investigator, { sourceType: 'POLICE' })).body.data!.submitIntelligence.id;
});
afterAll(() => app.close());

const SUBMIT = `mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id reference division { id } } }`;
const LINK = `mutation($r: ID!, $i: LinkSubjectInput!) { linkSubject(reportId: $r, input: $i) { subjects { subject { id fullName } } } }`;
const MATCHES = `query($c: NewSubjectInput!) { subjectMatches(candidate: $c) { confidence reason subject { id } } }`;
const RECORD = `mutation($i: RecordCrimeInput!) { recordCrime(input: $i) { id division { id } victims { id } suspects { id } } }`;
const ASSESS = `mutation($id: ID!, $i: AssessmentInput!) { assessIntelligence(id: $id, input: $i) { status handlingCode handlingConditions } }`;
const REPORTS = `query($f: IntelligenceFilter) { intelligenceReports(filter: $f, first: 1) { totalCount } }`;
const SUBJECTS = `query($f: SubjectFilter) { subjects(filter: $f, first: 1) { totalCount } }`;
const CRIMES = `query($f: CrimeFilter) { crimes(filter: $f, first: 1) { totalCount } }`;

let n = 0;
function submit(token: string, input: Record<string, unknown>) {
  return app.gql<{ submitIntelligence: { id: string; reference: string; division: { id: string } | null } }>(
    SUBMIT,
    { i: { sourceType: 'EDUCATION', narrative: `Input check ${++n}: pupil seen with older men`, ...input } },
    token,
  );
}

type LinkResult = GqlResult<{ linkSubject: { subjects: { subject: { id: string; fullName: string } }[] } }>;
async function link(input: Record<string, unknown>): Promise<LinkResult> {
  return app.gql(LINK, { r: reportId, i: { role: 'POTENTIAL_VICTIM', ...input } }, t.investigator);
}
async function newSubjectId(subject: Record<string, unknown> = {}): Promise<string> {
  const fullName = `Inputcheck Person${++n}`;
  const r = await link({ newSubject: { fullName, ...subject } });
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.linkSubject.subjects.find((s) => s.subject.fullName === fullName)!.subject.id;
}
const fieldOf = (r: GqlResult) => r.body.errors?.[0]?.extensions?.field;
const totalOf = (r: GqlResult) => Object.values(r.body.data as Record<string, { totalCount: number }>)[0].totalCount;

describe('empty and blank division ids', () => {
  it.each(['', '   '])('submitIntelligence refuses divisionId %j, naming the field, and writes nothing', async (divisionId) => {
    const before = await countRows(app.db, 'intelligence_reports');
    const r = await submit(t.lead, { divisionId });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(r)).toBe('divisionId');
    expect(await countRows(app.db, 'intelligence_reports')).toBe(before);
  });

  it.each(['', '   '])('recordCrime refuses divisionId %j, naming the field, and writes nothing', async (divisionId) => {
    const victim = await newSubjectId();
    const before = await countRows(app.db, 'crimes');
    const r = await app.gql(
      RECORD,
      {
        i: {
          crimeReference: `BLANK-DIV-${++n}`,
          offence: 'Sexual activity with a child',
          recordedOn: '2014-01-10',
          divisionId,
          victimIds: [victim],
        },
      },
      t.investigator,
    );
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(r)).toBe('input.divisionId');
    expect(await countRows(app.db, 'crimes')).toBe(before);
  });

  it.each([
    [REPORTS, { division: '' }],
    [CRIMES, { division: ' ' }],
  ])('a list filter refuses a blank division', async (query, f) => {
    const r = await app.gql(query, { f }, t.analyst);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(r)).toBe('filter.division');
  });

  it('null divisionId means no division, in submitIntelligence and recordCrime', async () => {
    const r = await submit(t.lead, { divisionId: null });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.submitIntelligence.division).toBeNull();
    const victim = await newSubjectId();
    const c = await app.gql<{ recordCrime: { division: null } }>(
      RECORD,
      {
        i: {
          crimeReference: `NULL-DIV-${++n}`,
          offence: 'Sexual activity with a child',
          recordedOn: '2014-01-10',
          divisionId: null,
          victimIds: [victim],
        },
      },
      t.investigator,
    );
    expect(c.body.errors).toBeUndefined();
    expect(c.body.data!.recordCrime.division).toBeNull();
  });

  it('an idempotent retry with divisionId null matches the original without it', async () => {
    const input = { idempotencyKey: `null-retry-${++n}`, narrative: 'Pupil collected from school by unknown adults' };
    const first = await submit(t.lead, input);
    const retry = await submit(t.lead, { ...input, divisionId: null, location: null, occurredAt: null });
    expect(retry.body.errors).toBeUndefined();
    expect(retry.body.data!.submitIntelligence.id).toBe(first.body.data!.submitIntelligence.id);
  });
});

describe('explicit null means "not given"', () => {
  it('in NewSubjectInput: null identifiers, date of birth and aliases', async () => {
    const r = await link({
      newSubject: {
        fullName: `Nullfields Person${++n}`,
        nhsNumber: null,
        policeReference: null,
        schoolUpn: null,
        socialCareId: null,
        dateOfBirth: null,
        approximateAge: 14,
        aliases: null,
        gender: null,
      },
      subjectId: null,
      allowPossibleDuplicate: null,
    });
    expect(r.body.errors).toBeUndefined();
    const m = await app.gql(MATCHES, { c: { fullName: 'Nobody Like This', nhsNumber: null, dateOfBirth: null } }, t.investigator);
    expect(m.body.errors).toBeUndefined();
  });

  it('in IntelligenceFilter: flagged, division and subjectId null list what no filter lists', async () => {
    const all = totalOf(await app.gql(REPORTS, {}, t.analyst));
    const r = await app.gql(REPORTS, { f: { flagged: null, division: null, subjectId: null } }, t.analyst);
    expect(r.body.errors).toBeUndefined();
    expect(totalOf(r)).toBe(all);
    // For a reader without access to subjects, a null subject filter asks nothing of subjects.
    const lead = await app.gql(REPORTS, { f: { flagged: null, subjectId: null } }, t.lead);
    expect(lead.body.errors).toBeUndefined();
    expect(totalOf(lead)).toBe(totalOf(await app.gql(REPORTS, {}, t.lead)));
  });

  it('in SubjectFilter and CrimeFilter', async () => {
    const subjects = totalOf(await app.gql(SUBJECTS, {}, t.investigator));
    // name: null is no fuzzy search, so an investigator (no fuzzy search) may send it.
    const s = await app.gql(SUBJECTS, { f: { name: null, dateOfBirth: null, identifier: null, flagKind: null } }, t.investigator);
    expect(s.body.errors).toBeUndefined();
    expect(totalOf(s)).toBe(subjects);
    const crimes = totalOf(await app.gql(CRIMES, {}, t.investigator));
    const c = await app.gql(CRIMES, { f: { division: null, subjectId: null, recordedFrom: null } }, t.investigator);
    expect(c.body.errors).toBeUndefined();
    expect(totalOf(c)).toBe(crimes);
  });

  it('in AssessmentInput: handlingConditions null goes with handling code P', async () => {
    const id = (await submit(t.investigator, { sourceType: 'POLICE' })).body.data!.submitIntelligence.id;
    const r = await app.gql(
      ASSESS,
      { id, i: { sourceEvaluation: 'RELIABLE', intelligenceAssessment: 'KNOWN_DIRECTLY', handlingCode: 'P', handlingConditions: null } },
      t.analyst,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({ assessIntelligence: { status: 'ASSESSED', handlingCode: 'P', handlingConditions: null } });
  });
});

describe('blank identifiers', () => {
  it.each(['policeReference', 'socialCareId', 'nhsNumber', 'schoolUpn'])(
    'refuses a blank %s, naming the field, and writes nothing',
    async (key) => {
      const before = await countRows(app.db, 'subjects');
      for (const blank of ['', '   ']) {
        const r = await link({ newSubject: { fullName: `Blank Identifier${++n}`, [key]: blank } });
        expect(codes(r)).toEqual(['BAD_USER_INPUT']);
        expect(fieldOf(r)).toBe(`input.newSubject.${key}`);
      }
      expect(await countRows(app.db, 'subjects')).toBe(before);
    },
  );

  it('never matches two people on blank identifiers', async () => {
    const r = await app.gql(MATCHES, { c: { fullName: 'Blank Match', policeReference: '  ' } }, t.investigator);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(r)).toBe('candidate.policeReference');
    const f = await app.gql(SUBJECTS, { f: { identifier: '   ' } }, t.investigator);
    expect(codes(f)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(f)).toBe('filter.identifier');
  });

  it('stores identifiers trimmed, and still matches them exactly', async () => {
    const k = ++n;
    const ref = `GMP/T${k}`;
    await newSubjectId({ policeReference: `  ${ref}  `, socialCareId: ` SC-${k} ` });
    const [row] = await app.db.query<{ police_reference: string; social_care_id: string }[]>(
      `SELECT police_reference, social_care_id FROM subjects WHERE police_reference = $1`,
      [ref],
    );
    expect(row).toEqual({ police_reference: ref, social_care_id: `SC-${k}` });
    const m = await app.gql<{ subjectMatches: { confidence: number; reason: string }[] }>(
      MATCHES,
      { c: { fullName: 'Someone Else', policeReference: ref } },
      t.investigator,
    );
    expect(m.body.data!.subjectMatches).toEqual([expect.objectContaining({ confidence: 1, reason: 'IDENTIFIER' })]);
  });

  it.each(['police_reference', 'nhs_number', 'school_upn', 'social_care_id'])('the database refuses a blank %s', async (column) => {
    await expect(
      app.db.query(`INSERT INTO subjects (full_name, ${column}, created_by_agency_id) SELECT 'Blank Db', ' ', id FROM agencies LIMIT 1`),
    ).rejects.toThrow(/check constraint/);
  });

  it('refuses blank aliases', async () => {
    const r = await link({ newSubject: { fullName: `Blank Alias${++n}`, aliases: ['Kay', '  '] } });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(r)).toBe('input.newSubject.aliases');
  });
});

describe('upper-case UUIDs are the same ids', () => {
  it('recordCrime finds victims and suspects given in upper case', async () => {
    const [victim, suspect] = [await newSubjectId(), await newSubjectId()];
    const r = await app.gql<{ recordCrime: { victims: { id: string }[]; suspects: { id: string }[] } }>(
      RECORD,
      {
        i: {
          crimeReference: `UPPER-${++n}`,
          offence: 'Sexual activity with a child',
          recordedOn: '2014-01-10',
          victimIds: [victim.toUpperCase()],
          suspectIds: [suspect.toUpperCase()],
        },
      },
      t.investigator,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.recordCrime).toMatchObject({ victims: [{ id: victim }], suspects: [{ id: suspect }] });
  });

  it('recordCrime sees one person in two cases as both victim and suspect', async () => {
    const person = await newSubjectId();
    const r = await app.gql(
      RECORD,
      {
        i: {
          crimeReference: `UPPER-${++n}`,
          offence: 'Sexual activity with a child',
          recordedOn: '2014-01-10',
          victimIds: [person],
          suspectIds: [person.toUpperCase()],
        },
      },
      t.investigator,
    );
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(fieldOf(r)).toBe('input.suspectIds');
  });

  it('reads and links by an upper-case id', async () => {
    const subject = await newSubjectId();
    const s = await app.gql<{ subject: { id: string } }>(
      `query($id: ID!) { subject(id: $id) { id } }`,
      { id: subject.toUpperCase() },
      t.investigator,
    );
    expect(s.body.data!.subject.id).toBe(subject);
    const r = await app.gql<{ intelligenceReport: { id: string } }>(
      `query { intelligenceReport(id: "${reportId.toUpperCase()}") { id } }`,
      {},
      t.investigator,
    );
    expect(r.body.data!.intelligenceReport.id).toBe(reportId);
    const linked = await link({ subjectId: subject.toUpperCase(), role: 'POTENTIAL_VICTIM' });
    expect(linked.body.errors).toBeUndefined();
  });
});
