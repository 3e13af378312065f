import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { runMigrations } from '../../src/db/migrate';
import { DEMO_REPORTS_BY_DIVISION, planDemoRecords, seedDemoRecords } from '../../src/demo/demo-records';
import { seedDemo } from '../../src/demo/demo-seed';
import { TEST_ARGON2 } from '../support/test-config';
import { databaseUrl, openTestDatabase, TEST_ADMIN_URL_ENV, withAdminClient } from '../support/test-database';

/** The seeded demo reproduces GMP's figures for April 2013 to January 2014 exactly (docs/architecture.md, "The demo"). */
let db: DataSource;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ db, close } = await openTestDatabase());
});
afterAll(() => close());

const one = async <T>(sql: string, params: unknown[] = []): Promise<T> => (await db.query<T[]>(sql, params))[0];
const count = async (sql: string) => (await one<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) t`)).n;

describe('intelligence reports', () => {
  it('number 2,286 received in the ten months, by division as published, one with no division', async () => {
    const rows: { division: string | null; n: number }[] = await db.query(
      `SELECT division_id AS division, count(*)::int AS n FROM intelligence_reports
        WHERE received_at >= '2013-04-01T00:00:00Z' AND received_at < '2014-02-01T00:00:00Z' GROUP BY division_id`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.division ?? 'none', r.n]))).toEqual({
      rochdale: 693,
      'south-manchester': 269,
      oldham: 224,
      tameside: 210,
      stockport: 191,
      bolton: 162,
      wigan: 151,
      'north-manchester': 130,
      trafford: 115,
      salford: 75,
      bury: 65,
      none: 1,
    });
    expect(rows.reduce((sum, r) => sum + r.n, 0)).toBe(2286);
    expect(await count(`SELECT 1 FROM intelligence_reports`)).toBe(2286);
    expect(Object.values(DEMO_REPORTS_BY_DIVISION).reduce((a, b) => a + b, 0)).toBe(2285);
  });

  it('mix every source type, each submitted by the demo account that fits it, with exactly one submitter', async () => {
    const rows: { source: string; agency: string; submitter: string; n: number }[] = await db.query(
      `SELECT r.source_type AS source, a.name AS agency, coalesce(u.email, sa.client_id) AS submitter, count(*)::int AS n
         FROM intelligence_reports r JOIN agencies a ON a.id = r.submitted_by_agency_id
         LEFT JOIN users u ON u.id = r.submitted_by_user_id LEFT JOIN service_accounts sa ON sa.id = r.submitted_by_service_account_id
        GROUP BY 1, 2, 3`,
    );
    const gmp = ['Greater Manchester Police', 'investigator@gmp.example'];
    const expected: Record<string, string[][]> = {
      PUBLIC: [gmp],
      POLICE: [gmp],
      OTHER_AGENCY: [gmp],
      SOCIAL_CARE: [["Rochdale Children's Social Care", 'practitioner@rochdale-csc.example']],
      EDUCATION: [['Brookfield High School', 'lead@brookfield-high.example']],
      HEALTH: [['Northern Health Trust', 'nurse@northern-health.example']],
      VOLUNTARY: [
        ['Safe Futures', 'reporter@safe-futures.example'],
        ['Safe Futures', 'safe-futures-app'],
      ],
    };
    const actual: Record<string, string[][]> = {};
    for (const r of rows) (actual[r.source] ??= []).push([r.agency, r.submitter]);
    for (const pairs of Object.values(actual)) pairs.sort((a, b) => a[1].localeCompare(b[1]));
    expect(actual).toEqual(expected);
    expect(
      await count(
        `SELECT 1 FROM intelligence_reports WHERE num_nonnulls(submitted_by_user_id, submitted_by_service_account_id) <> 1
            OR idempotency_key IS NOT NULL OR payload_hash IS NOT NULL`,
      ),
    ).toBe(0);
  });

  it('are graded (all three codes, by the analyst, after receipt) exactly when assessed', async () => {
    const { graded, ungraded, wrong } = await one<{ graded: number; ungraded: number; wrong: number }>(
      `SELECT count(*) FILTER (WHERE status IN ('ASSESSED', 'ACTIONED', 'NO_FURTHER_ACTION'))::int AS graded,
              count(*) FILTER (WHERE status IN ('SUBMITTED', 'UNDER_ASSESSMENT'))::int AS ungraded,
              count(*) FILTER (WHERE CASE WHEN status IN ('SUBMITTED', 'UNDER_ASSESSMENT')
                                          THEN num_nonnulls(source_evaluation, intelligence_assessment, handling_code, assessed_at, assessed_by_user_id) > 0
                                          ELSE num_nulls(source_evaluation, intelligence_assessment, handling_code, assessed_at) > 0
                                            OR assessed_at <= received_at
                                            OR assessed_by_user_id <> (SELECT id FROM users WHERE email = 'analyst@gmp.example') END
                                  OR occurred_at > received_at OR cardinality(risk_indicators) > 3)::int AS wrong
         FROM intelligence_reports`,
    );
    expect(wrong).toBe(0);
    expect(graded).toBeGreaterThan(2286 * 0.8);
    expect(ungraded).toBeGreaterThan(0);
  });

  it('keep a few informants, only for public tip-offs, with numbers from the drama range', async () => {
    const rows: { source_type: string; contact: string }[] = await db.query(
      `SELECT r.source_type, i.contact FROM informants i JOIN intelligence_reports r ON r.id = i.report_id`,
    );
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(100);
    for (const r of rows) {
      expect(r.source_type).toBe('PUBLIC');
      expect(r.contact).toMatch(/^07700 900\d{3}$/);
    }
  });

  it('can be found by full-text search for "taxi"', async () => {
    const found = await count(
      `SELECT 1 FROM intelligence_reports WHERE report_search_vector(location, narrative) @@ websearch_to_tsquery('english', 'taxi')`,
    );
    expect(found).toBeGreaterThan(0);
  });
});

describe('crimes and subjects', () => {
  const totals = (where = 'true') =>
    one<{ crimes: number; victims: number; suspects: number }>(
      `SELECT count(DISTINCT c.id)::int AS crimes,
              count(DISTINCT cs.subject_id) FILTER (WHERE cs.role = 'VICTIM')::int AS victims,
              count(DISTINCT cs.subject_id) FILTER (WHERE cs.role = 'SUSPECT')::int AS suspects
         FROM crimes c LEFT JOIN crime_subjects cs ON cs.crime_id = c.id WHERE ${where}`,
    );

  it('number 105 crimes with 402 distinct victims and 242 distinct suspects; Rochdale 37, 47, 49', async () => {
    expect(await totals()).toEqual({ crimes: 105, victims: 402, suspects: 242 });
    expect(await totals(`c.division_id = 'rochdale'`)).toEqual({ crimes: 37, victims: 47, suspects: 49 });
    expect(
      await count(
        `SELECT 1 FROM crimes WHERE crime_reference !~ '^GMP-CSE-2013-\\d{4}$' OR division_id IS NULL
            OR recorded_on NOT BETWEEN '2013-04-01' AND '2014-01-31'
            OR recorded_by_user_id <> (SELECT id FROM users WHERE email = 'investigator@gmp.example')`,
      ),
    ).toBe(0);
  });

  it('give every crime a victim and a suspect, and never name one person as both in a crime', async () => {
    expect(await count(`SELECT 1 FROM crime_subjects GROUP BY crime_id, subject_id HAVING count(DISTINCT role) > 1`)).toBe(0);
    expect(await count(`SELECT 1 FROM crime_subjects GROUP BY crime_id HAVING count(DISTINCT role) < 2`)).toBe(0);
  });

  it('name children of 11-17 as victims and adults of 19-55 as suspects, at the date of the crime', async () => {
    const misaged = await count(
      `SELECT 1 FROM crime_subjects cs JOIN crimes c ON c.id = cs.crime_id JOIN subjects s ON s.id = cs.subject_id
        WHERE date_part('year', age(c.recorded_on, s.date_of_birth))
              NOT BETWEEN CASE cs.role WHEN 'VICTIM' THEN 11 ELSE 19 END AND CASE cs.role WHEN 'VICTIM' THEN 17 ELSE 55 END`,
    );
    expect(misaged).toBe(0);
  });

  it('link every crime participant to a report in the same division, in a role that fits', async () => {
    const unlinked = await count(
      `SELECT 1 FROM crime_subjects cs JOIN crimes c ON c.id = cs.crime_id
        WHERE NOT EXISTS (SELECT 1 FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
                           WHERE rs.subject_id = cs.subject_id AND r.division_id = c.division_id
                             AND rs.role = CASE cs.role WHEN 'VICTIM' THEN 'POTENTIAL_VICTIM' ELSE 'POTENTIAL_PERPETRATOR' END::subject_role)`,
    );
    expect(unlinked).toBe(0);
    const outsideCrimes = await count(
      `SELECT 1 FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM crime_subjects cs WHERE cs.subject_id = s.id)
          AND EXISTS (SELECT 1 FROM report_subjects rs WHERE rs.subject_id = s.id)`,
    );
    expect(outsideCrimes).toBe(150);
  });

  it('give only valid NHS numbers (modulus 11, checked independently here) and well-formed identifiers', async () => {
    const rows: { nhs_number: string }[] = await db.query(`SELECT nhs_number FROM subjects WHERE nhs_number IS NOT NULL`);
    expect(rows.length).toBeGreaterThan(100);
    for (const { nhs_number } of rows) {
      expect(nhs_number).toMatch(/^\d{10}$/);
      const sum = [...nhs_number.slice(0, 9)].reduce((s, d, i) => s + Number(d) * (10 - i), 0);
      expect((11 - (sum % 11)) % 11).toBe(Number(nhs_number[9]));
    }
    const malformed = await count(
      `SELECT 1 FROM subjects WHERE police_reference !~ '^GMP/\\d{5}$' OR school_upn !~ '^[A-Z]\\d{12}$'
          OR created_by_agency_id <> (SELECT id FROM agencies WHERE name = 'Greater Manchester Police')`,
    );
    expect(malformed).toBe(0);
  });
});

describe('flags', () => {
  it('mark a plausible share of victims at risk and of suspects as perpetrators', async () => {
    const share = (kind: string, role: string) =>
      one<{ share: number }>(
        `SELECT avg((EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = v.subject_id AND f.kind = $1 AND f.status = 'ACTIVE'))::int)::float AS share
           FROM (SELECT DISTINCT subject_id FROM crime_subjects WHERE role = $2) v`,
        [kind, role],
      );
    const atRisk = (await share('CSE_RISK', 'VICTIM')).share;
    expect(atRisk).toBeGreaterThan(0.45);
    expect(atRisk).toBeLessThan(0.75);
    expect((await share('CSE_PERPETRATOR', 'SUSPECT')).share).toBeGreaterThan(0.35);
  });

  it('never put a child under 13 at LOW risk (age when the flag was set)', async () => {
    const age = `date_part('year', age((f.set_at AT TIME ZONE 'UTC')::date, s.date_of_birth))`;
    const flagged = (where: string) => count(`SELECT 1 FROM flags f JOIN subjects s ON s.id = f.subject_id WHERE ${where}`);
    expect(await flagged(`${age} < 13`)).toBeGreaterThan(0);
    expect(await flagged(`${age} < 13 AND f.risk_level = 'LOW'`)).toBe(0);
  });

  it('in force or ended are set by the GMP supervisor, and a few ended by them with a reason', async () => {
    const { ended, wrong } = await one<{ ended: number; wrong: number }>(
      `SELECT count(*) FILTER (WHERE f.status = 'ENDED')::int AS ended,
              count(*) FILTER (WHERE f.set_by_user_id <> u.id OR f.set_by_agency_id <> u.agency_id OR f.review_date <= f.set_at::date
                                  OR (f.status = 'ENDED' AND (f.ended_by_user_id <> u.id OR f.ended_at <= f.set_at)))::int AS wrong
         FROM flags f, users u WHERE u.email = 'supervisor@gmp.example' AND f.status IN ('ACTIVE', 'ENDED')`,
    );
    expect(wrong).toBe(0);
    expect(ended).toBeGreaterThan(0);
  });

  const proposals = () =>
    db.query<{ status: string; kind: string; proposer: string; rejecter: string | null; rejection_reason: string | null }[]>(
      `SELECT f.status, f.kind, p.email AS proposer, r.email AS rejecter, f.rejection_reason
         FROM flags f JOIN users p ON p.id = f.set_by_user_id LEFT JOIN users r ON r.id = f.rejected_by_user_id
        WHERE f.status IN ('PROPOSED', 'REJECTED') ORDER BY f.status, f.kind`,
    );

  it('include two proposals awaiting a supervisor and one the supervisor rejected with a reason', async () => {
    expect(await proposals()).toEqual([
      { status: 'PROPOSED', kind: 'CSE_RISK', proposer: 'investigator@gmp.example', rejecter: null, rejection_reason: null },
      { status: 'PROPOSED', kind: 'CSE_PERPETRATOR', proposer: 'analyst@gmp.example', rejecter: null, rejection_reason: null },
      {
        status: 'REJECTED',
        kind: 'CSE_RISK',
        proposer: 'investigator@gmp.example',
        rejecter: 'supervisor@gmp.example',
        rejection_reason: expect.stringMatching(/^Not corroborated/) as string,
      },
    ]);
  });

  it('are added, once, to a demo seeded before proposals existed', async () => {
    // Flags are never deleted, so take the proposals out as a demo seeded before them would be.
    await db.query(`ALTER TABLE flags DISABLE TRIGGER flags_never_deleted`);
    try {
      await db.query(`DELETE FROM flags WHERE status IN ('PROPOSED', 'REJECTED')`);
    } finally {
      await db.query(`ALTER TABLE flags ENABLE TRIGGER flags_never_deleted`);
    }
    await seedDemoRecords(db);
    await seedDemoRecords(db);
    expect(await proposals()).toHaveLength(3);
  });
});

describe('the seed', () => {
  const tableCounts = () =>
    one(
      `SELECT (SELECT count(*) FROM intelligence_reports) reports, (SELECT count(*) FROM informants) informants,
              (SELECT count(*) FROM subjects) subjects, (SELECT count(*) FROM report_subjects) links,
              (SELECT count(*) FROM crimes) crimes, (SELECT count(*) FROM crime_subjects) participants,
              (SELECT count(*) FROM flags) flags, (SELECT count(*) FROM users) users`,
    );

  it('plans the same records every time, and wrote that plan', async () => {
    const plan = planDemoRecords();
    expect(planDemoRecords()).toEqual(plan);
    const rows: { received_at: Date; narrative: string }[] = await db.query(`SELECT received_at, narrative FROM intelligence_reports`);
    const written = rows.map((r) => `${r.received_at.toISOString()} ${r.narrative}`);
    const planned = plan.reports.map((r) => `${new Date(r.receivedAt).toISOString()} ${r.narrative}`);
    expect(written.sort()).toEqual(planned.sort());
  });

  it('changes nothing when run again', async () => {
    const before = await tableCounts();
    await seedDemoRecords(db);
    await seedDemo(db, TEST_ARGON2);
    expect(await tableCounts()).toEqual(before);
  });

  it('seeds a fresh database in well under 5 seconds', async () => {
    const name = `safeshare_demo_${process.pid}`;
    const adminUrl = process.env[TEST_ADMIN_URL_ENV]!;
    await withAdminClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    const fresh = createDataSource({ url: databaseUrl(adminUrl, name), poolMax: 2 });
    await fresh.initialize();
    try {
      await runMigrations(fresh);
      const started = performance.now();
      await seedDemo(fresh, TEST_ARGON2);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeLessThan(5000);
      const [{ reports }] = await fresh.query<{ reports: number }[]>(`SELECT count(*)::int AS reports FROM intelligence_reports`);
      expect(reports).toBe(2286);
    } finally {
      await fresh.destroy();
      await withAdminClient(adminUrl, (c) => c.query(`DROP DATABASE ${name} WITH (FORCE)`));
    }
  });
});
