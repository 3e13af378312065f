import { runDeadlineClocks } from '../../src/deadlines/clocks';
import { demoAgreementId } from '../support/disclosures';
import { codes, startTestApp, type TestApp } from '../support/test-app';
import { testConfig } from '../support/test-config';

// Deadline clocks end to end: requests carry an urgency and a due time, the overdue filter is SQL,
// the clocks raise each notice once (across instances too), and the timeliness statistic is
// published on its grid only.

let app: TestApp;
const tokens: Record<string, string> = {};
const token = async (email: string) => (tokens[email] ??= (await app.login(email)).accessToken);
const HOUR = 3_600_000;
const PRACTITIONER = 'practitioner@rochdale-csc.example';
const SUPERVISOR = 'supervisor@gmp.example';

const REQUEST = `mutation($s: ID!, $u: Urgency) { requestAccess(subjectId: $s, reason: "Synthetic: strategy meeting", urgency: $u) {
  id urgency requestedAt dueAt overdue status } }`;
interface Requested {
  id: string;
  urgency: string;
  requestedAt: string;
  dueAt: string;
  overdue: boolean;
  status: string;
}

/** A new pending request by the practitioner about a subject their agency has none pending for. */
async function request(urgency?: string): Promise<Requested> {
  const t = await token(PRACTITIONER);
  const subjects = await app.gql<{ subjects: { edges: { node: { id: string } }[] } }>(
    '{ subjects(first: 50) { edges { node { id } } } }',
    {},
    t,
  );
  for (const { node } of subjects.body.data!.subjects.edges) {
    const r = await app.gql<{ requestAccess: Requested }>(REQUEST, urgency ? { s: node.id, u: urgency } : { s: node.id }, t);
    if (r.body.data?.requestAccess) return r.body.data.requestAccess;
    expect(codes(r)).toEqual(['CONFLICT']);
  }
  throw new Error('no subject left to ask about');
}

/** Makes a request overdue: made `hoursAgo`, due an hour ago. */
async function backdate(id: string, hoursAgo = 30) {
  await app.ownerQuery(
    `UPDATE access_requests SET requested_at = now() - make_interval(hours => $2), due_at = now() - interval '1 hour' WHERE id = $1`,
    [id, hoursAgo],
  );
}

const eventsFor = async (recordId: string, type: string) =>
  (await app.ownerQuery(`SELECT id, dedupe_key FROM notification_events WHERE record_id = $1 AND type = $2`, [recordId, type])) as {
    id: string;
    dedupe_key: string;
  }[];

/** One run of the clocks by this test: the app's own periodic run may hold their lock a moment (then this one skips), so try again. */
async function runClocks() {
  for (let tries = 0; tries < 50; tries++) {
    if ((await runDeadlineClocks(app.db, app.config)) !== null) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the clocks never ran');
}

const INBOX = `{ notifications(first: 100) { edges { node { type recordId } } } }`;
async function awaitNotice(email: string, recordId: string, type: string, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await app.gql<{ notifications: { edges: { node: { type: string; recordId: string } }[] } }>(INBOX, {}, await token(email));
    expect(r.body.errors).toBeUndefined();
    if (r.body.data!.notifications.edges.some((e) => e.node.recordId === recordId && e.node.type === type)) return;
    if (Date.now() > until) throw new Error(`no ${type} for ${recordId} reached ${email}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function disclose(expiresInHours: number): Promise<string> {
  const sup = await token(SUPERVISOR);
  const [{ id: recipientAgencyId }] = (await app.ownerQuery(`SELECT id FROM agencies WHERE name = 'Brookfield High School'`)) as {
    id: string;
  }[];
  const reports = await app.gql<{ intelligenceReports: { edges: { node: { id: string } }[] } }>(
    '{ intelligenceReports(first: 40) { edges { node { id } } } }',
    {},
    sup,
  );
  const agreementId = await demoAgreementId(app);
  for (const { node } of reports.body.data!.intelligenceReports.edges) {
    const r = await app.gql<{ discloseIntelligence: { id: string } }>(
      'mutation($i: DiscloseInput!) { discloseIntelligence(input: $i) { id } }',
      {
        i: {
          reportId: node.id,
          recipientAgencyId,
          gateway: 'CHILDREN_ACT_2004_S11',
          agreementId,
          purpose: 'Safeguarding a pupil',
          summary: 'Synthetic summary',
          conditions: 'Designated safeguarding lead only',
          expiresAt: new Date(Date.now() + expiresInHours * HOUR).toISOString(),
          acknowledgeSensitive: true,
        },
      },
      sup,
    );
    if (r.body.data?.discloseIntelligence) return r.body.data.discloseIntelligence.id;
  }
  throw new Error('no report could be disclosed');
}

beforeAll(async () => {
  app = await startTestApp({
    PUSH_WORKERS: 'true',
    DEADLINE_SCAN_INTERVAL_MS: '300',
    ACCESS_REQUEST_DUE_HOURS_RED: '2',
    ACCESS_REQUEST_DUE_HOURS_GREEN: '96',
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
});

describe('urgency and due time', () => {
  it('defaults to AMBER (24 h) and follows the configured hours of each urgency', async () => {
    const amber = await request();
    expect(amber).toMatchObject({ urgency: 'AMBER', overdue: false, status: 'PENDING' });
    expect(Date.parse(amber.dueAt) - Date.parse(amber.requestedAt)).toBe(24 * HOUR);
    const red = await request('RED');
    expect(Date.parse(red.dueAt) - Date.parse(red.requestedAt)).toBe(2 * HOUR);
    const green = await request('GREEN');
    expect(Date.parse(green.dueAt) - Date.parse(green.requestedAt)).toBe(96 * HOUR);
  });

  it('refuses an unknown urgency as a validation error, writing nothing', async () => {
    const [{ n: before }] = (await app.ownerQuery(`SELECT count(*)::int AS n FROM access_requests`)) as { n: number }[];
    const r = await app.gql(REQUEST, { s: '00000000-0000-4000-8000-000000000000', u: 'PURPLE' }, await token(PRACTITIONER));
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    const inline = await app.gql(
      'mutation { requestAccess(subjectId: "00000000-0000-4000-8000-000000000000", reason: "x", urgency: PURPLE) { id } }',
      {},
      await token(PRACTITIONER),
    );
    expect(codes(inline)).toEqual(['BAD_USER_INPUT']);
    expect(inline.body.errors![0].message).toMatch(/Urgency/);
    expect(inline.body.data ?? null).toBeNull();
    const [{ n: after }] = (await app.ownerQuery(`SELECT count(*)::int AS n FROM access_requests`)) as { n: number }[];
    expect(after).toBe(before);
  });

  it('rejects a configuration where a more urgent request gets longer', () => {
    expect(() => testConfig('postgres://127.0.0.1/x', { ACCESS_REQUEST_DUE_HOURS_RED: '48' })).toThrow(/must not decrease/);
    expect(() => testConfig('postgres://127.0.0.1/x', { ACCESS_REQUEST_DUE_HOURS_AMBER: '0' })).toThrow(/ACCESS_REQUEST_DUE_HOURS_AMBER/);
    expect(testConfig('postgres://127.0.0.1/x').deadlines).toEqual({
      dueHours: { RED: 4, AMBER: 24, GREEN: 72 },
      scanIntervalMs: 60_000,
      flagReviewLookbackDays: 7,
    });
  });
});

describe('the overdue filter', () => {
  it('keeps only pending requests past due, in SQL, with totalCount to match', async () => {
    const late = await request('RED');
    await backdate(late.id);
    await backdate((await request('GREEN')).id);
    const LIST = `query($o: Boolean) { accessRequests(first: 1, filter: { overdue: $o }) { totalCount edges { node { id overdue status dueAt } } } }`;
    const sup = await token(SUPERVISOR);
    type List = { accessRequests: { totalCount: number; edges: { node: { id: string; overdue: boolean; status: string } }[] } };
    const overdue = await app.gql<List>(LIST, { o: true }, sup);
    const notOverdue = await app.gql<List>(LIST, { o: false }, sup);
    const all = await app.gql<List>(LIST, {}, sup);
    const [{ n }] = (await app.ownerQuery(
      `SELECT count(*)::int AS n FROM access_requests WHERE status = 'PENDING' AND due_at <= now()`,
    )) as {
      n: number;
    }[];
    expect(n).toBeGreaterThanOrEqual(2);
    expect(overdue.body.data!.accessRequests.totalCount).toBe(n);
    expect(overdue.body.data!.accessRequests.edges).toHaveLength(1);
    expect(overdue.body.data!.accessRequests.edges.every((e) => e.node.overdue && e.node.status === 'PENDING')).toBe(true);
    expect(notOverdue.body.data!.accessRequests.edges.every((e) => !e.node.overdue)).toBe(true);
    expect(notOverdue.body.data!.accessRequests.totalCount + n).toBe(all.body.data!.accessRequests.totalCount);
    // The requester sees its own overdue request marked so.
    const own = await app.gql<List>(
      `{ accessRequests(first: 100, filter: { overdue: true }) { totalCount edges { node { id overdue } } } }`,
      {},
      await token(PRACTITIONER),
    );
    expect(own.body.data!.accessRequests.edges.map((e) => e.node.id)).toContain(late.id);
  });
});

describe('the clocks', () => {
  it('raise ACCESS_REQUEST_OVERDUE once, to police supervisors and the requester', async () => {
    const late = await request();
    await backdate(late.id);
    await runClocks();
    await runClocks();
    const events = await eventsFor(late.id, 'ACCESS_REQUEST_OVERDUE');
    expect(events).toHaveLength(1);
    expect(events[0].dedupe_key).toBe(`ACCESS_REQUEST_OVERDUE:${late.id}`);
    await awaitNotice(SUPERVISOR, late.id, 'ACCESS_REQUEST_OVERDUE');
    await awaitNotice(PRACTITIONER, late.id, 'ACCESS_REQUEST_OVERDUE');
    // Not for a request still within its time.
    const onTime = await request('GREEN');
    await runClocks();
    expect(await eventsFor(onTime.id, 'ACCESS_REQUEST_OVERDUE')).toHaveLength(0);
  });

  it('run on their own every DEADLINE_SCAN_INTERVAL_MS', async () => {
    const late = await request('RED');
    await backdate(late.id, 3);
    await awaitNotice(SUPERVISOR, late.id, 'ACCESS_REQUEST_OVERDUE');
  });

  it('raise DISCLOSURE_EXPIRING for a disclosure expiring within 48 h, not for one in 5 days', async () => {
    const soon = await disclose(24);
    const later = await disclose(5 * 24);
    await runClocks();
    expect(await eventsFor(soon, 'DISCLOSURE_EXPIRING')).toHaveLength(1);
    expect(await eventsFor(later, 'DISCLOSURE_EXPIRING')).toHaveLength(0);
    await awaitNotice('lead@brookfield-high.example', soon, 'DISCLOSURE_EXPIRING');
  });

  it('raise FLAG_REVIEW_DUE for a flag whose review date has come, not for one long past (the lookback)', async () => {
    const flags = (await app.ownerQuery(`SELECT id FROM flags WHERE status = 'ACTIVE' ORDER BY id LIMIT 2`)) as { id: string }[];
    expect(flags).toHaveLength(2);
    const [due, old] = flags.map((f) => f.id);
    await app.ownerQuery(`UPDATE flags SET review_date = (now() AT TIME ZONE 'UTC')::date WHERE id = $1`, [due]);
    await app.ownerQuery(`UPDATE flags SET review_date = (now() AT TIME ZONE 'UTC')::date - 30 WHERE id = $1`, [old]);
    await runClocks();
    await runClocks();
    const events = await eventsFor(due, 'FLAG_REVIEW_DUE');
    expect(events).toHaveLength(1);
    expect(events[0].dedupe_key).toMatch(new RegExp(`^FLAG_REVIEW_DUE:${due}:\\d{4}-\\d{2}-\\d{2}$`));
    expect(await eventsFor(old, 'FLAG_REVIEW_DUE')).toHaveLength(0);
    await awaitNotice(SUPERVISOR, due, 'FLAG_REVIEW_DUE');
    // The demo's old review dates raised nothing beyond the lookback.
    const [{ n }] = (await app.ownerQuery(
      `SELECT count(*)::int AS n FROM notification_events e JOIN flags f ON f.id = e.record_id
        WHERE e.type = 'FLAG_REVIEW_DUE' AND f.review_date < (now() AT TIME ZONE 'UTC')::date - 7`,
    )) as { n: number }[];
    expect(n).toBe(0);
  });

  it('raise each notice once when several instances run them at once, and audit what they raised', async () => {
    const second = await startTestApp({ PUSH_WORKERS: 'false' }, app);
    try {
      const a = await request('RED');
      const b = await request('AMBER');
      await backdate(a.id);
      await backdate(b.id);
      // The app's own periodic clock may hold the lock at that moment (and skip these requests, its
      // snapshot older than them): run the four at once again until one of them takes it.
      let runs: Awaited<ReturnType<typeof runDeadlineClocks>>[] = [];
      for (let tries = 0; tries < 50 && !runs.some((r) => r !== null); tries++) {
        if (tries) await new Promise((resolve) => setTimeout(resolve, 50));
        runs = await Promise.all([
          runDeadlineClocks(app.db, app.config),
          runDeadlineClocks(second.db, second.config),
          runDeadlineClocks(second.serviceDb, second.config),
          runDeadlineClocks(app.serviceDb, app.config),
        ]);
      }
      for (const id of [a.id, b.id]) expect(await eventsFor(id, 'ACCESS_REQUEST_OVERDUE')).toHaveLength(1);
      // Every audited clock run names only what it raised: no request is audited as raised twice.
      const audited = (await app.ownerQuery(
        `SELECT record_ids FROM audit_events WHERE operation_name = 'deadline_clocks' AND ($1::uuid = ANY(record_ids) OR $2::uuid = ANY(record_ids))`,
        [a.id, b.id],
      )) as { record_ids: string[] }[];
      expect(audited.flatMap((e) => e.record_ids).filter((id) => id === a.id || id === b.id)).toHaveLength(2);
      expect(runs.filter((r) => r === null).length).toBeLessThan(runs.length);
    } finally {
      await second.close();
    }
  });
});

describe('accessRequestTimeliness', () => {
  const Q = `query($f: DateTime!, $t: DateTime!) { accessRequestTimeliness(from: $f, to: $t) { countedFrom countedTo
    rows { urgency dueHours requested decidedInTime decidedLate pendingOverdue medianDecisionHours withheldCells } } }`;

  beforeAll(async () => {
    // A month of synthetic requests long ago: RED 6 answered in an hour, 2 after 30 h, 5 still pending; AMBER 3 answered in time.
    // Subjects no request is pending on (the demo's and the tests' above): one pending per subject and agency.
    const subjects = (await app.ownerQuery(
      `SELECT id FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM access_requests a WHERE a.subject_id = s.id AND a.status = 'PENDING')
        ORDER BY id LIMIT 16`,
    )) as { id: string }[];
    const [{ id: by, agency_id: agency }] = (await app.ownerQuery(`SELECT id, agency_id FROM users WHERE email = $1`, [PRACTITIONER])) as {
      id: string;
      agency_id: string;
    }[];
    const [{ id: sup }] = (await app.ownerQuery(`SELECT id FROM users WHERE email = $1`, [SUPERVISOR])) as { id: string }[];
    const insert = (subject: string, urgency: string, hours: number, decidedAfter: number | null) =>
      app.ownerQuery(
        `INSERT INTO access_requests (subject_id, requested_by_user_id, requester_agency_id, reason, urgency, requested_at, due_at, status, decided_at, decided_by_user_id)
         VALUES ($1, $2, $3, 'Synthetic', $4, '2019-06-12T09:00:00Z', '2019-06-12T09:00:00Z'::timestamptz + make_interval(hours => $5),
                 $6, '2019-06-12T09:00:00Z'::timestamptz + make_interval(hours => $7), $8)`,
        [
          subject,
          by,
          agency,
          urgency,
          hours,
          decidedAfter === null ? 'PENDING' : 'DECLINED',
          decidedAfter,
          decidedAfter === null ? null : sup,
        ],
      );
    for (let i = 0; i < 6; i++) await insert(subjects[i].id, 'RED', 4, 1);
    for (let i = 0; i < 2; i++) await insert(subjects[i].id, 'RED', 4, 30);
    for (let i = 0; i < 5; i++) await insert(subjects[8 + i].id, 'RED', 4, null);
    for (let i = 0; i < 3; i++) await insert(subjects[i].id, 'AMBER', 24, 2);
  });

  it('counts by urgency on the published grid, withholding small cells and the median of few', async () => {
    const r = await app.gql<{ accessRequestTimeliness: { countedFrom: string; countedTo: string; rows: Record<string, unknown>[] } }>(
      Q,
      { f: '2019-06-10T00:00:00Z', t: '2019-06-20T00:00:00Z' },
      await token('analyst@gmp.example'),
    );
    expect(r.body.errors).toBeUndefined();
    const t = r.body.data!.accessRequestTimeliness;
    expect(t.countedFrom).toBe('2019-06-01T00:00:00.000Z');
    expect(t.countedTo).toBe('2019-07-01T00:00:00.000Z');
    expect(t.rows).toEqual([
      {
        urgency: 'RED',
        dueHours: 2,
        requested: 13,
        decidedInTime: 6,
        decidedLate: null,
        pendingOverdue: 5,
        // Its late decisions are a withheld cell: a median over them would place them.
        medianDecisionHours: null,
        withheldCells: 1,
      },
      {
        urgency: 'AMBER',
        dueHours: 24,
        requested: null,
        decidedInTime: null,
        decidedLate: 0,
        pendingOverdue: 0,
        medianDecisionHours: null,
        withheldCells: 1,
      },
      {
        urgency: 'GREEN',
        dueHours: 96,
        requested: 0,
        decidedInTime: 0,
        decidedLate: 0,
        pendingOverdue: 0,
        medianDecisionHours: null,
        withheldCells: 0,
      },
    ]);
  });

  it('is for police ANALYST and SUPERVISOR only, and refuses a range running backwards', async () => {
    const range = { f: '2019-06-01T00:00:00Z', t: '2019-07-01T00:00:00Z' };
    expect(codes(await app.gql(Q, range, await token(SUPERVISOR)))).toEqual([]);
    expect(codes(await app.gql(Q, range, await token(PRACTITIONER)))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(Q, range, await token('investigator@gmp.example')))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(Q, { f: range.t, t: range.f }, await token('analyst@gmp.example')))).toEqual(['BAD_USER_INPUT']);
  });
});
