import { startTestApp, type TestApp } from '../support/test-app';
import { expectCleanRefusal, post, rowCounts } from './support';

/**
 * The graphql-cop checks and the query-limit bypasses, against the real server with its default
 * limits. Every attack: a clear error code, no 500, no stack trace, nothing changed.
 */

let app: TestApp;
let introspective: TestApp;
let analyst: string;
let before: Record<string, number>;

beforeAll(async () => {
  app = await startTestApp();
  introspective = await startTestApp({ GRAPHQL_INTROSPECTION: 'true' });
  analyst = (await app.login('analyst@gmp.example')).accessToken;
  before = await rowCounts(app);
});

afterAll(async () => {
  expect(await rowCounts(app)).toEqual(before);
  await introspective.close();
  await app.close();
});

const gql = (query: string, variables: Record<string, unknown> = {}) => app.gql(query, variables, analyst);
const repeat = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' ');

describe('graphql-cop', () => {
  it('101 aliases of __typename', async () => {
    const r = await gql(`{ ${repeat(101, (i) => `a${i}: __typename`)} }`);
    expectCleanRefusal(r, 'QUERY_TOO_COMPLEX');
    expect(r.body.errors![0].message).not.toMatch(/\d/); // the limit is not echoed
  });

  it('500 duplicated fields', async () => {
    expectCleanRefusal(await gql(`{ ${repeat(500, () => '__typename')} }`), 'QUERY_TOO_COMPLEX');
  });

  it('a batch (JSON array) of operations', async () => {
    const r = await post(app, JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]), {
      authorization: `Bearer ${analyst}`,
    });
    expectCleanRefusal(r, 'BAD_USER_INPUT');
  });

  it('repeated directives', async () => {
    expectCleanRefusal(await gql('{ __typename @include(if: true) @include(if: true) @include(if: true) }'), 'BAD_USER_INPUT');
    expectCleanRefusal(await gql(`{ __typename ${repeat(11, () => '@skip(if: false)')} }`), /BAD_USER_INPUT|QUERY_TOO_COMPLEX/);
    const many = `{ ${repeat(6, (i) => `a${i}: __typename @include(if: true) @skip(if: false)`)} }`;
    expectCleanRefusal(await gql(many), 'QUERY_TOO_COMPLEX');
  });

  it('field suggestions are not leaked ("Did you mean")', async () => {
    const r = await gql('{ intelligenceReprts { totalCount } }');
    expectCleanRefusal(r, 'BAD_USER_INPUT');
    expect(JSON.stringify(r.body)).not.toMatch(/did you mean|intelligenceReports/i);
  });

  it('introspection is off by default', async () => {
    expectCleanRefusal(await gql('{ __schema { queryType { name } } }'), 'BAD_USER_INPUT');
    expectCleanRefusal(await gql('{ __type(name: "Subject") { name } }'), 'BAD_USER_INPUT');
  });

  it('circular introspection is refused even where introspection is on, while a standard introspection query works', async () => {
    const token = (await introspective.login('analyst@gmp.example')).accessToken;
    const { getIntrospectionQuery } = await import('graphql');
    const standard = await introspective.gql(getIntrospectionQuery(), {}, token);
    expect(standard.body.errors).toBeUndefined();
    const circular = `{ __schema { types { fields { type { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } } } } }`;
    expectCleanRefusal(await introspective.gql(circular, {}, token), 'QUERY_TOO_COMPLEX');
  });

  it('a mutation over GET is refused', async () => {
    const res = await fetch(`${app.url}?query=${encodeURIComponent('mutation { logout }')}`, {
      headers: { authorization: `Bearer ${analyst}`, 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBeLessThan(500);
    expect(await res.text()).not.toContain('"logout":true');
  });

  it('a query over GET without a CSRF-safe header is refused (CSRF prevention)', async () => {
    const res = await fetch(`${app.url}?query=${encodeURIComponent('{ me { id } }')}`, { headers: { authorization: `Bearer ${analyst}` } });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('"me"');
  });

  it('a POST with a non-JSON (simple) content type is refused', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await post(app, JSON.stringify({ query: '{ me { id } }' }), { 'content-type': type, authorization: `Bearer ${analyst}` });
      expect(r.status).toBe(400);
      expect(r.text).not.toContain('"me"');
    }
  });

  it('an url-encoded POST body is not executed', async () => {
    const r = await post(app, `query=${encodeURIComponent('{ me { id } }')}`, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${analyst}`,
    });
    expect(r.status).toBe(400);
    expect(r.text).not.toContain('"me"');
  });

  it('no GraphiQL or landing page is served', async () => {
    const res = await fetch(app.url, { headers: { accept: 'text/html' } });
    expect(await res.text()).not.toMatch(/graphiql|<html/i);
  });

  it('no tracing extensions are returned', async () => {
    const r = await gql('{ me { id } }');
    expect(r.body).not.toHaveProperty('extensions');
  });

  it('a malformed query gets a parse error with no stack trace', async () => {
    const r = await post(app, JSON.stringify({ query: 'qwerty cop { abc }' }), { authorization: `Bearer ${analyst}` });
    expectCleanRefusal(r, 'BAD_USER_INPUT');
  });
});

describe('depth and cost bypasses', () => {
  const deep = (levels: number) => {
    let q = 'id';
    for (let i = 0; i < levels; i++) q = `subjects { subject { reports { report { ${q} } } } }`;
    return q;
  };

  it('depth through plain nesting', async () => {
    expectCleanRefusal(await gql(`{ intelligenceReports(first: 1) { edges { node { ${deep(3)} } } } }`), 'QUERY_TOO_COMPLEX');
  });

  it('depth hidden in fragments', async () => {
    const q = `query { intelligenceReports(first: 1) { edges { node { ...A } } } }
      fragment A on IntelligenceReport { subjects { subject { ...B } } }
      fragment B on Subject { reports { report { ...C } } }
      fragment C on IntelligenceReport { subjects { subject { ...D } } }
      fragment D on Subject { reports { report { subjects { subject { id } } } } }`;
    expectCleanRefusal(await gql(q), 'QUERY_TOO_COMPLEX');
  });

  it('depth hidden in inline fragments', async () => {
    const q = `{ intelligenceReports(first: 1) { edges { node { ... on IntelligenceReport { subjects { subject { ... on Subject { reports { report { ... on IntelligenceReport { subjects { subject { reports { report { id } } } } } } } } } } } } } } }`;
    expectCleanRefusal(await gql(q), 'QUERY_TOO_COMPLEX');
  });

  it('recursive fragments', async () => {
    const q = `{ subjects(first: 1) { edges { node { ...S } } } } fragment S on Subject { reports { report { subjects { subject { ...S } } } } }`;
    expectCleanRefusal(await gql(q), /BAD_USER_INPUT|QUERY_TOO_COMPLEX/);
  });

  it('first: 99999999, as a literal or a variable', async () => {
    expectCleanRefusal(await gql('{ intelligenceReports(first: 99999999) { totalCount } }'), /BAD_USER_INPUT|QUERY_TOO_COMPLEX/);
    expectCleanRefusal(
      await gql('query($n: Int) { intelligenceReports(first: $n) { edges { node { id } } } }', { n: 99999999 }),
      /BAD_USER_INPUT|QUERY_TOO_COMPLEX/,
    );
  });

  it('cost: page sizes multiply what is under them', async () => {
    const fields = `id reference sourceType status receivedAt occurredAt location narrative riskIndicators classification redactedFields
      sourceEvaluation intelligenceAssessment handlingCode handlingConditions assessedAt division { id name }
      submittedBy { id name kind } subjects { role subject { id fullName } }`;
    const page = (alias: string, n: number) => `${alias}: intelligenceReports(first: ${n}) { edges { node { ${fields} } } }`;
    // About 29 fields per report: four pages of 100 cost over 11,000; four of 20 about 2,300.
    expectCleanRefusal(await gql(`{ ${['a', 'b', 'c', 'd'].map((x) => page(x, 100)).join(' ')} }`), 'QUERY_TOO_COMPLEX');
    const small = await gql(`{ ${['a', 'b', 'c', 'd'].map((x) => page(x, 20)).join(' ')} }`);
    expect(small.body.errors).toBeUndefined();
    const viaVariable = await gql(
      `query($n: Int) { ${['a', 'b', 'c', 'd'].map((x) => page(x, 0).replace('first: 0', 'first: $n')).join(' ')} }`,
      { n: 100 },
    );
    expectCleanRefusal(viaVariable, 'QUERY_TOO_COMPLEX');
  });

  it('an oversized document: too many bytes, or too many tokens', async () => {
    const huge = `{ ${repeat(6000, () => '__typename')} }`;
    expectCleanRefusal(await post(app, JSON.stringify({ query: huge }), { authorization: `Bearer ${analyst}` }), 'QUERY_TOO_COMPLEX');
    const r = await gql(`{ ${repeat(3100, () => 'x')} }`);
    expectCleanRefusal(r, 'QUERY_TOO_COMPLEX');
    expect(r.body.errors![0].message).not.toMatch(/\d/);
  });

  it('a body over the limit is refused at the door', async () => {
    const r = await post(app, JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(2_000_000) }));
    expect([400, 413]).toContain(r.status);
    expect(r.text).not.toMatch(/stack|node_modules/);
  });

  it('an ordinary query within the limits still works', async () => {
    const r = await gql(
      `{ intelligenceReports(first: 20, filter: { division: "rochdale" }) { totalCount edges { node { id reference narrative submittedBy { name } subjects { role subject { id fullName activeFlags { kind riskLevel } } } } } } }`,
    );
    expect(r.body.errors).toBeUndefined();
  });
});

describe('HTTP', () => {
  it('sends the security headers', async () => {
    const res = await fetch(`${app.baseUrl}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('answers CORS only for configured origins', async () => {
    const corsApp = await startTestApp({ CORS_ORIGINS: 'https://case-system.example' });
    try {
      const allowed = await fetch(corsApp.url, { method: 'OPTIONS', headers: { origin: 'https://case-system.example' } });
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://case-system.example');
      const other = await fetch(corsApp.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await corsApp.close();
    }
  });
});
