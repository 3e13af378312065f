import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { derivedKeyId } from '../../src/auth/keys';
import { codes, startTestApp, type TestApp } from '../support/test-app';
import { TEST_JWT_SECRET } from '../support/test-config';
import { expectHarmless } from './auth-state';

/**
 * RFC 8725 attacks on Safeshare's own tokens. Each forged token is sent with a mutation that would
 * write (so "refused" is checked against the database, not only the response): UNAUTHENTICATED, no
 * 500, no stack trace, and sessions, refresh tokens and case tables exactly as they were.
 */

const SUBMIT = 'mutation { submitIntelligence(input: { sourceType: POLICE, narrative: "Forged-token probe" }) { id } }';
const REFRESH = 'mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }';
const ME = '{ me { id roles } }';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) => jwt.decode(token) as Record<string, unknown>;
const headerOf = (token: string) => jwt.decode(token, { complete: true })!.header;
const now = () => Math.floor(Date.now() / 1000);

/** Re-signs claims (undefined removes one) with a secret, under a kid, with extra header members. */
function hs256(claims: Record<string, unknown>, secret: string, header: Record<string, unknown>): string {
  const payload = { ...claims };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete payload[k];
  const head = b64({ alg: 'HS256', typ: 'JWT', ...header });
  const body = b64(payload);
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

describe('HS256 service: forged and misused tokens', () => {
  let app: TestApp;
  let access: string;
  let refresh: string;
  beforeAll(async () => {
    app = await startTestApp();
    ({ accessToken: access, refreshToken: refresh } = await app.login('analyst@gmp.example'));
  });
  afterAll(() => app.close());

  const resign = (changes: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    hs256({ ...claimsOf(access), ...changes }, TEST_JWT_SECRET, { kid: headerOf(access).kid, ...header });

  const attacks: [string, () => string][] = [
    ['alg: none', () => `${b64({ alg: 'none', typ: 'JWT', kid: headerOf(access).kid })}.${access.split('.')[1]}.`],
    [
      'alg: "None" with a signature',
      () => `${b64({ alg: 'None', kid: headerOf(access).kid })}.${access.split('.')[1]}.${access.split('.')[2]}`,
    ],
    ['missing exp', () => resign({ exp: undefined })],
    ['wrong aud', () => resign({ aud: 'another-api' })],
    ['aud as a list naming us and another', () => resign({ aud: ['safeshare-api', 'another-api'] })],
    ['wrong iss', () => resign({ iss: 'https://evil.example' })],
    ['missing typ', () => resign({ typ: undefined })],
    ['refresh token used as access token', () => refresh],
    ['forged kid (real secret, unknown kid)', () => resign({}, { kid: 'forged-kid' })],
    ['kid pointing at a file', () => resign({}, { kid: '../../../../dev/null' })],
    ['expired', () => resign({ iat: now() - 3600, exp: now() - 600 })],
    ['not yet valid (nbf)', () => resign({ nbf: now() + 600 })],
    ['issued in the future', () => resign({ iat: now() + 600, exp: now() + 1200 })],
    ['jku header (real secret)', () => resign({}, { jku: 'https://evil.example/jwks.json' })],
    ['x5u header (real secret)', () => resign({}, { x5u: 'https://evil.example/cert.pem' })],
    [
      'embedded jwk header with an attacker key',
      () => {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return jwt.sign(claimsOf(access), privateKey, {
          algorithm: 'RS256',
          header: { alg: 'RS256', kid: headerOf(access).kid, jwk: publicKey.export({ format: 'jwk' }) } as jwt.JwtHeader,
        });
      },
    ],
    ['signed with another secret', () => hs256(claimsOf(access), 'x'.repeat(48), { kid: headerOf(access).kid })],
    [
      'escalated roles',
      () => `${access.split('.')[0]}.${b64({ ...claimsOf(access), roles: ['SUPERVISOR', 'ADMIN'] })}.${access.split('.')[2]}`,
    ],
  ];

  it.each(attacks)('%s', async (_case, forge) => {
    await expectHarmless(app, () => app.gql(SUBMIT, {}, forge()), 'UNAUTHENTICATED');
  });

  it('the forging helper itself produces accepted tokens, so the cases above test what they claim', async () => {
    expect((await app.gql(ME, {}, resign({}))).body.data).toEqual({ me: expect.objectContaining({ roles: ['ANALYST'] }) });
  });

  it('an access token used as a refresh token spends nothing and revokes nothing', async () => {
    await expectHarmless(app, () => app.gql(REFRESH, { t: access }), 'UNAUTHENTICATED');
    expect((await app.gql(ME, {}, access)).body.errors).toBeUndefined();
  });

  it.each([
    [
      'a forged jti',
      () => hs256({ ...claimsOf(refresh), jti: '00000000-0000-4000-8000-000000000000' }, 'x'.repeat(48), { kid: headerOf(refresh).kid }),
    ],
    ['alg: none', () => `${b64({ alg: 'none', kid: headerOf(refresh).kid })}.${refresh.split('.')[1]}.`],
    ['a jku header', () => hs256(claimsOf(refresh), TEST_JWT_SECRET, { ...headerOf(refresh), jku: 'https://evil.example/jwks.json' })],
  ])('a refresh token with %s is refused without spending or revoking anything', async (_case, forge) => {
    await expectHarmless(app, () => app.gql(REFRESH, { t: forge() }), 'UNAUTHENTICATED');
  });
});

describe('RS256 service', () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let app: TestApp;
  let access: string;
  beforeAll(async () => {
    app = await startTestApp({
      JWT_SECRET: '',
      JWT_ALGORITHM: 'RS256',
      JWT_PRIVATE_KEY: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      JWT_PUBLIC_KEY: publicPem,
    });
    access = (await app.login('analyst@gmp.example')).accessToken;
  });
  afterAll(() => app.close());

  it('issues RS256 tokens that work', async () => {
    expect(headerOf(access).alg).toBe('RS256');
    expect((await app.gql(ME, {}, access)).body.errors).toBeUndefined();
  });

  it.each([
    ['the PEM public key', () => publicPem],
    ['the PEM public key without its final newline', () => publicPem.trimEnd()],
    ['the public key as a JWK', () => JSON.stringify(pair.publicKey.export({ format: 'jwk' }))],
  ])('refuses HS256 signed with %s (algorithm confusion)', async (_case, secret) => {
    const forged = hs256(claimsOf(access), secret(), { kid: headerOf(access).kid });
    await expectHarmless(app, () => app.gql(SUBMIT, {}, forged), 'UNAUTHENTICATED');
  });

  it('refuses RS256 signed by an attacker key under our kid', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = jwt.sign(claimsOf(access), attacker.privateKey, { algorithm: 'RS256', keyid: headerOf(access).kid });
    await expectHarmless(app, () => app.gql(SUBMIT, {}, forged), 'UNAUTHENTICATED');
  });
});

describe('key rotation', () => {
  const OLD = 'old-secret-that-signed-last-month-0123456789';
  const NEW = 'new-secret-that-signs-from-today-0123456789';

  it('tokens signed with a retired key that is still listed verify; unlisted or unknown kids do not', async () => {
    const app = await startTestApp({ JWT_SECRET: NEW, JWT_VERIFICATION_KEYS: JSON.stringify([{ key: OLD }]) });
    try {
      const { accessToken } = await app.login('analyst@gmp.example');
      expect(headerOf(accessToken).kid).toBe(derivedKeyId(NEW));
      // A token from before the rotation: same session, old key, the kid the old key always had.
      const beforeRotation = hs256(claimsOf(accessToken), OLD, { kid: derivedKeyId(OLD) });
      expect((await app.gql(ME, {}, beforeRotation)).body.errors).toBeUndefined();
      // The old kid verifies only with the old key, and an unknown kid with nothing.
      await expectHarmless(
        app,
        () => app.gql(SUBMIT, {}, hs256(claimsOf(accessToken), NEW, { kid: derivedKeyId(OLD) })),
        'UNAUTHENTICATED',
      );
      await expectHarmless(
        app,
        () => app.gql(SUBMIT, {}, hs256(claimsOf(accessToken), OLD, { kid: 'retired-long-ago' })),
        'UNAUTHENTICATED',
      );
    } finally {
      await app.close();
    }
  });

  it('once the retired key is removed from the list, its tokens stop working', async () => {
    const app = await startTestApp({ JWT_SECRET: NEW });
    try {
      const { accessToken } = await app.login('analyst@gmp.example');
      const old = hs256(claimsOf(accessToken), OLD, { kid: derivedKeyId(OLD) });
      expect(codes(await app.gql(ME, {}, old))).toEqual(['UNAUTHENTICATED']);
    } finally {
      await app.close();
    }
  });

  it('a retired RS256 key verifies only RS256, after moving to ES256 with an explicit kid', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsaPublic = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const app = await startTestApp({
      JWT_SECRET: '',
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      JWT_PUBLIC_KEY: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      JWT_VERIFICATION_KEYS: JSON.stringify([{ kid: '2025-rsa', alg: 'RS256', key: rsaPublic }]),
    });
    try {
      const { accessToken } = await app.login('analyst@gmp.example');
      expect(headerOf(accessToken).alg).toBe('ES256');
      const old = jwt.sign(claimsOf(accessToken), rsa.privateKey, { algorithm: 'RS256', keyid: '2025-rsa' });
      expect((await app.gql(ME, {}, old)).body.errors).toBeUndefined();
      const confused = hs256(claimsOf(accessToken), rsaPublic, { kid: '2025-rsa' });
      await expectHarmless(app, () => app.gql(SUBMIT, {}, confused), 'UNAUTHENTICATED');
    } finally {
      await app.close();
    }
  });
});
