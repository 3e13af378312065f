import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { DataSource, EntityManager } from 'typeorm';
import { AgencyKind } from '../../src/agencies/agency-kind';
import { writeAuditEvents } from '../../src/audit/audit.writer';
import type { Principal } from '../../src/auth/principal';
import { breakGlass } from '../../src/break-glass/break-glass.service';
import { createDataSource } from '../../src/db/data-source';
import { type Sql, raw, run, sql } from '../../src/db/sql';
import { DEMO_CLIENT_ID, DEMO_USERS } from '../../src/demo/demo-seed';
import { requestAccess } from '../../src/disclosures/access-request.service';
import { createRequestContext, type RequestContext } from '../../src/context/request-context';
import { createLogger } from '../../src/logger';
import { SourceType, RiskIndicator } from '../../src/intelligence/intelligence.enums';
import { submitIntelligence } from '../../src/intelligence/intelligence.service';
import { searchReports } from '../../src/intelligence/intelligence.queries';
import { listSubjects } from '../../src/subjects/subject.queries';
import { InvolvementKind, LawfulBasis } from '../../src/involvements/involvement.enums';
import { registerInvolvement } from '../../src/involvements/involvement.service';
import { decide, Permission } from '../../src/policy/permissions';
import {
  accessRequestReadScope,
  breakGlassReadScope,
  crimeReadScope,
  declineReadScope,
  disclosureReadScope,
  flagReadScope,
  involvedAgencyScope,
  involvementReadScope,
  ownSubmissionScope,
  readsRecordHistory,
  reportReadScope,
  reportRedactions,
  subjectReadScope,
} from '../../src/policy/records';
import { ownInboxScope } from '../../src/policy/notifications';
import { webhookDeliveryScope, webhookEndpointScope } from '../../src/policy/webhooks';
import { anomalyReviewScope } from '../../src/policy/audit';
import { Role } from '../../src/policy/roles';
import { principalContextSql, SYSTEM_CONTEXT_SQL } from '../../src/db/row-security';
import { crimeStats, intelligenceStats } from '../../src/stats/stats.service';
import { StatsDimension } from '../../src/stats/stats.types';
import { SubjectRole } from '../../src/subjects/subject.enums';
import { linkSubject } from '../../src/subjects/subject.service';
import { ServiceScope } from '../../src/users/service-account.entity';
import { agreementReadScope } from '../../src/policy/agreements';
import { retentionReviewScope } from '../../src/policy/retention';
import { recordWriter } from '../support/policy-records';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * Row-level security (migrations/1766600000000-row-security.ts) against the policy's own SQL: for
 * every demo account, a partner app and random principals, a deliberately scope-less read of each
 * case table as the service's role returns exactly the rows records.ts lets that principal read,
 * and nothing without a principal. The service's write paths keep working under it, statistics
 * and the audit trail's record context stay whole.
 */

const orNone = (scope: Sql | null): Sql => scope ?? raw('false');
const or = (...scopes: (Sql | null)[]): Sql => {
  const present = scopes.filter((s): s is Sql => s !== null);
  return present.length ? sql`(${present.reduce((a, b) => sql`${a} OR ${b}`)})` : raw('false');
};
const all = (yes: boolean) => raw(yes ? 'true' : 'false');

/** Each case table: the rows the policy lets `p` read, as FROM (row alias `t`) and WHERE. */
const EXPECTED: Record<string, (p: Principal) => { from: string; where: Sql }> = {
  intelligence_reports: (p) => ({ from: 'intelligence_reports r', where: or(reportReadScope(p), ownSubmissionScope(p)) }),
  informants: (p) => ({
    from: 'informants t JOIN intelligence_reports r ON r.id = t.report_id',
    where: reportRedactions(p, false).includes('informant') ? raw('false') : orNone(reportReadScope(p)),
  }),
  subjects: (p) => ({ from: 'subjects s', where: orNone(subjectReadScope(p)) }),
  subject_aliases: (p) => ({ from: 'subject_aliases t JOIN subjects s ON s.id = t.subject_id', where: orNone(subjectReadScope(p)) }),
  report_subjects: (p) => ({ from: 'report_subjects t JOIN subjects s ON s.id = t.subject_id', where: orNone(subjectReadScope(p)) }),
  flags: (p) => {
    const subjects = subjectReadScope(p);
    return {
      from: 'flags f JOIN subjects s ON s.id = f.subject_id',
      where: subjects ? sql`${subjects} AND ${flagReadScope(p)}` : raw('false'),
    };
  },
  crimes: (p) => ({ from: 'crimes c', where: orNone(crimeReadScope(p)) }),
  crime_subjects: (p) => ({ from: 'crime_subjects t JOIN crimes c ON c.id = t.crime_id', where: orNone(crimeReadScope(p)) }),
  record_history: (p) => ({ from: 'record_history t', where: all(readsRecordHistory(p)) }),
  involvements: (p) => ({
    from: 'involvements i JOIN subjects s ON s.id = i.subject_id',
    where: or(involvementReadScope(p), involvedAgencyScope(p)),
  }),
  disclosures: (p) => ({ from: 'disclosures d', where: orNone(disclosureReadScope(p)) }),
  disclosure_declines: (p) => ({ from: 'disclosure_declines x', where: orNone(declineReadScope(p)) }),
  access_requests: (p) => ({ from: 'access_requests ar', where: orNone(accessRequestReadScope(p)) }),
  break_glass_grants: (p) => ({ from: 'break_glass_grants g', where: orNone(breakGlassReadScope(p)) }),
  access_anomaly_reviews: (p) => ({ from: 'access_anomaly_reviews ar', where: orNone(anomalyReviewScope(p)) }),
  notifications: (p) => ({ from: 'notifications n', where: ownInboxScope(p) }),
  notification_events: (p) => ({
    from: 'notification_events e',
    where: sql`e.id IN (SELECT n.event_id FROM notifications n WHERE ${ownInboxScope(p)})`,
  }),
  // An agency's webhooks: its administrators' (and the workers').
  webhook_endpoints: (p) => ({ from: 'webhook_endpoints we', where: orNone(webhookEndpointScope(p)) }),
  webhook_deliveries: (p) => ({ from: 'webhook_deliveries wd', where: orNone(webhookDeliveryScope(p)) }),
  information_sharing_agreements: (p) => ({ from: 'information_sharing_agreements isa', where: orNone(agreementReadScope(p)) }),
  retention_decisions: (p) => ({ from: 'retention_decisions t', where: all(retentionReviewScope(p) !== null) }),
  // The access scan's bookmark: the workers' alone.
  notification_scan_positions: () => ({ from: 'notification_scan_positions t', where: raw('false') }),
  ...Object.fromEntries(
    ['active_flag_placements', 'report_flag_coverage', 'report_daily_counts', 'report_monthly_counts', 'report_count_deltas'].map((t) => [
      t,
      (p: Principal) => ({ from: `${t} t`, where: all(decide(Permission.READ_STATISTICS, p) === 'ALLOW') }),
    ]),
  ),
};
const TABLES = Object.keys(EXPECTED);
/** The alias of the table's own row in each FROM above. */
const rowAlias = (from: string) => from.split(' ')[1];

let app: TestApp;
let enforced: DataSource;

/** Runs `work` as the service's role in a transaction for `principal` (undefined: no setting at all), then rolls back. */
async function asPrincipal<T>(
  principal: Principal | null | undefined,
  work: (tx: EntityManager) => Promise<T>,
  commit = false,
): Promise<T> {
  const runner = enforced.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    if (principal !== undefined) await run(runner.manager, principalContextSql(principal));
    const result = await work(runner.manager);
    await (commit ? runner.commitTransaction() : runner.rollbackTransaction());
    return result;
  } catch (error) {
    await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}

/** What a deliberately scope-less query returns: every row of the table, as text. */
const scopeless = (tx: EntityManager, table: string) =>
  tx.query<{ row: string }[]>(`SELECT t::text AS row FROM ${table} t`).then((rows) => rows.map((r) => r.row).sort());

/** What the policy's own SQL lets `p` read of `table`, as the owner (no row security). */
/** The policy's SQL for `table` and `p`, run on `db`. */
async function expectedOn(
  db: { query(text: string, values: unknown[]): Promise<unknown> },
  table: string,
  p: Principal,
): Promise<string[]> {
  const { from, where } = EXPECTED[table](p);
  const { text, values } = sql`SELECT ${raw(rowAlias(from))}::text AS row FROM ${raw(from)} WHERE ${where}`.toQuery();
  return ((await db.query(text, values)) as { row: string }[]).map((r) => r.row).sort();
}

/** The policy's SQL seeing every row (the system context), as it would without row-level security. */
const expected = (table: string, p: Principal) => expectedOn(app.db, table, p);

interface Facts {
  id: string;
  agencyId: string;
  agencyKind: AgencyKind;
}
const principalOf = (kind: 'USER' | 'SERVICE', f: Facts, roles: Role[], scopes: ServiceScope[] = []): Principal => ({
  kind,
  id: f.id,
  displayName: 'Test',
  agency: { id: f.agencyId, name: 'Test', kind: f.agencyKind },
  roles,
  scopes,
  sessionId: randomUUID(),
  tokenId: randomUUID(),
});

const demo = new Map<string, Principal>();
let agencies: { id: string; kind: AgencyKind }[] = [];
let actorIds: string[] = [];
const byEmail = (email: string) => demo.get(email)!;

function contextFor(tx: EntityManager, principal: Principal): RequestContext {
  const ctx = createRequestContext(
    { config: app.config, db: app.db, tokens: app.tokens, logger: createLogger('silent') },
    { requestId: randomUUID(), principal },
  );
  // The request's statements run in the transaction opened for its principal.
  return { ...ctx, db: tx };
}

beforeAll(async () => {
  app = await startTestApp();
  enforced = createDataSource({ url: app.databaseUrl, poolMax: 2, role: app.config.dbAppRole });
  await enforced.initialize();
  const users = (await app.ownerQuery(
    `SELECT u.id, u.email, u.roles::text[] AS roles, a.id AS agency_id, a.kind FROM users u JOIN agencies a ON a.id = u.agency_id`,
  )) as { id: string; email: string; roles: Role[]; agency_id: string; kind: AgencyKind }[];
  for (const u of users) demo.set(u.email, principalOf('USER', { id: u.id, agencyId: u.agency_id, agencyKind: u.kind }, u.roles));
  const [sa] = (await app.ownerQuery(
    `SELECT s.id, s.scopes::text[] AS scopes, a.id AS agency_id, a.kind FROM service_accounts s JOIN agencies a ON a.id = s.agency_id
      WHERE s.client_id = $1`,
    [DEMO_CLIENT_ID],
  )) as { id: string; scopes: ServiceScope[]; agency_id: string; kind: AgencyKind }[];
  demo.set(DEMO_CLIENT_ID, principalOf('SERVICE', { id: sa.id, agencyId: sa.agency_id, agencyKind: sa.kind }, [], sa.scopes));
  agencies = (await app.ownerQuery(`SELECT id, kind FROM agencies`)) as typeof agencies;
  actorIds = [...demo.values()].map((p) => p.id);

  // Rows every arm of the policy reaches: a partner app's report with an informant, live and
  // expired break-glass grants (the demo's are all expired), anomaly reviews.
  await app.ownerQuery(`SELECT report_counts_fold()`);
  const w = recordWriter(app);
  const practitioner = byEmail('practitioner@rochdale-csc.example');
  const nurse = byEmail('nurse@northern-health.example');
  const report = await w.report(sa.agency_id, { serviceAccountId: sa.id }, false);
  await app.ownerQuery(`INSERT INTO informants (report_id, name) VALUES ($1, 'Synthetic informant')`, [report]);
  await app.ownerQuery(
    `INSERT INTO record_history (record_kind, record_id, action, actor_id, actor_agency_id, after) VALUES ('intelligence_report', $1, 'submitted', $2, $3, '{}')`,
    [report, sa.id, sa.agency_id],
  );
  const [hidden, other] = (await app.ownerQuery(`SELECT s.id FROM subjects s ORDER BY s.created_at DESC, s.id LIMIT 2`)) as {
    id: string;
  }[];
  await w.breakGlass(hidden.id, practitioner.id, practitioner.agency.id);
  await w.breakGlass(other.id, nurse.id, nurse.agency.id, true);
  // Webhooks of two agencies, each with a delivery (the demo registers none).
  for (const email of ['admin@brookfield-high.example', 'admin@oversight.example']) {
    const admin = byEmail(email);
    await app.ownerQuery(
      `WITH we AS (INSERT INTO webhook_endpoints (agency_id, url, events, secret, created_by)
                   VALUES ($1, 'http://127.0.0.1:9/rls', '{FLAG_APPROVED}', $2, $3) RETURNING id),
            ev AS (INSERT INTO notification_events (type, record_kind, record_id) VALUES ('FLAG_APPROVED', 'flag', gen_random_uuid()) RETURNING id)
       INSERT INTO webhook_deliveries (endpoint_id, event_id, type) SELECT we.id, ev.id, 'FLAG_APPROVED' FROM we, ev`,
      [admin.agency.id, `whsec_${Buffer.alloc(32, 3).toString('base64')}`, admin.id],
    );
  }
  // Anomaly reviews of two agencies' staff: an agency's auditor reads its own staff's only.
  const reviewer = byEmail('auditor@oversight.example');
  for (const [i, actor] of [byEmail('analyst@gmp.example'), practitioner].entries()) {
    await app.ownerQuery(
      `INSERT INTO access_anomaly_reviews (anomaly_id, kind, actor_id, actor_agency_id, period_from, period_to, outcome, note, reviewed_by_user_id)
       VALUES ($1, 'ABOVE_OWN_NORM', $2, $3, now() - interval '1 day', now(), 'JUSTIFIED', 'Synthetic review', $4)`,
      [`row-security-${i}`, actor.id, actor.agency.id, reviewer.id],
    );
  }
}, 60_000);

afterAll(async () => {
  await enforced?.destroy();
  await app?.close();
});

describe('row-level security mirrors the read scopes', () => {
  it('lets no case row through without a principal, or with an empty one', async () => {
    for (const table of TABLES) {
      const [{ n }] = (await app.ownerQuery(`SELECT count(*)::int AS n FROM ${table}`)) as { n: number }[];
      if (!['report_count_deltas', 'notification_scan_positions', 'retention_decisions'].includes(table))
        expect({ table, n: n > 0 }).toEqual({ table, n: true });
      expect({ table, rows: await asPrincipal(undefined, (tx) => scopeless(tx, table)) }).toEqual({ table, rows: [] });
      expect({ table, rows: await asPrincipal(null, (tx) => scopeless(tx, table)) }).toEqual({ table, rows: [] });
    }
  });

  it.each([...DEMO_USERS.map((u) => u.email), DEMO_CLIENT_ID])(
    'returns %s exactly the rows the policy does, table by table',
    async (who) => {
      const principal = byEmail(who);
      for (const table of TABLES) {
        const rows = await asPrincipal(principal, (tx) => scopeless(tx, table));
        const policy = await expected(table, principal);
        expect({ table, rows }).toEqual({ table, rows: policy });
        // The two locks together: the policy's own SQL, run as the caller under row-level security,
        // still finds every row it finds seeing everything (its subqueries are not starved).
        const both = await asPrincipal(principal, (tx) => expectedOn(tx, table, principal));
        expect({ table, both }).toEqual({ table, both: policy });
      }
    },
  );

  it('returns any principal exactly the rows the policy does (random roles, scopes, agencies, ids)', async () => {
    const principal = fc
      .record({
        service: fc.boolean(),
        agency: fc.constantFrom(...agencies),
        id: fc.constantFrom(...actorIds),
        roles: fc.subarray(Object.values(Role)),
        scopes: fc.subarray(Object.values(ServiceScope)),
      })
      .map(({ service, agency, id, roles, scopes }) =>
        principalOf(
          service ? 'SERVICE' : 'USER',
          { id, agencyId: agency.id, agencyKind: agency.kind },
          service ? [] : roles,
          service ? scopes : [],
        ),
      );
    await fc.assert(
      fc.asyncProperty(principal, fc.constantFrom(...TABLES), async (p, table) => {
        expect(await asPrincipal(p, (tx) => scopeless(tx, table))).toEqual(await expected(table, p));
      }),
      { numRuns: 200 },
    );
  });

  it('opens to a break-glass grant what the policy opens, until it expires', async () => {
    const practitioner = byEmail('practitioner@rochdale-csc.example');
    const subjectOf = async () =>
      (
        (await app.ownerQuery(
          // Unknown to the agency by every path of subjects_known_to: involvement, its own reports, a disclosure.
          `SELECT s.id FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM involvements i WHERE i.subject_id = s.id AND i.agency_id = $1)
            AND NOT EXISTS (SELECT 1 FROM report_subjects k JOIN intelligence_reports r ON r.id = k.report_id
                             WHERE k.subject_id = s.id AND r.submitted_by_agency_id = $1)
            AND NOT EXISTS (SELECT 1 FROM report_subjects k JOIN disclosures d ON d.report_id = k.report_id
                             WHERE k.subject_id = s.id AND d.recipient_agency_id = $1)
            AND EXISTS (SELECT 1 FROM report_subjects rs WHERE rs.subject_id = s.id)
            AND NOT EXISTS (SELECT 1 FROM break_glass_grants g WHERE g.subject_id = s.id)
          ORDER BY s.created_at, s.id LIMIT 1`,
          [practitioner.agency.id],
        )) as { id: string }[]
      )[0].id;
    const subject = await subjectOf();
    const sees = () =>
      asPrincipal(practitioner, async (tx) => ({
        subject: (await tx.query(`SELECT 1 FROM subjects WHERE id = $1`, [subject])).length,
        reports: (
          await tx.query(`SELECT 1 FROM intelligence_reports r JOIN report_subjects rs ON rs.report_id = r.id WHERE rs.subject_id = $1`, [
            subject,
          ])
        ).length,
      }));
    expect(await sees()).toEqual({ subject: 0, reports: 0 });
    const grant = await recordWriter(app).breakGlass(subject, practitioner.id, practitioner.agency.id);
    const open = await sees();
    expect(open.subject).toBe(1);
    expect(open.reports).toBeGreaterThan(0);
    for (const table of TABLES) {
      expect({ table, rows: await asPrincipal(practitioner, (tx) => scopeless(tx, table)) }).toEqual({
        table,
        rows: await expected(table, practitioner),
      });
    }
    await app.ownerQuery(
      `UPDATE break_glass_grants SET granted_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE id = $1`,
      [grant],
    );
    expect(await sees()).toEqual({ subject: 0, reports: 0 });
  });

  it('sees every row in the system context, and the owner is not subject to it', async () => {
    const [{ relforce }] = (await app.ownerQuery(
      `SELECT bool_or(relforcerowsecurity) AS relforce FROM pg_class WHERE relname = ANY($1) AND relkind = 'r'`,
      [TABLES],
    )) as { relforce: boolean }[];
    expect(relforce).toBe(false);
    for (const table of TABLES) {
      const everything = ((await app.ownerQuery(`SELECT t::text AS row FROM ${table} t`)) as { row: string }[]).map((r) => r.row).sort();
      const system = await asPrincipal(undefined, async (tx) => {
        await tx.query(SYSTEM_CONTEXT_SQL);
        return scopeless(tx, table);
      });
      expect({ table, rows: system }).toEqual({ table, rows: everything });
    }
  });
});

describe('row-level security covers every case table', () => {
  it('is enabled on every table but identity, reference data and the audit trail', async () => {
    const rows = (await app.ownerQuery(
      `SELECT c.relname, c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
    )) as { relname: string; relrowsecurity: boolean }[];
    const open = rows
      .filter((r) => !r.relrowsecurity)
      .map((r) => r.relname)
      .sort();
    expect(open).toEqual(
      [
        'agencies',
        'agency_divisions',
        'agreement_parties',
        'audit_events',
        'audit_seals',
        'audit_trail_identity',
        'auth_sessions',
        'divisions',
        'grants',
        'migrations',
        'password_resets',
        'recovery_codes',
        'refresh_tokens',
        'retention_review_groups',
        'second_factor_challenges',
        'service_accounts',
        'sign_in_throttles',
        'user_second_factors',
        'users',
      ].filter((t) => rows.some((r) => r.relname === t)),
    );
    expect(
      rows
        .filter((r) => r.relrowsecurity)
        .map((r) => r.relname)
        .sort(),
    ).toEqual([...TABLES].sort());
  });

  it('runs every trigger function that reads a table on a case table as its owner, with a fixed search_path', async () => {
    const rows = (await app.ownerQuery(
      `SELECT DISTINCT p.proname, p.prosecdef, p.proconfig FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_class c ON c.oid = t.tgrelid
        WHERE NOT t.tgisinternal AND c.relrowsecurity`,
    )) as { proname: string; prosecdef: boolean; proconfig: string[] | null }[];
    // These read no table: they compute from the row or refuse the change.
    const readsNoTable = ['refuse_change', 'record_history_guard', 'report_search_vector_set'];
    const invoker = rows.filter(
      (r) => !readsNoTable.includes(r.proname) && !(r.prosecdef && r.proconfig?.some((c) => c.startsWith('search_path='))),
    );
    expect(invoker).toEqual([]);
    // A column default that reads a case table: a new report's reference must be unique among all reports.
    const [ref] = (await app.ownerQuery(`SELECT prosecdef, proconfig FROM pg_proc WHERE proname = 'next_report_reference'`)) as {
      prosecdef: boolean;
      proconfig: string[] | null;
    }[];
    expect(ref.prosecdef).toBe(true);
  });
});

describe('the service under row-level security', () => {
  const school = () => byEmail('lead@brookfield-high.example');

  it('records a submission and reads it back, a retry finds it, and a partner app that may only submit gets its own', async () => {
    const input = {
      sourceType: SourceType.PUBLIC,
      narrative: 'Synthetic tip-off under row security',
      riskIndicators: [RiskIndicator.MISSING_EPISODES],
      informant: { name: 'Synthetic caller' },
      idempotencyKey: `rls-${randomUUID()}`,
    };
    const first = await asPrincipal(school(), (tx) => submitIntelligence(contextFor(tx, school()), input), true);
    const again = await asPrincipal(school(), (tx) => submitIntelligence(contextFor(tx, school()), input));
    expect(again.id).toBe(first.id);

    const [{ id: appId }] = (await app.ownerQuery(
      `INSERT INTO service_accounts (agency_id, client_id, name, secret_hash, scopes)
       VALUES ($1, $2, 'Submit-only app', 'x', '{SUBMIT_INTELLIGENCE}'::service_scope[]) RETURNING id`,
      [school().agency.id, `submit-only-${randomUUID()}`],
    )) as { id: string }[];
    const partner = principalOf(
      'SERVICE',
      { id: appId, agencyId: school().agency.id, agencyKind: AgencyKind.EDUCATION },
      [],
      [ServiceScope.SUBMIT_INTELLIGENCE],
    );
    const own = await asPrincipal(partner, (tx) =>
      submitIntelligence(contextFor(tx, partner), { ...input, informant: undefined, idempotencyKey: `rls-${randomUUID()}` }),
    );
    expect(own.narrative).toBe(input.narrative);
  });

  it('keeps the statistics rollups exact after a restricted user’s writes', async () => {
    const rollupsMatch = async () => {
      const [{ diff }] = (await app.ownerQuery(`
        SELECT count(*)::int AS diff FROM (
          (SELECT (received_at AT TIME ZONE 'UTC')::date AS day, division_id, source_type, count(*)::int AS n FROM intelligence_reports GROUP BY 1, 2, 3)
          EXCEPT
          (SELECT day, division_id, source_type, sum(reports)::int FROM (SELECT day, division_id, source_type, reports FROM report_daily_counts
                  UNION ALL SELECT day, division_id, source_type, reports FROM report_count_deltas) d GROUP BY 1, 2, 3 HAVING sum(reports) > 0)) x`)) as {
        diff: number;
      }[];
      const coverage = await app.ownerQuery(`
        SELECT r.id, count(*)::int, count(f.id)::int FROM intelligence_reports r
          JOIN report_subjects rs ON rs.report_id = r.id AND rs.role = 'POTENTIAL_VICTIM'
          LEFT JOIN flags f ON f.subject_id = rs.subject_id AND f.kind = 'CSE_RISK' AND f.status = 'ACTIVE'
         WHERE cardinality(r.risk_indicators) > 0 GROUP BY r.id
        EXCEPT SELECT report_id, victims, flagged_victims FROM report_flag_coverage`);
      return { diff, coverage: coverage.length };
    };
    expect(await rollupsMatch()).toEqual({ diff: 0, coverage: 0 });
    const report = await asPrincipal(
      school(),
      (tx) =>
        submitIntelligence(contextFor(tx, school()), {
          sourceType: SourceType.EDUCATION,
          narrative: 'Synthetic school concern',
          divisionId: 'rochdale',
          riskIndicators: [RiskIndicator.SCHOOL_ABSENCE],
        }),
      true,
    );
    // A flagged child linked as a victim by police: the coverage counts its flag, hidden from the school.
    const investigator = byEmail('investigator@gmp.example');
    const [{ subject_id: flagged }] = (await app.ownerQuery(
      `SELECT subject_id FROM flags WHERE kind = 'CSE_RISK' AND status = 'ACTIVE' LIMIT 1`,
    )) as {
      subject_id: string;
    }[];
    await asPrincipal(
      investigator,
      (tx) => linkSubject(contextFor(tx, investigator), report.id, { subjectId: flagged, role: SubjectRole.POTENTIAL_VICTIM }),
      true,
    );
    expect(await rollupsMatch()).toEqual({ diff: 0, coverage: 0 });
    const [coverage] = await app.ownerQuery(`SELECT victims, flagged_victims FROM report_flag_coverage WHERE report_id = $1`, [report.id]);
    expect(coverage).toEqual({ victims: 1, flagged_victims: 1 });
  });

  it('gives non-police callers the statistics the system computes', async () => {
    // Partial days at both ends (reports received today count from the reports themselves), a crime
    // of today's, and one of an ended month (non-police see ended months only).
    const args = { from: new Date(Date.now() - 3 * 365 * 86_400_000), to: new Date(), groupBy: [StatsDimension.MONTH] };
    const investigator = byEmail('investigator@gmp.example');
    const [{ id: crime }] = (await app.ownerQuery(
      `INSERT INTO crimes (crime_reference, offence, division_id, recorded_on, recorded_by_user_id)
       VALUES ($1, 'Synthetic offence', 'rochdale', current_date, $2), ($3, 'Synthetic offence', 'rochdale', current_date - 62, $2)
       RETURNING id`,
      [`RLS-${randomUUID()}`, investigator.id, `RLS-${randomUUID()}`],
    )) as { id: string }[];
    await app.ownerQuery(
      `INSERT INTO crime_subjects (crime_id, subject_id, role) SELECT $1, id, 'VICTIM' FROM subjects ORDER BY id LIMIT 6`,
      [crime],
    );
    await app.ownerQuery(
      `INSERT INTO intelligence_reports (source_type, received_at, division_id, narrative, submitted_by_agency_id, submitted_by_user_id)
       SELECT 'POLICE', now() - interval '62 days', 'rochdale', 'Synthetic report of an ended month', agency_id, id FROM users WHERE id = $1`,
      [investigator.id],
    );
    await asPrincipal(
      school(),
      (tx) =>
        submitIntelligence(contextFor(tx, school()), {
          sourceType: SourceType.EDUCATION,
          narrative: 'Synthetic concern of today',
          divisionId: 'rochdale',
        }),
      true,
    );
    const statsOf = async (tx: EntityManager, p: Principal) => {
      const [intelligence, crimes] = [await intelligenceStats(contextFor(tx, p), args), await crimeStats(contextFor(tx, p), args)];
      return { intelligence, crimes };
    };
    for (const who of [
      'lead@brookfield-high.example',
      'practitioner@rochdale-csc.example',
      'admin@oversight.example',
      'analyst@gmp.example',
    ]) {
      const p = byEmail(who);
      // The same principal's tables, computed seeing every row.
      const everything = await asPrincipal(undefined, async (tx) => {
        await tx.query(SYSTEM_CONTEXT_SQL);
        return statsOf(tx, p);
      });
      expect(everything.crimes.total.crimes === null || everything.crimes.total.crimes > 0).toBe(true);
      expect(everything.intelligence.rows.length).toBeGreaterThan(0);
      expect(await asPrincipal(p, (tx) => statsOf(tx, p))).toEqual(everything);
    }
  });

  it('registers an involvement by the agency’s own identifier, and breaks glass, on subjects outside the caller’s scope', async () => {
    const w = recordWriter(app);
    const police = byEmail('supervisor@gmp.example');
    const upn = `A${Math.floor(Math.random() * 1e12)}`;
    const pupil = await w.subject(police.agency.id, 'Synthetic Pupil', { upn });
    const lead = school();
    await expect(
      asPrincipal(lead, (tx) =>
        registerInvolvement(contextFor(tx, lead), pupil, {
          kind: InvolvementKind.PUPIL_ON_ROLL,
          lawfulBasis: LawfulBasis.PUBLIC_TASK,
          contact: 'Synthetic office',
        }),
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const involvement = await asPrincipal(lead, (tx) =>
      registerInvolvement(contextFor(tx, lead), pupil, {
        kind: InvolvementKind.PUPIL_ON_ROLL,
        lawfulBasis: LawfulBasis.PUBLIC_TASK,
        contact: 'Synthetic office',
        identifier: upn,
      }),
    );
    expect(involvement.subjectId).toBe(pupil);

    const practitioner = byEmail('practitioner@rochdale-csc.example');
    const stranger = await w.subject(police.agency.id, 'Synthetic Stranger');
    const grant = await asPrincipal(practitioner, async (tx) => {
      const g = await breakGlass(contextFor(tx, practitioner), stranger, 'Synthetic emergency');
      const request = await requestAccess(contextFor(tx, practitioner), stranger, 'Synthetic follow-up');
      return { g, request, seen: (await tx.query(`SELECT 1 FROM subjects WHERE id = $1`, [stranger])).length };
    });
    expect(grant).toMatchObject({ g: { subjectId: stranger }, request: { subjectId: stranger }, seen: 1 });
    await expect(
      asPrincipal(practitioner, (tx) => breakGlass(contextFor(tx, practitioner), randomUUID(), 'Synthetic')),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('finds the same reports and subjects by text and name as the system does, through the owner’s index lookups', async () => {
    const analyst = byEmail('analyst@gmp.example');
    const find = async (tx: EntityManager) =>
      (
        await Promise.all([
          searchReports(tx, analyst, { text: 'girl', first: 50 }),
          listSubjects(tx, analyst, { filter: { name: 'Jayden' }, first: 50 }),
        ])
      ).map((page) => page.edges.map((e) => e.node.id));
    const everything = await asPrincipal(undefined, async (tx) => {
      await tx.query(SYSTEM_CONTEXT_SQL);
      return find(tx);
    });
    expect(everything[0].length).toBeGreaterThan(0);
    expect(await asPrincipal(analyst, find)).toEqual(everything);
    // Nobody finds nothing, even through the functions that look beyond row security.
    const [reports, subjects] = await asPrincipal(undefined, (tx) =>
      Promise.all([
        tx.query(`SELECT reports_matching(websearch_to_tsquery('english', 'girl'))`),
        tx.query(`SELECT subjects_named('Jayden')`),
      ]),
    );
    expect([reports, subjects]).toEqual([[], []]);
  });

  it('names the subject of a hidden record in the audit trail of a refused attempt', async () => {
    const [{ report_id: reportId, subject_id: subjectId }] = (await app.ownerQuery(
      `SELECT rs.report_id, rs.subject_id FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
        WHERE r.submitted_by_agency_id <> $1 LIMIT 1`,
      [school().agency.id],
    )) as { report_id: string; subject_id: string }[];
    const requestId = randomUUID();
    await asPrincipal(
      school(),
      async (tx) => {
        expect(await tx.query(`SELECT 1 FROM intelligence_reports WHERE id = $1`, [reportId])).toEqual([]);
        await writeAuditEvents(
          tx,
          {
            requestId,
            actorId: school().id,
            actorKind: 'USER',
            actorAgencyId: school().agency.id,
            actorRoles: school().roles,
            tokenId: null,
            operationName: null,
            documentHash: null,
            clientAddress: null,
            userAgent: null,
          } as never,
          [
            {
              action: 'READ',
              outcome: 'DENIED',
              reason: 'NOT_FOUND',
              records: [{ kind: 'intelligence_report', id: reportId, requested: true }],
            } as never,
          ],
        );
      },
      true,
    );
    const [event] = (await app.ownerQuery(`SELECT subject_ids::text[] AS subjects FROM audit_events WHERE request_id = $1`, [
      requestId,
    ])) as {
      subjects: string[];
    }[];
    expect(event.subjects).toContain(subjectId);
  });
});
