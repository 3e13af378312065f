import type { DataSource, EntityManager } from 'typeorm';
import { unauthenticated } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { ServiceAccountEntity } from '../users/service-account.entity';
import { AgencyStatus } from '../agencies/agency-status';
import { AgencyEntity } from '../agencies/agency.entity';
import { UserEntity } from '../users/user.entity';
import { normaliseEmail } from '../users/user.service';
import type { AuthPayload } from './auth.types';
import { hashSecret, needsRehash, verifyAgainstDummy, verifySecret } from './passwords';
import { RefreshTokenEntity } from './refresh-token.entity';
import { AuthSessionEntity } from './session.entity';
import { accountKey, claimAttempt, clearAttempts } from './sign-in-throttle';
import type { PrincipalKind, TokenService } from './tokens';

/** The one message for every failed sign-in: it never says whether the account exists. */
const INVALID_CREDENTIALS = 'Invalid credentials';

interface SessionSubject {
  sub: string;
  pk: PrincipalKind;
  agency: string;
  roles: string[];
}

/** True when the agency is approved: users and apps of an agency awaiting approval cannot sign in. */
async function agencyActive(ctx: RequestContext, agencyId: string): Promise<boolean> {
  return ctx.db.getRepository(AgencyEntity).existsBy({ id: agencyId, status: AgencyStatus.ACTIVE });
}

/** Issues an access token (and for users a refresh token, recorded for rotation) in a session. */
async function issueTokens(ctx: RequestContext, tx: EntityManager, sessionId: string, subject: SessionSubject): Promise<AuthPayload> {
  const access = ctx.tokens.issue('access', { ...subject, sid: sessionId });
  // The caller had no token: the audit event of this sign-in names who it became.
  ctx.audit.signedIn = { id: subject.sub, kind: subject.pk, agencyId: subject.agency, roles: subject.roles, tokenId: access.jti };
  let refreshToken: string | null = null;
  if (subject.pk === 'USER') {
    const refresh = ctx.tokens.issue('refresh', { ...subject, sid: sessionId });
    await tx.getRepository(RefreshTokenEntity).insert({ id: refresh.jti, sessionId, expiresAt: refresh.expiresAt, usedAt: null });
    refreshToken = refresh.token;
  }
  return { accessToken: access.token, refreshToken, expiresAt: access.expiresAt, tokenType: 'Bearer' };
}

/**
 * Signs a user in with email and password, starting a new session. After repeated failures the
 * email is locked out for a while (RATE_LIMITED, password not checked), whether or not it exists.
 */
export async function login(ctx: RequestContext, email: string, password: string): Promise<AuthPayload> {
  const normalised = normaliseEmail(email);
  const throttle = accountKey('user', normalised);
  await claimOrLog(ctx, throttle, 'login_locked');
  const user = await ctx.db.getRepository(UserEntity).findOneBy({ email: normalised });
  const valid = user ? await verifySecret(user.passwordHash, password) : await verifyAgainstDummy(password, ctx.config.argon2);
  // An agency awaiting approval refuses exactly as a wrong password does: no enumeration.
  if (!user || !valid || user.disabledAt || !(await agencyActive(ctx, user.agencyId))) {
    ctx.log.info({ event: 'login_failed' }, 'failed sign-in');
    throw unauthenticated(INVALID_CREDENTIALS);
  }
  const rehashed = needsRehash(user.passwordHash, ctx.config.argon2) ? await hashSecret(password, ctx.config.argon2) : null;
  return inTransaction(ctx, async (ctx) => {
    await clearAttempts(ctx.db, throttle);
    if (rehashed)
      await ctx.db.query(`UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3`, [
        user.id,
        rehashed,
        user.passwordHash,
      ]);
    const session = await ctx.db.getRepository(AuthSessionEntity).save({ userId: user.id, serviceAccountId: null });
    return issueTokens(ctx, ctx.db, session.id, { sub: user.id, pk: 'USER', agency: user.agencyId, roles: user.roles });
  });
}

/** Signs a partner app in with its client id and secret (OAuth client-credentials style); locked out as `login` is. */
export async function serviceToken(ctx: RequestContext, clientId: string, clientSecret: string): Promise<AuthPayload> {
  const throttle = accountKey('service', clientId);
  await claimOrLog(ctx, throttle, 'service_token_locked');
  const account = await ctx.db.getRepository(ServiceAccountEntity).findOneBy({ clientId });
  const valid = account ? await verifySecret(account.secretHash, clientSecret) : await verifyAgainstDummy(clientSecret, ctx.config.argon2);
  if (!account || !valid || account.disabledAt || !(await agencyActive(ctx, account.agencyId))) {
    ctx.log.info({ event: 'service_token_failed' }, 'failed partner app sign-in');
    throw unauthenticated(INVALID_CREDENTIALS);
  }
  const rehashed = needsRehash(account.secretHash, ctx.config.argon2) ? await hashSecret(clientSecret, ctx.config.argon2) : null;
  return inTransaction(ctx, async (ctx) => {
    await clearAttempts(ctx.db, throttle);
    if (rehashed) {
      await ctx.db.query(`UPDATE service_accounts SET secret_hash = $2 WHERE id = $1 AND secret_hash = $3`, [
        account.id,
        rehashed,
        account.secretHash,
      ]);
    }
    const session = await ctx.db.getRepository(AuthSessionEntity).save({ userId: null, serviceAccountId: account.id });
    return issueTokens(ctx, ctx.db, session.id, { sub: account.id, pk: 'SERVICE', agency: account.agencyId, roles: [] });
  });
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
  const user = await ctx.db.getRepository(UserEntity).findOneBy({ email: normaliseEmail(identity.email) });
  if (!user) throw refuse('no such user');
  if (user.agencyId !== identity.agencyId) throw refuse('user of another agency');
  if (user.disabledAt) throw refuse('user disabled');
  if (!(await agencyActive(ctx, user.agencyId))) throw refuse('agency awaiting approval');
  return inTransaction(ctx, async (ctx) => {
    const session = await ctx.db.getRepository(AuthSessionEntity).save({ userId: user.id, serviceAccountId: null });
    ctx.log.info({ event: 'token_exchanged', issuer: identity.issuer, userId: user.id }, 'signed in through an agency identity provider');
    return issueTokens(ctx, ctx.db, session.id, { sub: user.id, pk: 'USER', agency: user.agencyId, roles: user.roles });
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
    const stored = await ctx.db.getRepository(RefreshTokenEntity).findOne({
      where: { id: claims.jti, sessionId: claims.sid },
      lock: { mode: 'pessimistic_write' },
    });
    if (!stored) return null;
    if (stored.usedAt) {
      await revokeSession(ctx.db, claims.sid, 'refresh token reused');
      return null;
    }
    const live: { agency_id: string; roles: string[] }[] = await ctx.db.query(
      `SELECT u.agency_id, u.roles::text[] AS roles
         FROM auth_sessions s JOIN users u ON u.id = s.user_id JOIN agencies a ON a.id = u.agency_id
        WHERE s.id = $1 AND u.id = $2 AND s.revoked_at IS NULL AND u.disabled_at IS NULL AND a.status = 'ACTIVE'`,
      [claims.sid, claims.sub],
    );
    if (!live[0]) return null;
    await ctx.db.getRepository(RefreshTokenEntity).update({ id: stored.id }, { usedAt: new Date() });
    return issueTokens(ctx, ctx.db, claims.sid, { sub: claims.sub, pk: 'USER', agency: live[0].agency_id, roles: live[0].roles });
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

async function revokeSession(db: EntityManager, sessionId: string, reason: string): Promise<void> {
  await db.query(`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`, [
    sessionId,
    reason,
  ]);
}

/** For development (`npm run token <email>`): an access token for an active user, without a password. */
export async function mintToken(db: DataSource, tokens: TokenService, email: string): Promise<string> {
  const user = await db.getRepository(UserEntity).findOneBy({ email: normaliseEmail(email) });
  if (!user || user.disabledAt) throw new Error(`no active user with email ${email}`);
  const session = await db.getRepository(AuthSessionEntity).save({ userId: user.id, serviceAccountId: null });
  return tokens.issue('access', { sub: user.id, sid: session.id, pk: 'USER', agency: user.agencyId, roles: user.roles }).token;
}
