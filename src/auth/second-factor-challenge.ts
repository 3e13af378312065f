import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestContext } from '../context/request-context';
import { insertChallenge } from './second-factor.queries';
import { hashOneTimeSecret } from './totp';

/** How long the step between a password and a code lasts. */
export const CHALLENGE_TTL_SECONDS = 300;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface IssuedChallenge {
  challenge: string;
  expiresAt: Date;
}

/**
 * The password was right and the account has a second factor: instead of tokens, a single-use
 * challenge (its id, a dot and 32 random bytes, base64url; only the random part's hash is stored)
 * that completeSecondFactor takes with a code. The audit event of this step names the user, with no token.
 */
export async function issueSecondFactorChallenge(
  ctx: RequestContext,
  user: { id: string; agencyId: string; roles: string[] },
): Promise<IssuedChallenge> {
  const secret = randomBytes(32).toString('base64url');
  const row = await insertChallenge(ctx.db, user.id, hashOneTimeSecret(secret), CHALLENGE_TTL_SECONDS);
  ctx.audit.signedIn = { id: user.id, kind: 'USER', agencyId: user.agencyId, roles: user.roles, tokenId: null };
  return { challenge: `${row.id}.${secret}`, expiresAt: row.expires_at };
}

/** A challenge's id and secret, or null when the text cannot be one. */
export function parseChallenge(challenge: string): { id: string; secret: string } | null {
  const text = challenge.trim();
  const dot = text.indexOf('.');
  const id = text.slice(0, dot);
  const secret = text.slice(dot + 1);
  return dot > 0 && UUID.test(id) && /^[A-Za-z0-9_-]{43}$/.test(secret) ? { id, secret } : null;
}

/** Whether `secret` is the one whose hash was stored (compared in constant time). */
export function challengeSecretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashOneTimeSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
