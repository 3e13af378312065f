import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';
import path from 'node:path';
import type { ExtraVerificationKey, JwtAlgorithm, JwtConfig } from '../config';
import { readOrCreateSecret } from '../secret-file';

export interface VerificationKey {
  algorithm: JwtAlgorithm;
  key: string;
}

/** One signing key and the verification keys accepted, by `kid`. */
export interface KeyRing {
  signing: { kid: string; algorithm: JwtAlgorithm; key: string };
  verification: Map<string, VerificationKey>;
}

/** A key id derived from the verification key, so it changes whenever the key does. */
const keyId = (verificationKey: string) => createHash('sha256').update(verificationKey).digest('base64url').slice(0, 16);

/** The key type each asymmetric algorithm needs (and, for EC, its curve). */
const KEY_TYPES: Partial<Record<JwtAlgorithm, { type: string; curve?: string }>> = {
  RS256: { type: 'rsa' },
  ES256: { type: 'ec', curve: 'prime256v1' },
};

/**
 * Refuses, at start, keys that would fail every sign-in later: unparsable PEM, the wrong key type
 * for the algorithm, or a public key that does not belong to the private key.
 */
function assertUsableKeys(algorithm: JwtAlgorithm, signingKey: string, verificationKey: string): void {
  const expected = KEY_TYPES[algorithm];
  if (!expected) return;
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = createPrivateKey(signingKey);
    publicKey = createPublicKey(verificationKey);
  } catch {
    throw new Error(`JWT_PRIVATE_KEY / JWT_PUBLIC_KEY: not PEM keys that ${algorithm} can use`);
  }
  for (const key of [privateKey, publicKey]) {
    const details = key.asymmetricKeyDetails;
    if (key.asymmetricKeyType !== expected.type || (expected.curve && details?.namedCurve !== expected.curve)) {
      throw new Error(`JWT keys: ${algorithm} needs ${expected.curve ? `a ${expected.curve} EC` : 'an RSA'} key pair`);
    }
  }
  const probe = jsonwebtoken.sign({ probe: true }, privateKey, { algorithm });
  try {
    jsonwebtoken.verify(probe, publicKey, { algorithms: [algorithm] });
  } catch {
    throw new Error('JWT_PUBLIC_KEY does not belong to JWT_PRIVATE_KEY');
  }
}

/** Refuses, at start, an extra verification key that could never verify anything. */
function assertUsableVerificationKey(index: number, { algorithm, key }: ExtraVerificationKey): void {
  const expected = KEY_TYPES[algorithm];
  if (!expected) return;
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(key);
  } catch {
    throw new Error(`JWT_VERIFICATION_KEYS[${index}]: not a PEM public key that ${algorithm} can use`);
  }
  const details = publicKey.asymmetricKeyDetails;
  if (publicKey.asymmetricKeyType !== expected.type || (expected.curve && details?.namedCurve !== expected.curve)) {
    throw new Error(`JWT_VERIFICATION_KEYS[${index}]: ${algorithm} needs ${expected.curve ? `a ${expected.curve} EC` : 'an RSA'} key`);
  }
}

/**
 * The signing key, and every key tokens may be verified with: the signing key's own, plus retired
 * (or not yet used) keys from JWT_VERIFICATION_KEYS. Each verifies only its own algorithm, and a token
 * names its key by `kid`; an unknown `kid` verifies nothing.
 */
export function buildKeyRing(jwt: JwtConfig): KeyRing {
  if (!jwt.signingKey || !jwt.verificationKey) {
    throw new Error('No token signing key is configured (set JWT_SECRET, or JWT_PRIVATE_KEY and JWT_PUBLIC_KEY)');
  }
  assertUsableKeys(jwt.algorithm, jwt.signingKey, jwt.verificationKey);
  const kid = keyId(jwt.verificationKey);
  const verification = new Map<string, VerificationKey>([[kid, { algorithm: jwt.algorithm, key: jwt.verificationKey }]]);
  jwt.extraVerificationKeys.forEach((extra, index) => {
    assertUsableVerificationKey(index, extra);
    const extraKid = extra.kid ?? keyId(extra.key);
    if (verification.has(extraKid)) {
      throw new Error(`JWT_VERIFICATION_KEYS[${index}]: kid ${extraKid} is already in use (the signing key, or listed twice)`);
    }
    verification.set(extraKid, { algorithm: extra.algorithm, key: extra.key });
  });
  return { signing: { kid, algorithm: jwt.algorithm, key: jwt.signingKey }, verification };
}

/** The `kid` a key gets when none is configured: what to expect in tokens it signed. */
export const derivedKeyId = keyId;

/**
 * For the embedded demo only: a key generated once into the data directory, so tokens survive
 * restarts without anyone having to configure a secret.
 */
export function withGeneratedKey(jwt: JwtConfig, dataDir: string): JwtConfig {
  if (jwt.signingKey) return jwt;
  if (jwt.algorithm === 'HS256') {
    const secret = readOrCreateSecret(path.join(dataDir, 'jwt-secret'), () => randomBytes(48).toString('base64url'));
    return { ...jwt, signingKey: secret, verificationKey: secret };
  }
  const file = path.join(dataDir, `jwt-${jwt.algorithm.toLowerCase()}.pem`);
  const privateKey = readOrCreateSecret(file, () => {
    const pair =
      jwt.algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  });
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { ...jwt, signingKey: privateKey, verificationKey: publicKey };
}
