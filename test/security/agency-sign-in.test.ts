import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { createAgencyWithUser, type IdentityProvider, startIdentityProvider } from '../support/identity-provider';
import { codes, startTestApp, type TestApp } from '../support/test-app';
import { authState, expectHarmless } from './auth-state';

/**
 * An agency's own identity provider signs its users in (TRUSTED_ISSUERS + exchangeToken), and
 * every way of abusing that is refused with UNAUTHENTICATED, no 500, and no session created.
 */

const EXCHANGE = 'mutation($t: String!) { exchangeToken(idToken: $t) { accessToken refreshToken tokenType } }';
const ME = '{ me { id kind displayName roles agency { id name } } }';
const AGENCY = '5b6f0f8e-2c1d-4c9a-8e57-0f3a9d1c2b44';
const EMAIL = 'worker@northshire-csc.example';

let app: TestApp;
let idp: IdentityProvider;
/** An attacker's provider: its own keys and JWKS, never trusted. */
let evil: IdentityProvider;
let userId: string;

beforeAll(async () => {
  idp = await startIdentityProvider('northshire');
  evil = await startIdentityProvider('evil');
  app = await startTestApp({
    TRUSTED_ISSUERS: JSON.stringify([idp.trustedIssuer(AGENCY)]),
    JWKS_REFETCH_INTERVAL_SECONDS: '2',
    LOG_LEVEL: 'info',
  });
  userId = await createAgencyWithUser(app, AGENCY, "Northshire Children's Services", EMAIL);
});
afterAll(async () => {
  await app.close();
  await idp.close();
  await evil.close();
});

const exchange = (token: string) => app.gql<{ exchangeToken: { accessToken: string; refreshToken: string } }>(EXCHANGE, { t: token });
const refused = (token: string) => expectHarmless(app, () => exchange(token), 'UNAUTHENTICATED');
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a valid token from the agency identity provider', () => {
  it('starts a normal Safeshare session for the agency user, with roles from Safeshare, not the token', async () => {
    const before = await authState(app);
    const token = idp.sign({ sub: 'idp-user-1', email: EMAIL, roles: ['SUPERVISOR'], agency: 'someone-else' });
    const r = await exchange(token);
    expect(r.body.errors).toBeUndefined();
    const payload = r.body.data!.exchangeToken;
    expect(payload.refreshToken).toEqual(expect.any(String));
    const me = await app.gql(ME, {}, payload.accessToken);
    expect(me.body.data!.me).toMatchObject({ id: userId, kind: 'USER', roles: ['PRACTITIONER'], agency: { id: AGENCY } });
    expect(jwt.decode(payload.accessToken)).toMatchObject({ iss: 'safeshare', aud: 'safeshare-api', sub: userId });
    const after = await authState(app);
    expect(after.sessions).toBe(before.sessions + 1);
    // The session is an ordinary one: it refreshes like a password sign-in.
    const refreshed = await app.gql('mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }', {
      t: payload.refreshToken,
    });
    expect(refreshed.body.errors).toBeUndefined();
  });

  it('accepts the email in any letter case, and ES256 keys', async () => {
    const kid = idp.addKey('ES256');
    await wait(2100); // past the refetch interval, so the new key can be fetched
    const r = await exchange(idp.sign({ email: ' Worker@Northshire-CSC.example' }, { kid }));
    expect(r.body.errors).toBeUndefined();
  });

  it('ignores a jku header: the key still comes from the configured JWKS, and the other URL is never fetched', async () => {
    const fetched = evil.fetches;
    const r = await exchange(idp.sign({ email: EMAIL }, { header: { jku: evil.jwksUrl, x5u: `${evil.jwksUrl}/cert` } }));
    expect(r.body.errors).toBeUndefined();
    expect(evil.fetches).toBe(fetched);
  });

  it('is recorded in the audit trail as a sign-in, without the token', async () => {
    const token = idp.sign({ email: EMAIL });
    await exchange(token);
    const [event] = (await app.ownerQuery(
      `SELECT action, outcome, actor_id, details FROM audit_events WHERE operation_field = 'exchangeToken' ORDER BY id DESC LIMIT 1`,
    )) as { action: string; outcome: string; actor_id: string; details: unknown }[];
    expect(event).toMatchObject({ action: 'LOGIN', outcome: 'ALLOWED', actor_id: userId });
    expect(JSON.stringify(event.details)).not.toContain(token.split('.')[1]);
  });
});

describe('refused tokens: UNAUTHENTICATED, no session, no stack trace', () => {
  // Each case with the reason the service logs (the caller only ever sees 'Invalid identity token').
  const cases: [string, string, () => string][] = [
    ['wrong issuer (signed by the trusted key)', 'untrusted issuer', () => idp.sign({ email: EMAIL, iss: evil.issuer })],
    ['no issuer', 'untrusted issuer', () => idp.sign({ email: EMAIL, iss: undefined })],
    ['wrong audience', 'invalid signature or claims', () => idp.sign({ email: EMAIL, aud: 'some-other-app' })],
    ['no audience', 'invalid signature or claims', () => idp.sign({ email: EMAIL, aud: undefined })],
    ['expired', 'invalid signature or claims', () => idp.sign({ email: EMAIL, iat: now() - 3600, exp: now() - 600 })],
    [
      'expired just beyond the clock skew',
      'invalid signature or claims',
      () => idp.sign({ email: EMAIL, iat: now() - 3600, exp: now() - 45 }),
    ],
    ['not yet valid (nbf)', 'invalid signature or claims', () => idp.sign({ email: EMAIL, nbf: now() + 600 })],
    ['issued in the future', 'invalid signature or claims', () => idp.sign({ email: EMAIL, iat: now() + 600, exp: now() + 1200 })],
    ['no expiry', 'invalid signature or claims', () => idp.sign({ email: EMAIL, exp: undefined })],
    ['a user of another agency', 'user of another agency', () => idp.sign({ email: 'analyst@gmp.example' })],
    ['an unknown email', 'no such user', () => idp.sign({ email: 'nobody@northshire-csc.example' })],
    ['no email claim', 'no email', () => idp.sign({ sub: 'idp-user-1' })],
    ['an email the provider has not verified', 'no email', () => idp.sign({ email: EMAIL, email_verified: false })],
    [
      'signed by an attacker key under the trusted issuer',
      'unknown key',
      () => evil.sign({ email: EMAIL, iss: idp.issuer, aud: idp.audience }),
    ],
    [
      'an attacker key with jku pointing at the attacker JWKS',
      'unknown key',
      () => evil.sign({ email: EMAIL, iss: idp.issuer, aud: idp.audience }, { header: { jku: evil.jwksUrl } }),
    ],
    [
      'an attacker key embedded as a jwk header, under a trusted kid',
      'invalid signature or claims',
      () => {
        const kid = evil.addUnpublishedKey();
        const trustedKid = jwt.decode(idp.sign({}), { complete: true })!.header.kid;
        return evil.sign(
          { email: EMAIL, iss: idp.issuer, aud: idp.audience },
          { kid, header: { kid: trustedKid, jwk: evil.publicJwk(kid) } },
        );
      },
    ],
    [
      'alg: none',
      'algorithm not allowed',
      () => {
        const { header, payload } = jwt.decode(idp.sign({ email: EMAIL }), { complete: true })!;
        return `${b64({ ...header, alg: 'none' })}.${b64(payload as object)}.`;
      },
    ],
    [
      'HS256 signed with the JWKS public key as the secret',
      'algorithm not allowed',
      () => {
        const { header, payload } = jwt.decode(idp.sign({ email: EMAIL }), { complete: true })!;
        const forged = `${b64({ ...header, alg: 'HS256' })}.${b64(payload as object)}`;
        const secret = JSON.stringify(idp.publicJwk(header.kid!));
        return `${forged}.${createHmac('sha256', secret).update(forged).digest('base64url')}`;
      },
    ],
    [
      'tampered email',
      'invalid signature or claims',
      () => {
        const [h, p, s] = idp.sign({ email: 'someone@northshire-csc.example' }).split('.');
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as object;
        return `${h}.${b64({ ...claims, email: EMAIL })}.${s}`;
      },
    ],
    ['no kid', 'unknown key', () => idp.sign({ email: EMAIL }, { header: { kid: undefined } })],
    ['garbage', 'malformed', () => 'not.a.token'],
  ];

  it.each(cases)('%s', async (_case, reason, forge) => {
    app.logs.length = 0;
    const r = await refused(forge());
    expect(r.body.errors![0].message).toBe('Invalid identity token');
    expect(app.logs.filter((l) => l.event === 'token_exchange_failed').map((l) => l.reason)).toEqual([reason]);
  });

  it("Safeshare's own access token is not an identity token, and an identity token is not an access token", async () => {
    const own = (await app.login('analyst@gmp.example')).accessToken;
    await refused(own);
    const external = idp.sign({ email: EMAIL });
    await expectHarmless(app, () => app.gql(ME, {}, external), 'UNAUTHENTICATED');
  });

  it('a disabled user cannot sign in through the provider', async () => {
    await app.ownerQuery(`UPDATE users SET disabled_at = now() WHERE id = $1`, [userId]);
    try {
      await refused(idp.sign({ email: EMAIL }));
    } finally {
      await app.ownerQuery(`UPDATE users SET disabled_at = NULL WHERE id = $1`, [userId]);
    }
  });
});

describe('keys of the provider', () => {
  it('an unknown kid triggers one refetch, then is refused; another at once does not refetch', async () => {
    await wait(2100);
    const fetched = idp.fetches;
    const first = await exchange(idp.sign({ email: EMAIL }, { kid: idp.addUnpublishedKey() }));
    const second = await exchange(idp.sign({ email: EMAIL }, { kid: idp.addUnpublishedKey() }));
    expect(idp.fetches).toBe(fetched + 1);
    expect([...codes(first), ...codes(second)]).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    await refused(idp.sign({ email: EMAIL }, { kid: idp.addUnpublishedKey() }));
  });

  it('a key the provider rotated in is fetched and accepted', async () => {
    const kid = idp.addKey();
    await wait(2100);
    const fetched = idp.fetches;
    const r = await exchange(idp.sign({ email: EMAIL }, { kid }));
    expect(r.body.errors).toBeUndefined();
    expect(idp.fetches).toBe(fetched + 1);
    // Cached now: the next sign-in needs no fetch.
    await exchange(idp.sign({ email: EMAIL }, { kid }));
    expect(idp.fetches).toBe(fetched + 1);
  });
});

describe('an unreachable or slow provider', () => {
  it('refuses sign-ins through it cleanly, within the fetch timeout', async () => {
    const silent = http.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const other = await startTestApp({
      TRUSTED_ISSUERS: JSON.stringify([idp.trustedIssuer(AGENCY, { jwksUrl: `http://127.0.0.1:${port}/jwks` })]),
      JWKS_FETCH_TIMEOUT_MS: '300',
    });
    try {
      const started = Date.now();
      const r = await expectHarmless(other, () => other.gql(EXCHANGE, { t: idp.sign({ email: EMAIL }) }), 'UNAUTHENTICATED');
      expect(Date.now() - started).toBeLessThan(3000);
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    } finally {
      await other.close();
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('with no trusted issuers configured, exchangeToken refuses everything', async () => {
    const plain = await startTestApp();
    try {
      await expectHarmless(plain, () => plain.gql(EXCHANGE, { t: idp.sign({ email: EMAIL }) }), 'UNAUTHENTICATED');
    } finally {
      await plain.close();
    }
  });
});
