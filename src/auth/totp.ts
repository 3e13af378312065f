import { createHash, randomBytes } from 'node:crypto';
import { authenticator } from 'otplib';

/**
 * The TOTP arithmetic (RFC 6238, the authenticator-app profile: SHA-1, 6 digits, 30-second steps)
 * and the recovery codes: pure functions of their inputs and the clock, no storage.
 */

/** Seconds a code lasts. */
export const TOTP_STEP_SECONDS = 30;
/** Codes one step either side of now are accepted: a phone's clock drifts, a person types slowly. */
export const TOTP_WINDOW = 1;
/** 20 random bytes: the key length RFC 4226 recommends for HMAC-SHA-1 (32 base32 characters). */
const SECRET_BYTES = 20;
/** How many recovery codes a confirmation hands out. */
export const RECOVERY_CODE_COUNT = 10;

const at = (nowMs: number) => authenticator.clone({ step: TOTP_STEP_SECONDS, window: TOTP_WINDOW, epoch: nowMs });

/** A new random secret, in base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return at(Date.now()).generateSecret(SECRET_BYTES);
}

/** The `otpauth://` URI an authenticator app reads (as a QR code) to add the account. */
export function totpUri(secret: string, accountName: string, issuer: string): string {
  return at(Date.now()).keyuri(accountName, issuer, secret);
}

/** The code the secret gives at `nowMs` (for tests and tools; the service only verifies). */
export function totpCode(secret: string, nowMs = Date.now()): string {
  return at(nowMs).generate(secret);
}

/** The time step (counter) `nowMs` falls in. */
export const totpStep = (nowMs: number) => Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);

/**
 * The time step of the code `code` is for `secret` within the window around `nowMs`, or null when it
 * is no such code. The caller refuses a step not after the last one accepted (replay).
 */
export function matchTotp(secret: string, code: string, nowMs = Date.now()): number | null {
  const digits = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(digits)) return null;
  const delta = at(nowMs).checkDelta(digits, secret);
  return delta === null ? null : totpStep(nowMs) + delta;
}

/** Whether a submitted code has a TOTP code's shape (six digits, spaces allowed) rather than a recovery code's. */
export const looksLikeTotp = (code: string) => /^\d{6}$/.test(code.replace(/\s+/g, ''));

const RECOVERY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * A recovery code: 16 characters from a 32-letter alphabet without look-alikes (80 random bits),
 * grouped in fours: `ABCD-EFGH-JKLM-NPQR`.
 */
export function newRecoveryCode(): string {
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % 32]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** A recovery code as typed (any case, with or without dashes or spaces), in its stored form; null if it cannot be one. */
export function normaliseRecoveryCode(code: string): string | null {
  const plain = code.toUpperCase().replace(/[\s-]+/g, '');
  return /^[A-HJ-NP-Z2-9]{16}$/.test(plain) ? plain : null;
}

/** What is stored of a recovery code, a challenge secret: its SHA-256 (each holds 80 or more random bits, so no slow hash is needed). */
export const hashOneTimeSecret = (normalised: string) => createHash('sha256').update(normalised).digest('hex');
