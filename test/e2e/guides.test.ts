import { seedCurrentCohort } from '../../src/demo/demo-current';
import { lookUpIds } from '../../src/demo/demo.queries';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/demo/demo-seed';
import { FROM_ABOVE, firstValue, guideOperations } from '../support/guide-operations';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * Every operation of every guide in docs/guides/, extracted from the pages themselves, runs as the
 * account it names against the demo (GMP cohort and current cohort) and succeeds: a guide that
 * drifts from the API fails here.
 */
const operations = guideOperations();
let app: TestApp;
const tokens = new Map<string, string>();

async function tokenFor(account: string): Promise<string> {
  if (!tokens.has(account)) {
    if (account === DEMO_CLIENT_ID) {
      const r = await app.gql<{ serviceToken: { accessToken: string } }>(
        'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken } }',
        { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET },
      );
      tokens.set(account, r.body.data!.serviceToken.accessToken);
    } else tokens.set(account, (await app.login(account)).accessToken);
  }
  return tokens.get(account)!;
}

beforeAll(async () => {
  app = await startTestApp();
  await app.db.transaction(async (tx) => seedCurrentCohort(tx, await lookUpIds(tx)));
}, 60_000);
afterAll(() => app?.close());

describe('the user guides', () => {
  it('have operations for every user, each naming its account', () => {
    const guides = new Set(operations.map((o) => o.guide));
    for (const g of ['police-analyst.md', 'school-and-practitioners.md', 'partner-app.md', 'auditor.md', 'administrator.md']) {
      expect(guides).toContain(g);
    }
    expect(operations.length).toBeGreaterThan(30);
  });

  it('run, each as its account, in page order, without an error', async () => {
    let previous: unknown;
    const failures: string[] = [];
    for (const op of operations) {
      const variables = op.variables
        ? (JSON.parse(op.variables.replace(FROM_ABOVE, (_, field: string) => JSON.stringify(firstValue(previous, field) ?? ''))) as Record<
            string,
            unknown
          >)
        : {};
      const r = await app.gql(op.query, variables, op.as ? await tokenFor(op.as) : undefined);
      if (r.body.errors?.length || !r.body.data) failures.push(`${op.guide} ${op.name}: ${JSON.stringify(r.body.errors)}`);
      previous = r.body.data;
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('show live work to the accounts they are for', async () => {
    const count = async (account: string, query: string) => {
      const r = await app.gql<Record<string, { totalCount: number }>>(query, {}, await tokenFor(account));
      return Object.values(r.body.data ?? {})[0]?.totalCount ?? -1;
    };
    expect(await count('supervisor@gmp.example', '{ accessRequests(filter: { status: PENDING }) { totalCount } }')).toBeGreaterThanOrEqual(
      3,
    );
    expect(await count('lead@brookfield-high.example', '{ disclosures { totalCount } }')).toBeGreaterThanOrEqual(2);
    expect(await count('practitioner@rochdale-csc.example', '{ involvements(filter: { active: true }) { totalCount } }')).toBeGreaterThan(
      3,
    );
    const since = new Date(Date.now() - 300 * 86_400_000).toISOString();
    expect(
      await count('analyst@gmp.example', `{ intelligenceReports(filter: { receivedFrom: "${since}" }) { totalCount } }`),
    ).toBeGreaterThan(50);
  });
});
