import fc from 'fast-check';
import { buildAppSchema } from '../../src/graphql/schema';
import { isEnumType, isInputObjectType } from 'graphql';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/demo/demo-seed';
import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * What a newcomer meets: the explorer (served from our own packages), errors a person can act on,
 * 401 for a bad token on every path, /metrics behind its token, logs with the operation and actor,
 * and a partner app looking up its own submissions.
 */
let app: TestApp;
let explorer: TestApp;
beforeAll(async () => {
  app = await startTestApp({ METRICS_TOKEN: 'metrics-token-0123456789' });
  explorer = await startTestApp({ GRAPHQL_EXPLORER: 'true', GRAPHQL_INTROSPECTION: 'true', LOG_LEVEL: 'info' });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await explorer?.close();
});

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('the explorer', () => {
  it('serves GraphiQL to a browser, loading every script and style from this server only', async () => {
    const page = await fetch(explorer.url, { headers: html });
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toMatch(/graphiql/i);
    const refs = [...text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThanOrEqual(4);
    for (const ref of refs) {
      expect(ref).toMatch(/^\/graphql\/explorer\//);
      const asset = await fetch(`${explorer.baseUrl}${ref}`);
      expect(asset.status).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    // The page's policy lets nothing load from elsewhere, and runs no inline script.
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    const init = await (await fetch(`${explorer.baseUrl}/graphql/explorer/init.js`)).text();
    expect(init).toContain('Authorization');
  });

  it('is off unless configured: the page is not served and introspection is refused, naming the setting', async () => {
    const page = await fetch(app.url, { headers: html });
    expect(await page.text()).not.toMatch(/graphiql/i);
    const r = await app.gql('{ __schema { queryType { name } } }');
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].message).toContain('GRAPHQL_INTROSPECTION=true');
    expect(r.body.errors![0].message).not.toContain('ApolloServer');
  });

  it('leaves API requests to GraphQL: a POST, and a GET that is not a browser asking for a page', async () => {
    expect((await explorer.gql('{ __schema { queryType { name } } }')).body.data).toBeTruthy();
    const get = await fetch(`${explorer.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': '1' },
    });
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('errors a person can act on', () => {
  let reporter: string;
  beforeAll(async () => {
    reporter = (await app.login('reporter@safe-futures.example')).accessToken;
  });

  it('an unknown value of any enum of any input lists the valid values, inline or as a variable', async () => {
    const schema = await buildAppSchema();
    const enums = Object.values(schema.getTypeMap())
      .filter(isEnumType)
      .filter((t) => !t.name.startsWith('__'));
    const inputsUsing = new Set(
      Object.values(schema.getTypeMap())
        .filter(isInputObjectType)
        .flatMap((t) => Object.values(t.getFields()).map((f) => String(f.type).replace(/[[\]!]/g, ''))),
    );
    expect(enums.filter((e) => inputsUsing.has(e.name)).length).toBeGreaterThan(5);
    const bad = fc.stringMatching(/^[A-Z][A-Z_]{2,12}$/);
    await fc.assert(
      fc.asyncProperty(bad, async (value) => {
        fc.pre(!['PUBLIC', 'POLICE', 'SOCIAL_CARE', 'EDUCATION', 'HEALTH', 'VOLUNTARY', 'OTHER_AGENCY'].includes(value));
        const inline = await app.gql(
          `mutation { submitIntelligence(input: { sourceType: ${value}, narrative: "x" }) { id } }`,
          {},
          reporter,
        );
        const variable = await app.gql(
          'mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id } }',
          { i: { sourceType: value, narrative: 'x' } },
          reporter,
        );
        for (const r of [inline, variable]) {
          expect(codes(r)).toEqual(['BAD_USER_INPUT']);
          const [error] = r.body.errors!;
          expect(error.message).toContain('Valid values: PUBLIC, POLICE, SOCIAL_CARE, EDUCATION, HEALTH, VOLUNTARY, OTHER_AGENCY.');
          expect(error.extensions!.validValues).toEqual([
            'PUBLIC',
            'POLICE',
            'SOCIAL_CARE',
            'EDUCATION',
            'HEALTH',
            'VOLUNTARY',
            'OTHER_AGENCY',
          ]);
        }
        expect(inline.body.errors![0].extensions!.field).toBe('input.sourceType');
        expect(variable.body.errors![0].extensions!.field).toBe('i.sourceType');
      }),
      { numRuns: 15 },
    );
    // Every enum used in an input, not just one: each names all its values when given a wrong one.
    for (const e of enums.filter((t) => t.name === 'RiskIndicator' || t.name === 'Role' || t.name === 'StatsDimension')) {
      const query =
        e.name === 'RiskIndicator'
          ? 'query { intelligenceReports(filter: { riskIndicator: NOPE }) { totalCount } }'
          : e.name === 'Role'
            ? 'mutation { createUser(input: { email: "a@b.example", displayName: "A", password: "x", roles: [NOPE] }) { id } }'
            : 'query { intelligenceStats(from: "2013-04-01T00:00:00Z", to: "2014-02-01T00:00:00Z", groupBy: [NOPE]) { total } }';
      const r = await app.gql(query, {}, reporter);
      expect(r.body.errors![0].extensions!.validValues).toEqual(e.getValues().map((v) => v.name));
    }
  });

  it('a literal of the wrong type names its field', async () => {
    const r = await app.gql('mutation { submitIntelligence(input: { sourceType: VOLUNTARY, narrative: 3 }) { id } }', {}, reporter);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].extensions!.field).toBe('input.narrative');
  });

  it('a missing, malformed or forged token is 401 UNAUTHENTICATED on /graphql as on the export', async () => {
    for (const authorization of [undefined, 'Bearer nonsense', `Bearer ${reporter.slice(0, -4)}AAAA`]) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) };
      const graphql = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query: '{ me { id } }' }) });
      const exported = await fetch(`${app.baseUrl}/audit/export?format=csv`, { headers });
      expect([graphql.status, exported.status]).toEqual([401, 401]);
      const body = (await graphql.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    expect((await app.gql('{ me { id } }', {}, reporter)).status).toBe(200);
    const failed = await app.gql('mutation { login(email: "nobody@example.org", password: "wrong-password-123") { accessToken } }');
    expect([failed.status, codes(failed)]).toEqual([401, ['UNAUTHENTICATED']]);
  });
});

describe('/metrics', () => {
  it('with METRICS_TOKEN, needs it as a bearer token', async () => {
    expect((await fetch(`${app.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${app.baseUrl}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await fetch(`${app.baseUrl}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('safeshare_graphql_requests_total');
  });
});

describe('logs', () => {
  it('carry the operation name, root field and actor id of a GraphQL request, never its arguments', async () => {
    const { accessToken } = await explorer.login('analyst@gmp.example');
    const me = await explorer.gql<{ me: { id: string } }>('query WhoAmI { me { id } }', {}, accessToken);
    await explorer.gql(
      'query Find($t: String!) { searchIntelligence(text: $t, first: 1) { totalCount } }',
      { t: 'secret-search-term' },
      accessToken,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = explorer.logs.filter((l) => l.msg === 'request' && l.path === '/graphql');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ operationName: 'WhoAmI', field: 'me', actorId: me.body.data!.me.id }),
        expect.objectContaining({ operationName: 'Find', field: 'searchIntelligence', actorId: me.body.data!.me.id }),
      ]),
    );
    expect(JSON.stringify(explorer.logs)).not.toContain('secret-search-term');
  });
});

describe('a partner app syncing its submissions', () => {
  it('finds its own by reference or idempotency key, and lists those changed since a time', async () => {
    const app1 = await app.gql<{ serviceToken: { accessToken: string } }>(
      `mutation { serviceToken(clientId: "${DEMO_CLIENT_ID}", clientSecret: "${DEMO_CLIENT_SECRET}") { accessToken } }`,
    );
    const token = app1.body.data!.serviceToken.accessToken;
    const before = new Date(Date.now() - 1000).toISOString();
    const submitted = await app.gql<{ submitIntelligence: { id: string; reference: string } }>(
      'mutation { submitIntelligence(input: { idempotencyKey: "sync-key-1", sourceType: VOLUNTARY, narrative: "Sync test" }) { id reference } }',
      {},
      token,
    );
    const { id, reference } = submitted.body.data!.submitIntelligence;
    const list = async (filter: Record<string, unknown>, as = token) =>
      (
        await app.gql<{ intelligenceReports: { totalCount: number; edges: { node: { id: string } }[] } }>(
          'query($f: IntelligenceFilter) { intelligenceReports(first: 100, filter: $f) { totalCount edges { node { id } } } }',
          { f: filter },
          as,
        )
      ).body.data!.intelligenceReports;
    expect((await list({ reference })).edges.map((e) => e.node.id)).toEqual([id]);
    expect((await list({ idempotencyKey: 'sync-key-1' })).edges.map((e) => e.node.id)).toEqual([id]);
    expect((await list({ updatedSince: before })).edges.map((e) => e.node.id)).toEqual([id]);
    expect((await list({ updatedSince: new Date(Date.now() + 60_000).toISOString() })).totalCount).toBe(0);
    // A key is the submitter's own: the same key seen by police finds nothing of the app's.
    const analyst = (await app.login('analyst@gmp.example')).accessToken;
    expect((await list({ idempotencyKey: 'sync-key-1' }, analyst)).totalCount).toBe(0);
    expect((await list({ reference }, analyst)).edges.map((e) => e.node.id)).toEqual([id]);
    // A status change moves the report into the next sync.
    const mark = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await app.gql(`mutation { assessIntelligence(id: "${id}", input: { status: UNDER_ASSESSMENT }) { status } }`, {}, analyst);
    expect((await list({ updatedSince: mark })).edges.map((e) => e.node.id)).toEqual([id]);
    const blank = await app.gql('{ intelligenceReports(filter: { reference: "" }) { totalCount } }', {}, token);
    expect(codes(blank)).toEqual(['BAD_USER_INPUT']);
  });
});
