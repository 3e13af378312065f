import { codes, countRows, type GqlResult, startTestApp, type TestApp } from '../support/test-app';

/**
 * The partner-app lifecycle an agency's ADMIN runs (docs/accounts.md, "Partner apps"): register,
 * sign in with the secret and submit; rotate with a grace; revoke. Another agency's admin sees
 * NOT_FOUND, a non-admin FORBIDDEN, and bad input changes nothing.
 */
const ADMIN = 'admin@brookfield-high.example';
const OTHER_ADMIN = 'admin@oversight.example';
const LEAD = 'lead@brookfield-high.example';

let app: TestApp;
let admin: string;

interface Credentials {
  app: { id: string; clientId: string; active: boolean; scopes: string[]; previousSecretExpiresAt: string | null };
  clientId: string;
  clientSecret: string;
}

const REGISTER = `mutation($input: RegisterPartnerAppInput!) {
  registerPartnerApp(input: $input) { clientId clientSecret app { id clientId active scopes previousSecretExpiresAt } }
}`;
const ROTATE = `mutation($id: ID!, $grace: Int) {
  rotatePartnerAppSecret(id: $id, graceMinutes: $grace) { clientId clientSecret app { id clientId active scopes previousSecretExpiresAt } }
}`;
const REVOKE = 'mutation($id: ID!, $reason: String!) { revokePartnerApp(id: $id, reason: $reason) { id active revokedReason revokedAt } }';

async function register(name = 'Concern form', scopes = ['SUBMIT_INTELLIGENCE', 'READ_OWN_SUBMISSIONS']): Promise<Credentials> {
  const r = await app.gql<{ registerPartnerApp: Credentials }>(REGISTER, { input: { name, scopes } }, admin);
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.registerPartnerApp;
}

const signIn = (clientId: string, clientSecret: string) =>
  app.gql<{ serviceToken: { accessToken: string } }>(
    'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken } }',
    { c: clientId, s: clientSecret },
  );

async function tokenOf(clientId: string, clientSecret: string): Promise<string> {
  const r = await signIn(clientId, clientSecret);
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.serviceToken.accessToken;
}

const submit = (token: string, key: string) =>
  app.gql<{ submitIntelligence: { id: string } }>(
    `mutation($k: String!) { submitIntelligence(input: { idempotencyKey: $k, sourceType: EDUCATION, narrative: "Synthetic: a pupil was collected by an unknown adult" }) { id } }`,
    { k: key },
    token,
  );

const changeEvents = (id: string) =>
  app.db.query<{ operation_field: string; details: Record<string, unknown> }[]>(
    `SELECT operation_field, details FROM audit_events WHERE action = 'CHANGE' AND record_kind = 'service_account' AND $1::uuid = ANY(record_ids) ORDER BY id`,
    [id],
  );

beforeAll(async () => {
  app = await startTestApp();
  admin = (await app.login(ADMIN)).accessToken;
});
afterAll(() => app?.close());

describe('registering a partner app', () => {
  it('returns the secret once, stores only its hash, and the app signs in and submits', async () => {
    const created = await register();
    expect(created.clientId).toBe(created.app.clientId);
    expect(created.app).toMatchObject({ active: true, scopes: ['READ_OWN_SUBMISSIONS', 'SUBMIT_INTELLIGENCE'] });
    const [row] = await app.db.query<{ secret_hash: string }[]>(`SELECT secret_hash FROM service_accounts WHERE id = $1`, [created.app.id]);
    expect(row.secret_hash).toMatch(/^\$argon2id\$/);
    expect(row.secret_hash).not.toContain(created.clientSecret);

    const token = await tokenOf(created.clientId, created.clientSecret);
    const submitted = await submit(token, 'pa-register-1');
    expect(submitted.body.errors).toBeUndefined();
    expect(submitted.body.data!.submitIntelligence.id).toBeDefined();

    // Never readable again: no field of the app carries a secret.
    const listed = await app.gql<{ partnerApps: { totalCount: number; edges: { node: Record<string, unknown> }[] } }>(
      '{ partnerApps(first: 50) { totalCount edges { node { id clientId name scopes active } } } }',
      {},
      admin,
    );
    expect(listed.body.data!.partnerApps.edges.map((e) => e.node.id)).toContain(created.app.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.clientSecret);

    const events = await changeEvents(created.app.id);
    expect(events.map((e) => e.operation_field)).toEqual(['registered']);
    expect(JSON.stringify(events)).not.toContain(created.clientSecret);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an empty name', { name: '', scopes: ['SUBMIT_INTELLIGENCE'] }, 'BAD_USER_INPUT'],
    ['a blank name', { name: '   ', scopes: ['SUBMIT_INTELLIGENCE'] }, 'BAD_USER_INPUT'],
    ['a name too long', { name: 'x'.repeat(201), scopes: ['SUBMIT_INTELLIGENCE'] }, 'BAD_USER_INPUT'],
    ['no scopes', { name: 'App', scopes: [] }, 'BAD_USER_INPUT'],
    ['a repeated scope', { name: 'App', scopes: ['SUBMIT_INTELLIGENCE', 'SUBMIT_INTELLIGENCE'] }, 'BAD_USER_INPUT'],
    ['an unknown scope', { name: 'App', scopes: ['READ_EVERYTHING'] }, 'BAD_USER_INPUT'],
  ])('refuses %s and changes nothing', async (_case, input, code) => {
    const [apps, history] = [await countRows(app.db, 'service_accounts'), await countRows(app.db, 'record_history')];
    const r = await app.gql(REGISTER, { input }, admin);
    expect(codes(r)).toEqual([code]);
    expect(await countRows(app.db, 'service_accounts')).toBe(apps);
    expect(await countRows(app.db, 'record_history')).toBe(history);
  });

  it('is for ADMINs only: a safeguarding lead is FORBIDDEN', async () => {
    const lead = (await app.login(LEAD)).accessToken;
    const before = await countRows(app.db, 'service_accounts');
    expect(codes(await app.gql(REGISTER, { input: { name: 'App', scopes: ['SUBMIT_INTELLIGENCE'] } }, lead))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql('{ partnerApps { totalCount } }', {}, lead))).toEqual(['FORBIDDEN']);
    expect(await countRows(app.db, 'service_accounts')).toBe(before);
  });
});

describe('rotating the secret', () => {
  it('keeps the previous secret working through the grace, then refuses it like a wrong one', async () => {
    const created = await register('Rotating app');
    const rotated = await app.gql<{ rotatePartnerAppSecret: Credentials }>(ROTATE, { id: created.app.id, grace: 60 }, admin);
    expect(rotated.body.errors).toBeUndefined();
    const fresh = rotated.body.data!.rotatePartnerAppSecret;
    expect(fresh.clientSecret).not.toBe(created.clientSecret);
    expect(fresh.clientId).toBe(created.clientId);
    const expires = Date.parse(fresh.app.previousSecretExpiresAt!);
    expect(expires).toBeGreaterThan(Date.now() + 55 * 60_000);
    expect(expires).toBeLessThan(Date.now() + 65 * 60_000);

    // Both work during the grace.
    await tokenOf(created.clientId, created.clientSecret);
    await tokenOf(created.clientId, fresh.clientSecret);

    // The grace ends (set in SQL rather than waited for): the old one fails as a wrong secret does.
    await app.ownerQuery(`UPDATE service_accounts SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [
      created.app.id,
    ]);
    const old = await signIn(created.clientId, created.clientSecret);
    const wrong = await signIn(created.clientId, 'not-the-secret');
    expect(codes(old)).toEqual(['UNAUTHENTICATED']);
    expect(old.body.errors![0].message).toBe(wrong.body.errors![0].message);
    await tokenOf(created.clientId, fresh.clientSecret);
  });

  it('keeps at most one previous secret, and with no grace the old one stops at once', async () => {
    const created = await register('Twice rotated');
    const first = (await app.gql<{ rotatePartnerAppSecret: Credentials }>(ROTATE, { id: created.app.id, grace: 60 }, admin)).body.data!
      .rotatePartnerAppSecret;
    const second = (await app.gql<{ rotatePartnerAppSecret: Credentials }>(ROTATE, { id: created.app.id, grace: 60 }, admin)).body.data!
      .rotatePartnerAppSecret;
    expect(codes(await signIn(created.clientId, created.clientSecret))).toEqual(['UNAUTHENTICATED']);
    await tokenOf(created.clientId, first.clientSecret);
    await tokenOf(created.clientId, second.clientSecret);

    const third = (await app.gql<{ rotatePartnerAppSecret: Credentials }>(ROTATE, { id: created.app.id, grace: 0 }, admin)).body.data!
      .rotatePartnerAppSecret;
    expect(third.app.previousSecretExpiresAt).toBeNull();
    expect(codes(await signIn(created.clientId, second.clientSecret))).toEqual(['UNAUTHENTICATED']);
    await tokenOf(created.clientId, third.clientSecret);
    expect((await changeEvents(created.app.id)).map((e) => e.operation_field)).toEqual([
      'registered',
      'secret_rotated',
      'secret_rotated',
      'secret_rotated',
    ]);
  });

  it('uses PARTNER_SECRET_GRACE_SECONDS by default, and refuses a grace out of bounds', async () => {
    const created = await register('Default grace');
    const r = await app.gql<{ rotatePartnerAppSecret: Credentials }>(ROTATE, { id: created.app.id }, admin);
    const expires = Date.parse(r.body.data!.rotatePartnerAppSecret.app.previousSecretExpiresAt!);
    const grace = app.config.accounts.partnerSecretGraceSeconds * 1000;
    expect(Math.abs(expires - (Date.now() + grace))).toBeLessThan(60_000);

    const [before] = await app.db.query<{ secret_hash: string }[]>(`SELECT secret_hash FROM service_accounts WHERE id = $1`, [
      created.app.id,
    ]);
    for (const grace of [-1, 30 * 24 * 60 + 1])
      expect(codes(await app.gql(ROTATE, { id: created.app.id, grace }, admin))).toEqual(['BAD_USER_INPUT']);
    const [after] = await app.db.query<{ secret_hash: string }[]>(`SELECT secret_hash FROM service_accounts WHERE id = $1`, [
      created.app.id,
    ]);
    expect(after.secret_hash).toBe(before.secret_hash);
  });
});

describe('revoking', () => {
  it('refuses the live token at once and every later sign-in; revoking again is CONFLICT', async () => {
    const created = await register('Revoked app');
    const token = await tokenOf(created.clientId, created.clientSecret);
    // Twice, so the principal is cached when the revocation comes.
    expect((await app.gql('{ me { id } }', {}, token)).body.errors).toBeUndefined();
    expect((await app.gql('{ me { id } }', {}, token)).body.errors).toBeUndefined();

    const revoked = await app.gql<{ revokePartnerApp: { active: boolean; revokedReason: string } }>(
      REVOKE,
      { id: created.app.id, reason: 'Form retired' },
      admin,
    );
    expect(revoked.body.data!.revokePartnerApp).toMatchObject({ active: false, revokedReason: 'Form retired' });

    const after: GqlResult = await app.gql('{ me { id } }', {}, token);
    expect(codes(after)).toEqual(['UNAUTHENTICATED']);
    expect(codes(await submit(token, 'pa-revoked-1'))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await signIn(created.clientId, created.clientSecret))).toEqual(['UNAUTHENTICATED']);

    const history = await countRows(app.db, 'record_history');
    const again = await app.gql(REVOKE, { id: created.app.id, reason: 'Again' }, admin);
    expect(codes(again)).toEqual(['CONFLICT']);
    expect(again.body.errors![0].extensions).toMatchObject({ reason: 'ALREADY_REVOKED' });
    expect(codes(await app.gql(ROTATE, { id: created.app.id }, admin))).toEqual(['CONFLICT']);
    expect(await countRows(app.db, 'record_history')).toBe(history);
    const events = await changeEvents(created.app.id);
    expect(events.map((e) => e.operation_field)).toEqual(['registered', 'revoked']);
  });

  it('needs a reason', async () => {
    const created = await register('Reasonless');
    expect(codes(await app.gql(REVOKE, { id: created.app.id, reason: ' ' }, admin))).toEqual(['BAD_USER_INPUT']);
    await tokenOf(created.clientId, created.clientSecret);
  });
});

describe('another agency', () => {
  it("is NOT_FOUND to another agency's admin, for every change, and absent from its list", async () => {
    const created = await register('Not theirs');
    const other = (await app.login(OTHER_ADMIN)).accessToken;
    const history = await countRows(app.db, 'record_history');
    expect(codes(await app.gql(ROTATE, { id: created.app.id }, other))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(REVOKE, { id: created.app.id, reason: 'Mine now' }, other))).toEqual(['NOT_FOUND']);
    expect(
      codes(await app.gql('mutation($id: ID!) { clearPartnerAppTrustedDocuments(id: $id) { id } }', { id: created.app.id }, other)),
    ).toEqual(['NOT_FOUND']);
    const listed = await app.gql<{ partnerApps: { edges: { node: { id: string } }[] } }>(
      '{ partnerApps(first: 100) { edges { node { id } } } }',
      {},
      other,
    );
    expect(listed.body.data!.partnerApps.edges.map((e) => e.node.id)).not.toContain(created.app.id);
    expect(await countRows(app.db, 'record_history')).toBe(history);
    await tokenOf(created.clientId, created.clientSecret);
  });
});
