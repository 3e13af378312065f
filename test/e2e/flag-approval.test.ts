import { AgencyKind } from '../../src/agencies/agency-kind';
import type { Principal } from '../../src/auth/principal';
import { run, sql } from '../../src/db/sql';
import { flagReadScope } from '../../src/policy/records';
import { Role } from '../../src/policy/roles';
import { codes, countRows, startTestApp, type GqlResult, type TestApp } from '../support/test-app';

/**
 * Flag approval: an investigator's or analyst's flag is PROPOSED until a police supervisor approves
 * or rejects it; a supervisor's is active at once. Only ACTIVE flags count anywhere a flag matters.
 */
let app: TestApp;
const t: Record<string, string> = {};
const userId: Record<string, string> = {};

beforeAll(async () => {
  app = await startTestApp();
  for (const email of ['investigator@gmp.example', 'analyst@gmp.example', 'supervisor@gmp.example']) {
    const who = email.split('@')[0];
    t[who] = (await app.login(email)).accessToken;
    userId[who] = (await app.gql<{ me: { id: string } }>(`{ me { id } }`, {}, t[who])).body.data!.me.id;
  }
});
afterAll(() => app.close());

const FLAG_FIELDS = `id status approvedAt approvedByUserId rejectedAt rejectedByUserId rejectionReason endedAt endReason`;
const FLAG = `mutation($s: ID!, $i: FlagInput!) { flagSubject(subjectId: $s, input: $i) { ${FLAG_FIELDS} } }`;
const APPROVE = `mutation($f: ID!) { approveFlag(flagId: $f) { ${FLAG_FIELDS} } }`;
const REJECT = `mutation($f: ID!, $r: String!) { rejectFlag(flagId: $f, reason: $r) { ${FLAG_FIELDS} } }`;
const END = `mutation($f: ID!, $r: String!) { endFlag(flagId: $f, reason: $r) { ${FLAG_FIELDS} } }`;

interface FlagView {
  id: string;
  status: string;
  approvedAt: string | null;
  approvedByUserId: string | null;
  rejectedAt: string | null;
  rejectedByUserId: string | null;
  rejectionReason: string | null;
}
/** The flag a flag mutation returned. */
const flagOf = (r: GqlResult) => Object.values(r.body.data!)[0] as FlagView;

let made = 0;
/** A new 15-year-old, the one subject of a new report (so the report is flagged exactly when they are). */
async function newSubject(): Promise<string> {
  const report = await app.gql<{ submitIntelligence: { id: string } }>(
    `mutation { submitIntelligence(input: { sourceType: POLICE, narrative: "Girl seen getting into a taxi with older men after school" }) { id } }`,
    {},
    t.investigator,
  );
  const r = await app.gql<{ linkSubject: { subjects: { subject: { id: string } }[] } }>(
    `mutation($r: ID!, $i: LinkSubjectInput!) { linkSubject(reportId: $r, input: $i) { subjects { subject { id } } } }`,
    {
      r: report.body.data!.submitIntelligence.id,
      i: { role: 'POTENTIAL_VICTIM', newSubject: { fullName: `Approvalperson Number${++made}`, approximateAge: 15 } },
    },
    t.investigator,
  );
  return r.body.data!.linkSubject.subjects[0].subject.id;
}

const flag = (s: string, who: string, kind = 'CSE_RISK') =>
  app.gql(FLAG, { s, i: { kind, riskLevel: 'MEDIUM', reason: 'Seen with older men' } }, t[who]);

/** What a police analyst sees of the subject, and whether the flag filters find them. */
async function seen(subjectId: string) {
  const view = await app.gql<{ subject: { activeFlags: { id: string }[]; flags: { id: string; status: string }[] } }>(
    `query($id: ID!) { subject(id: $id) { activeFlags { id } flags { id status } } }`,
    { id: subjectId },
    t.analyst,
  );
  const bySubjectFilter = await app.gql<{ subjects: { edges: { node: { id: string } }[] } }>(
    `query { subjects(filter: { flagKind: CSE_RISK }, first: 100) { edges { node { id } } } }`,
    {},
    t.analyst,
  );
  const flaggedReports = await app.gql<{ intelligenceReports: { totalCount: number } }>(
    `query($s: ID!) { intelligenceReports(filter: { subjectId: $s, flagged: true }) { totalCount } }`,
    { s: subjectId },
    t.analyst,
  );
  return {
    active: view.body.data!.subject.activeFlags.map((f) => f.id),
    all: view.body.data!.subject.flags.map((f) => f.status),
    foundByFlagFilter: bySubjectFilter.body.data!.subjects.edges.some((e) => e.node.id === subjectId),
    flaggedReports: flaggedReports.body.data!.intelligenceReports.totalCount,
  };
}

async function historyOf(flagId: string): Promise<{ action: string; actorId: string }[]> {
  const [{ subject_id }] = await app.db.query(`SELECT subject_id FROM flags WHERE id = $1`, [flagId]);
  const r = await app.gql<{ subject: { flags: { id: string; history: { action: string; actorId: string }[] }[] } }>(
    `query($id: ID!) { subject(id: $id) { flags { id history { action actorId } } } }`,
    { id: subject_id },
    t.supervisor,
  );
  return r.body.data!.subject.flags.find((f) => f.id === flagId)!.history;
}

describe('a proposed flag', () => {
  it('is set by an investigator or analyst and is not in force until a supervisor approves it', async () => {
    const s = await newSubject();
    const proposed = await flag(s, 'investigator');
    expect(codes(proposed)).toEqual([]);
    const { id } = flagOf(proposed);
    expect(flagOf(proposed)).toMatchObject({ status: 'PROPOSED', approvedAt: null, approvedByUserId: null });
    expect(await seen(s)).toEqual({ active: [], all: ['PROPOSED'], foundByFlagFilter: false, flaggedReports: 0 });

    const approved = await app.gql(APPROVE, { f: id }, t.supervisor);
    expect(codes(approved)).toEqual([]);
    expect(flagOf(approved)).toMatchObject({ status: 'ACTIVE', approvedByUserId: userId.supervisor, rejectedAt: null });
    expect(flagOf(approved).approvedAt).not.toBeNull();
    expect(await seen(s)).toEqual({ active: [id], all: ['ACTIVE'], foundByFlagFilter: true, flaggedReports: 1 });

    expect(await historyOf(id)).toEqual([
      { action: 'proposed', actorId: userId.investigator },
      { action: 'approved', actorId: userId.supervisor },
    ]);
  });

  it("from an analyst is proposed too; a supervisor's own flag is active at once, with no approval", async () => {
    const s = await newSubject();
    expect(flagOf(await flag(s, 'analyst')).status).toBe('PROPOSED');
    const own = flagOf(await flag(s, 'supervisor', 'CSE_PERPETRATOR'));
    expect(own).toMatchObject({ status: 'ACTIVE', approvedAt: null, approvedByUserId: null });
    expect(await historyOf(own.id)).toEqual([{ action: 'flagged', actorId: userId.supervisor }]);
    expect(codes(await app.gql(APPROVE, { f: own.id }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
  });

  it('blocks another flag of its kind until decided; after a rejection a new one may be proposed', async () => {
    const s = await newSubject();
    const { id } = flagOf(await flag(s, 'investigator'));
    expect(codes(await flag(s, 'investigator'))).toEqual(['CONFLICT']);
    expect(codes(await flag(s, 'supervisor'))).toEqual(['CONFLICT']);
    expect(codes(await app.gql(REJECT, { f: id, r: 'Not corroborated' }, t.supervisor))).toEqual([]);
    expect(flagOf(await flag(s, 'investigator')).status).toBe('PROPOSED');
  });

  it('is approved or rejected by a police supervisor only', async () => {
    const s = await newSubject();
    const { id } = flagOf(await flag(s, 'investigator'));
    for (const who of ['investigator', 'analyst']) {
      expect(codes(await app.gql(APPROVE, { f: id }, t[who]))).toEqual(['FORBIDDEN']);
      expect(codes(await app.gql(REJECT, { f: id, r: 'No' }, t[who]))).toEqual(['FORBIDDEN']);
    }
    const lead = (await app.login('lead@brookfield-high.example')).accessToken;
    expect(codes(await app.gql(APPROVE, { f: id }, lead))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(APPROVE, { f: id }))).toEqual(['UNAUTHENTICATED']);
    const [{ status }] = await app.db.query(`SELECT status FROM flags WHERE id = $1`, [id]);
    expect(status).toBe('PROPOSED');
  });

  it('is decided once: approving twice, rejecting an approved flag or approving a rejected one is refused', async () => {
    const s = await newSubject();
    const a = flagOf(await flag(s, 'investigator')).id;
    expect(codes(await app.gql(APPROVE, { f: a }, t.supervisor))).toEqual([]);
    const history = await countRows(app.db, 'record_history');
    expect(codes(await app.gql(APPROVE, { f: a }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(REJECT, { f: a, r: 'Too late' }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
    expect(await countRows(app.db, 'record_history')).toBe(history);

    const b = flagOf(await flag(s, 'investigator', 'CSE_PERPETRATOR')).id;
    expect(codes(await app.gql(REJECT, { f: b, r: 'Wrong person' }, t.supervisor))).toEqual([]);
    expect(codes(await app.gql(APPROVE, { f: b }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(REJECT, { f: b, r: 'Again' }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(END, { f: b, r: 'Ended' }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
  });

  it('is NOT_FOUND when unknown', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(codes(await app.gql(APPROVE, { f: unknown }, t.supervisor))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(REJECT, { f: unknown, r: 'r' }, t.supervisor))).toEqual(['NOT_FOUND']);
  });
});

describe('rejecting', () => {
  it('needs a reason, and keeps the flag with who rejected it, when and why', async () => {
    const s = await newSubject();
    const { id } = flagOf(await flag(s, 'investigator'));
    for (const reason of ['', '   ']) {
      const r = await app.gql(REJECT, { f: id, r: reason }, t.supervisor);
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.body.errors![0].extensions!.field).toBe('reason');
    }
    const rejected = flagOf(await app.gql(REJECT, { f: id, r: '  Not corroborated by the school  ' }, t.supervisor));
    expect(rejected).toMatchObject({
      status: 'REJECTED',
      rejectedByUserId: userId.supervisor,
      rejectionReason: 'Not corroborated by the school',
      approvedAt: null,
    });
    expect(rejected.rejectedAt).not.toBeNull();
    expect(await seen(s)).toEqual({ active: [], all: ['REJECTED'], foundByFlagFilter: false, flaggedReports: 0 });
    expect(await historyOf(id)).toEqual([
      { action: 'proposed', actorId: userId.investigator },
      { action: 'rejected', actorId: userId.supervisor },
    ]);
  });
});

describe('ending', () => {
  it('is for flags in force: a proposed flag is rejected instead, not ended', async () => {
    const s = await newSubject();
    const { id } = flagOf(await flag(s, 'investigator'));
    const r = await app.gql(END, { f: id, r: 'No longer needed' }, t.supervisor);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].message).toMatch(/reject it instead/);
    expect(codes(await app.gql(APPROVE, { f: id }, t.supervisor))).toEqual([]);
    expect(flagOf(await app.gql(END, { f: id, r: 'Reviewed: risk reduced' }, t.supervisor)).status).toBe('ENDED');
    expect((await historyOf(id)).map((h) => h.action)).toEqual(['proposed', 'approved', 'ended']);
  });
});

describe('racing decisions', () => {
  it('of an approve and a reject on one flag: exactly one wins, and the history shows only it', async () => {
    for (let round = 0; round < 5; round++) {
      const s = await newSubject();
      const { id } = flagOf(await flag(s, 'investigator'));
      const [approve, reject] = await Promise.all([
        app.gql(APPROVE, { f: id }, t.supervisor),
        app.gql(REJECT, { f: id, r: 'Not corroborated' }, t.supervisor),
      ]);
      const outcomes = [codes(approve), codes(reject)];
      expect(outcomes.filter((c) => c.length === 0)).toHaveLength(1);
      expect(outcomes.flat()).toEqual(['BAD_USER_INPUT']);
      const [{ status }] = await app.db.query(`SELECT status FROM flags WHERE id = $1`, [id]);
      expect(status).toBe(codes(approve).length === 0 ? 'ACTIVE' : 'REJECTED');
      expect((await historyOf(id)).map((h) => h.action)).toEqual(['proposed', status === 'ACTIVE' ? 'approved' : 'rejected']);
    }
  });
});

describe('the database', () => {
  const insertProposal = (subjectId: string, kind = 'CSE_RISK') =>
    app.db.query<{ id: string }[]>(
      `INSERT INTO flags (subject_id, kind, risk_level, status, reason, set_by_user_id, set_by_agency_id)
       SELECT $1, $2, 'MEDIUM', 'PROPOSED', 'r', u.id, u.agency_id FROM users u WHERE u.email = 'investigator@gmp.example' RETURNING id`,
      [subjectId, kind],
    );

  it('holds one open flag of each kind per subject', async () => {
    const s = await newSubject();
    await insertProposal(s);
    await expect(insertProposal(s)).rejects.toThrow(/IDX_flags_one_open/);
  });

  it.each([
    ['an approval of a flag still proposed', `approved_at = now(), approved_by_user_id = $2`],
    ['an active flag approved by its proposer', `status = 'ACTIVE', approved_at = now(), approved_by_user_id = set_by_user_id`],
    ['an approval without the approver', `status = 'ACTIVE', approved_at = now()`],
    ['a rejection without a reason', `status = 'REJECTED', rejected_at = now(), rejected_by_user_id = $2`],
    ['a blank rejection reason', `status = 'REJECTED', rejected_at = now(), rejected_by_user_id = $2, rejection_reason = ' '`],
    ['a rejection of a flag still proposed', `rejected_at = now(), rejected_by_user_id = $2, rejection_reason = 'r'`],
    ['an ended flag without who ended it', `status = 'ENDED', ended_at = now(), end_reason = 'r'`],
  ])('refuses %s', async (_case, set) => {
    const [{ id }] = await insertProposal(await newSubject());
    const params = set.includes('$2') ? [id, userId.supervisor] : [id];
    await expect(app.db.query(`UPDATE flags SET ${set} WHERE id = $1`, params)).rejects.toThrow(/violates check/);
  });
});

describe('flagReadScope', () => {
  const principal = (kind: AgencyKind, roles: Role[]): Principal => ({
    kind: 'USER',
    id: 'id',
    displayName: 'x',
    agency: { id: 'a', name: 'a', kind },
    roles,
    scopes: [],
    sessionId: 's',
    tokenId: 't',
  });
  const statusesSeenBy = async (p: Principal) =>
    (await run<{ status: string }>(app.db, sql`SELECT DISTINCT f.status::text AS status FROM flags f WHERE ${flagReadScope(p)}`))
      .map((r) => r.status)
      .sort();

  it('shows police case readers every flag, and anyone else only those in force', async () => {
    await insertFlagsOfEveryStatus(await newSubject());
    expect(await statusesSeenBy(principal(AgencyKind.POLICE, [Role.INVESTIGATOR]))).toEqual(['ACTIVE', 'ENDED', 'PROPOSED', 'REJECTED']);
    for (const p of [
      principal(AgencyKind.SOCIAL_CARE, [Role.PRACTITIONER]),
      principal(AgencyKind.EDUCATION, [Role.SAFEGUARDING_LEAD]),
      principal(AgencyKind.POLICE, [Role.AUDITOR]),
    ]) {
      expect(await statusesSeenBy(p)).toEqual(['ACTIVE']);
    }
  });

  /** A proposed and a rejected flag on one subject, an ended and an active one on another. */
  async function insertFlagsOfEveryStatus(subjectId: string) {
    await flag(subjectId, 'investigator', 'CSE_RISK');
    const rejected = flagOf(await flag(subjectId, 'investigator', 'CSE_PERPETRATOR')).id;
    await app.gql(REJECT, { f: rejected, r: 'No' }, t.supervisor);
    const other = await newSubject();
    const ended = flagOf(await flag(other, 'supervisor')).id;
    await app.gql(END, { f: ended, r: 'Reviewed' }, t.supervisor);
    await flag(other, 'supervisor');
  }
});
