import { demoAgreementId } from '../support/disclosures';
import { recordWriter } from '../support/policy-records';
import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * The "done when": a school's safeguarding lead sees the flag on its pupil but not the police
 * narrative; after a disclosure it reads the sanitised summary until the expiry; a voluntary group
 * sees only its own submissions. Plus access requests, the disclosure rules, and closed bypasses.
 */

let app: TestApp;
const t: Record<string, string> = {};
let pupilId: string;
let reportId: string;
let brookfield: string;
let agreementId: string;

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const DISCLOSE = `mutation($i: DiscloseInput!) { discloseIntelligence(input: $i) { id status summary conditions } }`;
const PUPIL = `query($id: ID!) { subject(id: $id) { fullName schoolUpn nhsNumber redactedFields activeFlags { kind status }
  involvedAgencies { agency { name } contact } reports { report { narrative } } } }`;

beforeAll(async () => {
  app = await startTestApp();
  for (const [who, email] of Object.entries({
    lead: 'lead@brookfield-high.example',
    supervisor: 'supervisor@gmp.example',
    analyst: 'analyst@gmp.example',
    social: 'practitioner@rochdale-csc.example',
    voluntary: 'reporter@safe-futures.example',
    admin: 'admin@oversight.example',
    auditor: 'auditor@oversight.example',
  })) {
    t[who] = (await app.login(email)).accessToken;
  }
  [{ id: brookfield }] = await app.db.query(`SELECT id FROM agencies WHERE name = 'Brookfield High School'`);
  agreementId = await demoAgreementId(app);
  [{ subject_id: pupilId }] = await app.db.query(
    `SELECT subject_id FROM involvements WHERE agency_id = $1 AND kind = 'PUPIL_ON_ROLL' AND ended_at IS NULL LIMIT 1`,
    [brookfield],
  );
  // A graded report about the pupil from another agency (the demo has disclosed it once already).
  [{ id: reportId }] = await app.db.query(
    `SELECT r.id FROM intelligence_reports r JOIN report_subjects rs ON rs.report_id = r.id
      WHERE rs.subject_id = $1 AND r.handling_code IS NOT NULL AND r.classification = 'OFFICIAL'
        AND r.submitted_by_agency_id <> $2 LIMIT 1`,
    [pupilId, brookfield],
  );
});
afterAll(() => app.close());

it('a school’s safeguarding lead sees the flag on its pupil, who else is involved, but not the police narrative', async () => {
  const r = await app.gql<{ subject: Record<string, unknown> & { reports: { report: { narrative: string } }[] } }>(
    PUPIL,
    { id: pupilId },
    t.lead,
  );
  expect(r.body.errors).toBeUndefined();
  const subject = r.body.data!.subject;
  expect(subject.activeFlags).toEqual(expect.arrayContaining([{ kind: 'CSE_RISK', status: 'ACTIVE' }]));
  expect(subject.nhsNumber).toBeNull();
  expect(subject.redactedFields).toEqual(expect.arrayContaining(['nhsNumber', 'policeReference', 'crimes', 'history']));
  expect(subject.involvedAgencies).toEqual(
    expect.arrayContaining([expect.objectContaining({ agency: { name: "Rochdale Children's Social Care" } })]),
  );
  // Only the school's own submissions come back as reports: never police narratives.
  const [{ n }] = await app.db.query(
    `SELECT count(*)::int AS n FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
      WHERE rs.subject_id = $1 AND r.submitted_by_agency_id = $2`,
    [pupilId, brookfield],
  );
  expect(subject.reports).toHaveLength(n);
  const r2 = await app.gql(`query($id: ID!) { intelligenceReport(id: $id) { narrative } }`, { id: reportId }, t.lead);
  expect(codes(r2)).toEqual(['NOT_FOUND']);
});

it('after a disclosure the school reads the sanitised summary until it expires, and never after', async () => {
  const summary = 'Police are concerned that adults outside school may be exploiting this pupil.';
  const d = await app.gql<{ discloseIntelligence: { id: string; status: string } }>(
    DISCLOSE,
    {
      i: {
        reportId,
        recipientAgencyId: brookfield,
        gateway: 'CHILDREN_ACT_2004_S11',
        agreementId,
        purpose: 'Safeguarding at school',
        summary,
        conditions: 'Designated safeguarding lead only',
        expiresAt: inDays(30),
      },
    },
    t.supervisor,
  );
  expect(d.body.errors).toBeUndefined();
  const id = d.body.data!.discloseIntelligence.id;
  const LIST = `{ disclosures(first: 100) { totalCount edges { node { id summary reportId conditions status } } } }`;
  const seen = async () =>
    (
      await app.gql<{ disclosures: { edges: { node: { id: string; summary: string; reportId: string | null } }[] } }>(LIST, {}, t.lead)
    ).body.data!.disclosures.edges.map((e) => e.node);
  expect(await seen()).toEqual(expect.arrayContaining([expect.objectContaining({ id, summary, reportId: null, status: 'ACTIVE' })]));
  // Rochdale CSC reads none of it.
  const csc = await app.gql<{ disclosures: { edges: { node: { id: string } }[] } }>(LIST, {}, t.social);
  expect(csc.body.data!.disclosures.edges.map((e) => e.node.id)).not.toContain(id);

  await app.ownerQuery(
    `UPDATE disclosures SET disclosed_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE id = $1`,
    [id],
  );
  expect((await seen()).map((n) => n.id)).not.toContain(id);
  // Police still see it, as EXPIRED.
  const police = await app.gql<{ disclosures: { edges: { node: { id: string; status: string } }[] } }>(
    `{ disclosures(first: 5, filter: { status: EXPIRED }) { edges { node { id status } } } }`,
    {},
    t.analyst,
  );
  expect(police.body.data!.disclosures.edges.map((e) => e.node.id)).toContain(id);
});

it('revoking ends access at once; revoking twice is BAD_USER_INPUT', async () => {
  const d = await app.gql<{ discloseIntelligence: { id: string } }>(
    DISCLOSE,
    {
      i: {
        reportId,
        recipientAgencyId: brookfield,
        gateway: 'CONSENT',
        agreementId,
        purpose: 'p',
        summary: 's',
        conditions: 'c',
        expiresAt: inDays(3),
      },
    },
    t.supervisor,
  );
  const id = d.body.data!.discloseIntelligence.id;
  const REVOKE = `mutation($id: ID!) { revokeDisclosure(id: $id, reason: "Shared in error") { status revocationReason } }`;
  expect((await app.gql(REVOKE, { id }, t.supervisor)).body.data).toEqual({
    revokeDisclosure: { status: 'REVOKED', revocationReason: 'Shared in error' },
  });
  expect(codes(await app.gql(REVOKE, { id }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
  const lead = await app.gql<{ disclosures: { edges: { node: { id: string } }[] } }>(
    `{ disclosures(first: 100) { edges { node { id } } } }`,
    {},
    t.lead,
  );
  expect(lead.body.data!.disclosures.edges.map((e) => e.node.id)).not.toContain(id);
});

it('enforces the disclosure rules: conditions for handling code C, acknowledgement for OFFICIAL_SENSITIVE, a future expiry', async () => {
  const [c] = await app.db.query(`SELECT id FROM intelligence_reports WHERE handling_code = 'C' AND classification = 'OFFICIAL' LIMIT 1`);
  const base = { recipientAgencyId: brookfield, gateway: 'CONSENT', agreementId, purpose: 'p', summary: 's', expiresAt: inDays(3) };
  const noConditions = await app.gql(DISCLOSE, { i: { ...base, reportId: c.id } }, t.supervisor);
  expect(noConditions.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.conditions' });
  const [sensitive] = await app.db.query(
    `SELECT id FROM intelligence_reports WHERE handling_code = 'P' AND classification = 'OFFICIAL_SENSITIVE' LIMIT 1`,
  );
  if (sensitive) {
    const r = await app.gql(DISCLOSE, { i: { ...base, reportId: sensitive.id } }, t.supervisor);
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.acknowledgeSensitive' });
    expect(codes(await app.gql(DISCLOSE, { i: { ...base, reportId: sensitive.id, acknowledgeSensitive: true } }, t.supervisor))).toEqual(
      [],
    );
  }
  const past = await app.gql(DISCLOSE, { i: { ...base, reportId, expiresAt: inDays(-1) } }, t.supervisor);
  expect(past.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.expiresAt' });
  expect(codes(await app.gql(DISCLOSE, { i: { ...base, reportId } }, t.analyst))).toEqual(['FORBIDDEN']);
});

it('an access request is decided by a police supervisor, and the requester sees the outcome', async () => {
  const [{ id: requestId }] = await app.db.query(`SELECT id FROM access_requests WHERE status = 'PENDING' LIMIT 1`);
  const MINE = `{ accessRequests(first: 10) { totalCount edges { node { id status reason declined { reason } subject { fullName } } } } }`;
  const before = await app.gql<{ accessRequests: { edges: { node: { id: string; status: string } }[] } }>(MINE, {}, t.social);
  expect(before.body.data!.accessRequests.edges.map((e) => e.node)).toEqual(
    expect.arrayContaining([expect.objectContaining({ id: requestId, status: 'PENDING' })]),
  );
  // Another agency's lead sees none of Rochdale's requests.
  const other = await app.gql<{ accessRequests: { edges: { node: { id: string } }[] } }>(MINE, {}, t.lead);
  expect(other.body.data!.accessRequests.edges.map((e) => e.node.id)).not.toContain(requestId);
  // Answering it for another agency is refused: the answer goes to the requester.
  const wrong = await app.gql(
    `mutation($i: DeclineInput!) { declineDisclosure(input: $i) { id } }`,
    { i: { accessRequestId: requestId, recipientAgencyId: brookfield, reason: 'No' } },
    t.supervisor,
  );
  expect(wrong.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.recipientAgencyId' });
  const reason = 'Disclosure now would prejudice an ongoing investigation';
  expect(
    codes(
      await app.gql(
        `mutation($i: DeclineInput!) { declineDisclosure(input: $i) { id } }`,
        { i: { accessRequestId: requestId, reason } },
        t.supervisor,
      ),
    ),
  ).toEqual([]);
  const after = await app.gql<{ accessRequests: { edges: { node: { id: string; status: string; declined: { reason: string } } }[] } }>(
    MINE,
    {},
    t.social,
  );
  expect(after.body.data!.accessRequests.edges.find((e) => e.node.id === requestId)!.node).toMatchObject({
    status: 'DECLINED',
    declined: { reason },
  });
  // Decided once.
  const again = await app.gql(
    `mutation($i: DeclineInput!) { declineDisclosure(input: $i) { id } }`,
    { i: { accessRequestId: requestId, reason } },
    t.supervisor,
  );
  expect(again.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.accessRequestId' });
});

it('a voluntary group sees only its own submissions (and the count says so)', async () => {
  const r = await app.gql<{ intelligenceReports: { totalCount: number; edges: { node: { submittedBy: { name: string } } }[] } }>(
    `{ intelligenceReports(first: 100) { totalCount edges { node { submittedBy { name } } } } }`,
    {},
    t.voluntary,
  );
  const [{ n }] = await app.db.query(
    `SELECT count(*)::int AS n FROM intelligence_reports r JOIN agencies a ON a.id = r.submitted_by_agency_id WHERE a.name = 'Safe Futures'`,
  );
  expect(r.body.data!.intelligenceReports.totalCount).toBe(n);
  expect(new Set(r.body.data!.intelligenceReports.edges.map((e) => e.node.submittedBy.name))).toEqual(new Set(['Safe Futures']));
  expect(codes(await app.gql(`{ subjects(first: 1) { totalCount } }`, {}, t.voluntary))).toEqual(['FORBIDDEN']);
});

it('ADMIN and AUDITOR read no case content', async () => {
  for (const who of ['admin', 'auditor']) {
    for (const q of [
      `{ subjects(first: 1) { totalCount } }`,
      `{ intelligenceReports(first: 1) { totalCount } }`,
      `{ disclosures(first: 1) { totalCount } }`,
      `{ accessRequests(first: 1) { totalCount } }`,
      `{ involvements(first: 1) { totalCount } }`,
      `{ crimes(first: 1) { totalCount } }`,
    ]) {
      expect(codes(await app.gql(q, {}, t[who]))).toEqual(['FORBIDDEN']);
    }
  }
});

/** A subject known to nobody but police: on a fresh police report only. */
async function freshSubject(name: string, upn?: string): Promise<string> {
  const w = recordWriter(app);
  const [{ id: gmp }] = await app.db.query(`SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`);
  const [{ id: officer }] = await app.db.query(`SELECT id FROM users WHERE email = 'investigator@gmp.example'`);
  const subjectId = await w.subject(gmp, name, { upn });
  await w.link(await w.report(gmp, { userId: officer }), subjectId, officer);
  return subjectId;
}

describe('closed bypasses', () => {
  it('input fields: a lead cannot filter its reports by flags or subjects, nor match a subject on an identifier it may not see', async () => {
    expect(codes(await app.gql(`{ intelligenceReports(filter: { flagged: true }) { totalCount } }`, {}, t.lead))).toEqual(['FORBIDDEN']);
    const [pupil] = await app.db.query(`SELECT school_upn, nhs_number FROM subjects WHERE id = $1`, [pupilId]);
    const count = async (identifier: string) =>
      (
        await app.gql<{ subjects: { totalCount: number } }>(
          `query($i: String!) { subjects(filter: { identifier: $i }) { totalCount } }`,
          { i: identifier },
          t.lead,
        )
      ).body.data!.subjects.totalCount;
    expect(await count(pupil.school_upn)).toBe(1);
    if (pupil.nhs_number) expect(await count(pupil.nhs_number)).toBe(0);
  });

  it('an involvement cannot be used to reach a child the agency does not know (NOT_FOUND, as for a missing one)', async () => {
    const stranger = { id: await freshSubject('Stranger Child', 'S12345678901A'), school_upn: 'S12345678901A' };
    const REGISTER = `mutation($s: ID!, $u: String) { registerInvolvement(subjectId: $s, input: { kind: PUPIL_ON_ROLL, lawfulBasis: PUBLIC_TASK, contact: "DSL", identifier: $u }) { id active } }`;
    expect(codes(await app.gql(REGISTER, { s: stranger.id }, t.lead))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(REGISTER, { s: stranger.id, u: 'Z99999999999Z' }, t.lead))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(`query($id: ID!) { subject(id: $id) { id } }`, { id: stranger.id }, t.lead))).toEqual(['NOT_FOUND']);
    // With the pupil's own UPN, the school shows it knows the child: registered, and now readable.
    expect(codes(await app.gql(REGISTER, { s: stranger.id, u: stranger.school_upn }, t.lead))).toEqual([]);
    expect(codes(await app.gql(`query($id: ID!) { subject(id: $id) { id } }`, { id: stranger.id }, t.lead))).toEqual([]);
    // A school registers pupils, not social care cases.
    const wrongKind = await app.gql(
      `mutation($s: ID!) { registerInvolvement(subjectId: $s, input: { kind: OPEN_CASE, lawfulBasis: PUBLIC_TASK, contact: "DSL" }) { id } }`,
      { s: pupilId },
      t.lead,
    );
    expect(wrongKind.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.kind' });
  });

  it('break-glass opens one subject and its reports for an hour, and is recorded for review', async () => {
    const target = { id: await freshSubject('Emergency Child') };
    const READ = `query($id: ID!) { subject(id: $id) { id reports { report { narrative } } } }`;
    expect(codes(await app.gql(READ, { id: target.id }, t.social))).toEqual(['NOT_FOUND']);
    const short = await app.gql(`mutation($s: ID!) { breakGlass(subjectId: $s, reason: " ") { id } }`, { s: target.id }, t.social);
    expect(codes(short)).toEqual(['BAD_USER_INPUT']);
    const g = await app.gql<{ breakGlass: { expiresAt: string; grantedAt: string; reviewedAt: null } }>(
      `mutation($s: ID!) { breakGlass(subjectId: $s, reason: "Child missing overnight, police unreachable") { grantedAt expiresAt reviewedAt } }`,
      { s: target.id },
      t.social,
    );
    expect(g.body.errors).toBeUndefined();
    const { grantedAt, expiresAt } = g.body.data!.breakGlass;
    expect(Date.parse(expiresAt) - Date.parse(grantedAt)).toBe(3_600_000);
    const r = await app.gql<{ subject: { reports: { report: { narrative: string } }[] } }>(READ, { id: target.id }, t.social);
    expect(r.body.data!.subject.reports.length).toBeGreaterThan(0);
    const [event] = await app.db.query(`SELECT action FROM audit_events WHERE operation_field = 'breakGlass' ORDER BY id DESC LIMIT 1`);
    expect(event.action).toBe('BREAK_GLASS');
    await app.ownerQuery(
      `UPDATE break_glass_grants SET granted_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE subject_id = $1`,
      [target.id],
    );
    expect(codes(await app.gql(READ, { id: target.id }, t.social))).toEqual(['NOT_FOUND']);
  });
});
