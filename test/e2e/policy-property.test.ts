import fc from 'fast-check';
import { AgencyKind } from '../../src/agencies/agency-kind';
import { Role, ROLE_AGENCY_KINDS } from '../../src/policy/roles';
import { createAgency, createPrincipal, type TestPrincipal } from '../support/principals';
import { INVOLVEMENT_KIND, recordWriter } from '../support/policy-records';
import { codes, type GqlResult, startTestApp, type TestApp } from '../support/test-app';

interface Connection {
  totalCount: number;
  edges: { node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string };
}

/**
 * Random principals over random data: every list returns exactly the rows the policy allows, across
 * pages, and totalCount says the same. The oracle below is the rule of docs/architecture.md, "What each agency may see", written plainly in
 * TypeScript, independent of the SQL in src/policy.
 */

const KINDS = [AgencyKind.SOCIAL_CARE, AgencyKind.EDUCATION, AgencyKind.HEALTH, AgencyKind.VOLUNTARY, AgencyKind.POLICE];
type Disclosed = 'none' | 'ACTIVE' | 'EXPIRED' | 'REVOKED';

interface PlannedSubject {
  /** Who submitted its report: 0 the outside police force, 1 the caller's agency, 2 another fresh agency. */
  submittedBy: 0 | 1 | 2;
  disclosedTo: [Disclosed, Disclosed];
  involvedBy: ['none' | 'active' | 'ended', 'none' | 'active' | 'ended'];
  grant: 'none' | 'active' | 'expired';
}

const disclosed = fc.constantFrom<Disclosed>('none', 'ACTIVE', 'EXPIRED', 'REVOKED');
const involved = fc.constantFrom('none' as const, 'active' as const, 'ended' as const);
const subjectArb = fc.record<PlannedSubject>({
  submittedBy: fc.constantFrom(0 as const, 1 as const, 2 as const),
  disclosedTo: fc.tuple(disclosed, disclosed),
  involvedBy: fc.tuple(involved, involved),
  grant: fc.constantFrom('none' as const, 'active' as const, 'expired' as const),
});
const worldArb = fc
  .record({ kind: fc.constantFrom(...KINDS), otherKind: fc.constantFrom(...KINDS), subjects: fc.array(subjectArb, { maxLength: 6 }) })
  .chain((w) =>
    fc.record({
      world: fc.constant(w),
      roles: fc.subarray(
        Object.values(Role).filter((r) => ROLE_AGENCY_KINDS[r].includes(w.kind)),
        { minLength: 1 },
      ),
    }),
  );

const careReader = (kind: AgencyKind, roles: Role[]) =>
  (roles.includes(Role.PRACTITIONER) && kind !== AgencyKind.VOLUNTARY && kind !== AgencyKind.POLICE) ||
  (roles.includes(Role.SAFEGUARDING_LEAD) && kind !== AgencyKind.POLICE);
const policeReader = (kind: AgencyKind, roles: Role[]) =>
  kind === AgencyKind.POLICE && roles.some((r) => [Role.INVESTIGATOR, Role.ANALYST, Role.SUPERVISOR].includes(r));

/** docs/architecture.md: a subject is known to an agency through its submissions, live disclosures to it, and active involvements. */
const knownToCaller = (s: PlannedSubject) =>
  s.submittedBy === 1 || s.disclosedTo[0] === 'ACTIVE' || s.involvedBy[0] === 'active' || s.grant === 'active';

let app: TestApp;
let officer: TestPrincipal;
let force: string;
let run = 0;

beforeAll(async () => {
  app = await startTestApp();
  force = await createAgency(app, AgencyKind.POLICE, 'Property outside force');
  officer = await createPrincipal(app, force, [Role.SUPERVISOR]);
});
afterAll(() => app.close());

/** Every node id of a connection, page by page (two at a time, so paging is exercised), and the totalCounts seen. */
async function walk(field: string, token: string): Promise<{ ids: string[]; totals: number[]; errors: string[] }> {
  const ids: string[] = [];
  const totals: number[] = [];
  let after: string | null = null;
  for (;;) {
    const r: GqlResult<Record<string, Connection>> = await app.gql<Record<string, Connection>>(
      `query($after: String) { ${field}(first: 2, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
      { after },
      token,
    );
    if (r.body.errors) return { ids, totals, errors: codes(r) as string[] };
    const page: Connection = r.body.data![field];
    ids.push(...page.edges.map((e) => e.node.id));
    totals.push(page.totalCount);
    if (!page.pageInfo.hasNextPage) return { ids, totals, errors: [] };
    after = page.pageInfo.endCursor;
  }
}

it('every list returns exactly the rows the policy allows, and totalCount matches', async () => {
  const w = recordWriter(app);
  await fc.assert(
    fc.asyncProperty(worldArb, async ({ world, roles }) => {
      run++;
      const mine = await createAgency(app, world.kind, `Property run ${run} caller agency`);
      const other = await createAgency(app, world.otherKind, `Property run ${run} other agency`);
      const caller = await createPrincipal(app, mine, roles);
      const submitters = [
        { agency: force, by: { userId: officer.id } },
        {
          agency: mine,
          by: {
            userId: (await createPrincipal(app, mine, [Role.REPORTER])).id,
          },
        },
        { agency: other, by: { userId: (await createPrincipal(app, other, [Role.REPORTER])).id } },
      ];
      const subjectIds: string[] = [];
      const reportIds: string[] = [];
      const activeDisclosures: string[] = [];
      for (const [i, s] of world.subjects.entries()) {
        const submitter = submitters[s.submittedBy];
        const reportId = await w.report(submitter.agency, submitter.by);
        const subjectId = await w.subject(force, `Property ${run}-${i}`);
        await w.link(reportId, subjectId, officer.id);
        subjectIds.push(subjectId);
        reportIds.push(reportId);
        for (const [j, agency] of [mine, other].entries()) {
          if (s.disclosedTo[j] !== 'none') {
            const id = await w.disclosure(reportId, agency, officer.id, s.disclosedTo[j]);
            if (j === 0 && s.disclosedTo[j] === 'ACTIVE') activeDisclosures.push(id);
          }
          const kind = INVOLVEMENT_KIND[j === 0 ? world.kind : world.otherKind];
          if (s.involvedBy[j] !== 'none' && kind) await w.involvement(subjectId, agency, officer.id, kind, s.involvedBy[j] === 'ended');
        }
        if (s.grant !== 'none') await w.breakGlass(subjectId, caller.id, mine, s.grant === 'expired');
      }
      // What the data means for that rule (an involvement needs a kind that registers one).
      const effective = world.subjects.map((s) => ({
        ...s,
        involvedBy: [INVOLVEMENT_KIND[world.kind] ? s.involvedBy[0] : 'none', s.involvedBy[1]] as PlannedSubject['involvedBy'],
      }));

      const care = careReader(world.kind, roles);
      const police = policeReader(world.kind, roles);
      // Police readers see every row: their totalCount is the table's (walking thousands of rows two at a time would prove no more).
      if (police) {
        for (const [field, table] of [
          ['subjects', 'subjects'],
          ['intelligenceReports', 'intelligence_reports'],
          ['disclosures', 'disclosures'],
        ]) {
          const r = await app.gql<Record<string, { totalCount: number }>>(`{ ${field}(first: 1) { totalCount } }`, {}, caller.token);
          const [{ n }] = await app.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
          expect(r.body.data![field].totalCount).toBe(n);
        }
        return;
      }
      const subjects = await walk('subjects', caller.token);
      if (care) {
        const expected = subjectIds.filter((_, i) => knownToCaller(effective[i]));
        expect([...subjects.ids].sort()).toEqual([...expected].sort());
        for (const t of subjects.totals) expect(t).toBe(expected.length);
      } else {
        expect(subjects.errors).toEqual(['FORBIDDEN']);
      }

      const reports = await walk('intelligenceReports', caller.token);
      const reporter = roles.includes(Role.REPORTER);
      if (reporter || care) {
        // Its agency's submissions if it reports (the extra reporter's included), and reports under its
        // live break-glass grants if it is a care reader (as Subject.reports shows them).
        const expected = reportIds.filter(
          (_, i) => (reporter && effective[i].submittedBy === 1) || (care && effective[i].grant === 'active'),
        );
        expect([...reports.ids].sort()).toEqual([...expected].sort());
        for (const t of reports.totals) expect(t).toBe(expected.length);
      } else {
        expect(reports.errors).toEqual(['FORBIDDEN']);
      }

      // One decision per edge: a subject's report link is seen from the subject exactly where its
      // report shows its subjects (a live break-glass grant), and the filter by subject agrees.
      if (care) {
        for (const [i, id] of subjectIds.entries()) {
          if (!knownToCaller(effective[i])) continue;
          const linked = effective[i].grant === 'active' ? [reportIds[i]] : [];
          const r = await app.gql<{ subject: { reports: { report: { id: string; redactedFields: string[] } }[] } }>(
            `query($id: ID!) { subject(id: $id) { reports { report { id redactedFields } } } }`,
            { id },
            caller.token,
          );
          expect(r.body.data!.subject.reports.map((l) => l.report.id)).toEqual(linked);
          for (const l of r.body.data!.subject.reports) expect(l.report.redactedFields).not.toContain('subjects');
        }
      }

      const disclosures = await walk('disclosures', caller.token);
      if (care) {
        expect([...disclosures.ids].sort()).toEqual([...activeDisclosures].sort());
        for (const t of disclosures.totals) expect(t).toBe(activeDisclosures.length);
      } else expect(disclosures.errors).toEqual(['FORBIDDEN']);
    }),
    { numRuns: 100 },
  );
}, 120_000);
