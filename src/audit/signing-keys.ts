import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditSigningConfig } from '../config';
import { readOrCreateSecret } from '../secret-file';

export const CHECKPOINT_ALGORITHM = 'ed25519';

/** Where the embedded demo (or an operator who opts in) keeps its generated checkpoint key. */
export const generatedAuditKeyFile = (dataDir: string) => path.join(dataDir, 'audit-ed25519.pem');

export interface AuditPublicKey {
  keyId: string;
  publicKeyPem: string;
}

/** The key checkpoints are signed with (if any) and every public key a checkpoint may be verified with, by id. */
export interface AuditKeyRing {
  signing?: AuditPublicKey & { privateKey: KeyObject };
  verification: Map<string, AuditPublicKey>;
}

const spkiPem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

/** A key id derived from the public key (sha256 of its DER form), so it changes whenever the key does. */
export function auditKeyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url').slice(0, 16);
}

function publicKey(pem: string): AuditPublicKey {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== CHECKPOINT_ALGORITHM) throw new Error('audit checkpoint keys must be ed25519');
  const publicKeyPem = spkiPem(key);
  return { keyId: auditKeyId(publicKeyPem), publicKeyPem };
}

/** Builds the ring from configuration: the signing key's own public key plus the retired ones. */
export function buildAuditKeyRing(config: AuditSigningConfig, extraPublicKeys: readonly string[] = []): AuditKeyRing {
  const verification = new Map<string, AuditPublicKey>();
  let signing: AuditKeyRing['signing'];
  if (config.signingKey) {
    const privateKey = createPrivateKey(config.signingKey);
    const own = publicKey(spkiPem(createPublicKey(privateKey)));
    signing = { ...own, privateKey };
    verification.set(own.keyId, own);
  }
  for (const pem of [...config.verificationKeys, ...extraPublicKeys]) {
    const key = publicKey(pem);
    verification.set(key.keyId, key);
  }
  return { signing, verification };
}

/** Only public keys: what an outside verifier trusts (a key file it kept), never a key offered with a checkpoint. */
export function publicKeyRing(pems: readonly string[]): AuditKeyRing {
  return buildAuditKeyRing({ verificationKeys: [...pems], generateKey: false });
}

/** For the embedded demo, or when asked: an ed25519 key generated once into the data directory. */
export function withGeneratedAuditKey(config: AuditSigningConfig, dataDir: string): AuditSigningConfig {
  if (config.signingKey || !config.generateKey) return config;
  const signingKey = readOrCreateSecret(generatedAuditKeyFile(dataDir), () =>
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  );
  return { ...config, signingKey };
}

/** The generated key's public half, if a key was generated into `dataDir` (read only; never creates it). */
export function generatedAuditPublicKey(dataDir: string): string | undefined {
  const file = generatedAuditKeyFile(dataDir);
  if (!existsSync(file)) return undefined;
  return spkiPem(createPublicKey(createPrivateKey(readFileSync(file, 'utf8'))));
}

/** What GET /audit/public-key publishes: the current key's id and every public key checkpoints verify with. */
export function publishedAuditKeys(config: AuditSigningConfig): { algorithm: string; currentKeyId: string | null; keys: AuditPublicKey[] } {
  const ring = buildAuditKeyRing(config);
  return { algorithm: CHECKPOINT_ALGORITHM, currentKeyId: ring.signing?.keyId ?? null, keys: [...ring.verification.values()] };
}
