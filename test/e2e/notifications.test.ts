import { randomUUID } from 'node:crypto';
import { recordWriter } from '../support/policy-records';
import { discloseAnyReport } from '../support/disclosures';
import { codes, startTestApp, type TestApp } from '../support/test-app';

// The outbox end to end: changes raise notices in their own transaction, workers fan them out to
// the inboxes policy names, and nobody else hears of them.

let app: TestApp;
const tokens: Record<string, string> = {};
const token = async (email: string) => (tokens[email] ??= (await app.login(email)).accessToken);

interface Inbox {
  notifications: {
    totalCount: number;
    edges: {
      node: {
        id: string;
        type: string;
        read: boolean;
        recordKind: string;
        recordId: string;
        subjectId: string | null;
        actingAgency: { name: string } | null;
      };
    }[];
  };
}
const INBOX = `query($unread: Boolean) { notifications(first: 100, unreadOnly: $unread) { totalCount
  edges { node { id type read recordKind recordId subjectId actingAgency { name } } } } }`;

async function inbox(email: string, unreadOnly = false) {
  const r = await app.gql<Inbox>(INBOX, { unread: unreadOnly }, await token(email));
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.notifications;
}

/** Waits (bounded) for the notice naming `recordId` to reach `email`'s inbox. */
async function awaitNotice(email: string, recordId: string, type: string, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await inbox(email)).edges.find((e) => e.node.recordId === recordId && e.node.type === type);
    if (hit) return hit.node;
    if (Date.now() > until) throw new Error(`no ${type} for ${recordId} reached ${email}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until every notice raised so far has been fanned out. */
async function settled(timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [{ n }] = (await app.ownerQuery(`SELECT count(*)::int AS n FROM notification_events WHERE fanned_out_at IS NULL`)) as {
      n: number;
    }[];
    if (n === 0) return;
    if (Date.now() > until) throw new Error(`${n} notices not fanned out`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const agencyId = async (name: string) =>
  ((await app.ownerQuery(`SELECT id FROM agencies WHERE name = $1`, [name])) as { id: string }[])[0].id;

async function disclose(recipientAgencyId: string, summary: string) {
  return discloseAnyReport(app, await token('supervisor@gmp.example'), recipientAgencyId, summary);
}

beforeAll(async () => {
  app = await startTestApp({ PUSH_WORKERS: 'true', ACCESS_NOTICE_SCAN_INTERVAL_MS: '200' });
}, 60_000);

afterAll(async () => {
  await app?.close();
});

describe('notices from changes', () => {
  it('tells the recipient agency’s lead of a disclosure, content-free, and tells no other agency', async () => {
    const marker = `SYNTHETIC-SUMMARY-${randomUUID()}`;
    const id = await disclose(await agencyId('Brookfield High School'), marker);
    const notice = await awaitNotice('lead@brookfield-high.example', id, 'DISCLOSURE_RECEIVED');
    expect(notice).toMatchObject({
      recordKind: 'disclosure',
      recordId: id,
      read: false,
      actingAgency: { name: 'Greater Manchester Police' },
    });
    const [event] = (await app.ownerQuery(`SELECT row_to_json(e)::text AS j FROM notification_events e WHERE record_id = $1`, [id])) as {
      j: string;
    }[];
    expect(event.j).not.toContain(marker);
    await settled();
    for (const other of ['reporter@safe-futures.example', 'practitioner@rochdale-csc.example', 'nurse@northern-health.example']) {
      expect((await inbox(other)).edges.some((e) => e.node.recordId === id)).toBe(false);
    }
    // The disclosing supervisor is not told of their own act.
    expect((await inbox('supervisor@gmp.example')).edges.some((e) => e.node.recordId === id)).toBe(false);
    // The fan-out is audited: who was told, by the service acting for nobody.
    const [audit] = (await app.ownerQuery(
      `SELECT actor_id, details->'recipientIds' AS recipients FROM audit_events WHERE action = 'NOTIFY' AND $1 = ANY(record_ids)`,
      [notice.id],
    )) as { actor_id: string | null; recipients: string[] }[];
    expect(audit.actor_id).toBeNull();
    const [lead] = (await app.ownerQuery(`SELECT id FROM users WHERE email = 'lead@brookfield-high.example'`)) as { id: string }[];
    expect(audit.recipients).toContain(lead.id);
  });

  it('tells police supervisors of an access request and the requester of its decision', async () => {
    const practitioner = await token('practitioner@rochdale-csc.example');
    const subjects = await app.gql<{ subjects: { edges: { node: { id: string } }[] } }>(
      '{ subjects(first: 50) { edges { node { id } } } }',
      {},
      practitioner,
    );
    // One the practitioner's agency has no pending request about (the demo seeds some).
    const pending = (await app.ownerQuery(
      `SELECT q.subject_id FROM access_requests q JOIN agencies a ON a.id = q.requester_agency_id
        WHERE a.name = 'Rochdale Children''s Social Care' AND q.status = 'PENDING'`,
    )) as { subject_id: string }[];
    const subjectId = subjects.body.data!.subjects.edges.map((e) => e.node.id).find((id) => !pending.some((p) => p.subject_id === id))!;
    const asked = await app.gql<{ requestAccess: { id: string } }>(
      'mutation($s: ID!) { requestAccess(subjectId: $s, reason: "Synthetic: a strategy meeting tomorrow") { id } }',
      { s: subjectId },
      practitioner,
    );
    const requestId = asked.body.data!.requestAccess.id;
    const toSupervisor = await awaitNotice('supervisor@gmp.example', requestId, 'ACCESS_REQUESTED');
    expect(toSupervisor.subjectId).toBe(subjectId);
    const declined = await app.gql(
      'mutation($r: ID!) { declineDisclosure(input: { accessRequestId: $r, reason: "Synthetic: nothing further to share" }) { id } }',
      { r: requestId },
      await token('supervisor@gmp.example'),
    );
    expect(declined.body.errors).toBeUndefined();
    await awaitNotice('practitioner@rochdale-csc.example', requestId, 'ACCESS_REQUEST_DECIDED');
    await settled();
    expect((await inbox('lead@brookfield-high.example')).edges.some((e) => e.node.recordId === requestId)).toBe(false);
  });

  it('tells police supervisors of a proposed flag, and the agencies that know the subject once it is approved', async () => {
    // An unflagged child, brought into Rochdale Children's Social Care's care (a fixture).
    const [child] = (await app.ownerQuery(
      `SELECT s.id FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = s.id) ORDER BY s.id LIMIT 1`,
    )) as { id: string }[];
    const rochdale = await agencyId("Rochdale Children's Social Care");
    const [practitioner] = (await app.ownerQuery(`SELECT id FROM users WHERE email = 'practitioner@rochdale-csc.example'`)) as {
      id: string;
    }[];
    await recordWriter(app).involvement(child.id, rochdale, practitioner.id, 'OPEN_CASE');
    const brookfieldKnows = await app.db.query<{ known: boolean }[]>(
      `SELECT $1::uuid IN (SELECT subjects_known_to((SELECT id FROM agencies WHERE name = 'Brookfield High School'))) AS known`,
      [child.id],
    );
    const proposed = await app.gql<{ flagSubject: { id: string; status: string } }>(
      'mutation($s: ID!) { flagSubject(subjectId: $s, input: { kind: CSE_RISK, riskLevel: HIGH, reason: "Synthetic: seen with older men" }) { id status } }',
      { s: child.id },
      await token('investigator@gmp.example'),
    );
    const flag = proposed.body.data!.flagSubject;
    expect(flag.status).toBe('PROPOSED');
    expect(await awaitNotice('supervisor@gmp.example', flag.id, 'FLAG_PROPOSED')).toMatchObject({ subjectId: child.id });
    // Care readers see active flags only: a notice of the proposal would name a record they may not read.
    await settled();
    expect((await inbox('practitioner@rochdale-csc.example')).edges.some((e) => e.node.recordId === flag.id)).toBe(false);
    const approved = await app.gql(
      'mutation($f: ID!) { approveFlag(flagId: $f) { id } }',
      { f: flag.id },
      await token('supervisor@gmp.example'),
    );
    expect(approved.body.errors).toBeUndefined();
    await awaitNotice('practitioner@rochdale-csc.example', flag.id, 'FLAG_APPROVED');
    await settled();
    const toSchool = (await inbox('lead@brookfield-high.example')).edges.some((e) => e.node.recordId === flag.id);
    expect(toSchool).toBe(brookfieldKnows[0].known);
  });

  it('tells a partner app when its submission changes status, and no one else of it', async () => {
    const auth = await app.gql<{ serviceToken: { accessToken: string } }>(
      'mutation { serviceToken(clientId: "safe-futures-app", clientSecret: "safeshare-demo-secret") { accessToken } }',
    );
    const partner = auth.body.data!.serviceToken.accessToken;
    const submitted = await app.gql<{ submitIntelligence: { id: string } }>(
      `mutation { submitIntelligence(input: { sourceType: VOLUNTARY, divisionId: "rochdale", location: "the bus station",
         narrative: "Synthetic: a girl of about 14 was driven away by an older man", riskIndicators: [TRANSPORTED_BY_ADULTS] }) { id } }`,
      {},
      partner,
    );
    const reportId = submitted.body.data!.submitIntelligence.id;
    const assessed = await app.gql(
      'mutation($id: ID!) { assessIntelligence(id: $id, input: { sourceEvaluation: RELIABLE, intelligenceAssessment: KNOWN_DIRECTLY, handlingCode: P }) { status } }',
      { id: reportId },
      await token('analyst@gmp.example'),
    );
    expect(assessed.body.errors).toBeUndefined();
    const until = Date.now() + 15_000;
    let notices: Inbox['notifications']['edges'] = [];
    while (Date.now() < until) {
      const r = await app.gql<Inbox>(INBOX, { unread: false }, partner);
      notices = r.body.data!.notifications.edges.filter((e) => e.node.recordId === reportId);
      if (notices.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(notices.map((e) => e.node.type)).toEqual(['SUBMISSION_STATUS_CHANGED']);
    await settled();
    expect((await inbox('reporter@safe-futures.example')).edges.some((e) => e.node.recordId === reportId)).toBe(false);
  });

  it('raises no notice when the change rolls back', async () => {
    const before = (await app.ownerQuery(`SELECT count(*)::int AS n FROM notification_events`)) as { n: number }[];
    const r = await app.gql(
      'mutation($i: DiscloseInput!) { discloseIntelligence(input: $i) { id } }',
      {
        i: {
          reportId: randomUUID(),
          recipientAgencyId: await agencyId('Brookfield High School'),
          gateway: 'CHILDREN_ACT_2004_S11',
          noAgreementReason: 'Synthetic test: the report does not exist',
          purpose: 'Safeguarding a pupil',
          summary: 'Synthetic',
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      },
      await token('supervisor@gmp.example'),
    );
    expect(codes(r)).toEqual(['NOT_FOUND']);
    expect(await app.ownerQuery(`SELECT count(*)::int AS n FROM notification_events`)).toEqual(before);
  });
});

describe('the inbox', () => {
  it('marks the caller’s own notices read, and refuses another’s or a malformed id without marking any', async () => {
    const id = await disclose(await agencyId('Brookfield High School'), 'Synthetic summary for the inbox test');
    const notice = await awaitNotice('lead@brookfield-high.example', id, 'DISCLOSURE_RECEIVED');
    const lead = await token('lead@brookfield-high.example');
    const mark = (ids: string[], as = lead) =>
      app.gql<{ markNotificationsRead: number }>('mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }', { ids }, as);

    const stranger = await mark([notice.id], await token('reporter@safe-futures.example'));
    expect(codes(stranger)).toEqual(['NOT_FOUND']);
    const mixed = await mark([notice.id, randomUUID()]);
    expect(codes(mixed)).toEqual(['NOT_FOUND']);
    expect(codes(await mark(['not-a-notice']))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await mark([]))).toEqual(['BAD_USER_INPUT']);
    expect((await inbox('lead@brookfield-high.example', true)).edges.some((e) => e.node.id === notice.id)).toBe(true);

    expect((await mark([notice.id, notice.id])).body.data?.markNotificationsRead).toBe(1);
    expect((await mark([notice.id])).body.data?.markNotificationsRead).toBe(0);
    const unread = await inbox('lead@brookfield-high.example', true);
    expect(unread.edges.some((e) => e.node.id === notice.id)).toBe(false);
    const all = await inbox('lead@brookfield-high.example');
    expect(all.edges.find((e) => e.node.id === notice.id)?.node.read).toBe(true);
    expect(all.totalCount).toBeGreaterThan(unread.totalCount - 1);
  });

  it('pages with cursors, and records the notices it hands out in the request’s audit event', async () => {
    const lead = await token('lead@brookfield-high.example');
    const first = await app.gql<{
      notifications: { edges: { node: { id: string } }[]; pageInfo: { endCursor: string; hasNextPage: boolean } };
    }>('{ notifications(first: 1) { edges { node { id } } pageInfo { endCursor hasNextPage } } }', {}, lead);
    const page = first.body.data!.notifications;
    expect(page.edges).toHaveLength(1);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await app.gql<{ notifications: { edges: { node: { id: string } }[] } }>(
      'query($a: String) { notifications(first: 1, after: $a) { edges { node { id } } } }',
      { a: page.pageInfo.endCursor },
      lead,
    );
    expect(next.body.data!.notifications.edges[0].node.id).not.toBe(page.edges[0].node.id);
    const events = await app.ownerQuery(
      `SELECT record_ids FROM audit_events WHERE operation_field = 'notifications' AND $1 = ANY(record_ids)`,
      [page.edges[0].node.id],
    );
    expect(events.length).toBeGreaterThan(0);
  });
});

describe('notify-on-access', () => {
  it('tells the agencies involved when an agency outside the child’s care reads a flagged child, and is silent for a routine read', async () => {
    // A child with an active CSE flag and an involvement of Rochdale Children's Social Care, unknown to Brookfield High.
    const [child] = (await app.ownerQuery(
      `SELECT s.id FROM subjects s
        WHERE EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = s.id AND f.status = 'ACTIVE')
          AND EXISTS (SELECT 1 FROM involvements i JOIN agencies a ON a.id = i.agency_id
                       WHERE i.subject_id = s.id AND i.ended_at IS NULL AND a.name = 'Rochdale Children''s Social Care')
          AND NOT EXISTS (SELECT 1 FROM involvements i JOIN agencies a ON a.id = i.agency_id
                           WHERE i.subject_id = s.id AND a.name = 'Brookfield High School')
        ORDER BY s.id LIMIT 1`,
    )) as { id: string }[];
    expect(child).toBeDefined();
    const read = `query($id: ID!) { subject(id: $id) { id } }`;
    // Routine: the involved agency reads its own child.
    const routine = await app.gql(read, { id: child.id }, await token('practitioner@rochdale-csc.example'));
    expect(routine.body.errors).toBeUndefined();

    const lead = await token('lead@brookfield-high.example');
    const glass = await app.gql(
      'mutation($s: ID!) { breakGlass(subjectId: $s, reason: "Synthetic: the child is at the school gate now") { id } }',
      { s: child.id },
      lead,
    );
    expect(glass.body.errors).toBeUndefined();
    const opened = await app.gql<{ subject: { id: string } }>(read, { id: child.id }, lead);
    expect(opened.body.data?.subject?.id).toBe(child.id);

    const notice = await awaitNotice('practitioner@rochdale-csc.example', child.id, 'SUBJECT_ACCESSED');
    expect(notice).toMatchObject({ recordKind: 'subject', subjectId: child.id, actingAgency: { name: 'Brookfield High School' } });
    await awaitNotice(
      'practitioner@rochdale-csc.example',
      (glass.body.data as { breakGlass: { id: string } }).breakGlass.id,
      'BREAK_GLASS_USED',
    );
    // A second read within the hour is not told again; the reading agency hears nothing of its own read.
    await app.gql(read, { id: child.id }, lead);
    await new Promise((r) => setTimeout(r, 1000));
    await settled();
    const accessed = (await inbox('practitioner@rochdale-csc.example')).edges.filter(
      (e) => e.node.type === 'SUBJECT_ACCESSED' && e.node.recordId === child.id,
    );
    expect(accessed).toHaveLength(1);
    expect((await inbox('lead@brookfield-high.example')).edges.some((e) => e.node.type === 'SUBJECT_ACCESSED')).toBe(false);
  });
});
