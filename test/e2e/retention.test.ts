import { Client } from 'pg';
import { sealAuditTrail, verifyAuditTrail } from '../../src/audit/seal';
import { type AuditFaults, installAuditFaults } from '../support/audit-faults';
import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * Retention review and disposal (docs/lawful-sharing.md): the queue of records whose review date
 * has passed (police SUPERVISOR only), RETAIN and DISPOSE decisions and their rules, and a disposed
 * record gone from every path while the audit trail still verifies and statistics keep their counts.
 */

let app: TestApp;
let owner: Client;
let faults: AuditFaults;
const t: Record<string, string> = {};

const QUEUE = `query($first: Int, $after: String, $kind: RetentionRecordKind) {
  retentionReviews(first: $first, after: $after, recordKind: $kind) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { recordKind recordId reviewGroup basisAt reviewDueAt lastReviewedAt } } } }`;
type Review = {
  recordKind: string;
  recordId: string;
  reviewGroup: number;
  basisAt: string;
  reviewDueAt: string;
  lastReviewedAt: string | null;
};
type QueueResult = {
  retentionReviews: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: Review }[] };
};
const DECIDE = `mutation($kind: RetentionRecordKind!, $id: ID!, $decision: RetentionDecision!, $reason: String!, $next: DateTime) {
  decideRetention(recordKind: $kind, recordId: $id, decision: $decision, reason: $reason, nextReviewAt: $next) {
    id recordKind recordId reviewGroup decision reason nextReviewAt decidedAt } }`;

const inYears = (years: number) => new Date(Date.now() + years * 365 * 86_400_000).toISOString();
const one = async <T>(text: string, params: unknown[] = []) => ((await app.ownerQuery(text, params)) as T[])[0];
const queue = async (token: string, variables: Record<string, unknown> = {}) => {
  const r = await app.gql<QueueResult>(QUEUE, { first: 100, ...variables }, token);
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.retentionReviews;
};
const decide = (variables: Record<string, unknown>, token = t.supervisor) =>
  app.gql<{ decideRetention: Record<string, unknown> }>(DECIDE, { reason: 'Reviewed under MoPI', ...variables }, token);
const count = async (query: string, token: string, variables: Record<string, unknown> = {}) => {
  const r = await app.gql<Record<string, { totalCount: number }>>(query, variables, token);
  expect(r.body.errors).toBeUndefined();
  return Object.values(r.body.data!)[0].totalCount;
};

beforeAll(async () => {
  app = await startTestApp();
  owner = new Client({ connectionString: app.databaseUrl });
  await owner.connect();
  faults = await installAuditFaults(owner, app.config.dbAppRole);
  for (const [who, email] of Object.entries({
    supervisor: 'supervisor@gmp.example',
    analyst: 'analyst@gmp.example',
    investigator: 'investigator@gmp.example',
    lead: 'lead@brookfield-high.example',
    auditor: 'auditor@oversight.example',
  })) {
    t[who] = (await app.login(email)).accessToken;
  }
});
afterAll(async () => {
  await owner.end();
  await app.close();
});

describe('the review queue', () => {
  it('lists the demo’s 2013–14 records as due, to a police supervisor only', async () => {
    expect((await queue(t.supervisor, { first: 5 })).totalCount).toBeGreaterThan(0);
    for (const who of ['lead', 'analyst', 'investigator', 'auditor']) {
      expect(codes(await app.gql('{ retentionReviews(first: 5) { totalCount } }', {}, t[who]))).toEqual(['FORBIDDEN']);
    }
    expect(codes(await app.gql('{ retentionReviews(first: 5) { totalCount } }'))).toEqual(['UNAUTHENTICATED']);
    // Every kind is reviewed, each in its group.
    for (const [kind, groups] of [
      ['INTELLIGENCE_REPORT', [3]],
      ['CRIME', [2]],
      ['FLAG', [1]],
      ['SUBJECT', [1, 2]],
    ] as const) {
      const page = await queue(t.supervisor, { kind, first: 20 });
      expect([kind, page.totalCount > 0]).toEqual([kind, true]);
      for (const { node } of page.edges) {
        expect(node.recordKind).toBe(kind);
        expect(groups).toContain(node.reviewGroup);
        expect(Date.parse(node.reviewDueAt)).toBeLessThanOrEqual(Date.now());
      }
    }
  });

  it('pages oldest due first by keyset, with a stable totalCount', async () => {
    const first = await queue(t.supervisor, { first: 3 });
    const second = await queue(t.supervisor, { first: 3, after: first.pageInfo.endCursor });
    expect(second.totalCount).toBe(first.totalCount);
    const dues = [...first.edges, ...second.edges].map((e) => Date.parse(e.node.reviewDueAt));
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    const ids = [...first.edges, ...second.edges].map((e) => e.node.recordId);
    expect(new Set(ids).size).toBe(6);
    expect(codes(await app.gql(QUEUE, { first: 3, after: 'bogus' }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(QUEUE, { first: 101 }, t.supervisor))).toEqual(['BAD_USER_INPUT']);
  });

  it('publishes the review groups with their source', async () => {
    const r = await app.gql<{ retentionReviewGroups: { reviewGroup: number; keepUntilAge: number | null; source: string }[] }>(
      '{ retentionReviewGroups { reviewGroup firstReviewYears repeatReviewYears keepUntilAge source } }',
      {},
      t.supervisor,
    );
    expect(r.body.data!.retentionReviewGroups.map((g) => g.reviewGroup)).toEqual([1, 2, 3]);
    expect(r.body.data!.retentionReviewGroups[0].keepUntilAge).toBe(100);
    expect(r.body.data!.retentionReviewGroups.every((g) => /College of Policing/.test(g.source))).toBe(true);
  });
});

describe('deciding', () => {
  it('RETAIN needs a reason and a next review date within the group’s period, and takes the record off the queue', async () => {
    const { edges, totalCount } = await queue(t.supervisor, { kind: 'CRIME', first: 1 });
    const id = edges[0].node.recordId;
    const bad: [Record<string, unknown>, string][] = [
      [{}, 'nextReviewAt'],
      [{ next: inYears(-1) }, 'nextReviewAt'],
      [{ next: inYears(11) }, 'nextReviewAt'],
      [{ next: inYears(5), reason: '  ' }, 'reason'],
    ];
    for (const [over, field] of bad) {
      const r = await decide({ kind: 'CRIME', id, decision: 'RETAIN', ...over });
      expect(r.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(r.body.errors?.[0].extensions)).toContain(field);
    }
    expect((await queue(t.supervisor, { kind: 'CRIME', first: 1 })).totalCount).toBe(totalCount);
    expect(codes(await decide({ kind: 'CRIME', id, decision: 'RETAIN', next: inYears(5) }, t.analyst))).toEqual(['FORBIDDEN']);

    const r = await decide({ kind: 'CRIME', id, decision: 'RETAIN', next: inYears(5), reason: 'Linked to an open investigation' });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.decideRetention).toMatchObject({ decision: 'RETAIN', reviewGroup: 2, reason: 'Linked to an open investigation' });
    expect((await queue(t.supervisor, { kind: 'CRIME', first: 1 })).totalCount).toBe(totalCount - 1);
    // Recorded, with its history and audit; the crime itself is untouched.
    const decision = await one<{ n: number }>(
      `SELECT count(*)::int AS n FROM retention_decisions WHERE record_id = $1 AND decision = 'RETAIN'`,
      [id],
    );
    expect(decision.n).toBe(1);
    const crime = await app.gql<{ crime: { id: string } }>(`query($id: ID!) { crime(id: $id) { id } }`, { id }, t.supervisor);
    expect(crime.body.data!.crime.id).toBe(id);
    // Not due any more: a second decision now is refused.
    expect(codes(await decide({ kind: 'CRIME', id, decision: 'DISPOSE' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses bad input: an unknown record, a record not yet due, a disposal with a next date', async () => {
    expect(codes(await decide({ kind: 'CRIME', id: '00000000-0000-4000-8000-000000000000', decision: 'DISPOSE' }))).toEqual(['NOT_FOUND']);
    expect(codes(await decide({ kind: 'CRIME', id: 'not-a-uuid', decision: 'DISPOSE' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await decide({ kind: 'WIDGET', id: '00000000-0000-4000-8000-000000000000', decision: 'DISPOSE' }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const { edges } = await queue(t.supervisor, { kind: 'INTELLIGENCE_REPORT', first: 1 });
    const r = await decide({ kind: 'INTELLIGENCE_REPORT', id: edges[0].node.recordId, decision: 'DISPOSE', next: inYears(1) });
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'nextReviewAt' });
    // A report received today is not due for six years.
    const fresh = await one<{ id: string }>(`SELECT id FROM intelligence_reports ORDER BY received_at DESC LIMIT 1`);
    const recent = await one<{ recent: boolean }>(
      `SELECT received_at > now() - interval '6 years' AS recent FROM intelligence_reports WHERE id = $1`,
      [fresh.id],
    );
    if (recent.recent)
      expect(codes(await decide({ kind: 'INTELLIGENCE_REPORT', id: fresh.id, decision: 'DISPOSE' }))).toEqual(['BAD_USER_INPUT']);
  });

  it('a group 1 record is kept until its subject is 100 (RETAINED_UNTIL_AGE)', async () => {
    const { edges } = await queue(t.supervisor, { kind: 'FLAG', first: 1 });
    const r = await decide({ kind: 'FLAG', id: edges[0].node.recordId, decision: 'DISPOSE' });
    expect(r.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'RETAINED_UNTIL_AGE' });
    expect(
      (await one<{ disposed: boolean }>(`SELECT disposed_at IS NOT NULL AS disposed FROM flags WHERE id = $1`, [edges[0].node.recordId]))
        .disposed,
    ).toBe(false);
  });
});

describe('disposal', () => {
  let reportId: string;
  let subjectId: string;
  let narrativeWord: string;

  beforeAll(async () => {
    // A due (2013–14) report with an informant and a subject.
    ({ id: reportId } = await one<{ id: string }>(
      `SELECT r.id FROM intelligence_reports r JOIN informants i ON i.report_id = r.id
        WHERE r.received_at < now() - interval '6 years' AND EXISTS (SELECT 1 FROM report_subjects rs WHERE rs.report_id = r.id)
        ORDER BY r.received_at, r.id LIMIT 1`,
    ));
    ({ subject_id: subjectId } = await one<{ subject_id: string }>(`SELECT subject_id FROM report_subjects WHERE report_id = $1 LIMIT 1`, [
      reportId,
    ]));
    const { narrative } = await one<{ narrative: string }>(`SELECT narrative FROM intelligence_reports WHERE id = $1`, [reportId]);
    narrativeWord = narrative.split(/\W+/).filter((w) => w.length > 6)[0] ?? narrative.split(/\W+/)[0];
  });

  it('a disposal whose audit cannot be written leaves the record whole', async () => {
    const before = await one<{ narrative: string; informants: number }>(
      `SELECT narrative, (SELECT count(*)::int FROM informants WHERE report_id = $1) AS informants FROM intelligence_reports WHERE id = $1`,
      [reportId],
    );
    for (const fault of ['insert', 'commit'] as const) {
      const r = await faults.during(fault, () => decide({ kind: 'INTELLIGENCE_REPORT', id: reportId, decision: 'DISPOSE' }));
      expect(r.status).toBe(503);
    }
    expect(
      await one(
        `SELECT narrative, (SELECT count(*)::int FROM informants WHERE report_id = $1) AS informants FROM intelligence_reports WHERE id = $1`,
        [reportId],
      ),
    ).toEqual(before);
    expect((await one<{ n: number }>(`SELECT count(*)::int AS n FROM retention_decisions WHERE record_id = $1`, [reportId])).n).toBe(0);
  });

  it('removes a report’s content; it is NOT_FOUND on every path; statistics keep their counts; the trail verifies', async () => {
    // Whole months (from the rollups) and the hours around its receipt (counted from the reports) alike.
    const { received_at: receivedAt } = await one<{ received_at: Date }>(`SELECT received_at FROM intelligence_reports WHERE id = $1`, [
      reportId,
    ]);
    const around = {
      from: new Date(receivedAt.getTime() - 3_600_000).toISOString(),
      to: new Date(receivedAt.getTime() + 3_600_000).toISOString(),
    };
    const STATS = `query($from: DateTime!, $to: DateTime!) {
      months: intelligenceStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z") { total }
      hours: intelligenceStats(from: $from, to: $to) { total } }`;
    const statsBefore = (await app.gql<{ hours: { total: number | null } }>(STATS, around, t.analyst)).body.data;
    expect(statsBefore!.hours.total).toBeGreaterThan(0);
    const listBefore = await count('{ intelligenceReports(first: 1) { totalCount } }', t.analyst);
    const eventsBefore = await one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE $1::uuid = ANY (record_ids)`, [
      reportId,
    ]);
    expect(eventsBefore.n).toBeGreaterThanOrEqual(0);

    const r = await decide({ kind: 'INTELLIGENCE_REPORT', id: reportId, decision: 'DISPOSE', reason: 'Six-year clear period passed' });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.decideRetention).toMatchObject({ decision: 'DISPOSE', reviewGroup: 3, nextReviewAt: null });

    // The content is gone; the row, its id and its counted categories stay.
    const row = await one<{ narrative: string; location: string | null; informants: number; links: number; history: number }>(
      `SELECT narrative, location, (SELECT count(*)::int FROM informants WHERE report_id = $1) AS informants,
              (SELECT count(*)::int FROM report_subjects WHERE report_id = $1) AS links,
              (SELECT count(*)::int FROM record_history WHERE record_id = $1 AND (before IS NOT NULL OR after::text LIKE '%narrative%')) AS history
         FROM intelligence_reports WHERE id = $1`,
      [reportId],
    );
    expect(row).toEqual({ narrative: '[disposed]', location: null, informants: 0, links: 0, history: 0 });

    // NOT_FOUND for everyone, on every path.
    for (const who of ['supervisor', 'analyst', 'investigator']) {
      expect(codes(await app.gql(`query($id: ID!) { intelligenceReport(id: $id) { id } }`, { id: reportId }, t[who]))).toEqual([
        'NOT_FOUND',
      ]);
    }
    expect(await count('{ intelligenceReports(first: 1) { totalCount } }', t.analyst)).toBe(listBefore - 1);
    const search = await app.gql<{ searchIntelligence: { edges: { node: { id: string } }[] } }>(
      `query($q: String!) { searchIntelligence(text: $q, first: 100) { edges { node { id } } } }`,
      { q: narrativeWord },
      t.analyst,
    );
    expect(search.body.data!.searchIntelligence.edges.map((e) => e.node.id)).not.toContain(reportId);
    const bySubject = await app.gql<{ intelligenceReports: { edges: { node: { id: string } }[] } }>(
      `query($s: ID!) { intelligenceReports(first: 100, filter: { subjectId: $s }) { edges { node { id } } } }`,
      { s: subjectId },
      t.analyst,
    );
    expect(bySubject.body.data!.intelligenceReports.edges.map((e) => e.node.id)).not.toContain(reportId);
    const links = await app.gql<{ subject: { reports: { report: { id: string } }[] } }>(
      `query($s: ID!) { subject(id: $s) { reports { report { id } } } }`,
      { s: subjectId },
      t.analyst,
    );
    expect(links.body.data!.subject.reports.map((l) => l.report.id)).not.toContain(reportId);
    const disclosures = await app.gql<{ disclosures: { edges: { node: { summary: string; status: string } }[] } }>(
      `query($r: ID!) { disclosures(first: 100, filter: { reportId: $r }) { edges { node { summary status } } } }`,
      { r: reportId },
      t.supervisor,
    );
    for (const { node } of disclosures.body.data!.disclosures.edges) expect(node).toEqual({ summary: '[disposed]', status: 'REVOKED' });
    // Not reviewed again.
    expect(codes(await decide({ kind: 'INTELLIGENCE_REPORT', id: reportId, decision: 'DISPOSE' }))).toEqual(['NOT_FOUND']);

    // Statistics that counted it still do; the audit trail is untouched and verifies.
    expect((await app.gql(STATS, around, t.analyst)).body.data).toEqual(statsBefore);
    const eventsAfter = await one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE $1::uuid = ANY (record_ids)`, [
      reportId,
    ]);
    expect(eventsAfter.n).toBeGreaterThan(eventsBefore.n);
    for (let tries = 0; tries < 100 && (await sealAuditTrail(app.db)) === 0; tries++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await verifyAuditTrail(app.db)).toMatchObject({ valid: true, problem: null });
  });

  it('removes a subject’s names and identifiers; it and its links are NOT_FOUND everywhere', async () => {
    // A due group 2 subject (no perpetrator flag) with a date of birth, linked to a crime.
    const { id } = await one<{ id: string }>(
      `SELECT s.id FROM subjects s JOIN crime_subjects cs ON cs.subject_id = s.id
        WHERE s.date_of_birth IS NOT NULL AND s.disposed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = s.id AND f.kind = 'CSE_PERPETRATOR')
          AND EXISTS (SELECT 1 FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
                       WHERE rs.subject_id = s.id AND r.received_at < now() - interval '10 years')
        ORDER BY s.id LIMIT 1`,
    );
    const { crime_id: crimeId } = await one<{ crime_id: string }>(`SELECT crime_id FROM crime_subjects WHERE subject_id = $1 LIMIT 1`, [
      id,
    ]);
    const subjectsBefore = await count('{ subjects(first: 1) { totalCount } }', t.analyst);
    const r = await decide({ kind: 'SUBJECT', id, decision: 'DISPOSE', reason: 'Ten-year clear period passed' });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.decideRetention).toMatchObject({ reviewGroup: 2 });
    expect(
      await one(`SELECT full_name, date_of_birth, police_reference, nhs_number, school_upn FROM subjects WHERE id = $1`, [id]),
    ).toEqual({
      full_name: '[disposed]',
      date_of_birth: null,
      police_reference: null,
      nhs_number: null,
      school_upn: null,
    });
    for (const who of ['supervisor', 'analyst']) {
      expect(codes(await app.gql(`query($id: ID!) { subject(id: $id) { id } }`, { id }, t[who]))).toEqual(['NOT_FOUND']);
    }
    expect(await count('{ subjects(first: 1) { totalCount } }', t.analyst)).toBe(subjectsBefore - 1);
    const crime = await app.gql<{ crime: { victims: { id: string }[]; suspects: { id: string }[] } }>(
      `query($id: ID!) { crime(id: $id) { victims { id } suspects { id } } }`,
      { id: crimeId },
      t.analyst,
    );
    expect([...crime.body.data!.crime.victims, ...crime.body.data!.crime.suspects].map((s) => s.id)).not.toContain(id);
    const disclosed = await app.gql<{ disclosures: { totalCount: number } }>(
      `query($s: ID!) { disclosures(first: 1, filter: { subjectId: $s }) { totalCount } }`,
      { s: id },
      t.supervisor,
    );
    expect(disclosed.body.data!.disclosures.totalCount).toBe(0);
    // The flags of a disposed subject go with it.
    expect((await one<{ n: number }>(`SELECT count(*)::int AS n FROM flags WHERE subject_id = $1 AND disposed_at IS NULL`, [id])).n).toBe(
      0,
    );
    expect(await verifyAuditTrail(app.db)).toMatchObject({ valid: true });
  });

  it('removes a crime; it leaves the lists, its people’s links and the crime statistics’ crime count stays', async () => {
    const { edges } = await queue(t.supervisor, { kind: 'CRIME', first: 100 });
    const candidates = edges.map((e) => e.node.recordId);
    const { crime_id: crimeId, subject_id: subjectId } = await one<{ crime_id: string; subject_id: string }>(
      `SELECT cs.crime_id, cs.subject_id FROM crime_subjects cs JOIN subjects s ON s.id = cs.subject_id
        WHERE cs.crime_id = ANY ($1::uuid[]) AND s.disposed_at IS NULL ORDER BY cs.crime_id LIMIT 1`,
      [candidates],
    );
    const { recorded_on: recordedOn } = await one<{ recorded_on: string }>(`SELECT recorded_on::text FROM crimes WHERE id = $1`, [crimeId]);
    const STATS = `query($from: DateTime!, $to: DateTime!) { crimeStats(from: $from, to: $to) { total { crimes } } }`;
    const month = {
      from: `${recordedOn.slice(0, 7)}-01T00:00:00Z`,
      to: new Date(Date.parse(`${recordedOn.slice(0, 7)}-01T00:00:00Z`) + 32 * 86_400_000).toISOString(),
    };
    const statsBefore = (await app.gql(STATS, month, t.analyst)).body.data;
    const crimesBefore = await count('{ crimes(first: 1) { totalCount } }', t.analyst);
    const r = await decide({ kind: 'CRIME', id: crimeId, decision: 'DISPOSE', reason: 'Clear period passed; no further information' });
    expect(r.body.errors).toBeUndefined();
    expect(codes(await app.gql(`query($id: ID!) { crime(id: $id) { id } }`, { id: crimeId }, t.investigator))).toEqual(['NOT_FOUND']);
    expect(await count('{ crimes(first: 1) { totalCount } }', t.analyst)).toBe(crimesBefore - 1);
    const subject = await app.gql<{ subject: { crimes: { crime: { id: string } }[] } }>(
      `query($id: ID!) { subject(id: $id) { crimes { crime { id } } } }`,
      { id: subjectId },
      t.analyst,
    );
    expect(subject.body.errors).toBeUndefined();
    expect(subject.body.data!.subject.crimes.map((c) => c.crime.id)).not.toContain(crimeId);
    expect((await app.gql(STATS, month, t.analyst)).body.data).toEqual(statsBefore);
    expect(await one(`SELECT offence FROM crimes WHERE id = $1`, [crimeId])).toEqual({ offence: '[disposed]' });
  });

  it('the service’s own role cannot rewrite history or dispose outside the function', async () => {
    // Row-level security (the second lock) hides disposed rows from the service's role.
    const hidden = await app.db.transaction<{ n: number }[]>(async (tx) => {
      await tx.query(`SELECT set_config('safeshare.principal', $1, true)`, [
        JSON.stringify({
          id: '00000000-0000-4000-8000-000000000000',
          kind: 'USER',
          agency: { id: '00000000-0000-4000-8000-000000000000', kind: 'POLICE' },
          roles: ['SUPERVISOR'],
          scopes: [],
        }),
      ]);
      return tx.query(`SELECT count(*)::int AS n FROM intelligence_reports WHERE disposed_at IS NOT NULL`);
    });
    expect(hidden[0].n).toBe(0);
    await expect(owner.query(`UPDATE record_history SET before = NULL WHERE id = (SELECT min(id) FROM record_history)`)).rejects.toThrow(
      /not allowed/,
    );
  });
});
