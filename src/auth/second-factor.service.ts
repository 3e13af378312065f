import { inTransaction, type RequestContext } from '../context/request-context';
import { badInput, conflict, forbidden, notFound, unauthenticated } from '../errors';
import { type RecordChange, recordChanges } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { mustEnrolSecondFactor, secondFactorRequired } from '../policy/second-factor';
import { managedAgencyOf } from '../policy/users';
import { actAs, lockAccount, revokeUserSessions } from '../users/account.queries';
import { findUserInAgency, toUser } from '../users/user.queries';
import type { User } from '../users/user.types';
import { findPrincipalRow, insertSession } from './auth.queries';
import { issueTokens } from './auth.service';
import type { AuthPayload } from './auth.types';
import { type Principal, principalOfRow } from './principal';
import { challengeSecretMatches, parseChallenge } from './second-factor-challenge';
import { openTotpSecret, sealTotpSecret } from './totp-secret-box';
import {
  activatePending,
  deleteSecondFactor,
  lockSecondFactor,
  lockUsableChallenge,
  recoveryCodesLeft,
  replaceRecoveryCodes,
  type SecondFactorRow,
  spendChallenge,
  spendRecoveryCode,
  spendStep,
  startEnrolment,
} from './second-factor.queries';
import type { TotpConfirmation, TotpEnrolment } from './second-factor.types';
import { accountKey, claimAttempt, clearAttempts } from './sign-in-throttle';
import {
  hashOneTimeSecret,
  looksLikeTotp,
  matchTotp,
  newRecoveryCode,
  newTotpSecret,
  normaliseRecoveryCode,
  RECOVERY_CODE_COUNT,
  totpUri,
} from './totp';

/** The name authenticator apps show beside the account. */
const ISSUER = 'Safeshare';
/** How long an enrolment waits for its first code. */
const ENROLMENT_TTL_MS = 15 * 60_000;
/** The one message for every refused sign-in code: wrong, reused, or a spent recovery code. */
const INVALID_CODE = 'Invalid code';
const INVALID_CHALLENGE = 'Invalid or expired sign-in challenge';

/** A code's shape: six digits (TOTP) or a recovery code; anything else is BAD_USER_INPUT, before any attempt is counted. */
type Proof = { totp: string } | { recovery: string };
function proofOf(code: string, field: string): Proof {
  if (looksLikeTotp(code)) return { totp: code };
  const recovery = normaliseRecoveryCode(code);
  if (recovery) return { recovery };
  throw badInput(`${field} must be the six digits of an authenticator app, or a recovery code`, field);
}

/**
 * Whether `proof` is a current code of the active secret not accepted before (its step is spent),
 * or an unused recovery code of the user (it is spent). Writes only when it is.
 */
async function spendProof(ctx: RequestContext, factor: SecondFactorRow, proof: Proof): Promise<'totp' | 'recovery' | null> {
  if (!factor.secret) return null;
  if ('totp' in proof) {
    const step = matchTotp(openTotpSecret(factor.secret, factor.user_id, ctx.config.accounts.totpEncryptionKey), proof.totp);
    if (step === null) return null;
    if (await spendStep(ctx.db, factor.user_id, step)) return 'totp';
    ctx.log.warn({ event: 'second_factor_replay', userId: factor.user_id }, 'a TOTP code was presented again within its window');
    return null;
  }
  return (await spendRecoveryCode(ctx.db, factor.user_id, hashOneTimeSecret(proof.recovery))) ? 'recovery' : null;
}

/** The caller's email, for their throttle key and the authenticator app's label. */
async function ownEmail(ctx: RequestContext, me: Principal): Promise<string> {
  const user = await findUserInAgency(ctx.db, me.id, me.agency.id);
  if (!user) throw unauthenticated();
  return user.email;
}

/**
 * A code given by a signed-in person to change their own second factor: counted against their
 * sign-in throttle (a stolen session cannot guess its way to removing the factor) and forgotten when right.
 */
async function proveOwn(ctx: RequestContext, email: string, factor: SecondFactorRow, proof: Proof): Promise<'totp' | 'recovery'> {
  const throttle = accountKey('user', email);
  await claimAttempt(ctx.db, throttle, ctx.config.lockout);
  const used = await spendProof(ctx, factor, proof);
  if (!used) throw badInput('The code is wrong, or was used already', 'code');
  await clearAttempts(ctx.db, throttle);
  return used;
}

const factorRecord = (f: SecondFactorRow | undefined) => ({
  secondFactor: Boolean(f?.secret),
  enrolmentPending: Boolean(f?.pending_secret),
});

/**
 * Starts enrolling a TOTP second factor for the caller: a new secret, returned this once with its
 * otpauth:// URI, pending until `confirmTotp` proves the app has it. While a second factor is active,
 * replacing it needs a current code (or a recovery code); without one it is CONFLICT
 * (reason SECOND_FACTOR_ACTIVE). The active factor keeps working until the new one is confirmed.
 */
export async function enrolTotp(ctx: RequestContext, code: string | null | undefined): Promise<TotpEnrolment> {
  const me = authorize(ctx, Permission.MANAGE_OWN_ACCOUNT);
  const proof = code ? proofOf(code, 'code') : null;
  const email = await ownEmail(ctx, me);
  const before = await lockSecondFactor(ctx.db, me.id);
  if (before?.secret) {
    if (!proof)
      throw conflict('A second factor is active: give a current code (or a recovery code) to replace it, or disable it first', {
        reason: 'SECOND_FACTOR_ACTIVE',
      });
    await proveOwn(ctx, email, before, proof);
  }
  const secret = newTotpSecret();
  return inTransaction(ctx, async (ctx) => {
    await startEnrolment(ctx.db, me.id, sealTotpSecret(secret, me.id, ctx.config.accounts.totpEncryptionKey));
    await recordChanges(ctx, [
      {
        kind: 'user',
        id: me.id,
        action: 'second_factor_enrolment_started',
        before: factorRecord(before),
        after: { secondFactor: Boolean(before?.secret), enrolmentPending: true },
      },
    ]);
    return { secret, otpauthUri: totpUri(secret, email, ISSUER), expiresAt: new Date(Date.now() + ENROLMENT_TTL_MS) };
  });
}

/**
 * Confirms the pending enrolment with the app's current code: it becomes the caller's second factor
 * (replacing any earlier one), and returns fresh recovery codes, this once (stored hashed; earlier
 * ones stop working). No enrolment pending, or one older than 15 minutes, is CONFLICT; a wrong code
 * BAD_USER_INPUT, and nothing changes.
 */
export async function confirmTotp(ctx: RequestContext, code: string): Promise<TotpConfirmation> {
  const me = authorize(ctx, Permission.MANAGE_OWN_ACCOUNT);
  if (!looksLikeTotp(code)) throw badInput('code must be the six digits the authenticator app shows', 'code');
  return inTransaction(ctx, async (ctx) => {
    const before = await lockSecondFactor(ctx.db, me.id);
    if (!before?.pending_secret || !before.pending_since)
      throw conflict('No enrolment is pending: start one with enrolTotp', { reason: 'NO_PENDING_ENROLMENT' });
    if (before.pending_since.getTime() + ENROLMENT_TTL_MS < Date.now())
      throw conflict('The enrolment has expired: start again with enrolTotp', { reason: 'NO_PENDING_ENROLMENT' });
    const step = matchTotp(openTotpSecret(before.pending_secret, me.id, ctx.config.accounts.totpEncryptionKey), code);
    if (step === null) throw badInput('The code is wrong: check the app was given the secret, and its clock', 'code');
    await activatePending(ctx.db, me.id, step);
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await replaceRecoveryCodes(
      ctx.db,
      me.id,
      recoveryCodes.map((c) => hashOneTimeSecret(normaliseRecoveryCode(c) ?? c)),
    );
    await recordChanges(ctx, [
      {
        kind: 'user',
        id: me.id,
        action: 'second_factor_enabled',
        before: factorRecord(before),
        after: { secondFactor: true, enrolmentPending: false, recoveryCodes: recoveryCodes.length, replaced: Boolean(before.secret) },
      },
    ]);
    ctx.forgetPrincipal?.();
    return { recoveryCodes };
  });
}

/**
 * Removes the caller's second factor, with a current code (or a recovery code): sign-in is by
 * password alone again. Refused (FORBIDDEN, reason SECOND_FACTOR_REQUIRED) when the caller's roles
 * require one (TOTP_REQUIRED_ROLES): replace it instead (enrolTotp with a code).
 */
export async function disableTotp(ctx: RequestContext, code: string): Promise<boolean> {
  const me = authorize(ctx, Permission.MANAGE_OWN_ACCOUNT);
  const proof = proofOf(code, 'code');
  if (mustEnrolSecondFactor({ ...me, secondFactor: false }, ctx.config.accounts.totpRequiredRoles))
    throw secondFactorRequired('Your roles require a second factor: replace it (enrolTotp with a code) rather than remove it');
  const email = await ownEmail(ctx, me);
  const before = await lockSecondFactor(ctx.db, me.id);
  if (!before?.secret) throw conflict('You have no second factor', { reason: 'NO_SECOND_FACTOR' });
  await proveOwn(ctx, email, before, proof);
  return inTransaction(ctx, async (ctx) => {
    await deleteSecondFactor(ctx.db, me.id);
    await recordChanges(ctx, [
      { kind: 'user', id: me.id, action: 'second_factor_disabled', before: factorRecord(before), after: factorRecord(undefined) },
    ]);
    ctx.forgetPrincipal?.();
    return true;
  });
}

/**
 * ADMIN: removes the second factor of a user of the admin's own agency (a lost phone and lost
 * recovery codes), as resetUserPassword does a password: every session of the user ends, and they
 * sign in with their password (enrolling again if their roles require it). Another agency's user is
 * NOT_FOUND; one's own is FORBIDDEN (another administrator does it); a disabled user, or one with no
 * second factor, is CONFLICT.
 */
export async function resetUserTotp(ctx: RequestContext, id: string): Promise<User> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  if (id === admin.id) throw forbidden('Administrators do not reset their own second factor: another administrator does');
  return inTransaction(ctx, async (ctx) => {
    const account = await lockAccount(ctx.db, id, managedAgencyOf(admin));
    if (!account) throw notFound('User', 'id');
    if (account.disabled_at !== null) throw conflict('This user is disabled: enable them first');
    const before = await lockSecondFactor(ctx.db, id);
    if (!before) throw conflict('This user has no second factor', { reason: 'NO_SECOND_FACTOR' });
    await deleteSecondFactor(ctx.db, id);
    const sessionsEnded = await revokeUserSessions(ctx.db, id, 'second factor reset');
    await recordChanges(ctx, [
      {
        kind: 'user',
        id,
        action: 'second_factor_reset',
        before: factorRecord(before),
        after: { ...factorRecord(undefined), sessionsEnded },
      },
    ]);
    const user = await findUserInAgency(ctx.db, id, managedAgencyOf(admin));
    if (!user?.agency) throw notFound('User', 'id');
    return toUser({ ...user, agency: user.agency });
  });
}

/**
 * The second step of a sign-in: the challenge `login` returned, with a current TOTP code or an
 * unused recovery code (exactly one), opens a session and returns its tokens. A code is accepted
 * once (a replay within its window is refused) and a recovery code works once. Every wrong code
 * counts toward the account's sign-in throttle (RATE_LIMITED once locked out), as a wrong password
 * does; an unknown, spent or expired challenge is UNAUTHENTICATED.
 */
export async function completeSecondFactor(
  ctx: RequestContext,
  challenge: string,
  code: string | null | undefined,
  recoveryCode: string | null | undefined,
): Promise<AuthPayload> {
  if (Boolean(code) === Boolean(recoveryCode)) throw badInput('Give either code or recoveryCode', code ? 'recoveryCode' : 'code');
  let proof: Proof;
  if (code) {
    if (!looksLikeTotp(code)) throw badInput('code must be the six digits the authenticator app shows', 'code');
    proof = { totp: code };
  } else {
    const recovery = normaliseRecoveryCode(recoveryCode ?? '');
    if (!recovery) throw badInput('recoveryCode is not a recovery code (16 letters and digits, dashes optional)', 'recoveryCode');
    proof = { recovery };
  }
  const parsed = parseChallenge(challenge);
  if (!parsed) throw unauthenticated(INVALID_CHALLENGE);
  const pending = await lockUsableChallenge(ctx.db, parsed.id);
  if (!pending || !challengeSecretMatches(parsed.secret, pending.secret_hash)) {
    ctx.log.info({ event: 'second_factor_challenge_refused' }, 'sign-in challenge refused');
    throw unauthenticated(INVALID_CHALLENGE);
  }
  const throttle = accountKey('user', pending.email);
  try {
    await claimAttempt(ctx.db, throttle, ctx.config.lockout);
  } catch (error) {
    ctx.log.warn({ event: 'second_factor_locked' }, 'sign-in refused: locked out after repeated failures');
    throw error;
  }
  const factor = await lockSecondFactor(ctx.db, pending.user_id);
  const used = factor ? await spendProof(ctx, factor, proof) : null;
  if (!used) {
    ctx.log.info({ event: 'second_factor_failed' }, 'failed second factor');
    throw unauthenticated(INVALID_CODE);
  }
  return inTransaction(ctx, async (ctx) => {
    await clearAttempts(ctx.db, throttle);
    await spendChallenge(ctx.db, pending.id);
    const session = await insertSession(ctx.db, { userId: pending.user_id, serviceAccountId: null });
    const tokens = await issueTokens(ctx, session.id, {
      sub: pending.user_id,
      pk: 'USER',
      agency: pending.agency_id,
      roles: pending.roles,
    });
    if (used === 'recovery') await recordRecoveryCodeUse(ctx, session.id, pending.user_id);
    return tokens;
  });
}

/** A spent recovery code is a change to the account (fewer left): recorded with the user, in the new session, as its actor. */
async function recordRecoveryCodeUse(ctx: RequestContext, sessionId: string, userId: string): Promise<void> {
  const row = await findPrincipalRow(ctx.db, 'USER', sessionId, userId);
  if (!row) throw unauthenticated(INVALID_CHALLENGE);
  const actor = principalOfRow('USER', row, sessionId, ctx.audit.signedIn?.tokenId ?? '');
  const asUser = Object.create(ctx) as RequestContext;
  asUser.principal = actor;
  await actAs(ctx.db, actor);
  const left = await recoveryCodesLeft(ctx.db, userId);
  const change: RecordChange = {
    kind: 'user',
    id: userId,
    action: 'recovery_code_used',
    before: { recoveryCodesLeft: left + 1 },
    after: { recoveryCodesLeft: left },
  };
  await recordChanges(asUser, [change]);
}
