import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * TOTP secrets at rest: with TOTP_ENCRYPTION_KEY set, sealed with AES-256-GCM (a random 96-bit IV
 * each, the user's id as associated data, so a sealed secret copied to another user's row does not
 * open); without it, stored as given. Sealed values read `enc:v1:<base64url of iv, tag, ciphertext>`,
 * so both kinds can be read while an operator moves from one to the other.
 */
const PREFIX = 'enc:v1:';

export function sealTotpSecret(secret: string, userId: string, key: Buffer | undefined): string {
  if (!key) return secret;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(userId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The secret a stored value holds. A sealed value without the key (or with another key) throws: a configuration error, never a silent refusal. */
export function openTotpSecret(stored: string, userId: string, key: Buffer | undefined): string {
  if (!stored.startsWith(PREFIX)) return stored;
  if (!key) throw new Error('a TOTP secret is encrypted but TOTP_ENCRYPTION_KEY is not set');
  const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(userId));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
