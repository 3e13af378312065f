import { agencyIsActive } from '../agencies/agency.queries';
import { AppError, ErrorCode, unauthenticated } from '../errors';
import { type AppServices, inTransaction, type RequestContext } from '../context/request-context';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { normaliseEmail } from '../users/user.service';
import {
  findLiveUserSession,
  findServiceAccountByClientId,
  findUserByEmail,
  insertRefreshToken,
  insertSession,
  lockRefreshToken,
  markRefreshTokenUsed,
  revokeSession,
  updatePasswordHash,
  updateSecretHash,
} from './auth.queries';
import type { AuthPayload } from './auth.types';
import { hashSecret, needsRehash, verifyAgainstDummy, verifySecret } from './passwords';
import { type IssuedChallenge, issueSecondFactorChallenge } from './second-factor-challenge';
import { hasActiveSecondFactor } from './second-factor.queries';
import { accountKey, claimAttempt, clearAttempts } from './sign-in-throttle';
import type { PrincipalKind, TokenService } from './tokens';

/** The one message for every failed sign-in: it never says whether the account exists. */
const INVALID_CREDENTIALS = 'Invalid credentials';

/** After an administrator's password reset: FORBIDDEN until the user sets a new password with the reset token. */
const passwordChangeRequired = () =>
  new AppError(
    ErrorCode.FORBIDDEN,
    'A new password must be set first, with the reset token from your administrator (completePasswordReset)',
    {
      reason: 'PASSWORD_CHANGE_REQUIRED',
    },
  );

export interface SessionSubject {
  sub: string;
  pk: PrincipalKind;
  agency: string;
  roles: string[];
}

/** Issues an access token (and for users a refresh token, recorded for rotation) in a session. */
export async function issueTokens(ctx: RequestContext, sessionId: string, subject: SessionSubject): Promise<AuthPayload> {
  const access = ctx.tokens.issue('access', { ...subject, sid: sessionId });
  // The caller had no token: the audit event of this sign-in names who it became.
  ctx.audit.signedIn = { id: subject.sub, kind: subject.pk, agencyId: subject.agency, roles: subject.roles, tokenId: access.jti };
  let refreshToken: string | null = null;
  if (subject.pk === 'USER') {
    const refresh = ctx.tokens.issue('refresh', { ...subject, sid: sessionId });
    await insertRefreshToken(ctx.db, { id: refresh.jti, sessionId, expiresAt: refresh.expiresAt });
    refreshToken = refresh.token;
  }
  return {
    accessToken: access.token,
    refreshToken,
    expiresAt: access.expiresAt,
    tokenType: 'Bearer',
    secondFactorRequired: false,
    secondFactor: null,
  };
}

/**
 * Signs a user in with email and password, starting a new session. After repeated failures the
 * email is locked out for a while (RATE_LIMITED, password not checked), whether or not it exists.
 * For an account with a TOTP second factor the right password returns no tokens but a challenge
 * (`secondFactorRequired`), which completeSecondFactor takes with a code (second-factor.service.ts).
 */
export async function login(ctx: RequestContext, email: string, password: string): Promise<AuthPayload> {
  const normalised = normaliseEmail(email);
  const throttle = accountKey('user', normalised);
  await claimOrLog(ctx, throttle, 'login_locked');
  const user = await findUserByEmail(ctx.db, normalised);
  const valid = user ? await verifySecret(user.passwordHash, password) : await verifyAgainstDummy(password, ctx.config.argon2);
  // Users and apps of an agency awaiting approval cannot sign in; it refuses exactly as a wrong
  // password does: no enumeration.
  if (!user || !valid || user.disabledAt || !(await agencyIsActive(ctx.db, user.agencyId))) {
    ctx.log.info({ event: 'login_failed' }, 'failed sign-in');
    throw unauthenticated(INVALID_CREDENTIALS);
  }
  // Only with the right password: after an administrator's reset, the old password opens nothing.
  if (user.mustChangePassword) throw passwordChangeRequired();
  const rehashed = needsRehash(user.passwordHash, ctx.config.argon2) ? await hashSecret(password, ctx.config.argon2) : null;
  return inTransaction(ctx, async (ctx) => {
    if (rehashed) await updatePasswordHash(ctx.db, user.id, rehashed, user.passwordHash);
    // Half a sign-in: the attempt stays counted until the code is right, so guessing codes is throttled too.
    if (await hasActiveSecondFactor(ctx.db, user.id)) return secondFactorPayload(await issueSecondFactorChallenge(ctx, user));
    await clearAttempts(ctx.db, throttle);
    const session = await insertSession(ctx.db, { userId: user.id, serviceAccountId: null });
    return issueTokens(ctx, session.id, { sub: user.id, pk: 'USER', agency: user.agencyId, roles: user.roles });
  });
}

/** What `login` returns in place of tokens while a second factor is still needed. */
const secondFactorPayload = (challenge: IssuedChallenge): AuthPayload => ({
  accessToken: null,
  refreshToken: null,
  expiresAt: null,
  tokenType: 'Bearer',
  secondFactorRequired: true,
  secondFactor: challenge,
});

/** Signs a partner app in with its client id and secret (OAuth client-credentials style); locked out as `login` is. */
export async function serviceToken(ctx: RequestContext, clientId: string, clientSecret: string): Promise<AuthPayload> {
  const throttle = accountKey('service', clientId);
  await claimOrLog(ctx, throttle, 'service_token_locked');
  const account = await findServiceAccountByClientId(ctx.db, clientId);
  const current = account
    ? await verifySecret(account.secretHash, clientSecret)
    : await verifyAgainstDummy(clientSecret, ctx.config.argon2);
  // After a rotation the secret before it works until its grace ends; then it fails as a wrong one does.
  const valid = current || (account ? await verifiesPreviousSecret(account, clientSecret) : false);
  if (!account || !valid || account.disabledAt || !(await agencyIsActive(ctx.db, account.agencyId))) {
    ctx.log.info({ event: 'service_token_failed' }, 'failed partner app sign-in');
    throw unauthenticated(INVALID_CREDENTIALS);
  }
  const rehashed = current && needsRehash(account.secretHash, ctx.config.argon2) ? await hashSecret(clientSecret, ctx.config.argon2) : null;
  return inTransaction(ctx, async (ctx) => {
    await clearAttempts(ctx.db, throttle);
    if (rehashed) {
      await updateSecretHash(ctx.db, account.id, rehashed, account.secretHash);
    }
    const session = await insertSession(ctx.db, { userId: null, serviceAccountId: account.id });
    return issueTokens(ctx, session.id, { sub: account.id, pk: 'SERVICE', agency: account.agencyId, roles: [] });
  });
}

/** Whether `secret` is the app's previous secret, still within its grace. */
async function verifiesPreviousSecret(
  account: { previousSecretHash: string | null; previousSecretExpiresAt: Date | null },
  secret: string,
): Promise<boolean> {
  if (!account.previousSecretHash || !account.previousSecretExpiresAt || account.previousSecretExpiresAt <= new Date()) return false;
  return verifySecret(account.previousSecretHash, secret);
}

async function claimOrLog(ctx: RequestContext, throttle: string, event: string): Promise<void> {
  try {
    await claimAttempt(ctx.db, throttle, ctx.config.lockout);
  } catch (error) {
    ctx.log.warn({ event }, 'sign-in refused: locked out after repeated failures');
    throw error;
  }
}

/** The one message for every refused identity token: the reason is logged, never told. */
const INVALID_IDENTITY_TOKEN = 'Invalid identity token';

/**
 * Signs in a user whose agency's own identity provider vouches for them (TRUSTED_ISSUERS): the
 * provider's token names an email, which must belong to an active Safeshare user of the agency that
 * provider is trusted for. Roles come from Safeshare, never from the token. Starts a session as `login` does.
 */
export async function exchangeToken(ctx: RequestContext, idToken: string): Promise<AuthPayload> {
  const refuse = (reason: string) => {
    ctx.log.info({ event: 'token_exchange_failed', reason }, 'identity token refused');
    return unauthenticated(INVALID_IDENTITY_TOKEN);
  };
  if (!ctx.tokens.external.configured) throw refuse('no trusted issuers configured');
  const verified = await ctx.tokens.external.verify(idToken, ctx.log);
  if ('refused' in verified) throw refuse(verified.refused);
  const { identity } = verified;
  const user = await findUserByEmail(ctx.db, normaliseEmail(identity.email));
  if (!user) throw refuse('no such user');
  if (user.agencyId !== identity.agencyId) throw refuse('user of another agency');
  if (user.disabledAt) throw refuse('user disabled');
  if (user.mustChangePassword) throw passwordChangeRequired();
  if (!(await agencyIsActive(ctx.db, user.agencyId))) throw refuse('agency awaiting approval');
  return inTransaction(ctx, async (ctx) => {
    const session = await insertSession(ctx.db, { userId: user.id, serviceAccountId: null });
    ctx.log.info({ event: 'token_exchanged', issuer: identity.issuer, userId: user.id }, 'signed in through an agency identity provider');
    return issueTokens(ctx, session.id, { sub: user.id, pk: 'USER', agency: user.agencyId, roles: user.roles });
  });
}

/**
 * Exchanges a refresh token for a new pair. Each refresh token works once: presenting a used one
 * means it was stolen or replayed, so the whole session is revoked (RFC 9700 reuse detection).
 */
export async function refresh(ctx: RequestContext, refreshToken: string): Promise<AuthPayload> {
  const claims = ctx.tokens.verify(refreshToken, 'refresh');
  if (!claims || claims.pk !== 'USER') throw unauthenticated('Invalid refresh token');
  const outcome = await inTransaction(ctx, async (ctx) => {
    const stored = await lockRefreshToken(ctx.db, claims.jti, claims.sid);
    if (!stored) return null;
    if (stored.usedAt) {
      await revokeSession(ctx.db, claims.sid, 'refresh token reused');
      return null;
    }
    const live = await findLiveUserSession(ctx.db, claims.sid, claims.sub);
    if (!live) return null;
    await markRefreshTokenUsed(ctx.db, stored.id);
    return issueTokens(ctx, claims.sid, { sub: claims.sub, pk: 'USER', agency: live.agency_id, roles: live.roles });
  });
  if (!outcome) throw unauthenticated('Invalid refresh token');
  return outcome;
}

/** Ends the caller's session: its refresh tokens and its access tokens stop working. */
export async function logout(ctx: RequestContext): Promise<boolean> {
  const principal = authorize(ctx, Permission.SIGNED_IN);
  await revokeSession(ctx.db, principal.sessionId, 'logout');
  return true;
}

/** For development (`npm run token <email>`): an access token for an active user, without a password. */
export async function mintToken(db: AppServices['db'], tokens: TokenService, email: string): Promise<string> {
  const user = await findUserByEmail(db.manager, normaliseEmail(email));
  if (!user || user.disabledAt) throw new Error(`no active user with email ${email}`);
  const session = await insertSession(db.manager, { userId: user.id, serviceAccountId: null });
  return tokens.issue('access', { sub: user.id, sid: session.id, pk: 'USER', agency: user.agencyId, roles: user.roles }).token;
}
