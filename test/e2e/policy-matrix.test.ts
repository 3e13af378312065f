import { randomUUID } from 'node:crypto';
import { AgencyKind } from '../../src/agencies/agency-kind';
import { Role, ROLE_AGENCY_KINDS } from '../../src/policy/roles';
import { createAgency, createPrincipal, type TestPrincipal } from '../support/principals';
import { INVOLVEMENT_KIND, recordWriter } from '../support/policy-records';
import { codes, type GqlResult, startTestApp, type TestApp } from '../support/test-app';

/**
 * The policy as a table: every role in every kind of agency (and each kind's partner app) against
 * each kind of record: its own agency's, another agency's, disclosed to it, disclosed but expired or
 * revoked, an involvement it registered, and a break-glass grant it holds. The expectations are
 * written out here from the role table in docs/api.md, independently of src/policy, so a change there that moves a
 * cell fails this test.
 */

type RecordKind = 'own' | 'other' | 'disclosed' | 'expired' | 'revoked' | 'involvement' | 'breakGlass';
const RECORD_KINDS: RecordKind[] = ['own', 'other', 'disclosed', 'expired', 'revoked', 'involvement', 'breakGlass'];
type Outcome = 'ALLOWED' | 'FORBIDDEN' | 'NOT_FOUND';

interface Caller {
  name: string;
  kind: AgencyKind;
  roles: Role[] | 'SERVICE';
  principal?: TestPrincipal;
}

const CARE_KINDS = [AgencyKind.SOCIAL_CARE, AgencyKind.EDUCATION, AgencyKind.HEALTH];
const has = (c: Caller, role: Role) => c.roles !== 'SERVICE' && c.roles.includes(role);
const policeReader = (c: Caller) =>
  c.kind === AgencyKind.POLICE && [Role.INVESTIGATOR, Role.ANALYST, Role.SUPERVISOR].some((r) => has(c, r));
const careReader = (c: Caller) =>
  (has(c, Role.PRACTITIONER) && CARE_KINDS.includes(c.kind)) ||
  (has(c, Role.SAFEGUARDING_LEAD) && [...CARE_KINDS, AgencyKind.VOLUNTARY].includes(c.kind));
const reporter = (c: Caller) => c.roles === 'SERVICE' || has(c, Role.REPORTER);

/** docs/architecture.md, "What each agency may see": police readers read all subjects; care readers those known to their agency, or under break-glass. */
function expectSubject(c: Caller, record: RecordKind): Outcome {
  if (policeReader(c)) return 'ALLOWED';
  if (!careReader(c)) return 'FORBIDDEN';
  return ['own', 'disclosed', 'involvement', 'breakGlass'].includes(record) ? 'ALLOWED' : 'NOT_FOUND';
}

/** Reports: police readers all; reporters their agency's submissions; a care reader who reports, also under break-glass. */
function expectReport(c: Caller, record: RecordKind): Outcome {
  if (policeReader(c)) return 'ALLOWED';
  // A care reader reads the reports its break-glass grant opens, directly as through Subject.reports.
  if (!reporter(c) && !careReader(c)) return 'FORBIDDEN';
  if (record === 'own' && reporter(c)) return 'ALLOWED';
  return record === 'breakGlass' && careReader(c) ? 'ALLOWED' : 'NOT_FOUND';
}

const OWN_IDENTIFIER: Partial<Record<AgencyKind, string>> = {
  [AgencyKind.EDUCATION]: 'schoolUpn',
  [AgencyKind.HEALTH]: 'nhsNumber',
  [AgencyKind.SOCIAL_CARE]: 'socialCareId',
};
const subjectRedactions = (c: Caller) =>
  policeReader(c)
    ? []
    : [...['policeReference', 'nhsNumber', 'schoolUpn', 'socialCareId'].filter((f) => f !== OWN_IDENTIFIER[c.kind]), 'crimes', 'history'];
const GRADING = ['sourceEvaluation', 'intelligenceAssessment', 'handlingCode', 'handlingConditions', 'assessedAt'];
/** A care reader sees the links of its break-glass subject, so that report shows its subjects. */
const reportRedactions = (c: Caller, record: RecordKind) =>
  policeReader(c)
    ? has(c, Role.SUPERVISOR)
      ? []
      : ['informant']
    : [...GRADING, ...(record === 'breakGlass' && careReader(c) ? [] : ['subjects']), 'history', 'informant'];

const CALLERS: Caller[] = Object.values(AgencyKind).flatMap((kind) => [
  ...Object.values(Role)
    .filter((role) => ROLE_AGENCY_KINDS[role].includes(kind))
    .map((role): Caller => ({ name: `${kind}/${role}`, kind, roles: [role] })),
  ...(kind === AgencyKind.OVERSIGHT ? [] : [{ name: `${kind}/service-account`, kind, roles: 'SERVICE' as const }]),
]);
CALLERS.push(
  { name: 'EDUCATION/SAFEGUARDING_LEAD+REPORTER', kind: AgencyKind.EDUCATION, roles: [Role.SAFEGUARDING_LEAD, Role.REPORTER] },
  { name: 'HEALTH/PRACTITIONER+REPORTER', kind: AgencyKind.HEALTH, roles: [Role.PRACTITIONER, Role.REPORTER] },
);

let app: TestApp;
/** Per agency kind: the subject and report of each record kind, and the disclosures to it. */
const records = new Map<
  AgencyKind,
  Record<RecordKind, { subjectId: string; reportId: string }> & { disclosures: Record<string, string> }
>();

beforeAll(async () => {
  app = await startTestApp();
  const w = recordWriter(app);
  const otherPolice = await createAgency(app, AgencyKind.POLICE, 'Matrix other police force');
  const officer = await createPrincipal(app, otherPolice, [Role.SUPERVISOR]);
  const agencies = new Map<AgencyKind, string>();
  for (const kind of Object.values(AgencyKind)) agencies.set(kind, await createAgency(app, kind, `Matrix ${kind} agency`));
  for (const c of CALLERS) c.principal = await createPrincipal(app, agencies.get(c.kind)!, c.roles);

  let n = 0;
  const record = async (reportId: string) => {
    const subjectId = await w.subject(otherPolice, `Matrix Subject ${++n}`, {
      upn: `M${String(n).padStart(11, '0')}9`,
      care: `MATRIX-CARE-${n}`,
      police: `MATRIX-POL-${n}`,
    });
    await w.link(reportId, subjectId, officer.id);
    await w.flag(subjectId, 'ACTIVE', officer.id, otherPolice);
    return { subjectId, reportId };
  };
  const otherReport = () => w.report(otherPolice, { userId: officer.id });
  for (const kind of Object.values(AgencyKind)) {
    const agencyId = agencies.get(kind)!;
    const app_ = CALLERS.find((c) => c.kind === kind && c.roles === 'SERVICE')?.principal;
    // Submitted by the agency's partner app, so its reporters (agency-wide) and the app itself both own it.
    const own = await record(app_ ? await w.report(agencyId, { serviceAccountId: app_.id }) : await otherReport());
    const set = {
      own,
      other: await record(await otherReport()),
      disclosed: await record(await otherReport()),
      expired: await record(await otherReport()),
      revoked: await record(await otherReport()),
      involvement: await record(await otherReport()),
      breakGlass: await record(await otherReport()),
      disclosures: {} as Record<string, string>,
    };
    for (const state of ['ACTIVE', 'EXPIRED', 'REVOKED'] as const) {
      const target = { ACTIVE: set.disclosed, EXPIRED: set.expired, REVOKED: set.revoked }[state];
      set.disclosures[state] = await w.disclosure(target.reportId, agencyId, officer.id, state);
    }
    if (INVOLVEMENT_KIND[kind]) await w.involvement(set.involvement.subjectId, agencyId, officer.id, INVOLVEMENT_KIND[kind]);
    for (const c of CALLERS.filter((c) => c.kind === kind && c.roles !== 'SERVICE')) {
      await w.breakGlass(set.breakGlass.subjectId, c.principal!.id, agencyId);
    }
    records.set(kind, set);
  }
}, 120_000);
afterAll(() => app.close());

const outcome = (r: GqlResult): Outcome => {
  const [code] = codes(r);
  if (!code) return 'ALLOWED';
  if (code === 'FORBIDDEN' || code === 'NOT_FOUND') return code;
  throw new Error(`unexpected ${JSON.stringify(r.body.errors)}`);
};

const SUBJECT = `query($id: ID!) { subject(id: $id) { id redactedFields policeReference nhsNumber schoolUpn socialCareId
  activeFlags { status } flags { status } crimes { role } history { action } involvedAgencies { agency { name } contact }
  reports { role report { id narrative } } } }`;
const REPORT = `query($id: ID!) { intelligenceReport(id: $id) { id narrative redactedFields handlingCode subjects { role } history { action } } }`;

describe.each(CALLERS.map((c) => [c.name, c] as const))('%s', (_name, caller) => {
  it.each(RECORD_KINDS)('reads the subject of a %s record as the table says, with the right fields withheld', async (record) => {
    const { subjectId } = records.get(caller.kind)![record];
    const r = await app.gql<{ subject: Record<string, unknown> & { redactedFields: string[]; reports: unknown[] } }>(
      SUBJECT,
      { id: subjectId },
      caller.principal!.token,
    );
    expect(outcome(r)).toBe(expectSubject(caller, record));
    if (outcome(r) !== 'ALLOWED') return expect(r.body.data?.subject ?? null).toBeNull();
    const subject = r.body.data!.subject;
    expect([...subject.redactedFields].sort()).toEqual([...subjectRedactions(caller)].sort());
    for (const field of subject.redactedFields) expect(subject[field] === null || (subject[field] as unknown[]).length === 0).toBe(true);
    expect(subject.activeFlags).toEqual([{ status: 'ACTIVE' }]);
    // A disclosure never opens the raw report; break-glass does.
    if (!policeReader(caller)) {
      // A report's subjects are withheld from its reporter, so its link is withheld from the subject's side too.
      const expectReports = record === 'breakGlass' ? 1 : 0;
      expect(subject.reports).toHaveLength(expectReports);
    }
    // One decision per edge: each link seen from the subject is seen from its report too.
    for (const link of subject.reports as { role: string; report: { id: string } }[]) {
      const report = await app.gql<{
        intelligenceReport: { redactedFields: string[]; subjects: { role: string; subject: { id: string } }[] };
      }>(
        `query($id: ID!) { intelligenceReport(id: $id) { redactedFields subjects { role subject { id } } } }`,
        { id: link.report.id },
        caller.principal!.token,
      );
      expect(report.body.data?.intelligenceReport.redactedFields).not.toContain('subjects');
      expect(report.body.data?.intelligenceReport.subjects).toContainEqual({ role: link.role, subject: { id: subjectId } });
    }
  });

  it.each(RECORD_KINDS)('reads the report of a %s record as the table says', async (record) => {
    const { reportId } = records.get(caller.kind)![record];
    const r = await app.gql<{ intelligenceReport: { redactedFields: string[]; handlingCode: string | null } }>(
      REPORT,
      { id: reportId },
      caller.principal!.token,
    );
    expect(outcome(r)).toBe(expectReport(caller, record));
    if (outcome(r) === 'ALLOWED') {
      expect([...r.body.data!.intelligenceReport.redactedFields].sort()).toEqual([...reportRedactions(caller, record)].sort());
    }
  });

  it('lists disclosures: to its own agency while in force (care readers), all (police readers), else FORBIDDEN', async () => {
    const r = await app.gql<{
      disclosures: { totalCount: number; edges: { node: { id: string; reportId: string | null; summary: string } }[] };
    }>(`{ disclosures(first: 100) { totalCount edges { node { id reportId summary redactedFields } } } }`, {}, caller.principal!.token);
    const mine = records.get(caller.kind)!.disclosures;
    if (policeReader(caller)) {
      const ids = r.body.data!.disclosures.edges.map((e) => e.node.id);
      expect(ids).toEqual(expect.arrayContaining(Object.values(mine)));
    } else if (careReader(caller)) {
      expect(r.body.data!.disclosures.totalCount).toBe(1);
      expect(r.body.data!.disclosures.edges.map((e) => e.node)).toEqual([
        { id: mine.ACTIVE, reportId: null, summary: 'Sanitised summary', redactedFields: expect.arrayContaining(['reportId']) },
      ]);
    } else {
      expect(codes(r)).toEqual(['FORBIDDEN']);
    }
  });

  /** With an id that does not exist: a caller allowed the operation gets NOT_FOUND, anyone else FORBIDDEN first. */
  it.each([
    [
      'discloseIntelligence',
      (c: Caller) => c.kind === AgencyKind.POLICE && has(c, Role.SUPERVISOR),
      `mutation($id: ID!) { discloseIntelligence(input: { reportId: $id, recipientAgencyId: $id, gateway: CONSENT, purpose: "p", summary: "s", expiresAt: "${new Date(Date.now() + 86_400_000).toISOString()}" }) { id } }`,
    ],
    [
      'revokeDisclosure',
      (c: Caller) => c.kind === AgencyKind.POLICE && has(c, Role.SUPERVISOR),
      `mutation($id: ID!) { revokeDisclosure(id: $id, reason: "r") { id } }`,
    ],
    ['breakGlass', careReader, `mutation($id: ID!) { breakGlass(subjectId: $id, reason: "A child is missing tonight") { id } }`],
    ['requestAccess', careReader, `mutation($id: ID!) { requestAccess(subjectId: $id, reason: "Need to know") { id } }`],
    [
      'registerInvolvement',
      careReader,
      `mutation($id: ID!) { registerInvolvement(subjectId: $id, input: { kind: ${INVOLVEMENT_KIND[caller.kind] ?? 'OPEN_CASE'}, lawfulBasis: PUBLIC_TASK, contact: "c" }) { id } }`,
    ],
    ['endInvolvement', (c: Caller) => has(c, Role.SAFEGUARDING_LEAD), `mutation($id: ID!) { endInvolvement(id: $id, reason: "r") { id } }`],
  ] as const)('%s: permission checked before existence', async (_op, allowed, mutation) => {
    const r = await app.gql(mutation, { id: randomUUID() }, caller.principal!.token);
    expect(codes(r)).toEqual([allowed(caller) ? 'NOT_FOUND' : 'FORBIDDEN']);
  });
});
