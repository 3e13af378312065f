import { createHmac, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { buildKeyRing } from '../../src/auth/keys';
import { TokenService } from '../../src/auth/tokens';
import { loadConfig } from '../../src/config';

const subject = {
  sub: '6f1c1d4e-8a51-4a8a-9d4b-0d6c2b1f2a10',
  sid: '2f9a3c51-1e44-4a43-a1c7-3d7f0b8d6e21',
  pk: 'USER' as const,
  agency: 'a',
  roles: ['ANALYST'],
};

function es256Service() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const config = loadConfig({
    JWT_ALGORITHM: 'ES256',
    JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  return { tokens: new TokenService(buildKeyRing(config.jwt), config.jwt), publicPem: config.jwt.verificationKey! };
}

describe('TokenService with ES256', () => {
  it('round-trips an access token and refuses it as a refresh token', () => {
    const { tokens } = es256Service();
    const { token } = tokens.issue('access', subject);
    expect(tokens.verify(token, 'access')).toMatchObject({ ...subject, typ: 'access' });
    expect(tokens.verify(token, 'refresh')).toBeNull();
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', () => {
    const { tokens, publicPem } = es256Service();
    const { token } = tokens.issue('access', subject);
    const { header, payload } = jwt.decode(token, { complete: true })!;
    // jsonwebtoken itself refuses to sign HMAC with a PEM, so forge the signature by hand.
    const forgedHeader = Buffer.from(JSON.stringify({ ...header, alg: 'HS256' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const signature = createHmac('sha256', publicPem).update(`${forgedHeader}.${body}`).digest('base64url');
    expect(tokens.verify(`${forgedHeader}.${body}.${signature}`, 'access')).toBeNull();
  });

  it("refuses a token signed with another key pair's private key under our kid", () => {
    const ours = es256Service();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const genuine = ours.tokens.issue('access', subject).token;
    const { header, payload } = jwt.decode(genuine, { complete: true })!;
    const forged = jwt.sign(payload, privateKey, { algorithm: 'ES256', keyid: header.kid });
    expect(ours.tokens.verify(genuine, 'access')).not.toBeNull();
    expect(ours.tokens.verify(forged, 'access')).toBeNull();
  });
});

describe('clock skew', () => {
  it('accepts a token just past expiry within the configured skew, not beyond it', () => {
    const config = loadConfig({ JWT_SECRET: 'k'.repeat(32), JWT_CLOCK_SKEW_SECONDS: '30' });
    const tokens = new TokenService(buildKeyRing(config.jwt), config.jwt);
    const kid = buildKeyRing(config.jwt).signing.kid;
    const now = Math.floor(Date.now() / 1000);
    const sign = (exp: number) =>
      jwt.sign(
        { ...subject, iss: 'safeshare', aud: 'safeshare-api', typ: 'access', jti: subject.sid, iat: now - 1000, exp },
        'k'.repeat(32),
        {
          algorithm: 'HS256',
          keyid: kid,
        },
      );
    expect(tokens.verify(sign(now - 10), 'access')).not.toBeNull();
    expect(tokens.verify(sign(now - 60), 'access')).toBeNull();
  });
});

describe('key checks at start', () => {
  const pem = (k: import('node:crypto').KeyObject, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }).toString();
  const ring = (algorithm: string, priv: string, pub: string) =>
    buildKeyRing(loadConfig({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: priv, JWT_PUBLIC_KEY: pub }).jwt);

  it('refuses keys that are not PEM', () => {
    expect(() => ring('RS256', 'not a key', 'not a key either')).toThrow(/not PEM keys/);
  });

  it('refuses a key of the wrong type for the algorithm', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() => ring('ES256', pem(rsa.privateKey, 'pkcs8'), pem(rsa.publicKey, 'spki'))).toThrow(/EC key pair/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => ring('ES256', pem(p384.privateKey, 'pkcs8'), pem(p384.publicKey, 'spki'))).toThrow(/EC key pair/);
  });

  it('refuses a public key that does not belong to the private key', () => {
    const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => ring('ES256', pem(a.privateKey, 'pkcs8'), pem(b.publicKey, 'spki'))).toThrow(/does not belong/);
    expect(() => ring('ES256', pem(a.privateKey, 'pkcs8'), pem(a.publicKey, 'spki'))).not.toThrow();
  });
});

describe('TokenService verification cache', () => {
  it('refuses a token it verified earlier once it has expired (the expiry is checked on every use)', () => {
    const { tokens } = es256Service();
    const { token, expiresAt } = tokens.issue('access', subject);
    expect(tokens.verify(token, 'access')).not.toBeNull();
    expect(tokens.verify(token, 'access')).not.toBeNull();
    const later = jest.spyOn(Date, 'now').mockReturnValue(expiresAt.getTime() + 10 * 60 * 1000);
    try {
      expect(tokens.verify(token, 'access')).toBeNull();
    } finally {
      later.mockRestore();
    }
    // A token of the other type is never answered from the cache.
    expect(tokens.verify(token, 'refresh')).toBeNull();
  });
});
