import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { AgencyKind } from '../../src/agencies/agency-kind';
import type { Principal } from '../../src/auth/principal';
import { createRequestContext } from '../../src/context/request-context';
import { DEMO_USERS } from '../../src/demo/demo-seed';
import { createLogger } from '../../src/logger';
import { decide, Permission } from '../../src/policy/permissions';
import { Role } from '../../src/policy/roles';
import { staffDirectory } from '../../src/users/staff-directory.service';
import { createAgency, createPrincipal, type TestPrincipal } from '../support/principals';
import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * The auditors' console API: the staff directory and the actors it names, a child's access history
 * by identifier, accesses per day, and reviews of break-glass uses and anomalies.
 */
let app: TestApp;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
let service: TestPrincipal;
let gmpId: string;

const OVERSIGHT = 'auditor@oversight.example';
const GMP_AUDITOR = 'auditor@gmp.example';
const SUPERVISOR = 'supervisor@gmp.example';
const PRACTITIONER = 'practitioner@rochdale-csc.example';
const INVESTIGATOR = 'investigator@gmp.example';

beforeAll(async () => {
  app = await startTestApp();
  for (const { email } of DEMO_USERS) {
    tokens[email] = (await app.login(email)).accessToken;
    [{ id: ids[email] }] = await app.db.query(`SELECT id FROM users WHERE email = $1`, [email]);
  }
  [{ id: gmpId }] = await app.db.query(`SELECT agency_id AS id FROM users WHERE email = $1`, [GMP_AUDITOR]);
  const [{ id: voluntary }] = await app.db.query(`SELECT id FROM agencies WHERE kind = 'VOLUNTARY' LIMIT 1`);
  service = await createPrincipal(app, voluntary, 'SERVICE');
  tokens.SERVICE = service.token;
});
afterAll(() => app.close());

const ALL_CALLERS = [...DEMO_USERS.map((u) => u.email), 'SERVICE'];
const rolesOf = (email: string) => DEMO_USERS.find((u) => u.email === email)?.roles ?? [];
const has = (email: string, ...roles: Role[]) => roles.some((r) => rolesOf(email).includes(r));

const STAFF = `query($a: ID, $s: String, $f: Int, $after: String) { staffDirectory(agencyId: $a, search: $s, first: $f, after: $after) {
  totalCount edges { cursor node { id displayName kind roles enabled agency { id name kind } } } pageInfo { hasNextPage endCursor } } }`;
const PER_DAY = `query($from: DateTime!, $to: DateTime!, $a: ID) { auditAccessesPerDay(from: $from, to: $to, agencyId: $a) {
  day outcome count agency { id name } } }`;
const HISTORY = `query($id: ID, $i: String, $f: Int) { subjectAccessHistory(subjectId: $id, identifier: $i, first: $f) {
  totalCount edges { node { id subjectIds actorId actor { id displayName } } } } }`;
const GRANTS = `query($r: Boolean, $f: Int) { breakGlassGrants(reviewed: $r, first: $f) { totalCount edges { node {
  id userId reviewedAt reviewOutcome reviewNote reviewedBy { id } user { id displayName agency { id } } } } } }`;
const REVIEW_BG = `mutation($id: ID!, $o: String!, $n: String!) { reviewBreakGlass(id: $id, outcome: $o, note: $n) {
  id reviewedAt reviewOutcome reviewNote reviewedBy { id displayName } } }`;
const ANOMALIES = `query($from: DateTime!, $to: DateTime!) { accessAnomalies(from: $from, to: $to) {
  id kind actorId eventId reviewedAt reviewOutcome reviewNote reviewedBy { id } } }`;
const REVIEW_ANOMALY = `mutation($id: ID!, $o: String!, $n: String!) { reviewAccessAnomaly(id: $id, outcome: $o, note: $n) {
  id kind reviewedAt reviewOutcome reviewNote reviewedBy { id } } }`;
const EVENTS = `query($f: AuditFilter, $n: Int) { auditEvents(filter: $f, first: $n) { edges { node {
  id actorId actorAgencyId actor { id kind agency { id } } } } } }`;

const DAY = 86_400_000;
const range = () => ({ from: new Date(Date.now() - 2 * DAY).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

describe('who may use each new operation', () => {
  const isAuditor = (e: string) => has(e, Role.AUDITOR);
  const OPERATIONS: {
    name: string;
    permission: Permission;
    allowed: (email: string) => boolean;
    run: (token: string) => Promise<unknown>;
  }[] = [
    {
      name: 'staffDirectory',
      permission: Permission.READ_STAFF_DIRECTORY,
      allowed: (e) => has(e, Role.AUDITOR, Role.ADMIN),
      run: (t) => app.gql(STAFF, { f: 1 }, t),
    },
    { name: 'auditAccessesPerDay', permission: Permission.READ_AUDIT, allowed: isAuditor, run: (t) => app.gql(PER_DAY, range(), t) },
    {
      name: 'subjectAccessHistory(identifier)',
      permission: Permission.READ_AUDIT,
      allowed: isAuditor,
      run: (t) => app.gql(HISTORY, { i: 'no-such-identifier' }, t),
    },
    {
      name: 'breakGlassGrants',
      permission: Permission.REVIEW_BREAK_GLASS,
      allowed: (e) => isAuditor(e) || e === SUPERVISOR,
      run: (t) => app.gql(GRANTS, { f: 1 }, t),
    },
    {
      name: 'reviewBreakGlass',
      permission: Permission.REVIEW_BREAK_GLASS,
      allowed: (e) => isAuditor(e) || e === SUPERVISOR,
      run: (t) => app.gql(REVIEW_BG, { id: randomUUID(), o: 'JUSTIFIED', n: 'checked' }, t),
    },
    {
      name: 'reviewAccessAnomaly',
      permission: Permission.READ_AUDIT,
      allowed: isAuditor,
      run: (t) => app.gql(REVIEW_ANOMALY, { id: 'bm90LWFuLWlk', o: 'JUSTIFIED', n: 'checked' }, t),
    },
  ];
  const cases = OPERATIONS.flatMap((op) => ALL_CALLERS.map((caller) => [op.name, caller, op] as const));

  it.each(cases)('%s as %s', async (_name, caller, op) => {
    const r = (await op.run(tokens[caller])) as Parameters<typeof codes>[0];
    const allowed = caller !== 'SERVICE' && op.allowed(caller);
    if (allowed) expect(codes(r)).not.toContain('FORBIDDEN');
    else expect(codes(r)).toEqual(['FORBIDDEN']);
  });

  it('the table above is what the permission rules say', async () => {
    const [{ roles, kind }] = await app.db.query(`SELECT '{}'::text[] AS roles, 'VOLUNTARY' AS kind`);
    for (const op of OPERATIONS) {
      for (const email of DEMO_USERS.map((u) => u.email)) {
        const [u] = await app.db.query(
          `SELECT u.id, a.id AS agency_id, a.kind FROM users u JOIN agencies a ON a.id = u.agency_id WHERE email = $1`,
          [email],
        );
        const p = principal('USER', u.id, u.agency_id, u.kind, rolesOf(email));
        expect({ op: op.name, email, decision: decide(op.permission, p) }).toEqual({
          op: op.name,
          email,
          decision: op.allowed(email) ? 'ALLOW' : 'FORBIDDEN',
        });
      }
      expect(decide(op.permission, principal('SERVICE', service.id, service.agencyId, kind, roles))).toBe('FORBIDDEN');
    }
  });
});

function principal(kind: 'USER' | 'SERVICE', id: string, agencyId: string, agencyKind: AgencyKind, roles: Role[]): Principal {
  return {
    kind,
    id,
    displayName: 'Test',
    agency: { id: agencyId, name: 'Test', kind: agencyKind },
    roles,
    scopes: [],
    sessionId: randomUUID(),
    tokenId: randomUUID(),
  };
}

describe('staffDirectory', () => {
  it('an oversight auditor sees people and partner apps of every agency; search is by name, any case', async () => {
    const r = await app.gql<{
      staffDirectory: { totalCount: number; edges: { node: { id: string; kind: string; displayName: string } }[] };
    }>(STAFF, { f: 100 }, tokens[OVERSIGHT]);
    expect(codes(r)).toEqual([]);
    const [{ n }] = await app.db.query(`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM service_accounts) AS n`);
    expect(r.body.data!.staffDirectory.totalCount).toBe(Number(n));
    const nodes = r.body.data!.staffDirectory.edges.map((e) => e.node);
    expect(nodes.some((m) => m.kind === 'SERVICE')).toBe(true);
    expect(nodes.some((m) => m.id === ids[PRACTITIONER])).toBe(true);
    expect(JSON.stringify(r.body)).not.toMatch(/@[a-z-]+\.example/);

    const search = await app.gql<{ staffDirectory: { totalCount: number; edges: { node: { displayName: string } }[] } }>(
      STAFF,
      { s: 'sOCIAL wORK' },
      tokens[OVERSIGHT],
    );
    expect(search.body.data!.staffDirectory.edges.map((e) => e.node.displayName)).toEqual(['Demo Social Worker']);
    expect(search.body.data!.staffDirectory.totalCount).toBe(1);
  });

  it("an agency's auditor and admin see their own agency only; another agency's id gives an empty list", async () => {
    const own = await app.gql<{ staffDirectory: { totalCount: number; edges: { node: { agency: { id: string } } }[] } }>(
      STAFF,
      { f: 100 },
      tokens[GMP_AUDITOR],
    );
    const [{ n }] = await app.db.query(
      `SELECT (SELECT count(*) FROM users WHERE agency_id = $1) + (SELECT count(*) FROM service_accounts WHERE agency_id = $1) AS n`,
      [gmpId],
    );
    expect(own.body.data!.staffDirectory.totalCount).toBe(Number(n));
    expect(new Set(own.body.data!.staffDirectory.edges.map((e) => e.node.agency.id))).toEqual(new Set([gmpId]));
    const [{ agency_id: rochdale }] = await app.db.query(`SELECT agency_id FROM users WHERE email = $1`, [PRACTITIONER]);
    const other = await app.gql<{ staffDirectory: { totalCount: number; edges: unknown[] } }>(STAFF, { a: rochdale }, tokens[GMP_AUDITOR]);
    expect(codes(other)).toEqual([]);
    expect(other.body.data!.staffDirectory).toMatchObject({ totalCount: 0, edges: [] });
    const school = await app.gql<{ staffDirectory: { edges: { node: { agency: { kind: string } } }[] } }>(
      STAFF,
      { f: 100 },
      tokens['admin@brookfield-high.example'],
    );
    expect(new Set(school.body.data!.staffDirectory.edges.map((e) => e.node.agency.kind))).toEqual(new Set(['EDUCATION']));
  });

  it('pages by name, each page within the scope, cursors following on', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const r = await app.gql<{
        staffDirectory: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
      }>(STAFF, { f: 3, after }, tokens[OVERSIGHT]);
      seen.push(...r.body.data!.staffDirectory.edges.map((e) => e.node.id));
      if (!r.body.data!.staffDirectory.pageInfo.hasNextPage) break;
      after = r.body.data!.staffDirectory.pageInfo.endCursor!;
    }
    const [{ n }] = await app.db.query(`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM service_accounts) AS n`);
    expect(new Set(seen).size).toBe(Number(n));
  });

  it('for random principals returns exactly the rows the scope allows (or FORBIDDEN)', async () => {
    const agencies = await app.db.query<{ id: string; kind: AgencyKind }[]>(`SELECT id, kind FROM agencies`);
    const [{ id: someone }] = await app.db.query(`SELECT id FROM users LIMIT 1`);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...agencies),
        fc.subarray(Object.values(Role)),
        fc.constantFrom('USER' as const, 'SERVICE' as const),
        async (agency, roles, kind) => {
          const p = principal(kind, someone, agency.id, agency.kind, kind === 'SERVICE' ? [] : roles);
          const ctx = createRequestContext(
            { config: app.config, db: app.db, tokens: app.tokens, logger: createLogger('silent') },
            { requestId: randomUUID(), principal: p },
          );
          const reader = kind === 'USER' && (roles.includes(Role.AUDITOR) || roles.includes(Role.ADMIN));
          if (!reader) {
            await expect(staffDirectory(ctx, { first: 100 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
            return;
          }
          const everyAgency = roles.includes(Role.AUDITOR) && agency.kind === AgencyKind.OVERSIGHT;
          const expected = (
            await app.db.query<{ id: string }[]>(
              `SELECT id FROM users WHERE $1 OR agency_id = $2 UNION ALL SELECT id FROM service_accounts WHERE $1 OR agency_id = $2`,
              [everyAgency, agency.id],
            )
          )
            .map((r) => r.id)
            .sort();
          const page = await staffDirectory(ctx, { first: 100 });
          expect(page.edges.map((e) => e.node.id).sort()).toEqual(expected);
          expect(await page.totalCount).toBe(expected.length);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('AuditEvent.actor', () => {
  beforeAll(async () => {
    // Events by several agencies' staff.
    await app.gql('{ subjects(first: 2) { edges { node { id } } } }', {}, tokens[INVESTIGATOR]);
    await app.gql('{ subjects(first: 2) { edges { node { id } } } }', {}, tokens[PRACTITIONER]);
  });

  type Node = { id: string; actorId: string | null; actorAgencyId: string | null; actor: { id: string; agency: { id: string } } | null };
  const events = async (token: string) =>
    (await app.gql<{ auditEvents: { edges: { node: Node }[] } }>(EVENTS, { n: 100 }, token)).body.data!.auditEvents.edges.map(
      (e) => e.node,
    );

  it('names every actor for an oversight auditor, in one query for the whole page', async () => {
    app.queries.length = 0;
    const nodes = await events(tokens[OVERSIGHT]);
    const directoryQueries = app.queries.filter((q) => q.includes('FROM service_accounts s) m'));
    expect(directoryQueries).toHaveLength(1);
    const principals = new Set(
      (await app.db.query<{ id: string }[]>(`SELECT id FROM users UNION ALL SELECT id FROM service_accounts`)).map((r) => r.id),
    );
    expect(nodes.length).toBeGreaterThan(0);
    for (const n of nodes) {
      if (n.actorId && principals.has(n.actorId)) expect(n.actor?.id).toBe(n.actorId);
      else expect(n.actor).toBeNull();
    }
  });

  it("names an agency auditor's own staff only", async () => {
    const nodes = await events(tokens[GMP_AUDITOR]);
    expect(nodes.some((n) => n.actor !== null)).toBe(true);
    for (const n of nodes) {
      if (n.actorId && n.actorAgencyId === gmpId) expect(n.actor).toMatchObject({ id: n.actorId, agency: { id: gmpId } });
      else expect(n.actor).toBeNull();
    }
  });
});

describe('subjectAccessHistory by identifier', () => {
  const IDS = { police: '', nhs: '9434765919', upn: 'T801200001001', care: 'SC-CONSOLE-0001' };
  let subjectId: string;

  beforeAll(async () => {
    [{ id: subjectId, police_reference: IDS.police }] = await app.db.query(
      `SELECT id, police_reference FROM subjects WHERE police_reference IS NOT NULL ORDER BY police_reference DESC LIMIT 1`,
    );
    await app.db.query(`UPDATE subjects SET nhs_number = $2, school_upn = $3, social_care_id = $4 WHERE id = $1`, [
      subjectId,
      IDS.nhs,
      IDS.upn,
      IDS.care,
    ]);
    const read = await app.gql(`query($id: ID!) { subject(id: $id) { id } }`, { id: subjectId }, tokens[INVESTIGATOR]);
    expect(codes(read)).toEqual([]);
  });

  type History = { subjectAccessHistory: { totalCount: number; edges: { node: { subjectIds: string[] } }[] } };
  it.each([
    ['police reference', () => IDS.police],
    ['NHS number', () => IDS.nhs],
    ['NHS number with spaces', () => '943 476 5919'],
    ['school UPN', () => IDS.upn],
    ['social care id, padded', () => `  ${IDS.care} `],
  ])('finds the events of the subject by its %s', async (_kind, identifier) => {
    // Each history request is itself an event about the subject: count before asking.
    const [{ n }] = await app.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE subject_ids @> ARRAY[$1::uuid]`, [subjectId]);
    const r = await app.gql<History>(HISTORY, { i: identifier(), f: 100 }, tokens[OVERSIGHT]);
    expect(codes(r)).toEqual([]);
    const history = r.body.data!.subjectAccessHistory;
    expect(history.totalCount).toBeGreaterThan(0);
    expect(history.totalCount).toBe(n);
    for (const e of history.edges) expect(e.node.subjectIds).toContain(subjectId);
  });

  it('is NOT_FOUND for an unknown identifier, a partial one, or a subject no event in scope concerns', async () => {
    const [{ id: untouched }] = await app.db.query(
      `INSERT INTO subjects (full_name, social_care_id, created_by_agency_id) VALUES ('Synthetic Untouched', 'SC-CONSOLE-UNSEEN', $1) RETURNING id`,
      [gmpId],
    );
    expect(untouched).toBeTruthy();
    for (const i of ['NO-SUCH-REF', IDS.care.slice(0, 6), 'SC-CONSOLE-UNSEEN']) {
      expect(codes(await app.gql(HISTORY, { i }, tokens[OVERSIGHT]))).toEqual(['NOT_FOUND']);
    }
  });

  it("finds no child outside a care agency's knowledge for its auditor, though the auditor once asked about it", async () => {
    const school = await app.db.query<{ id: string }[]>(`SELECT id FROM agencies WHERE name = 'Brookfield High School'`);
    const auditor = await createPrincipal(app, school[0].id, [Role.AUDITOR]);
    // Asking by id leaves an event of the auditor's own agency that names the child.
    expect(codes(await app.gql(HISTORY, { id: subjectId }, auditor.token))).toEqual([]);
    const known = await app.db.query<{ known: boolean }[]>(`SELECT $1::uuid IN (SELECT subjects_known_to($2)) AS known`, [
      subjectId,
      school[0].id,
    ]);
    expect(known[0].known).toBe(false);
    for (const i of [IDS.nhs, IDS.upn, IDS.care]) expect(codes(await app.gql(HISTORY, { i }, auditor.token))).toEqual(['NOT_FOUND']);
    // The oversight auditor still finds it.
    expect(codes(await app.gql(HISTORY, { i: IDS.nhs }, tokens[OVERSIGHT]))).toEqual([]);
  });

  it('is BAD_USER_INPUT for neither or both', async () => {
    expect(codes(await app.gql(HISTORY, {}, tokens[OVERSIGHT]))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(HISTORY, { id: subjectId, i: IDS.nhs }, tokens[OVERSIGHT]))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(HISTORY, { i: '   ' }, tokens[OVERSIGHT]))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('auditAccessesPerDay', () => {
  type Row = { day: string; outcome: string; count: number; agency: { id: string } | null };
  const key = (r: { day: string; agency: string | null; outcome: string }) => `${r.day}|${r.agency}|${r.outcome}`;

  async function direct(from: string, to: string, where: string, params: unknown[]) {
    const rows = await app.db.query<{ day: string; agency: string | null; outcome: string; count: number }[]>(
      `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, actor_agency_id AS agency, outcome, count(*)::int AS count
         FROM audit_events
        WHERE occurred_at >= $1 AND occurred_at < $2 AND (action IN ('READ', 'LIST', 'SEARCH', 'EXPORT') OR outcome = 'DENIED') AND ${where}
        GROUP BY 1, 2, 3`,
      [from, to, ...params],
    );
    return Object.fromEntries(rows.map((r) => [key(r), r.count]));
  }
  const asMap = (rows: Row[]) => Object.fromEntries(rows.map((r) => [key({ ...r, agency: r.agency?.id ?? null }), r.count]));

  beforeAll(async () => {
    // A refusal, for a DENIED row.
    await app.gql('{ auditEvents(first: 1) { edges { node { id } } } }', {}, tokens[PRACTITIONER]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('equals a direct count over the trail, for an oversight auditor, an agency auditor and one agency', async () => {
    const from = new Date(Date.now() - 3 * DAY).toISOString();
    const to = new Date(Date.now() - 5).toISOString();
    const all = await app.gql<{ auditAccessesPerDay: Row[] }>(PER_DAY, { from, to }, tokens[OVERSIGHT]);
    expect(codes(all)).toEqual([]);
    const expected = await direct(from, to, 'true', []);
    expect(Object.keys(expected).some((k) => k.endsWith('DENIED'))).toBe(true);
    expect(asMap(all.body.data!.auditAccessesPerDay)).toEqual(expected);

    const own = await app.gql<{ auditAccessesPerDay: Row[] }>(PER_DAY, { from, to }, tokens[GMP_AUDITOR]);
    expect(asMap(own.body.data!.auditAccessesPerDay)).toEqual(
      await direct(from, to, '(actor_agency_id = $3 OR record_agency_ids @> ARRAY[$3::uuid])', [gmpId]),
    );

    const one = await app.gql<{ auditAccessesPerDay: Row[] }>(PER_DAY, { from, to, a: gmpId }, tokens[OVERSIGHT]);
    const gmp = await direct(from, to, 'actor_agency_id = $3', [gmpId]);
    expect(Object.keys(gmp).length).toBeGreaterThan(0);
    expect(asMap(one.body.data!.auditAccessesPerDay)).toEqual(gmp);
  });

  it('refuses an empty, reversed or over-long range', async () => {
    const t = new Date();
    for (const [from, to] of [
      [t, t],
      [t, new Date(t.getTime() - DAY)],
      [new Date(t.getTime() - 367 * DAY), t],
    ]) {
      expect(codes(await app.gql(PER_DAY, { from: from.toISOString(), to: to.toISOString() }, tokens[OVERSIGHT]))).toEqual([
        'BAD_USER_INPUT',
      ]);
    }
  });
});

type Grant = {
  id: string;
  userId: string;
  reviewedAt: string | null;
  reviewOutcome: string | null;
  reviewNote: string | null;
  reviewedBy: { id: string } | null;
  user: { id: string; agency: { id: string } } | null;
};

describe('break-glass reviews', () => {
  const grants = async (token: string, reviewed?: boolean) =>
    (await app.gql<{ breakGlassGrants: { totalCount: number; edges: { node: Grant }[] } }>(GRANTS, { r: reviewed, f: 100 }, token)).body
      .data!.breakGlassGrants;

  it('the demo has break-glass uses awaiting review; an agency auditor sees only its own staff’s', async () => {
    const waiting = await grants(tokens[OVERSIGHT], false);
    expect(waiting.totalCount).toBeGreaterThanOrEqual(2);
    for (const { node } of waiting.edges) {
      expect(node.reviewedAt).toBeNull();
      expect(node.user?.id).toBe(node.userId);
    }
    expect((await grants(tokens[GMP_AUDITOR])).edges.every((e) => e.node.user?.agency.id === gmpId)).toBe(true);
    const [{ n }] = await app.db.query(`SELECT count(*)::int AS n FROM break_glass_grants WHERE agency_id = $1`, [gmpId]);
    expect((await grants(tokens[GMP_AUDITOR])).totalCount).toBe(n);
  });

  it('records a review once, with its CHANGE event and the request’s audit event; twice is CONFLICT', async () => {
    const [{ node: grant }] = (await grants(tokens[OVERSIGHT], false)).edges;
    // Outside an agency auditor's scope: NOT_FOUND.
    if (grant.user?.agency.id !== gmpId) {
      expect(codes(await app.gql(REVIEW_BG, { id: grant.id, o: 'JUSTIFIED', n: 'x' }, tokens[GMP_AUDITOR]))).toEqual(['NOT_FOUND']);
    }
    const bad = await app.gql(REVIEW_BG, { id: grant.id, o: 'FINE', n: 'Checked the case notes' }, tokens[OVERSIGHT]);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.body.errors![0].message).toMatch(/JUSTIFIED, NOT_JUSTIFIED, REFERRED/);
    expect(codes(await app.gql(REVIEW_BG, { id: grant.id, o: 'justified', n: '  ' }, tokens[OVERSIGHT]))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(REVIEW_BG, { id: grant.id, o: 'justified', n: 'x'.repeat(2001) }, tokens[OVERSIGHT]))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const [unchanged] = await app.db.query(`SELECT reviewed_at, review_outcome FROM break_glass_grants WHERE id = $1`, [grant.id]);
    expect(unchanged).toEqual({ reviewed_at: null, review_outcome: null });

    const r = await app.gql<{ reviewBreakGlass: Grant }>(
      REVIEW_BG,
      { id: grant.id, o: 'justified', n: 'Duty manager confirmed the emergency' },
      tokens[OVERSIGHT],
    );
    expect(codes(r)).toEqual([]);
    expect(r.body.data!.reviewBreakGlass).toMatchObject({
      id: grant.id,
      reviewOutcome: 'JUSTIFIED',
      reviewNote: 'Duty manager confirmed the emergency',
      reviewedBy: { id: ids[OVERSIGHT] },
    });
    expect(r.body.data!.reviewBreakGlass.reviewedAt).not.toBeNull();
    const change = await app.db.query(
      `SELECT details FROM audit_events WHERE action = 'CHANGE' AND operation_field = 'reviewed' AND record_ids @> ARRAY[$1::uuid]`,
      [grant.id],
    );
    expect(change).toHaveLength(1);
    const history = await app.db.query(`SELECT action FROM record_history WHERE record_id = $1 AND action = 'reviewed'`, [grant.id]);
    expect(history).toHaveLength(1);
    const write = await app.db.query(
      `SELECT outcome FROM audit_events WHERE operation_field = 'reviewBreakGlass' AND actor_id = $1 AND outcome = 'ALLOWED'`,
      [ids[OVERSIGHT]],
    );
    expect(write.length).toBeGreaterThan(0);

    expect(codes(await app.gql(REVIEW_BG, { id: grant.id, o: 'REFERRED', n: 'again' }, tokens[SUPERVISOR]))).toEqual(['CONFLICT']);
    expect((await grants(tokens[OVERSIGHT], true)).edges.map((e) => e.node.id)).toContain(grant.id);
    expect((await grants(tokens[OVERSIGHT], false)).edges.map((e) => e.node.id)).not.toContain(grant.id);
  });

  it('a police supervisor reviews too; nobody reviews their own (FORBIDDEN)', async () => {
    const waiting = (await grants(tokens[SUPERVISOR], false)).edges;
    expect(waiting.length).toBeGreaterThan(0);
    const r = await app.gql<{ reviewBreakGlass: Grant }>(
      REVIEW_BG,
      { id: waiting[0].node.id, o: 'Not_Justified', n: 'An access request would have done' },
      tokens[SUPERVISOR],
    );
    expect(codes(r)).toEqual([]);
    expect(r.body.data!.reviewBreakGlass.reviewOutcome).toBe('NOT_JUSTIFIED');

    const agency = await createAgency(app, AgencyKind.SOCIAL_CARE, `Console care ${process.pid}`);
    const both = await createPrincipal(app, agency, [Role.AUDITOR, Role.PRACTITIONER]);
    const [{ id: subject }] = await app.db.query(`SELECT id FROM subjects LIMIT 1`);
    const own = await app.gql<{ breakGlass: { id: string } }>(
      `mutation($s: ID!, $r: String!) { breakGlass(subjectId: $s, reason: $r) { id } }`,
      { s: subject, r: 'An emergency placement tonight needs the police history' },
      both.token,
    );
    expect(codes(own)).toEqual([]);
    const id = own.body.data!.breakGlass.id;
    expect(codes(await app.gql(REVIEW_BG, { id, o: 'JUSTIFIED', n: 'mine' }, both.token))).toEqual(['FORBIDDEN']);
    const [row] = await app.db.query(`SELECT reviewed_at FROM break_glass_grants WHERE id = $1`, [id]);
    expect(row.reviewed_at).toBeNull();

    // Their anomaly (the break-glass) is theirs too.
    const { from, to } = range();
    const anomalies = (
      await app.gql<{ accessAnomalies: { id: string; kind: string; actorId: string }[] }>(ANOMALIES, { from, to }, both.token)
    ).body.data!.accessAnomalies;
    const mine = anomalies.find((a) => a.kind === 'BREAK_GLASS' && a.actorId === both.id)!;
    expect(mine).toBeDefined();
    expect(codes(await app.gql(REVIEW_ANOMALY, { id: mine.id, o: 'JUSTIFIED', n: 'mine' }, both.token))).toEqual(['FORBIDDEN']);
  });
});

describe('anomaly reviews', () => {
  type Anomaly = {
    id: string;
    kind: string;
    actorId: string;
    reviewedAt: string | null;
    reviewOutcome: string | null;
    reviewedBy: { id: string } | null;
  };
  const list = async (token: string) =>
    (await app.gql<{ accessAnomalies: Anomaly[] }>(ANOMALIES, range(), token)).body.data!.accessAnomalies;

  beforeAll(async () => {
    const [{ id: subject }] = await app.db.query(`SELECT id FROM subjects ORDER BY id LIMIT 1`);
    const r = await app.gql(
      `mutation($s: ID!, $r: String!) { breakGlass(subjectId: $s, reason: $r) { id } }`,
      { s: subject, r: 'Child missing overnight; checking known associates now' },
      tokens['nurse@northern-health.example'],
    );
    expect(codes(r)).toEqual([]);
  });

  it('gives each anomaly a stable id, records one review with its events; twice is CONFLICT', async () => {
    const first = await list(tokens[OVERSIGHT]);
    const anomaly = first.find((a) => a.kind === 'BREAK_GLASS' && a.actorId === ids['nurse@northern-health.example'])!;
    expect(anomaly).toBeDefined();
    expect((await list(tokens[OVERSIGHT])).map((a) => a.id)).toEqual(first.map((a) => a.id));
    expect(new Set(first.map((a) => a.id)).size).toBe(first.length);

    expect(codes(await app.gql(REVIEW_ANOMALY, { id: anomaly.id, o: 'maybe', n: 'x' }, tokens[OVERSIGHT]))).toEqual(['BAD_USER_INPUT']);
    expect(await app.db.query(`SELECT 1 FROM access_anomaly_reviews WHERE anomaly_id = $1`, [anomaly.id])).toHaveLength(0);
    // Another agency's staff: not the police auditor's to review.
    expect(codes(await app.gql(REVIEW_ANOMALY, { id: anomaly.id, o: 'REFERRED', n: 'x' }, tokens[GMP_AUDITOR]))).not.toEqual([]);

    const r = await app.gql<{ reviewAccessAnomaly: Anomaly }>(
      REVIEW_ANOMALY,
      { id: anomaly.id, o: 'referred', n: 'Passed to the trust’s IG lead' },
      tokens[OVERSIGHT],
    );
    expect(codes(r)).toEqual([]);
    expect(r.body.data!.reviewAccessAnomaly).toMatchObject({
      id: anomaly.id,
      reviewOutcome: 'REFERRED',
      reviewedBy: { id: ids[OVERSIGHT] },
    });
    const [review] = await app.db.query(`SELECT id FROM access_anomaly_reviews WHERE anomaly_id = $1`, [anomaly.id]);
    expect(
      await app.db.query(`SELECT 1 FROM audit_events WHERE action = 'CHANGE' AND record_ids @> ARRAY[$1::uuid]`, [review.id]),
    ).toHaveLength(1);
    expect(await app.db.query(`SELECT 1 FROM record_history WHERE record_id = $1 AND action = 'reviewed'`, [review.id])).toHaveLength(1);
    const listed = (await list(tokens[OVERSIGHT])).find((a) => a.id === anomaly.id)!;
    expect(listed).toMatchObject({ reviewOutcome: 'REFERRED', reviewedBy: { id: ids[OVERSIGHT] } });
    expect(listed.reviewedAt).not.toBeNull();

    expect(codes(await app.gql(REVIEW_ANOMALY, { id: anomaly.id, o: 'JUSTIFIED', n: 'again' }, tokens[OVERSIGHT]))).toEqual(['CONFLICT']);
  });

  it('an id nobody made, or of an anomaly that is not there, is NOT_FOUND', async () => {
    const forged = Buffer.from(JSON.stringify(['BREAK_GLASS', randomUUID(), 'e', Date.now(), '1'])).toString('base64url');
    for (const id of ['nonsense', forged]) {
      expect(codes(await app.gql(REVIEW_ANOMALY, { id, o: 'JUSTIFIED', n: 'x' }, tokens[OVERSIGHT]))).toEqual(['NOT_FOUND']);
    }
  });
});
