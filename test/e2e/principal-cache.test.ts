import { codes, startTestApp, type TestApp } from '../support/test-app';

/**
 * A session's principal is cached in the process, so a request does not look its caller up first;
 * but a disabled account, a revoked session or a changed role still applies to the very next request,
 * which is refused (and audited as refused) rather than answered from the stale principal.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const LIST = '{ intelligenceReports(first: 5) { edges { node { id narrative } } } }';

async function cachedSession(email: string) {
  const { accessToken } = await app.login(email);
  // The first request loads and caches the principal.
  expect(codes(await app.gql(LIST, {}, accessToken))).toEqual([]);
  return accessToken;
}

async function lastEvent() {
  const [event] = await app.ownerQuery(
    `SELECT outcome, reason, record_count FROM audit_events WHERE operation_field = 'intelligenceReports' ORDER BY id DESC LIMIT 1`,
  );
  return event;
}

it('answers from the cached principal while it is unchanged, and confirms it in the audit insert', async () => {
  const token = await cachedSession('analyst@gmp.example');
  app.queries.length = 0;
  const r = await app.gql<{ intelligenceReports: { edges: unknown[] } }>(LIST, {}, token);
  expect(codes(r)).toEqual([]);
  expect(r.body.data!.intelligenceReports.edges.length).toBeGreaterThan(0);
  expect(app.queries.filter((q) => /FROM auth_sessions/.test(q))).toHaveLength(1);
  expect(app.queries.at(-2)).toMatch(/INSERT INTO audit_events/);
  expect(app.queries.at(-1)).toBe('COMMIT');
  expect(await lastEvent()).toMatchObject({ outcome: 'ALLOWED', reason: null });
});

it('refuses the next query of a disabled account, with no data, and audits it as refused', async () => {
  const token = await cachedSession('investigator@gmp.example');
  await app.ownerQuery(`UPDATE users SET disabled_at = now() WHERE email = 'investigator@gmp.example'`);
  try {
    const r = await app.gql(LIST, {}, token);
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    expect(r.body.data).toBeUndefined();
    expect(await lastEvent()).toMatchObject({ outcome: 'DENIED', reason: 'UNAUTHENTICATED', record_count: 0 });
    // The stale entry is gone: the next request is refused at its lookup.
    expect(codes(await app.gql(LIST, {}, token))).toEqual(['UNAUTHENTICATED']);
  } finally {
    await app.ownerQuery(`UPDATE users SET disabled_at = NULL WHERE email = 'investigator@gmp.example'`);
  }
});

it('refuses the next query of a revoked session', async () => {
  const token = await cachedSession('analyst@gmp.example');
  await app.ownerQuery(`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'test' WHERE revoked_at IS NULL`);
  const r = await app.gql(LIST, {}, token);
  expect(codes(r)).toEqual(['UNAUTHENTICATED']);
  expect(r.body.data).toBeUndefined();
});

it('applies a role change to the next query: refused once, then answered with the new roles', async () => {
  const token = await cachedSession('supervisor@gmp.example');
  const [{ roles }] = (await app.ownerQuery(`SELECT roles::text[] AS roles FROM users WHERE email = 'supervisor@gmp.example'`)) as {
    roles: string[];
  }[];
  await app.ownerQuery(`UPDATE users SET roles = '{ANALYST}' WHERE email = 'supervisor@gmp.example'`);
  try {
    expect(codes(await app.gql(LIST, {}, token))).toEqual(['UNAUTHENTICATED']);
    const me = await app.gql<{ me: { roles: string[] } }>('{ me { roles } }', {}, token);
    expect(me.body.data!.me.roles).toEqual(['ANALYST']);
  } finally {
    await app.ownerQuery(`UPDATE users SET roles = $1::text[]::role[] WHERE email = 'supervisor@gmp.example'`, [roles]);
  }
});

it('reloads a cached principal before a mutation runs: a disabled account writes nothing', async () => {
  const token = await cachedSession('analyst@gmp.example');
  await app.ownerQuery(`UPDATE users SET disabled_at = now() WHERE email = 'analyst@gmp.example'`);
  try {
    const [{ n: before }] = (await app.ownerQuery(`SELECT count(*)::int AS n FROM intelligence_reports`)) as { n: number }[];
    const r = await app.gql(
      'mutation { submitIntelligence(input: { sourceType: POLICE, narrative: "Stale principal test narrative" }) { id } }',
      {},
      token,
    );
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    const [{ n: after }] = (await app.ownerQuery(`SELECT count(*)::int AS n FROM intelligence_reports`)) as { n: number }[];
    expect(after).toBe(before);
  } finally {
    await app.ownerQuery(`UPDATE users SET disabled_at = NULL WHERE email = 'analyst@gmp.example'`);
  }
});
