import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/demo/demo-seed';
import { runDeadlineClocks } from '../../src/deadlines/clocks';
import { fanOutNotice } from '../../src/notifications/fan-out';
import { demoAgreementId } from '../support/disclosures';
import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * The register of information-sharing agreements (docs/lawful-sharing.md): who manages and reads
 * it, its paging and review filter, its bad input; and the rule that every disclosure cites an
 * agreement in force covering its recipient and gateway, or records why none applies.
 */

let app: TestApp;
const t: Record<string, string> = {};
const agency: Record<string, string> = {};
let partnershipId: string;
let reportId: string;

const LIST = `query($first: Int, $after: String, $filter: AgreementFilter) {
  informationSharingAgreements(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id reference status dueForReview gateways parties { name } } } } }`;
type Node = { id: string; reference: string; status: string; dueForReview: boolean; gateways: string[]; parties: { name: string }[] };
type ListResult = {
  informationSharingAgreements: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: Node }[] };
};
const REGISTER = `mutation($i: AgreementInput!) { registerAgreement(input: $i) { id reference status parties { name } } }`;
const STATUS = `mutation($id: ID!, $s: AgreementStatus!) { changeAgreementStatus(id: $id, status: $s, reason: "Test") { status statusReason } }`;
const DISCLOSE = `mutation($i: DiscloseInput!) { discloseIntelligence(input: $i) { id agreementId noAgreementReason } }`;

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const day = (days: number) => inDays(days).slice(0, 10);
const list = async (token: string, variables: Record<string, unknown> = {}) => {
  const r = await app.gql<ListResult>(LIST, { first: 100, ...variables }, token);
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.informationSharingAgreements;
};
const newAgreement = (reference: string, over: Record<string, unknown> = {}) => ({
  reference,
  title: 'Test agreement',
  purpose: 'Testing the register',
  partyAgencyIds: [agency.gmp, agency.brookfield],
  gateways: ['CHILDREN_ACT_2004_S11'],
  dataCategories: ['INTELLIGENCE_SUMMARY'],
  startsOn: day(-30),
  reviewOn: day(335),
  ...over,
});
const disclosure = (over: Record<string, unknown>) => ({
  reportId,
  recipientAgencyId: agency.brookfield,
  gateway: 'CHILDREN_ACT_2004_S11',
  purpose: 'Safeguarding at school',
  summary: 'Synthetic summary',
  conditions: 'Designated safeguarding lead only',
  expiresAt: inDays(10),
  acknowledgeSensitive: true,
  ...over,
});
const disclosureCount = async () => ((await app.ownerQuery(`SELECT count(*)::int AS n FROM disclosures`)) as { n: number }[])[0].n;

beforeAll(async () => {
  app = await startTestApp();
  for (const [who, email] of Object.entries({
    supervisor: 'supervisor@gmp.example',
    analyst: 'analyst@gmp.example',
    lead: 'lead@brookfield-high.example',
    social: 'practitioner@rochdale-csc.example',
    admin: 'admin@oversight.example',
    auditor: 'auditor@oversight.example',
    schoolAdmin: 'admin@brookfield-high.example',
  })) {
    t[who] = (await app.login(email)).accessToken;
  }
  for (const [key, name] of Object.entries({
    gmp: 'Greater Manchester Police',
    brookfield: 'Brookfield High School',
    csc: "Rochdale Children's Social Care",
    voluntary: 'Safe Futures',
  })) {
    [{ id: agency[key] }] = (await app.ownerQuery(`SELECT id FROM agencies WHERE name = $1`, [name])) as { id: string }[];
  }
  partnershipId = await demoAgreementId(app);
  [{ id: reportId }] = (await app.ownerQuery(
    `SELECT id FROM intelligence_reports WHERE handling_code = 'P' AND classification = 'OFFICIAL' ORDER BY id LIMIT 1`,
  )) as { id: string }[];
});
afterAll(() => app.close());

describe('the register', () => {
  it('a police supervisor reads the demo register; a party reads its own agreements; a partner app none', async () => {
    const all = await list(t.supervisor);
    expect(all.totalCount).toBeGreaterThanOrEqual(2);
    expect(all.edges.map((e) => e.node.reference)).toEqual(expect.arrayContaining(['ISA-GM-CSE-2012', 'ISA-GM-VOL-2021']));
    // Brookfield is a party to the partnership protocol, not to the voluntary group's agreement.
    const lead = await list(t.lead);
    expect(lead.edges.map((e) => e.node.reference)).toContain('ISA-GM-CSE-2012');
    expect(lead.edges.map((e) => e.node.reference)).not.toContain('ISA-GM-VOL-2021');
    expect(lead.totalCount).toBe(lead.edges.length);
    // Oversight reads all; the partnership's parties are named.
    expect((await list(t.auditor)).totalCount).toBe(all.totalCount);
    const protocol = all.edges.find((e) => e.node.reference === 'ISA-GM-CSE-2012')!.node;
    expect(protocol.parties.map((p) => p.name)).toEqual(expect.arrayContaining(['Greater Manchester Police', 'Brookfield High School']));
    const issued = await app.gql<{ serviceToken: { accessToken: string } }>(
      `mutation { serviceToken(clientId: "${DEMO_CLIENT_ID}", clientSecret: "${DEMO_CLIENT_SECRET}") { accessToken } }`,
    );
    const partner = issued.body.data!.serviceToken.accessToken;
    expect(codes(await app.gql(LIST, { first: 5 }, partner))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(LIST, { first: 5 }))).toEqual(['UNAUTHENTICATED']);
  });

  it('pages by keyset with totalCount, and lists those due for review', async () => {
    const first = await list(t.supervisor, { first: 1 });
    expect(first.edges).toHaveLength(1);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await list(t.supervisor, { first: 1, after: first.pageInfo.endCursor });
    expect(second.edges[0].node.id).not.toBe(first.edges[0].node.id);
    expect(second.totalCount).toBe(first.totalCount);
    const due = await list(t.supervisor, { filter: { dueForReview: true } });
    expect(due.edges.map((e) => e.node.reference)).toEqual(['ISA-GM-VOL-2021']);
    expect(due.edges.every((e) => e.node.dueForReview)).toBe(true);
    const notDue = await list(t.supervisor, { filter: { dueForReview: false } });
    expect(notDue.totalCount + due.totalCount).toBe((await list(t.supervisor)).totalCount);
    expect(codes(await app.gql(LIST, { first: 1, after: 'not-a-cursor' }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
  });

  it('a police supervisor and an oversight admin register agreements; nobody else may', async () => {
    const r = await app.gql<{ registerAgreement: { status: string; parties: unknown[] } }>(
      REGISTER,
      { i: newAgreement('TEST-ISA-1') },
      t.supervisor,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.registerAgreement).toMatchObject({ status: 'DRAFT' });
    expect(r.body.data!.registerAgreement.parties).toHaveLength(2);
    const byAdmin = await app.gql(REGISTER, { i: newAgreement('TEST-ISA-2', { status: 'ACTIVE' }) }, t.admin);
    expect(byAdmin.body.errors).toBeUndefined();
    for (const who of ['analyst', 'lead', 'schoolAdmin', 'auditor']) {
      expect(codes(await app.gql(REGISTER, { i: newAgreement(`TEST-ISA-${who.toUpperCase()}`) }, t[who]))).toEqual(['FORBIDDEN']);
    }
    // A party does not read a draft; it reads the agreement once active.
    const drafts = await list(t.lead);
    expect(drafts.edges.map((e) => e.node.reference)).not.toContain('TEST-ISA-1');
    expect(drafts.edges.map((e) => e.node.reference)).toContain('TEST-ISA-2');
  });

  it('refuses bad input and changes nothing', async () => {
    const before = ((await app.ownerQuery(`SELECT count(*)::int AS n FROM information_sharing_agreements`)) as { n: number }[])[0].n;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ partyAgencyIds: [agency.gmp] }, 'BAD_USER_INPUT', 'input.partyAgencyIds'],
      [{ partyAgencyIds: [agency.gmp, agency.gmp] }, 'BAD_USER_INPUT', 'input.partyAgencyIds'],
      [{ partyAgencyIds: [agency.gmp, '00000000-0000-4000-8000-000000000000'] }, 'NOT_FOUND', 'input.partyAgencyIds'],
      [{ gateways: [] }, 'BAD_USER_INPUT', 'input.gateways'],
      [{ dataCategories: [] }, 'BAD_USER_INPUT', 'input.dataCategories'],
      [{ reviewOn: day(-60) }, 'BAD_USER_INPUT', 'input.reviewOn'],
      [{ endsOn: day(-60) }, 'BAD_USER_INPUT', 'input.endsOn'],
      [{ status: 'ACTIVE', startsOn: day(-90), endsOn: day(-1) }, 'BAD_USER_INPUT', 'input.endsOn'],
      [{ status: 'ENDED' }, 'BAD_USER_INPUT', 'input.status'],
      [{ title: '   ' }, 'BAD_USER_INPUT', 'input.title'],
      [{ reference: 'lower case' }, 'BAD_USER_INPUT', 'input.reference'],
    ];
    for (const [over, code, field] of cases) {
      const r = await app.gql(REGISTER, { i: newAgreement('TEST-ISA-BAD', over) }, t.supervisor);
      expect([over, r.body.errors?.[0].extensions?.code]).toEqual([over, code]);
      expect(JSON.stringify(r.body.errors?.[0].extensions)).toContain(field);
    }
    expect(codes(await app.gql(REGISTER, { i: newAgreement('ISA-GM-CSE-2012') }, t.supervisor))).toEqual(['CONFLICT']);
    expect(codes(await app.gql(REGISTER, { i: newAgreement('TEST-ISA-DATE', { startsOn: '2024-02-30' }) }, t.supervisor))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const after = ((await app.ownerQuery(`SELECT count(*)::int AS n FROM information_sharing_agreements`)) as { n: number }[])[0].n;
    expect(after).toBe(before);
  });

  it('moves along its lifecycle only by the allowed steps', async () => {
    const r = await app.gql<{ registerAgreement: { id: string } }>(REGISTER, { i: newAgreement('TEST-ISA-LIFE') }, t.supervisor);
    const id = r.body.data!.registerAgreement.id;
    expect((await app.gql(STATUS, { id, s: 'SUSPENDED' }, t.supervisor)).body.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'status',
    });
    expect((await app.gql(STATUS, { id, s: 'ACTIVE' }, t.admin)).body.data).toEqual({
      changeAgreementStatus: { status: 'ACTIVE', statusReason: 'Test' },
    });
    expect(codes(await app.gql(STATUS, { id, s: 'SUSPENDED' }, t.lead))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(STATUS, { id: '00000000-0000-4000-8000-000000000000', s: 'ENDED' }, t.supervisor))).toEqual(['NOT_FOUND']);
    expect((await app.gql(STATUS, { id, s: 'ENDED' }, t.supervisor)).body.errors).toBeUndefined();
    expect(codes(await app.gql(STATUS, { id, s: 'ACTIVE' }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('a disclosure cites its agreement', () => {
  it('with the partnership agreement, the disclosure records it', async () => {
    const r = await app.gql<{ discloseIntelligence: { agreementId: string; noAgreementReason: string | null } }>(
      DISCLOSE,
      { i: disclosure({ agreementId: partnershipId }) },
      t.supervisor,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.discloseIntelligence).toMatchObject({ agreementId: partnershipId, noAgreementReason: null });
  });

  it('with neither an agreement nor a reason it is refused (AGREEMENT_REQUIRED) and nothing is written', async () => {
    const before = await disclosureCount();
    const r = await app.gql(DISCLOSE, { i: disclosure({}) }, t.supervisor);
    expect(r.body.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'AGREEMENT_REQUIRED',
      field: 'input.agreementId',
    });
    const both = await app.gql(DISCLOSE, { i: disclosure({ agreementId: partnershipId, noAgreementReason: 'x' }) }, t.supervisor);
    expect(both.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.noAgreementReason' });
    const blank = await app.gql(DISCLOSE, { i: disclosure({ noAgreementReason: '  ' }) }, t.supervisor);
    expect(codes(blank)).toEqual(['BAD_USER_INPUT']);
    expect(await disclosureCount()).toBe(before);
  });

  it('an agreement that does not cover the recipient, the gateway or today is refused (AGREEMENT_NOT_APPLICABLE)', async () => {
    const before = await disclosureCount();
    const [{ id: voluntaryOnly }] = (await app.ownerQuery(
      `SELECT id FROM information_sharing_agreements WHERE reference = 'ISA-GM-VOL-2021'`,
    )) as { id: string }[];
    const narrow = await app.gql<{ registerAgreement: { id: string } }>(
      REGISTER,
      { i: newAgreement('TEST-ISA-NARROW', { status: 'ACTIVE', gateways: ['CONSENT'] }) },
      t.supervisor,
    );
    const future = await app.gql<{ registerAgreement: { id: string } }>(
      REGISTER,
      { i: newAgreement('TEST-ISA-FUTURE', { status: 'ACTIVE', startsOn: day(10), reviewOn: day(100) }) },
      t.supervisor,
    );
    const suspended = await app.gql<{ registerAgreement: { id: string } }>(
      REGISTER,
      { i: newAgreement('TEST-ISA-SUSPENDED', { status: 'ACTIVE' }) },
      t.supervisor,
    );
    await app.gql(STATUS, { id: suspended.body.data!.registerAgreement.id, s: 'SUSPENDED' }, t.supervisor);
    const draft = await app.gql<{ registerAgreement: { id: string } }>(REGISTER, { i: newAgreement('TEST-ISA-DRAFT') }, t.supervisor);
    for (const agreementId of [
      voluntaryOnly, // Brookfield is not a party
      narrow.body.data!.registerAgreement.id, // CONSENT only
      future.body.data!.registerAgreement.id, // not started
      suspended.body.data!.registerAgreement.id,
      draft.body.data!.registerAgreement.id,
      '00000000-0000-4000-8000-000000000000',
    ]) {
      const r = await app.gql(DISCLOSE, { i: disclosure({ agreementId }) }, t.supervisor);
      expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'AGREEMENT_NOT_APPLICABLE' });
    }
    expect(await disclosureCount()).toBe(before);
  });

  it('a recorded reason stands in for an agreement', async () => {
    const reason = 'Immediate risk of harm out of hours: no agreement covers the receiving team';
    const r = await app.gql<{ discloseIntelligence: { agreementId: string | null; noAgreementReason: string } }>(
      DISCLOSE,
      { i: disclosure({ noAgreementReason: reason }) },
      t.supervisor,
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.discloseIntelligence).toEqual(expect.objectContaining({ agreementId: null, noAgreementReason: reason }));
  });

  it('every demo disclosure cites the partnership agreement', async () => {
    const rows = (await app.ownerQuery(
      `SELECT count(*)::int AS n FROM disclosures WHERE agreement_id IS NULL AND no_agreement_reason IS NULL`,
    )) as { n: number }[];
    expect(rows[0].n).toBe(0);
    const cited = (await app.ownerQuery(`SELECT count(*)::int AS n FROM disclosures WHERE agreement_id = $1`, [partnershipId])) as {
      n: number;
    }[];
    expect(cited[0].n).toBeGreaterThan(0);
  });
});

describe('review notices', () => {
  const INBOX = `{ notifications(first: 100) { edges { node { type recordId } } } }`;
  const noticed = async (token: string, id: string) => {
    const r = await app.gql<{ notifications: { edges: { node: { type: string; recordId: string } }[] } }>(INBOX, {}, token);
    expect(r.body.errors).toBeUndefined();
    return r.body.data!.notifications.edges.some((e) => e.node.type === 'AGREEMENT_REVIEW_DUE' && e.node.recordId === id);
  };

  it('an agreement due for review raises AGREEMENT_REVIEW_DUE once, to its parties only', async () => {
    const r = await app.gql<{ registerAgreement: { id: string } }>(
      REGISTER,
      { i: newAgreement('TEST-ISA-REVIEW', { status: 'ACTIVE', startsOn: day(-60), reviewOn: day(-1) }) },
      t.admin,
    );
    const id = r.body.data!.registerAgreement.id;
    await runDeadlineClocks(app.db, app.config);
    await runDeadlineClocks(app.db, app.config);
    const events = (await app.ownerQuery(
      `SELECT dedupe_key FROM notification_events WHERE type = 'AGREEMENT_REVIEW_DUE' AND record_id = $1`,
      [id],
    )) as { dedupe_key: string }[];
    expect(events.map((e) => e.dedupe_key)).toEqual([`AGREEMENT_REVIEW_DUE:${id}:${day(-1)}`]);
    // Fanned out here (the tests' servers run no push workers): to the parties' people only.
    const [{ id: eventId }] = (await app.ownerQuery(`SELECT id FROM notification_events WHERE record_id = $1`, [id])) as { id: string }[];
    await fanOutNotice(app.db, eventId);
    expect(await noticed(t.supervisor, id)).toBe(true);
    expect(await noticed(t.lead, id)).toBe(true);
    expect(await noticed(t.social, id)).toBe(false);
    expect(await noticed(t.admin, id)).toBe(false);
    // Reviewed: a new date; nothing more is raised until it comes.
    const reviewed = await app.gql(
      `mutation($id: ID!, $on: Date!) { reviewAgreement(id: $id, nextReviewOn: $on, note: "Reviewed with both parties") { reviewOn dueForReview } }`,
      { id, on: day(365) },
      t.supervisor,
    );
    expect(reviewed.body.data).toEqual({ reviewAgreement: { reviewOn: day(365), dueForReview: false } });
    await runDeadlineClocks(app.db, app.config);
    expect(
      (
        (await app.ownerQuery(`SELECT count(*)::int AS n FROM notification_events WHERE type = 'AGREEMENT_REVIEW_DUE' AND record_id = $1`, [
          id,
        ])) as {
          n: number;
        }[]
      )[0].n,
    ).toBe(1);
    expect(
      codes(
        await app.gql(
          `mutation($id: ID!) { reviewAgreement(id: $id, nextReviewOn: "2001-01-01", note: "x") { id } }`,
          { id },
          t.supervisor,
        ),
      ),
    ).toEqual(['BAD_USER_INPUT']);
  });
});
