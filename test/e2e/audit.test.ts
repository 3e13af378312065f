import { Client } from 'pg';
import { sealAuditTrail, verifyAuditTrail } from '../../src/audit/seal';
import { codes, startTestApp, type TestApp } from '../support/test-app';

interface EventRow {
  id: string;
  action: string;
  outcome: string;
  reason: string | null;
  actor_id: string | null;
  actor_agency_id: string | null;
  actor_roles: string[];
  token_id: string | null;
  operation_field: string | null;
  operation_name: string | null;
  document_hash: string | null;
  request_id: string | null;
  record_kind: string | null;
  record_ids: string[];
  subject_ids: string[];
  record_count: number;
  details: { arguments?: Record<string, unknown>; records?: { kind: string; id: string; fields: string[]; redacted: string[] }[] } & Record<
    string,
    unknown
  >;
}

let app: TestApp;
let owner: Client;
let analyst: string;
let lead: string;

/** Events written since `mark` (an event id), oldest first. */
const eventsSince = async (mark: string): Promise<EventRow[]> =>
  (await owner.query<EventRow>('SELECT * FROM audit_events WHERE id > $1 ORDER BY id', [mark])).rows;
const mark = async () => (await owner.query<{ m: string }>('SELECT coalesce(max(id), 0)::text AS m FROM audit_events')).rows[0].m;

beforeAll(async () => {
  app = await startTestApp();
  owner = new Client({ connectionString: app.databaseUrl });
  await owner.connect();
  analyst = (await app.login('analyst@gmp.example')).accessToken;
  lead = (await app.login('lead@brookfield-high.example')).accessToken;
});

afterAll(async () => {
  await owner.end();
  await app.close();
});

describe('what is recorded', () => {
  it('a list records its filters, the ids returned with their fields, the subjects they concern, and the actor', async () => {
    const m = await mark();
    const r = await app.gql<{ intelligenceReports: { edges: { node: { id: string } }[] } }>(
      'query Recent($f: IntelligenceFilter) { intelligenceReports(first: 5, filter: $f) { edges { node { id narrative sourceType } } } }',
      { f: { sourceType: 'POLICE' } },
      analyst,
    );
    const ids = r.body.data!.intelligenceReports.edges.map((e) => e.node.id);
    expect(ids).toHaveLength(5);
    const [event] = await eventsSince(m);
    expect(event).toMatchObject({
      action: 'LIST',
      outcome: 'ALLOWED',
      operation_field: 'intelligenceReports',
      operation_name: 'Recent',
      record_kind: 'intelligence_report',
      record_count: 5,
      actor_roles: ['ANALYST'],
    });
    expect(event.record_ids.sort()).toEqual([...ids].sort());
    expect(event.details.arguments).toEqual({ first: 5, filter: { sourceType: 'POLICE' } });
    expect(event.details.records![0].fields.sort()).toEqual(['id', 'narrative', 'sourceType']);
    expect(event.token_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.document_hash).toMatch(/^[0-9a-f]{64}$/);
    const linked = await owner.query<{ subject_id: string }>('SELECT DISTINCT subject_id FROM report_subjects WHERE report_id = ANY($1)', [
      ids,
    ]);
    expect([...event.subject_ids].sort()).toEqual(linked.rows.map((x) => x.subject_id).sort());
  });

  it('a single read names the record, the fields returned and the fields withheld', async () => {
    const { rows } = await owner.query<{ id: string }>(
      `SELECT r.id FROM intelligence_reports r JOIN agencies a ON a.id = r.submitted_by_agency_id
        WHERE a.name = 'Brookfield High School' LIMIT 1`,
    );
    const m = await mark();
    const r = await app.gql(
      'query($id: ID!) { intelligenceReport(id: $id) { id narrative handlingCode redactedFields } }',
      { id: rows[0].id },
      lead,
    );
    expect(r.body.errors).toBeUndefined();
    const [event] = await eventsSince(m);
    expect(event).toMatchObject({ action: 'READ', outcome: 'ALLOWED', record_ids: [rows[0].id], record_count: 1 });
    expect(event.details.records![0].redacted).toEqual(expect.arrayContaining(['handlingCode', 'informant']));
  });

  it('a refusal is a DENIED event, a policy NOT_FOUND too, and a failure with bad input is FAILED', async () => {
    const { rows } = await owner.query<{ id: string }>(`SELECT id FROM intelligence_reports WHERE source_type = 'POLICE' LIMIT 1`);
    const m = await mark();
    const hidden = await app.gql('query($id: ID!) { intelligenceReport(id: $id) { id } }', { id: rows[0].id }, lead);
    expect(codes(hidden)).toEqual(['NOT_FOUND']);
    const refused = await app.gql('{ crimes(first: 1) { totalCount } }', {}, lead);
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    const bad = await app.gql('{ intelligenceReports(first: 0) { totalCount } }', {}, analyst);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    const events = await eventsSince(m);
    expect(events.map((e) => [e.operation_field, e.outcome, e.reason])).toEqual([
      ['intelligenceReport', 'DENIED', 'NOT_FOUND'],
      ['crimes', 'DENIED', 'FORBIDDEN'],
      ['intelligenceReports', 'FAILED', 'BAD_USER_INPUT'],
    ]);
    // The refused read names the record asked for (its id argument), so the owner's auditors see the attempt.
    expect(events[0].details.arguments).toEqual({ id: rows[0].id });
  });

  it('sign-in, failed sign-in, refresh and sign-out; passwords and tokens never recorded', async () => {
    const m = await mark();
    const ok = await app.login('investigator@gmp.example');
    await app.gql('mutation { login(email: "investigator@gmp.example", password: "wrong-password") { accessToken } }');
    await app.gql('mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }', { t: ok.refreshToken });
    const events = await eventsSince(m);
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ['LOGIN', 'ALLOWED'],
      ['LOGIN', 'DENIED'],
      ['REFRESH', 'ALLOWED'],
    ]);
    const [{ id: investigatorId }] = (await owner.query<{ id: string }>(`SELECT id FROM users WHERE email = 'investigator@gmp.example'`))
      .rows;
    expect(events[0].actor_id).toBe(investigatorId);
    expect(events[1].actor_id).toBeNull();
    expect(events[1].details.arguments).toEqual({ email: 'investigator@gmp.example', password: '[withheld]' });
    expect(JSON.stringify(events)).not.toContain('wrong-password');
    expect(JSON.stringify(events)).not.toContain(ok.refreshToken);
  });

  it('a change writes a CHANGE event naming the changed fields and the history entry, and no content', async () => {
    const { rows } = await owner.query<{ id: string }>(`SELECT id FROM intelligence_reports WHERE status = 'SUBMITTED' LIMIT 1`);
    const m = await mark();
    const r = await app.gql(
      'mutation($id: ID!) { assessIntelligence(id: $id, input: { status: UNDER_ASSESSMENT }) { id status } }',
      { id: rows[0].id },
      analyst,
    );
    expect(r.body.errors).toBeUndefined();
    const events = await eventsSince(m);
    expect(events.map((e) => e.action)).toEqual(['CHANGE', 'WRITE']);
    const change = events[0];
    expect(change).toMatchObject({ record_ids: [rows[0].id], record_kind: 'intelligence_report', operation_field: 'status_changed' });
    expect(change.details.changedFields).toEqual(expect.arrayContaining(['status']));
    const history = await owner.query('SELECT id FROM record_history WHERE id = $1 AND record_id = $2', [
      change.details.historyId,
      rows[0].id,
    ]);
    expect(history.rowCount).toBe(1);
    // The WRITE event keeps only ids and the names of input fields.
    expect(events[1].details.arguments).toEqual({ id: rows[0].id, input: { fields: ['status'] } });
  });
});

describe('no audit, no data', () => {
  const breakAudit = () =>
    owner.query(`
      CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$;
      CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_refuse_audit();`);
  const repairAudit = () => owner.query('DROP TRIGGER test_refuse_audit ON audit_events; DROP FUNCTION test_refuse_audit();');

  it('a read whose audit event cannot be written returns an error and no data', async () => {
    await breakAudit();
    try {
      const r = await app.gql<{ intelligenceReports: unknown }>(
        '{ intelligenceReports(first: 3) { edges { node { id narrative } } } }',
        {},
        analyst,
      );
      expect(r.body.data).toBeUndefined();
      expect(codes(r)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(JSON.stringify(r.body)).not.toContain('narrative');
    } finally {
      await repairAudit();
    }
    const after = await app.gql('{ intelligenceReports(first: 1) { totalCount } }', {}, analyst);
    expect(after.body.errors).toBeUndefined();
  });

  it('a change whose audit event cannot be written does not happen', async () => {
    const { rows } = await owner.query<{ id: string }>(`SELECT id FROM intelligence_reports WHERE status = 'SUBMITTED' LIMIT 1`);
    const historyBefore = (await owner.query('SELECT count(*)::int AS n FROM record_history')).rows[0].n as number;
    await breakAudit();
    try {
      const r = await app.gql(
        'mutation($id: ID!) { assessIntelligence(id: $id, input: { status: UNDER_ASSESSMENT }) { id status } }',
        { id: rows[0].id },
        analyst,
      );
      expect(r.body.data).toBeUndefined();
    } finally {
      await repairAudit();
    }
    const [{ status }] = (await owner.query<{ status: string }>('SELECT status FROM intelligence_reports WHERE id = $1', [rows[0].id]))
      .rows;
    expect(status).toBe('SUBMITTED');
    expect((await owner.query('SELECT count(*)::int AS n FROM record_history')).rows[0].n).toBe(historyBefore);
  });
});

// Before the tampering tests below, which leave the trail (rightly) failing verification.
describe('a long trail', () => {
  it('verifies past ten seals and across id lengths (numeric, not text, order)', async () => {
    // Push event ids past a power of ten, and write more than ten seals.
    await owner.query(`SELECT setval('audit_events_id_seq', greatest(nextval('audit_events_id_seq'), 99990))`);
    for (let i = 0; i < 12; i++) {
      await app.gql('{ me { id } }', {}, analyst);
      // The horizon is cluster-wide: a transaction in another database can hold it back a moment.
      for (let tries = 0; tries < 100 && (await sealAuditTrail(app.db)) === 0; tries++) await new Promise((r) => setTimeout(r, 100));
    }
    const seals = (await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_seals')).rows[0].n;
    expect(seals).toBeGreaterThan(10);
    expect(await verifyAuditTrail(app.db)).toMatchObject({ valid: true, problem: null });
  });
});

describe('append-only and tamper-evident', () => {
  it('the service’s own role cannot update, delete or truncate the trail', async () => {
    for (const statement of [
      'UPDATE audit_events SET reason = $$x$$',
      'DELETE FROM audit_events',
      'TRUNCATE audit_events',
      'DELETE FROM audit_seals',
    ]) {
      await expect(app.db.query(statement)).rejects.toThrow(/permission denied/);
    }
  });

  it('even the owner is refused by the triggers, on the table and on each partition', async () => {
    const [{ part }] = (await owner.query<{ part: string }>(`SELECT audit_ensure_partition(now()::date) AS part`)).rows;
    await expect(owner.query('UPDATE audit_events SET reason = $$x$$')).rejects.toThrow(/append-only/);
    await expect(owner.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    await expect(owner.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    await expect(owner.query(`TRUNCATE ${part}`)).rejects.toThrow(/append-only/);
  });

  it('the verifier passes an untouched trail, and names an event edited behind the triggers’ back', async () => {
    const auditor = (await app.login('auditor@oversight.example')).accessToken;
    const verify = '{ verifyAuditTrail { valid checkedSeals checkedEvents unsealedEvents firstBadEventId problem lastSealHash } }';
    const clean = await app.gql<{ verifyAuditTrail: { valid: boolean; checkedSeals: number; checkedEvents: number } }>(verify, {}, auditor);
    expect(clean.body.data!.verifyAuditTrail).toMatchObject({ valid: true, firstBadEventId: null });
    expect(clean.body.data!.verifyAuditTrail.checkedSeals).toBeGreaterThan(0);
    await expect(owner.query('UPDATE audit_seals SET event_count = 0')).rejects.toThrow(/append-only/);
    await expect(owner.query('DELETE FROM audit_seals')).rejects.toThrow(/append-only/);

    const [victim] = (await owner.query<{ id: string }>(`SELECT id::text FROM audit_events WHERE action = 'LIST' ORDER BY id LIMIT 1`))
      .rows;
    // A superuser can switch triggers off; the seals still remember what the event said.
    await owner.query('BEGIN');
    await owner.query('SET LOCAL session_replication_role = replica');
    await owner.query(`UPDATE audit_events SET outcome = 'DENIED' WHERE id = $1`, [victim.id]);
    await owner.query('COMMIT');
    const tampered = await app.gql<{ verifyAuditTrail: { valid: boolean; firstBadEventId: string; problem: string } }>(verify, {}, auditor);
    expect(tampered.body.data!.verifyAuditTrail).toMatchObject({ valid: false, firstBadEventId: victim.id });
    expect(tampered.body.data!.verifyAuditTrail.problem).toMatch(/altered/);
  });
});

describe('the auditor API', () => {
  let auditor: string;
  let gmpAuditor: string;
  let subjectId: string;

  beforeAll(async () => {
    auditor = (await app.login('auditor@oversight.example')).accessToken;
    gmpAuditor = (await app.login('auditor@gmp.example')).accessToken;
    // A subject the school does not know (the demo links some subjects to it; which is newest varies).
    const [{ id }] = (
      await owner.query<{ id: string }>(
        `SELECT s.id FROM subjects s, agencies a WHERE a.name = 'Brookfield High School'
            AND NOT EXISTS (SELECT 1 FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
                             WHERE rs.subject_id = s.id AND r.submitted_by_agency_id = a.id)
            AND NOT EXISTS (SELECT 1 FROM report_subjects rs JOIN disclosures d ON d.report_id = rs.report_id
                             WHERE rs.subject_id = s.id AND d.recipient_agency_id = a.id)
            AND NOT EXISTS (SELECT 1 FROM involvements i WHERE i.subject_id = s.id AND i.agency_id = a.id)
            AND s.date_of_birth IS NOT NULL
          ORDER BY s.id LIMIT 1`,
      )
    ).rows;
    subjectId = id;
    const [{ dob }] = (await owner.query<{ dob: string }>(`SELECT date_of_birth::text AS dob FROM subjects WHERE id = $1`, [id])).rows;
    await app.gql('query($d: Date) { subjects(first: 100, filter: { dateOfBirth: $d }) { edges { node { id } } } }', { d: dob }, analyst);
    await app.gql('query($id: ID!) { subject(id: $id) { id fullName } }', { id: subjectId }, analyst);
  });

  it('answers "who viewed this child, when, through which operation, and were they allowed"', async () => {
    await app.gql('query($id: ID!) { subject(id: $id) { id } }', { id: subjectId }, lead);
    const r = await app.gql<{
      subjectAccessHistory: {
        totalCount: number;
        edges: { node: { actorId: string; operationField: string; outcome: string; occurredAt: string } }[];
      };
    }>(
      'query($id: ID!) { subjectAccessHistory(subjectId: $id, first: 50) { totalCount edges { node { actorId operationField outcome occurredAt } } } }',
      { id: subjectId },
      auditor,
    );
    const history = r.body.data!.subjectAccessHistory;
    expect(history.totalCount).toBeGreaterThanOrEqual(2);
    expect(history.edges.map((e) => [e.node.operationField, e.node.outcome])).toEqual(
      expect.arrayContaining([
        ['subject', 'ALLOWED'],
        ['subjects', 'ALLOWED'],
        // The school's attempt on a child it does not know is there too, refused.
        ['subject', 'DENIED'],
      ]),
    );
  });

  it('an agency auditor sees its own staff’s events and events about its records, not another agency’s', async () => {
    const [{ id: gmp }] = (await owner.query<{ id: string }>(`SELECT id FROM agencies WHERE kind = 'POLICE' LIMIT 1`)).rows;
    const [{ id: school }] = (await owner.query<{ id: string }>(`SELECT id FROM agencies WHERE name = 'Brookfield High School'`)).rows;
    const q = 'query($f: AuditFilter) { auditEvents(first: 100, filter: $f) { totalCount edges { node { actorAgencyId } } } }';
    const own = await app.gql<{ auditEvents: { totalCount: number } }>(q, { f: { agencyId: gmp } }, gmpAuditor);
    expect(own.body.data!.auditEvents.totalCount).toBeGreaterThan(0);
    // The school's own sign-in and reads of its own submissions concern no police record.
    const expected = (
      await owner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_events WHERE actor_agency_id = $1 AND NOT (record_agency_ids @> ARRAY[$2::uuid])`,
        [school, gmp],
      )
    ).rows[0].n;
    expect(expected).toBeGreaterThan(0);
    const schoolOnly = await app.gql<{ auditEvents: { totalCount: number } }>(q, { f: { agencyId: school } }, gmpAuditor);
    const visibleAboutGmp = (
      await owner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_events WHERE actor_agency_id = $1 AND record_agency_ids @> ARRAY[$2::uuid]`,
        [school, gmp],
      )
    ).rows[0].n;
    expect(schoolOnly.body.data!.auditEvents.totalCount).toBe(visibleAboutGmp);
    const all = await app.gql<{ auditEvents: { totalCount: number } }>(q, { f: { agencyId: school } }, auditor);
    expect(all.body.data!.auditEvents.totalCount).toBe(expected + visibleAboutGmp);
  });

  it('auditors read no case content, and case readers read no audit events', async () => {
    const content = await app.gql('query($id: ID!) { subject(id: $id) { id } }', { id: subjectId }, auditor);
    expect(codes(content)).toEqual(['FORBIDDEN']);
    const trail = await app.gql('{ auditEvents(first: 1) { totalCount } }', {}, analyst);
    expect(codes(trail)).toEqual(['FORBIDDEN']);
  });

  it('pages through events newest first with stable cursors', async () => {
    type Conn = {
      auditEvents: { totalCount: number; edges: { node: { id: string } }[]; pageInfo: { endCursor: string; hasNextPage: boolean } };
    };
    const q =
      'query($a: String) { auditEvents(first: 7, after: $a) { totalCount edges { node { id } } pageInfo { endCursor hasNextPage } } }';
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (let i = 0; i < 100; i++) {
      const r: Awaited<ReturnType<typeof app.gql<Conn>>> = await app.gql<Conn>(q, { a: after }, auditor);
      const page = r.body.data!.auditEvents;
      if (i === 0) total = page.totalCount;
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    // Each page read is itself audited, so later events exist; the walk covers at least the first count.
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(total);
  });

  it('exports a filtered range as NDJSON or CSV, streamed, and audits the export', async () => {
    const nd = await fetch(`${app.baseUrl}/audit/export?format=ndjson&subjectId=${subjectId}`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(nd.status).toBe(200);
    expect(nd.headers.get('content-type')).toMatch(/ndjson/);
    const lines = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { subjectIds: string[] });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.subjectIds.includes(subjectId))).toBe(true);
    const csv = await fetch(`${app.baseUrl}/audit/export?format=csv&action=LOGIN`, { headers: { authorization: `Bearer ${auditor}` } });
    const rows = (await csv.text()).trim().split('\n');
    expect(rows[0]).toMatch(/^id,occurredAt,action,outcome/);
    expect(rows.length).toBeGreaterThan(1);
    const exports = await owner.query(`SELECT 1 FROM audit_events WHERE action = 'EXPORT'`);
    expect(exports.rowCount).toBe(2);
    const refused = await fetch(`${app.baseUrl}/audit/export`, { headers: { authorization: `Bearer ${analyst}` } });
    expect(refused.status).toBe(403);
    const bad = await fetch(`${app.baseUrl}/audit/export?from=yesterday`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(bad.status).toBe(400);
  });

  it('reports after-hours bulk reads and reads far above the user’s own norm', async () => {
    const [{ id: analystId }] = (await owner.query<{ id: string }>(`SELECT id FROM users WHERE email = 'analyst@gmp.example'`)).rows;
    // A bulk read at 02:00 on this month's first Sunday (its partition exists), written as the
    // service would (through the app role, which may insert).
    const now = new Date();
    const firstOfMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const sunday = new Date(firstOfMonth.getTime() + ((7 - firstOfMonth.getUTCDay()) % 7) * 86_400_000 + 2 * 3_600_000);
    const dayAfter = new Date(sunday.getTime() + 86_400_000);
    const from = new Date(sunday.getTime() - 2 * 3_600_000);
    await app.db.query(
      `INSERT INTO audit_events (occurred_at, actor_id, actor_roles, action, outcome, record_count)
       VALUES ($2, $1, '{ANALYST}', 'LIST', 'ALLOWED', 100)`,
      [analystId, sunday],
    );
    const r = await app.gql<{ accessAnomalies: { kind: string; actorId: string; count: number }[] }>(
      'query($f: DateTime!, $t: DateTime!) { accessAnomalies(from: $f, to: $t) { kind actorId count baseline eventId } }',
      { f: from.toISOString(), t: dayAfter.toISOString() },
      auditor,
    );
    expect(r.body.data!.accessAnomalies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'AFTER_HOURS_BULK', actorId: analystId, count: 100 }),
        expect.objectContaining({ kind: 'ABOVE_OWN_NORM', actorId: analystId, count: 100 }),
      ]),
    );
    const backwards = await app.gql('{ accessAnomalies(from: "2026-11-02T00:00:00Z", to: "2026-11-01T00:00:00Z") { kind } }', {}, auditor);
    expect(codes(backwards)).toEqual(['BAD_USER_INPUT']);
  });
});
