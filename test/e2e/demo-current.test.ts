import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { CURRENT_REPORTS, planCurrentCohort, seedCurrentCohort } from '../../src/demo/demo-current';
import { DEMO_CRIMES, DEMO_REPORTS_BY_DIVISION } from '../../src/demo/demo-records';
import { lookUpIds } from '../../src/demo/demo.queries';
import { openTestDatabase } from '../support/test-database';

/**
 * The current cohort (docs/architecture.md, "The demo"): for any seeding day, dated in the ten
 * months before it, with children of today's ages and flags whose review is ahead; seeded once; and
 * the GMP cohort's figures untouched.
 */
const DAY = 86_400_000;
const ageOn = (dob: string, at: number) => {
  const b = new Date(`${dob}T00:00:00Z`);
  const d = new Date(at);
  return (
    d.getUTCFullYear() - b.getUTCFullYear() - (d.getUTCMonth() * 100 + d.getUTCDate() < b.getUTCMonth() * 100 + b.getUTCDate() ? 1 : 0)
  );
};

describe('the current cohort plan', () => {
  it('for any day: reports in the ten months before it, children 13 to 16, flags and proposals reviewed after it', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }), (day) => {
        const now = day.getTime();
        const plan = planCurrentCohort(now);
        expect(plan.reports).toHaveLength(CURRENT_REPORTS);
        for (const r of plan.reports) {
          expect(r.receivedAt).toBeLessThan(now);
          expect(r.receivedAt).toBeGreaterThan(now - 300 * DAY);
          if (r.grading) expect(r.grading.assessedAt).toBeLessThan(now);
        }
        const children = plan.subjects.filter((s) => s.schoolUpn !== null || s.socialCareId !== null);
        for (const c of children) expect(ageOn(c.dateOfBirth, now)).toBeGreaterThanOrEqual(13);
        for (const c of children) expect(ageOn(c.dateOfBirth, now)).toBeLessThanOrEqual(16);
        const today = new Date(now).toISOString().slice(0, 10);
        for (const f of [...plan.flags, ...plan.proposals]) expect(f.reviewDate > today).toBe(true);
        for (const f of plan.flags) expect(f.setAt).toBeLessThan(now);
        // Every disclosed report is graded for sharing.
        for (const r of plan.disclosable) expect(plan.reports[r].grading?.handling).toBe('P');
      }),
      { numRuns: 25 },
    );
  });
});

describe('seeding the current cohort', () => {
  let db: DataSource;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await openTestDatabase());
  });
  afterAll(() => close());

  const gmpFigures = async () =>
    db.query<{ division_id: string | null; n: number }[]>(
      `SELECT division_id, count(*)::int AS n FROM intelligence_reports
        WHERE received_at >= '2013-04-01T00:00:00Z' AND received_at < '2014-02-01T00:00:00Z' GROUP BY division_id ORDER BY division_id`,
    );
  const counts = async () =>
    (
      await db.query<Record<string, number>[]>(
        `SELECT (SELECT count(*)::int FROM intelligence_reports) reports, (SELECT count(*)::int FROM flags) flags,
                (SELECT count(*)::int FROM access_requests WHERE status = 'PENDING') pending,
                (SELECT count(*)::int FROM disclosures WHERE expires_at > now() AND revoked_at IS NULL) disclosures,
                (SELECT count(*)::int FROM crimes WHERE recorded_on < '2014-02-01') gmp_crimes`,
      )
    )[0];

  it('adds live work once, and leaves the GMP cohort as it was', async () => {
    const figures = await gmpFigures();
    const before = await counts();
    for (let i = 0; i < 2; i++) await db.transaction(async (tx) => seedCurrentCohort(tx, await lookUpIds(tx)));
    const after = await counts();
    expect(after.reports - before.reports).toBe(CURRENT_REPORTS);
    expect(after.pending - before.pending).toBe(3);
    expect(after.disclosures - before.disclosures).toBe(4);
    expect(after.flags).toBeGreaterThan(before.flags);
    expect(after.gmp_crimes).toBe(DEMO_CRIMES.total);
    expect(await gmpFigures()).toEqual(figures);
    expect(figures.reduce((sum, r) => sum + r.n, 0)).toBe(Object.values(DEMO_REPORTS_BY_DIVISION).reduce((a, b) => a + b, 0) + 1);
  });
});
