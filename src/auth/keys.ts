import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { JwtAlgorithm, JwtConfig } from '../config';
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

export function buildKeyRing(jwt: JwtConfig): KeyRing {
  if (!jwt.signingKey || !jwt.verificationKey) {
    throw new Error('No token signing key is configured (set JWT_SECRET, or JWT_PRIVATE_KEY and JWT_PUBLIC_KEY)');
  }
  const kid = keyId(jwt.verificationKey);
  return {
    signing: { kid, algorithm: jwt.algorithm, key: jwt.signingKey },
    verification: new Map([[kid, { algorithm: jwt.algorithm, key: jwt.verificationKey }]]),
  };
}

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
