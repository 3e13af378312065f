import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD } from '../../src/demo/demo-seed';
import { codes, startTestApp, type TestApp } from '../support/test-app';
import { TEST_JWT_SECRET } from '../support/test-config';

const ME = '{ me { id kind displayName roles scopes agency { name kind } } }';
const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken expiresAt tokenType } }';
const REFRESH = 'mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) => jwt.decode(token) as Record<string, unknown>;
const headerOf = (token: string) => jwt.decode(token, { complete: true })!.header;

/** Re-signs a token's claims (undefined removes one) with the test secret and the real kid; keeps its iat. */
function resign(token: string, changes: Record<string, unknown>, secret = TEST_JWT_SECRET) {
  const claims = { ...claimsOf(token), ...changes };
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete claims[k];
  return jwt.sign(claims, secret, { algorithm: 'HS256', keyid: headerOf(token).kid });
}

describe('login', () => {
  it('signs a demo user in and `me` answers with their agency and roles', async () => {
    const r = await app.gql(LOGIN, { e: 'analyst@gmp.example', p: DEMO_PASSWORD });
    const login = r.body.data!.login as { accessToken: string; expiresAt: string; tokenType: string };
    expect(login.tokenType).toBe('Bearer');
    const ttl = (Date.parse(login.expiresAt) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(14 * 60);
    expect(ttl).toBeLessThanOrEqual(15 * 60);
    const me = await app.gql(ME, {}, login.accessToken);
    expect(me.body.data!.me).toMatchObject({
      kind: 'USER',
      displayName: 'Demo Analyst',
      roles: ['ANALYST'],
      scopes: [],
      agency: { name: 'Greater Manchester Police', kind: 'POLICE' },
    });
  });

  it('accepts the email in any case and with surrounding spaces', async () => {
    const r = await app.gql(LOGIN, { e: '  Analyst@GMP.example ', p: DEMO_PASSWORD });
    expect(r.body.data!.login).toBeTruthy();
  });

  it('issues access tokens with the required claims and a typ', async () => {
    const { accessToken, refreshToken } = await app.login('investigator@gmp.example');
    const claims = claimsOf(accessToken);
    expect(claims).toMatchObject({ iss: 'safeshare', aud: 'safeshare-api', typ: 'access', pk: 'USER', roles: ['INVESTIGATOR'] });
    for (const claim of ['sub', 'exp', 'iat', 'jti', 'sid', 'agency']) expect(claims[claim]).toBeDefined();
    expect(claimsOf(refreshToken).typ).toBe('refresh');
    expect(headerOf(accessToken)).toMatchObject({ alg: 'HS256', kid: expect.any(String) });
  });

  it.each([
    ['a wrong password', 'analyst@gmp.example', 'not-the-password'],
    ['an unknown email', 'nobody@gmp.example', DEMO_PASSWORD],
  ])('refuses %s with the same UNAUTHENTICATED message', async (_case, e, p) => {
    const r = await app.gql(LOGIN, { e, p });
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    expect(r.body.errors![0].message).toBe('Invalid credentials');
    expect(r.body.data).toBeNull();
  });

  it('refuses an empty or oversized password as bad input', async () => {
    expect(codes(await app.gql(LOGIN, { e: 'analyst@gmp.example', p: '' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(LOGIN, { e: 'analyst@gmp.example', p: 'x'.repeat(5000) }))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('refresh tokens', () => {
  it('rotate: a refresh returns a working pair, and the old refresh token is spent', async () => {
    const first = await app.login('supervisor@gmp.example');
    const r = await app.gql(REFRESH, { t: first.refreshToken });
    const next = r.body.data!.refreshToken as { accessToken: string; refreshToken: string };
    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect((await app.gql(ME, {}, next.accessToken)).body.data!.me).toMatchObject({ roles: ['SUPERVISOR'] });
    const again = await app.gql(REFRESH, { t: next.refreshToken });
    expect(again.body.data!.refreshToken).toBeTruthy();
  });

  it('reuse of a spent refresh token revokes the whole session', async () => {
    const first = await app.login('supervisor@gmp.example');
    const rotated = (await app.gql(REFRESH, { t: first.refreshToken })).body.data!.refreshToken as {
      accessToken: string;
      refreshToken: string;
    };
    const replay = await app.gql(REFRESH, { t: first.refreshToken });
    expect(codes(replay)).toEqual(['UNAUTHENTICATED']);
    // The thief's replay also ends the legitimate holder's tokens from that session.
    expect(codes(await app.gql(REFRESH, { t: rotated.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await app.gql(ME, {}, rotated.accessToken))).toEqual(['UNAUTHENTICATED']);
  });

  it('cannot be used as an access token, nor an access token as a refresh token', async () => {
    const { accessToken, refreshToken } = await app.login('analyst@gmp.example');
    expect(codes(await app.gql(ME, {}, refreshToken))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await app.gql(REFRESH, { t: accessToken }))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses garbage', async () => {
    expect(codes(await app.gql(REFRESH, { t: 'not.a.token' }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('logout', () => {
  it('revokes the session: its access and refresh tokens stop working', async () => {
    const { accessToken, refreshToken } = await app.login('analyst@gmp.example');
    const r = await app.gql('mutation { logout }', {}, accessToken);
    expect(r.body.data).toEqual({ logout: true });
    expect(codes(await app.gql(ME, {}, accessToken))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await app.gql(REFRESH, { t: refreshToken }))).toEqual(['UNAUTHENTICATED']);
  });

  it('leaves other sessions of the same user alone', async () => {
    const a = await app.login('analyst@gmp.example');
    const b = await app.login('analyst@gmp.example');
    await app.gql('mutation { logout }', {}, a.accessToken);
    expect((await app.gql(ME, {}, b.accessToken)).body.data!.me).toBeTruthy();
  });

  it('needs a token', async () => {
    expect(codes(await app.gql('mutation { logout }'))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('service accounts', () => {
  const SERVICE = 'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken refreshToken } }';

  it('sign in with client id and secret; `me` shows the app, its agency and scopes', async () => {
    const r = await app.gql(SERVICE, { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET });
    const payload = r.body.data!.serviceToken as { accessToken: string; refreshToken: string | null };
    expect(payload.refreshToken).toBeNull();
    const me = await app.gql(ME, {}, payload.accessToken);
    expect(me.body.data!.me).toMatchObject({
      kind: 'SERVICE',
      roles: [],
      scopes: ['SUBMIT_INTELLIGENCE', 'READ_OWN_SUBMISSIONS'],
      agency: { name: 'Safe Futures', kind: 'VOLUNTARY' },
    });
  });

  it('refuses a wrong secret or unknown client alike', async () => {
    for (const [c, s] of [
      [DEMO_CLIENT_ID, 'wrong-secret'],
      ['no-such-app', DEMO_CLIENT_SECRET],
    ]) {
      const r = await app.gql(SERVICE, { c, s });
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
      expect(r.body.errors![0].message).toBe('Invalid credentials');
    }
  });

  it('stop working when the account is disabled', async () => {
    const r = await app.gql(SERVICE, { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET });
    const token = (r.body.data!.serviceToken as { accessToken: string }).accessToken;
    await app.db.query(`UPDATE service_accounts SET disabled_at = now() WHERE client_id = $1`, [DEMO_CLIENT_ID]);
    try {
      expect(codes(await app.gql(ME, {}, token))).toEqual(['UNAUTHENTICATED']);
      expect(codes(await app.gql(SERVICE, { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET }))).toEqual(['UNAUTHENTICATED']);
    } finally {
      await app.db.query(`UPDATE service_accounts SET disabled_at = NULL WHERE client_id = $1`, [DEMO_CLIENT_ID]);
    }
  });
});

describe('forged and unusable access tokens are UNAUTHENTICATED', () => {
  let good: string;
  beforeAll(async () => {
    good = (await app.login('analyst@gmp.example')).accessToken;
  });

  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => string][] = [
    ['alg: none', () => `${b64({ alg: 'none', typ: 'JWT', kid: headerOf(good).kid })}.${good.split('.')[1]}.`],
    ['signed with another secret', () => resign(good, {}, 'another-secret-another-secret-another-secret')],
    ['wrong audience', () => resign(good, { aud: 'some-other-api' })],
    ['wrong issuer', () => resign(good, { iss: 'https://evil.example' })],
    ['no issuer', () => resign(good, { iss: undefined })],
    ['no audience', () => resign(good, { aud: undefined })],
    ['no expiry', () => resign(good, { exp: undefined })],
    ['expired', () => resign(good, { iat: now() - 3600, exp: now() - 600 })],
    ['issued in the future', () => resign(good, { iat: now() + 3600, exp: now() + 7200 })],
    ['no typ', () => resign(good, { typ: undefined })],
    ['an unknown kid', () => jwt.sign(claimsOf(good), TEST_JWT_SECRET, { algorithm: 'HS256', keyid: 'forged-kid' })],
    ['no kid', () => jwt.sign(claimsOf(good), TEST_JWT_SECRET, { algorithm: 'HS256' })],
    [
      'RS256 with an attacker key',
      () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return jwt.sign(claimsOf(good), privateKey, { algorithm: 'RS256', keyid: headerOf(good).kid });
      },
    ],
    [
      'tampered payload',
      () => {
        const [h, , s] = good.split('.');
        return `${h}.${b64({ ...claimsOf(good), roles: ['SUPERVISOR'] })}.${s}`;
      },
    ],
    [
      'HS512 with the right secret (not the configured algorithm)',
      () => jwt.sign(claimsOf(good), TEST_JWT_SECRET, { algorithm: 'HS512', keyid: headerOf(good).kid }),
    ],
    ['a subject that is not a user', () => resign(good, { sub: '00000000-0000-4000-8000-000000000000' })],
    ['garbage', () => 'garbage'],
  ];

  it.each(cases)('%s', async (_case, forge) => {
    const r = await app.gql(ME, {}, forge());
    expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    expect(r.body.data).toBeNull();
  });

  it('the re-signing helper itself produces accepted tokens (so the cases above test what they claim)', async () => {
    const r = await app.gql(ME, {}, resign(good, {}));
    expect(r.body.data!.me).toBeTruthy();
  });

  it('a bad token does not block signing in', async () => {
    const r = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer garbage' },
      body: JSON.stringify({ query: LOGIN, variables: { e: 'analyst@gmp.example', p: DEMO_PASSWORD } }),
    });
    expect(((await r.json()) as { data: { login: unknown } }).data.login).toBeTruthy();
  });
});
