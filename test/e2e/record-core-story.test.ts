import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * The "done when" story: a school submits a concern about a pupil; a police analyst finds it
 * by text search, grades it, links the pupil as potential victim and an adult as potential
 * perpetrator, flags both, and records a crime.
 */
let app: TestApp;
let school: string;
let analyst: string;
let supervisor: string;
beforeAll(async () => {
  app = await startTestApp();
  school = (await app.login('lead@brookfield-high.example')).accessToken;
  analyst = (await app.login('analyst@gmp.example')).accessToken;
  supervisor = (await app.login('supervisor@gmp.example')).accessToken;
});
afterAll(() => app.close());

const SUBMIT = `mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) {
  id reference status sourceType narrative division { id name } submittedBy { name } riskIndicators handlingCode redactedFields } }`;
const SEARCH = `query($t: String!) { searchIntelligence(text: $t, first: 10) { totalCount edges { node { id narrative } } } }`;
const ASSESS = `mutation($id: ID!, $i: AssessmentInput!) { assessIntelligence(id: $id, input: $i) {
  id status sourceEvaluation intelligenceAssessment handlingCode handlingConditions history { action before after } } }`;
const LINK = `mutation($r: ID!, $i: LinkSubjectInput!) { linkSubject(reportId: $r, input: $i) { id subjects { role subject { id fullName age } } } }`;
const FLAG = `mutation($s: ID!, $i: FlagInput!) { flagSubject(subjectId: $s, input: $i) { id kind riskLevel status } }`;
const RECORD = `mutation($i: RecordCrimeInput!) { recordCrime(input: $i) {
  id crimeReference division { id } victims { id fullName } suspects { id fullName } } }`;

const yearsAgo = (years: number) => {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.toISOString().slice(0, 10);
};

it('a concern travels from a school to a recorded crime', async () => {
  // 1. The school's safeguarding lead submits a concern.
  const submitted = await app.gql<{ submitIntelligence: Record<string, unknown> & { id: string } }>(
    SUBMIT,
    {
      i: {
        sourceType: 'EDUCATION',
        narrative:
          'Year 9 pupil Zephyrine Quillfeather collected from the school gates by an adult man in a silver minicab most afternoons.',
        location: 'School gates, Brookfield Road',
        divisionId: 'rochdale',
        riskIndicators: ['TRANSPORTED_BY_ADULTS', 'OLDER_PARTNER'],
      },
    },
    school,
  );
  expect(codes(submitted)).toEqual([]);
  const report = submitted.body.data!.submitIntelligence;
  expect(report).toMatchObject({
    status: 'SUBMITTED',
    sourceType: 'EDUCATION',
    division: { id: 'rochdale', name: 'Rochdale' },
    submittedBy: { name: 'Brookfield High School' },
    handlingCode: null,
  });
  expect(report.redactedFields).toEqual(expect.arrayContaining(['handlingCode', 'informant', 'subjects']));

  // 2. The analyst finds it by full-text search (stemmed: "minicabs" finds "minicab").
  const found = await app.gql<{ searchIntelligence: { totalCount: number; edges: { node: { id: string } }[] } }>(
    SEARCH,
    { t: 'minicabs Quillfeather' },
    analyst,
  );
  expect(found.body.data!.searchIntelligence.edges.map((e) => e.node.id)).toContain(report.id);

  // 3. Grades it: 3x5x2, handling code C with conditions.
  const graded = await app.gql<{ assessIntelligence: Record<string, unknown> & { history: { action: string }[] } }>(
    ASSESS,
    {
      id: report.id,
      i: {
        sourceEvaluation: 'RELIABLE',
        intelligenceAssessment: 'KNOWN_INDIRECTLY',
        handlingCode: 'C',
        handlingConditions: 'Share with children’s social care only',
      },
    },
    analyst,
  );
  expect(codes(graded)).toEqual([]);
  expect(graded.body.data!.assessIntelligence).toMatchObject({ status: 'ASSESSED', sourceEvaluation: 'RELIABLE', handlingCode: 'C' });
  expect(graded.body.data!.assessIntelligence.history.map((h) => h.action)).toEqual(['submitted', 'assessed']);

  // 4. Links the pupil as potential victim and an adult as potential perpetrator.
  const pupil = await app.gql<{ linkSubject: { subjects: { role: string; subject: { id: string; age: number } }[] } }>(
    LINK,
    {
      r: report.id,
      i: {
        role: 'POTENTIAL_VICTIM',
        newSubject: { fullName: 'Zephyrine Quillfeather', dateOfBirth: yearsAgo(14), gender: 'FEMALE', nhsNumber: '943 476 5919' },
      },
    },
    analyst,
  );
  expect(codes(pupil)).toEqual([]);
  const adult = await app.gql<{ linkSubject: { subjects: { role: string; subject: { id: string; fullName: string } }[] } }>(
    LINK,
    {
      r: report.id,
      i: {
        role: 'POTENTIAL_PERPETRATOR',
        newSubject: { fullName: 'Barnaby Thistlewood', approximateAge: 34, gender: 'MALE', aliases: ['Barney'] },
      },
    },
    analyst,
  );
  expect(codes(adult)).toEqual([]);
  const links = adult.body.data!.linkSubject.subjects;
  expect(links.map((l) => [l.role, l.subject.fullName])).toEqual([
    ['POTENTIAL_VICTIM', 'Zephyrine Quillfeather'],
    ['POTENTIAL_PERPETRATOR', 'Barnaby Thistlewood'],
  ]);
  const [victimId, suspectId] = links.map((l) => l.subject.id);

  // 5. Flags both.
  const riskFlag = await app.gql(
    FLAG,
    {
      s: victimId,
      i: { kind: 'CSE_RISK', riskLevel: 'HIGH', reason: 'Collected by unknown adult; older partner', reviewDate: yearsAgo(-1) },
    },
    supervisor,
  );
  const perpFlag = await app.gql(
    FLAG,
    { s: suspectId, i: { kind: 'CSE_PERPETRATOR', riskLevel: 'HIGH', reason: 'Transports pupils in a minicab' } },
    analyst,
  );
  expect(codes(riskFlag)).toEqual([]);
  expect(codes(perpFlag)).toEqual([]);

  // 6. Records a crime with victim and suspect.
  const crime = await app.gql<{ recordCrime: Record<string, unknown> }>(
    RECORD,
    {
      i: {
        crimeReference: 'GMP-TEST-0001',
        offence: 'Sexual communication with a child',
        divisionId: 'rochdale',
        recordedOn: yearsAgo(0),
        victimIds: [victimId],
        suspectIds: [suspectId],
      },
    },
    analyst,
  );
  expect(codes(crime)).toEqual([]);
  expect(crime.body.data!.recordCrime).toMatchObject({
    crimeReference: 'GMP-TEST-0001',
    division: { id: 'rochdale' },
    victims: [{ id: victimId, fullName: 'Zephyrine Quillfeather' }],
    suspects: [{ id: suspectId, fullName: 'Barnaby Thistlewood' }],
  });

  // The whole picture, from the pupil's record.
  const subject = await app.gql<{ subject: Record<string, unknown> }>(
    `query($id: ID!) { subject(id: $id) { fullName age nhsNumber activeFlags { kind riskLevel } reports { role report { id } } crimes { role crime { crimeReference } } } }`,
    { id: victimId },
    analyst,
  );
  expect(subject.body.data!.subject).toEqual({
    fullName: 'Zephyrine Quillfeather',
    age: 14,
    nhsNumber: '9434765919',
    activeFlags: [{ kind: 'CSE_RISK', riskLevel: 'HIGH' }],
    reports: [{ role: 'POTENTIAL_VICTIM', report: { id: report.id } }],
    crimes: [{ role: 'VICTIM', crime: { crimeReference: 'GMP-TEST-0001' } }],
  });

  // The school reads back its own report: status moved on, police grading withheld.
  const readBack = await app.gql<{ intelligenceReport: Record<string, unknown> }>(
    `query($id: ID!) { intelligenceReport(id: $id) { status handlingCode subjects { role } redactedFields } }`,
    { id: report.id },
    school,
  );
  expect(readBack.body.data!.intelligenceReport).toMatchObject({ status: 'ASSESSED', handlingCode: null, subjects: [] });
});
