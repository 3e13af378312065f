import { loadConfig } from '../../src/config';

const AGENCY = '6f1c1d4e-8a51-4a8a-9d4b-0d6c2b1f2a10';
const issuer = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify([
    { issuer: 'https://idp.example', jwksUrl: 'https://idp.example/jwks', audience: 'safeshare', agencyId: AGENCY, ...overrides },
  ]);

describe('TRUSTED_ISSUERS', () => {
  it('reads issuers with their defaults', () => {
    expect(loadConfig({ TRUSTED_ISSUERS: issuer() }).jwt.trustedIssuers).toEqual([
      {
        issuer: 'https://idp.example',
        jwksUrl: 'https://idp.example/jwks',
        audience: 'safeshare',
        agencyId: AGENCY,
        emailClaim: 'email',
        algorithms: ['RS256', 'ES256'],
      },
    ]);
    expect(loadConfig({}).jwt.trustedIssuers).toEqual([]);
  });

  it('requires https for the JWKS, except on the loopback interface', () => {
    expect(() => loadConfig({ TRUSTED_ISSUERS: issuer({ jwksUrl: 'http://idp.example/jwks' }) })).toThrow(/jwksUrl: must be https/);
    expect(loadConfig({ TRUSTED_ISSUERS: issuer({ jwksUrl: 'http://127.0.0.1:8080/jwks' }) }).jwt.trustedIssuers).toHaveLength(1);
    expect(loadConfig({ TRUSTED_ISSUERS: issuer({ jwksUrl: 'http://localhost:8080/jwks' }) }).jwt.trustedIssuers).toHaveLength(1);
  });

  it.each([
    ['not JSON', 'nope', /TRUSTED_ISSUERS: not valid JSON/],
    ['an unknown field', issuer({ jku: 'x' }), /TRUSTED_ISSUERS:/],
    ['a bad agency id', issuer({ agencyId: 'police' }), /TRUSTED_ISSUERS: \[0\]\.agencyId/],
    ['a symmetric algorithm', issuer({ algorithms: ['HS256'] }), /TRUSTED_ISSUERS: \[0\]\.algorithms/],
    ['another URL scheme', issuer({ jwksUrl: 'file:///etc/passwd' }), /TRUSTED_ISSUERS: \[0\]\.jwksUrl/],
  ])('refuses %s', (_case, value, message) => {
    expect(() => loadConfig({ TRUSTED_ISSUERS: value })).toThrow(message);
  });

  it('refuses the same issuer twice', () => {
    const one = JSON.parse(issuer()) as unknown[];
    expect(() => loadConfig({ TRUSTED_ISSUERS: JSON.stringify([...one, ...one]) })).toThrow(/listed twice/);
  });
});

describe('JWT_VERIFICATION_KEYS', () => {
  it('takes extra keys, the algorithm defaulting to JWT_ALGORITHM', () => {
    const c = loadConfig({ JWT_VERIFICATION_KEYS: JSON.stringify([{ key: 'o'.repeat(32) }, { key: 'p'.repeat(32), kid: 'old-2' }]) });
    expect(c.jwt.extraVerificationKeys).toEqual([
      { algorithm: 'HS256', key: 'o'.repeat(32), kid: undefined },
      { algorithm: 'HS256', key: 'p'.repeat(32), kid: 'old-2' },
    ]);
  });

  it('refuses short secrets, private keys and malformed entries', () => {
    expect(() => loadConfig({ JWT_VERIFICATION_KEYS: '[{"key":"short"}]' })).toThrow(/at least 32/);
    expect(() => loadConfig({ JWT_VERIFICATION_KEYS: JSON.stringify([{ alg: 'RS256', key: '-----BEGIN PRIVATE KEY-----\nx' }]) })).toThrow(
      /never a private one/,
    );
    expect(() => loadConfig({ JWT_VERIFICATION_KEYS: '[{"secret":"x"}]' })).toThrow(/JWT_VERIFICATION_KEYS/);
    expect(() => loadConfig({ JWT_VERIFICATION_KEYS: '[{"key":"' + 'k'.repeat(32) + '","alg":"none"}]' })).toThrow(/alg/);
  });
});

describe('sign-in lock-out', () => {
  it('defaults to 5 failures, then 1 minute doubling up to 15', () => {
    expect(loadConfig({}).lockout).toEqual({ threshold: 5, baseSeconds: 60, maxSeconds: 900, windowSeconds: 86_400 });
    expect(loadConfig({ LOGIN_LOCKOUT_THRESHOLD: '3' }).lockout.threshold).toBe(3);
    expect(() => loadConfig({ LOGIN_LOCKOUT_THRESHOLD: '0' })).toThrow(/LOGIN_LOCKOUT_THRESHOLD/);
  });
});
