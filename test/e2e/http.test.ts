import { codes, countRows, startTestApp, type TestApp } from '../support/test-app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(app.url, { method: 'POST', headers, body });

describe('health', () => {
  it('/healthz says the process is alive', async () => {
    const r = await fetch(`${app.baseUrl}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('/readyz says the database is reachable and migrated', async () => {
    const r = await fetch(`${app.baseUrl}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ready' });
  });

  it('/readyz turns 503 when the database stops answering', async () => {
    const other = await startTestApp();
    await other.serviceDb.destroy();
    try {
      const r = await fetch(`${other.baseUrl}/readyz`);
      expect(r.status).toBe(503);
    } finally {
      await other.serviceDb.initialize();
      await other.close();
    }
  });
});

describe('operations', () => {
  it('every response carries a request id, and a well-formed incoming one is kept', async () => {
    const minted = await fetch(`${app.baseUrl}/healthz`);
    expect(minted.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await fetch(`${app.baseUrl}/healthz`, { headers: { 'x-request-id': 'proxy-abc-12345' } });
    expect(kept.headers.get('x-request-id')).toBe('proxy-abc-12345');
    const forged = await fetch(`${app.baseUrl}/healthz`, { headers: { 'x-request-id': 'bad id\twith "stuff"' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('/metrics exposes requests by operation and outcome, latency and the database pool', async () => {
    await app.gql('{ me { id } }');
    const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(text).toMatch(/safeshare_graphql_requests_total\{operation="me",outcome="UNAUTHENTICATED"\} \d+/);
    expect(text).toContain('safeshare_graphql_request_duration_seconds_bucket');
    // The pool has served queries by now: a gauge stuck at 0 would mean it was never found.
    expect(Number(/safeshare_db_pool_connections (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
  });
});

describe('errors never leak internals', () => {
  it('a malformed query is BAD_USER_INPUT without a stack trace', async () => {
    const r = await post(JSON.stringify({ query: '{ me { ' }));
    const body = (await r.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(body)).not.toMatch(/stacktrace|at .*\.js|node_modules/);
  });

  it('a misspelt field gets no "Did you mean" suggestion', async () => {
    const r = await app.gql('{ mee { id } }');
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].message).not.toMatch(/did you mean/i);
  });

  it('malformed JSON is a clean 400', async () => {
    const r = await post('{"query": ');
    expect(r.status).toBe(400);
    expect(JSON.stringify(await r.json())).not.toMatch(/SyntaxError|at .*\.js/);
  });

  it('a body over the limit is refused with 413', async () => {
    const r = await post(JSON.stringify({ query: `{ me { id } } # ${'x'.repeat(1_100_000)}` }));
    expect(r.status).toBe(413);
    expect(((await r.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('an unknown path is a JSON 404', async () => {
    const r = await fetch(`${app.baseUrl}/admin`);
    expect(r.status).toBe(404);
  });

  it('a database failure is INTERNAL_SERVER_ERROR with a generic message, logged with the request id', async () => {
    const other = await startTestApp({ LOG_LEVEL: 'error' });
    try {
      const token = (await other.login('analyst@gmp.example')).accessToken;
      await other.ownerQuery(`ALTER TABLE divisions RENAME TO divisions_gone`);
      const r = await other.gql('{ divisions { id } }', {}, token);
      expect(codes(r)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(r.body.errors![0].message).toBe('Internal server error');
      expect(JSON.stringify(r.body)).not.toMatch(/divisions_gone|relation|SELECT/);
      const logged = other.logs.find((l) => l.msg === 'unhandled error');
      expect(logged).toMatchObject({ requestId: r.headers.get('x-request-id') });
      expect(JSON.stringify(logged)).toMatch(/divisions/);
    } finally {
      await other.close();
    }
  });
});

describe('text the database cannot store', () => {
  it('refuses NUL characters and unpaired surrogates in any argument, variable or literal, as BAD_USER_INPUT', async () => {
    const token = (await app.login('analyst@gmp.example')).accessToken;
    const before = await countRows(app.db, 'intelligence_reports');
    const cases: [string, Record<string, unknown>, string?][] = [
      ['mutation($e: String!) { login(email: $e, password: "x") { accessToken } }', { e: 'a\u0000b@x.org' }],
      ['mutation($c: String!) { serviceToken(clientId: $c, clientSecret: "x") { accessToken } }', { c: 'app\u0000' }],
      ['mutation($n: String!) { submitIntelligence(input: { sourceType: POLICE, narrative: $n }) { id } }', { n: 'abc\u0000def' }, token],
      ['mutation { submitIntelligence(input: { sourceType: POLICE, narrative: "abc\\u0000def" }) { id } }', {}, token],
      ['query($t: String!) { searchIntelligence(text: $t) { totalCount } }', { t: 'taxi\u0000' }, token],
      ['query($f: SubjectFilter) { subjects(filter: $f) { totalCount } }', { f: { identifier: 'GMP\u0000' } }, token],
      // Unpaired UTF-16 surrogates: valid JSON escapes, but not text.
      ['mutation($n: String!) { submitIntelligence(input: { sourceType: POLICE, narrative: $n }) { id } }', { n: 'abc\ud800def' }, token],
      ['query($t: String!) { searchIntelligence(text: $t) { totalCount } }', { t: '\udc00taxi' }, token],
      ['mutation { submitIntelligence(input: { sourceType: POLICE, narrative: "abc\\ud800" }) { id } }', {}, token],
    ];
    for (const [query, variables, bearer] of cases) {
      const r = await app.gql(query, variables, bearer);
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await countRows(app.db, 'intelligence_reports')).toBe(before);
  });
});

describe('transport defences', () => {
  it('introspection is off unless configured on', async () => {
    expect(codes(await app.gql('{ __schema { types { name } } }'))).toEqual(['BAD_USER_INPUT']);
    const open = await startTestApp({ GRAPHQL_INTROSPECTION: 'true' });
    try {
      expect(codes(await open.gql('{ __schema { queryType { name } } }'))).toEqual([]);
    } finally {
      await open.close();
    }
  });

  it('refuses batched requests', async () => {
    const r = await post(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    expect(r.status).toBe(400);
  });

  it('refuses mutations over GET and queries with a simple content type (CSRF)', async () => {
    const get = await fetch(`${app.url}?query=${encodeURIComponent('mutation { logout }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(405);
    const simple = await post(JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'text/plain' });
    expect(simple.status).toBe(400);
  });

  it('serves no landing page or GraphiQL', async () => {
    const r = await fetch(app.url, { headers: { accept: 'text/html' } });
    expect(await r.text()).not.toMatch(/<html/i);
  });
});
