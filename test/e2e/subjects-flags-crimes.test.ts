import { codes, countRows, startTestApp, type TestApp } from '../support/test-app';

let app: TestApp;
const t: Record<string, string> = {};
let reportId: string;
beforeAll(async () => {
  app = await startTestApp();
  for (const email of ['analyst@gmp.example', 'investigator@gmp.example', 'supervisor@gmp.example', 'lead@brookfield-high.example']) {
    t[email.split('@')[0]] = (await app.login(email)).accessToken;
  }
  const r = await app.gql<{ submitIntelligence: { id: string } }>(
    `mutation { submitIntelligence(input: { sourceType: POLICE, narrative: "Officers saw a group of girls with older men at a party flat" }) { id } }`,
    {},
    t.investigator,
  );
  reportId = r.body.data!.submitIntelligence.id;
});
afterAll(() => app.close());

const LINK = `mutation($r: ID!, $i: LinkSubjectInput!) { linkSubject(reportId: $r, input: $i) { subjects { role subject { id fullName } } } }`;
const FLAG = `mutation($s: ID!, $i: FlagInput!) { flagSubject(subjectId: $s, input: $i) { id kind riskLevel status } }`;
const END = `mutation($f: ID!, $r: String!) { endFlag(flagId: $f, reason: $r) { id status endReason endedAt } }`;
const RECORD = `mutation($i: RecordCrimeInput!) { recordCrime(input: $i) { id crimeReference victims { id } suspects { id } } }`;

const dob = (age: number) => {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - age);
  d.setUTCDate(d.getUTCDate() - 10);
  return d.toISOString().slice(0, 10);
};

let made = 0;
async function newSubject(subject: Record<string, unknown>, role = 'POTENTIAL_VICTIM', extra: Record<string, unknown> = {}) {
  const r = await app.gql<{ linkSubject: { subjects: { role: string; subject: { id: string; fullName: string } }[] } }>(
    LINK,
    { r: reportId, i: { role, newSubject: { fullName: `Testperson Number${++made}`, ...subject }, ...extra } },
    t.investigator,
  );
  return r;
}
const lastLinkedId = (r: Awaited<ReturnType<typeof newSubject>>) => r.body.data!.linkSubject.subjects.at(-1)!.subject.id;

describe('linkSubject', () => {
  it('refuses an invalid NHS number, naming the field, and writes nothing', async () => {
    const before = await countRows(app.db, 'subjects');
    const r = await newSubject({ nhsNumber: '9434765918' });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].extensions!.field).toBe('input.newSubject.nhsNumber');
    expect(await countRows(app.db, 'subjects')).toBe(before);
  });

  it.each([
    [
      'both subjectId and newSubject',
      { subjectId: '00000000-0000-4000-8000-000000000000', newSubject: { fullName: 'X' } },
      'BAD_USER_INPUT',
    ],
    ['neither', {}, 'BAD_USER_INPUT'],
    ['an unknown subject', { subjectId: '00000000-0000-4000-8000-000000000000' }, 'NOT_FOUND'],
    ['a future date of birth', { newSubject: { fullName: 'Future Person', dateOfBirth: dob(-2) } }, 'BAD_USER_INPUT'],
    ['an impossible date', { newSubject: { fullName: 'Leap Person', dateOfBirth: '2013-02-30' } }, 'BAD_USER_INPUT'],
    ['both date of birth and age', { newSubject: { fullName: 'Both Person', dateOfBirth: dob(14), approximateAge: 14 } }, 'BAD_USER_INPUT'],
    ['a malformed UPN', { newSubject: { fullName: 'Upn Person', schoolUpn: '12345' } }, 'BAD_USER_INPUT'],
    ['an unknown role', { subjectId: '00000000-0000-4000-8000-000000000000', role: 'BYSTANDER' }, 'BAD_USER_INPUT'],
  ])('refuses %s (%s) and writes nothing', async (_case, input, code) => {
    const before = [await countRows(app.db, 'subjects'), await countRows(app.db, 'report_subjects')];
    const r = await app.gql(LINK, { r: reportId, i: { role: 'WITNESS', ...input } }, t.investigator);
    expect(codes(r)).toEqual([code]);
    expect([await countRows(app.db, 'subjects'), await countRows(app.db, 'report_subjects')]).toEqual(before);
  });

  it('names the nested field that failed validation', async () => {
    const r = await newSubject({ schoolUpn: 'short' });
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].extensions!.field).toBe('input.newSubject.schoolUpn');
    expect(r.body.errors![0].message).toContain('schoolUpn');
  });

  it('is NOT_FOUND for an unknown report and FORBIDDEN to non-police', async () => {
    const input = { role: 'WITNESS', newSubject: { fullName: 'Someone Else' } };
    expect(codes(await app.gql(LINK, { r: '00000000-0000-4000-8000-000000000000', i: input }, t.investigator))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(LINK, { r: reportId, i: input }, t.lead))).toEqual(['FORBIDDEN']);
  });

  it('lists possible matches instead of creating a duplicate: same identifier, or similar name and same date of birth', async () => {
    const original = lastLinkedId(
      await newSubject({ fullName: 'Philippa Grimshaw-Oakes', dateOfBirth: dob(15), nhsNumber: '4010232137', aliases: ['Pip'] }),
    );
    const before = await countRows(app.db, 'subjects');

    const sameNhs = await newSubject({ fullName: 'Totally Different Name', nhsNumber: '401 023 2137' }, 'WITNESS', {
      allowPossibleDuplicate: true,
    });
    expect(codes(sameNhs)).toEqual(['CONFLICT']);
    expect(sameNhs.body.errors![0].extensions!.possibleMatches).toEqual([{ subjectId: original, confidence: 1, reason: 'IDENTIFIER' }]);

    const similar = await newSubject({ fullName: 'Phillipa Grimshaw Oakes', dateOfBirth: dob(15) });
    expect(codes(similar)).toEqual(['CONFLICT']);
    const [match] = similar.body.errors![0].extensions!.possibleMatches as { subjectId: string; confidence: number; reason: string }[];
    expect(match).toMatchObject({ subjectId: original, reason: 'NAME_AND_DATE_OF_BIRTH' });
    expect(match.confidence).toBeGreaterThan(0.5);
    expect(match.confidence).toBeLessThan(1);
    expect(await countRows(app.db, 'subjects')).toBe(before);

    const q = await app.gql<{ subjectMatches: { subject: { id: string }; confidence: number }[] }>(
      `query($c: NewSubjectInput!) { subjectMatches(candidate: $c) { subject { id } confidence reason } }`,
      { c: { fullName: 'Philippa Grimshaw Oakes', dateOfBirth: dob(15) } },
      t.analyst,
    );
    expect(q.body.data!.subjectMatches[0].subject.id).toBe(original);
    // Fuzzy name search is for analysts and supervisors: an investigator checks identifiers only.
    const byInvestigator = await app.gql<{ subjectMatches: unknown[] }>(
      `query($c: NewSubjectInput!) { subjectMatches(candidate: $c) { confidence } }`,
      { c: { fullName: 'Philippa Grimshaw Oakes', dateOfBirth: dob(15) } },
      t.investigator,
    );
    expect(byInvestigator.body.data!.subjectMatches).toEqual([]);

    // A similar name with another date of birth is a different person.
    expect(codes(await newSubject({ fullName: 'Philippa Grimshaw-Oakes', dateOfBirth: dob(16) }))).toEqual([]);
    // The caller may insist, having checked.
    expect(
      codes(await newSubject({ fullName: 'Phillipa Grimshaw Oakes', dateOfBirth: dob(15) }, 'WITNESS', { allowPossibleDuplicate: true })),
    ).toEqual([]);
  });

  it('keeps each link’s role: re-linking with the same role is harmless, with another is CONFLICT', async () => {
    const id = lastLinkedId(await newSubject({ fullName: 'Role Keeper' }, 'POTENTIAL_PERPETRATOR'));
    expect(codes(await app.gql(LINK, { r: reportId, i: { subjectId: id, role: 'POTENTIAL_PERPETRATOR' } }, t.investigator))).toEqual([]);
    expect(codes(await app.gql(LINK, { r: reportId, i: { subjectId: id, role: 'POTENTIAL_VICTIM' } }, t.investigator))).toEqual([
      'CONFLICT',
    ]);
    const [{ role }] = await app.db.query(`SELECT role FROM report_subjects WHERE subject_id = $1`, [id]);
    expect(role).toBe('POTENTIAL_PERPETRATOR');
  });
});

describe('flags', () => {
  it('never flags a child under 13 LOW, in the API or the database', async () => {
    const child = lastLinkedId(await newSubject({ dateOfBirth: dob(12) }));
    const r = await app.gql(FLAG, { s: child, i: { kind: 'CSE_RISK', riskLevel: 'LOW', reason: 'concern' } }, t.investigator);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].extensions!.field).toBe('input.riskLevel');
    await expect(
      app.db.query(
        `INSERT INTO flags (subject_id, kind, risk_level, reason, set_by_user_id, set_by_agency_id)
                    SELECT $1, 'CSE_RISK', 'LOW', 'x', u.id, u.agency_id FROM users u WHERE u.email = 'supervisor@gmp.example'`,
        [child],
      ),
    ).rejects.toThrow(/under 13/);
    const estimated = lastLinkedId(await newSubject({ approximateAge: 11 }));
    expect(
      codes(await app.gql(FLAG, { s: estimated, i: { kind: 'CSE_RISK', riskLevel: 'LOW', reason: 'concern' } }, t.investigator)),
    ).toEqual(['BAD_USER_INPUT']);
    const teen = lastLinkedId(await newSubject({ dateOfBirth: dob(13) }));
    expect(codes(await app.gql(FLAG, { s: teen, i: { kind: 'CSE_RISK', riskLevel: 'LOW', reason: 'concern' } }, t.investigator))).toEqual(
      [],
    );
  });

  it('allows one active flag of a kind; ending keeps it in the history; a new one can follow', async () => {
    const s = lastLinkedId(await newSubject({ approximateAge: 30 }, 'POTENTIAL_PERPETRATOR'));
    // Set by a supervisor, so in force at once (flag-approval.test.ts covers proposals).
    const flag = (
      await app.gql<{ flagSubject: { id: string } }>(
        FLAG,
        { s, i: { kind: 'CSE_PERPETRATOR', riskLevel: 'MEDIUM', reason: 'seen grooming' } },
        t.supervisor,
      )
    ).body.data!.flagSubject;
    expect(codes(await app.gql(FLAG, { s, i: { kind: 'CSE_PERPETRATOR', riskLevel: 'HIGH', reason: 'again' } }, t.investigator))).toEqual([
      'CONFLICT',
    ]);
    expect(codes(await app.gql(END, { f: flag.id, r: 'reviewed' }, t.investigator))).toEqual(['FORBIDDEN']);
    const ended = await app.gql(END, { f: flag.id, r: 'Reviewed: escalate to HIGH' }, t.supervisor);
    expect(ended.body.data).toMatchObject({ endFlag: { status: 'ENDED', endReason: 'Reviewed: escalate to HIGH' } });
    expect(codes(await app.gql(END, { f: flag.id, r: 'again' }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(FLAG, { s, i: { kind: 'CSE_PERPETRATOR', riskLevel: 'HIGH', reason: 'escalated' } }, t.supervisor))).toEqual(
      [],
    );
    const view = await app.gql<{ subject: { activeFlags: { riskLevel: string }[]; flags: { status: string }[] } }>(
      `query($id: ID!) { subject(id: $id) { activeFlags { riskLevel } flags { status } } }`,
      { id: s },
      t.analyst,
    );
    expect(view.body.data!.subject.activeFlags).toEqual([{ riskLevel: 'HIGH' }]);
    expect(view.body.data!.subject.flags.map((f) => f.status).sort()).toEqual(['ACTIVE', 'ENDED']);
    await expect(app.db.query(`DELETE FROM flags WHERE id = $1`, [flag.id])).rejects.toThrow(/not allowed/);
  });

  it.each([
    ['a review date in the past', { kind: 'CSE_RISK', riskLevel: 'HIGH', reason: 'r', reviewDate: '2020-01-01' }, 'BAD_USER_INPUT'],
    ['a blank reason', { kind: 'CSE_RISK', riskLevel: 'HIGH', reason: '  ' }, 'BAD_USER_INPUT'],
    ['an unknown level', { kind: 'CSE_RISK', riskLevel: 'EXTREME', reason: 'r' }, 'BAD_USER_INPUT'],
  ])('refuses %s and writes nothing', async (_case, input, code) => {
    const s = lastLinkedId(await newSubject({ approximateAge: 15 }));
    const before = await countRows(app.db, 'flags');
    expect(codes(await app.gql(FLAG, { s, i: input }, t.investigator))).toEqual([code]);
    expect(await countRows(app.db, 'flags')).toBe(before);
  });

  it('is NOT_FOUND for an unknown subject or flag', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(codes(await app.gql(FLAG, { s: unknown, i: { kind: 'CSE_RISK', riskLevel: 'HIGH', reason: 'r' } }, t.investigator))).toEqual([
      'NOT_FOUND',
    ]);
    expect(codes(await app.gql(END, { f: unknown, r: 'r' }, t.supervisor))).toEqual(['NOT_FOUND']);
  });
});

describe('crimes', () => {
  let victim = '';
  let suspect = '';
  beforeAll(async () => {
    victim = lastLinkedId(await newSubject({ approximateAge: 14 }));
    suspect = lastLinkedId(await newSubject({ approximateAge: 40 }, 'POTENTIAL_PERPETRATOR'));
  });
  const crime = (over: Record<string, unknown> = {}) => ({
    crimeReference: `GMP-T-${Math.random().toString(36).slice(2, 10)}`,
    offence: 'Sexual activity with a child',
    divisionId: 'oldham',
    recordedOn: '2025-03-01',
    victimIds: [victim],
    suspectIds: [suspect],
    ...over,
  });

  it('records a crime and finds it by subject, division and date', async () => {
    const r = await app.gql<{ recordCrime: { id: string } }>(RECORD, { i: crime({ crimeReference: 'GMP-FIND-1' }) }, t.investigator);
    expect(codes(r)).toEqual([]);
    const list = await app.gql<{ crimes: { totalCount: number; edges: { node: { crimeReference: string } }[] } }>(
      `query($f: CrimeFilter) { crimes(filter: $f) { totalCount edges { node { crimeReference } } } }`,
      { f: { subjectId: suspect, division: 'oldham', recordedFrom: '2025-01-01', recordedTo: '2025-12-31' } },
      t.analyst,
    );
    expect(list.body.data!.crimes.edges.map((e) => e.node.crimeReference)).toContain('GMP-FIND-1');
    expect(codes(await app.gql(RECORD, { i: crime({ crimeReference: 'GMP-FIND-1' }) }, t.investigator))).toEqual(['CONFLICT']);
  });

  it.each([
    ['the same person as victim and suspect', { suspectIds: [victim] }, 'BAD_USER_INPUT'],
    ['no victims', { victimIds: [] }, 'BAD_USER_INPUT'],
    ['a future date', { recordedOn: '2999-01-01' }, 'BAD_USER_INPUT'],
    ['a date in year 1', { recordedOn: '0001-01-01' }, 'BAD_USER_INPUT'],
    ['an unknown division', { divisionId: 'atlantis' }, 'BAD_USER_INPUT'],
    ['an unknown subject', { suspectIds: ['00000000-0000-4000-8000-000000000000'] }, 'NOT_FOUND'],
    ['a malformed subject id', { victimIds: ['nope'] }, 'BAD_USER_INPUT'],
    ['a blank offence', { offence: ' ' }, 'BAD_USER_INPUT'],
  ])('refuses %s and writes nothing', async (_case, over, code) => {
    const before = [await countRows(app.db, 'crimes'), await countRows(app.db, 'crime_subjects')];
    expect(codes(await app.gql(RECORD, { i: crime(over) }, t.investigator))).toEqual([code]);
    expect([await countRows(app.db, 'crimes'), await countRows(app.db, 'crime_subjects')]).toEqual(before);
  });

  it('is FORBIDDEN to non-police', async () => {
    expect(codes(await app.gql(RECORD, { i: crime() }, t.lead))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(`{ crimes { totalCount } }`, {}, t.lead))).toEqual(['FORBIDDEN']);
  });
});

describe('subjects query', () => {
  it('finds people by fuzzy name (analysts only), identifier, date of birth and flag', async () => {
    const id = lastLinkedId(
      await newSubject({ fullName: 'Ottoline Featherstonehaugh', dateOfBirth: dob(14), policeReference: 'GMP/FUZZ/1' }),
    );
    // A supervisor's flag is in force at once (an investigator's would await approval).
    await app.gql(FLAG, { s: id, i: { kind: 'CSE_RISK', riskLevel: 'MEDIUM', reason: 'r' } }, t.supervisor);
    const find = async (filter: Record<string, unknown>, token = t.analyst) =>
      app.gql<{ subjects: { edges: { node: { id: string } }[] } }>(
        `query($f: SubjectFilter) { subjects(filter: $f, first: 100) { edges { node { id } } } }`,
        { f: filter },
        token,
      );
    const ids = async (filter: Record<string, unknown>) => (await find(filter)).body.data!.subjects.edges.map((e) => e.node.id);
    expect((await ids({ name: 'Otoline Featherstonhaugh' }))[0]).toBe(id);
    expect(await ids({ identifier: 'GMP/FUZZ/1' })).toEqual([id]);
    expect(await ids({ name: 'Ottoline', dateOfBirth: dob(14), flagKind: 'CSE_RISK', riskLevel: 'MEDIUM' })).toEqual([id]);
    expect(await ids({ identifier: 'GMP/FUZZ/1', riskLevel: 'HIGH' })).toEqual([]);
    expect(codes(await find({ name: 'Ottoline' }, t.investigator))).toEqual(['FORBIDDEN']);
    expect(codes(await find({ identifier: 'GMP/FUZZ/1' }, t.investigator))).toEqual([]);
    expect(codes(await find({ name: "O'Brien'); DROP TABLE subjects; --" }))).toEqual([]);
  });
});
