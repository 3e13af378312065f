import { inTransaction, type RequestContext } from '../context/request-context';
import { badInput, unauthenticated } from '../errors';
import { recordChanges } from '../history/history.service';
import { actAs, completeReset, lockUsablePasswordReset } from '../users/account.queries';
import { passwordProblem } from '../users/password-policy';
import { findUserInAgency } from '../users/user.queries';
import { findPrincipalRow, insertSession } from './auth.queries';
import { issueTokens } from './auth.service';
import type { SignInResult } from './auth.types';
import { hashSecret, verifySecret } from './passwords';
import { issueSecondFactorChallenge } from './second-factor-challenge';
import { hasActiveSecondFactor } from './second-factor.queries';
import { type Principal, principalOfRow } from './principal';

/** The one message for every refused reset token: unknown, spent, expired, or its user disabled. */
const INVALID_RESET = 'Invalid or expired reset token';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A reset token is its id, a dot and its secret (see account.service.ts `resetUserPassword`). */
function parseResetToken(token: string): { id: string; secret: string } | null {
  const dot = token.indexOf('.');
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  return dot > 0 && UUID.test(id) && /^[A-Za-z0-9_-]{43}$/.test(secret) ? { id, secret } : null;
}

/**
 * Sets a new password with the one-time token an administrator was given (resetUserPassword) and
 * signs the user in, in a new session. The token is spent; the password policy applies, and the new
 * password must differ from the old. With a TOTP second factor it returns a challenge, not tokens
 * (completeSecondFactor finishes the sign-in). A token unknown, spent, expired or of a disabled user is
 * UNAUTHENTICATED, whatever the reason; a refused password is BAD_USER_INPUT and spends nothing.
 */
export async function completePasswordReset(ctx: RequestContext, resetToken: string, newPassword: string): Promise<SignInResult> {
  const parsed = parseResetToken(resetToken.trim());
  if (!parsed) throw unauthenticated(INVALID_RESET);
  return inTransaction(ctx, async (ctx) => {
    const reset = await lockUsablePasswordReset(ctx.db, parsed.id);
    if (!reset || !(await verifySecret(reset.secret_hash, parsed.secret))) {
      ctx.log.info({ event: 'password_reset_refused' }, 'reset token refused');
      throw unauthenticated(INVALID_RESET);
    }
    const weakness = passwordProblem(newPassword, { email: reset.email, displayName: reset.display_name });
    if (weakness) throw badInput(weakness, 'newPassword');
    if (await verifySecret(reset.password_hash, newPassword))
      throw badInput('The new password must differ from the old one', 'newPassword');
    await completeReset(ctx.db, reset.id, reset.user_id, await hashSecret(newPassword, ctx.config.argon2));
    // A second factor survives a password reset (resetUserTotp is separate): the new password is
    // half a sign-in, and the challenge asks for the code.
    const secondFactor = await hasActiveSecondFactor(ctx.db, reset.user_id);
    let actor: Principal;
    let result: SignInResult;
    if (secondFactor) {
      const user = await findUserInAgency(ctx.db, reset.user_id, reset.agency_id);
      if (!user?.agency) throw unauthenticated(INVALID_RESET);
      const challenge = await issueSecondFactorChallenge(ctx, user);
      result = { tokens: null, secondFactor: challenge };
      // The change is the user's own, made before any session of theirs exists.
      actor = {
        kind: 'USER',
        id: user.id,
        displayName: user.displayName,
        agency: { id: user.agency.id, name: user.agency.name, kind: user.agency.kind },
        roles: user.roles,
        scopes: [],
        secondFactor: true,
        sessionId: '',
        tokenId: '',
      };
    } else {
      const session = await insertSession(ctx.db, { userId: reset.user_id, serviceAccountId: null });
      const row = await findPrincipalRow(ctx.db, 'USER', session.id, reset.user_id);
      if (!row) throw unauthenticated(INVALID_RESET);
      const tokens = await issueTokens(ctx, session.id, { sub: row.id, pk: 'USER', agency: row.agency_id, roles: row.roles ?? [] });
      result = { tokens, secondFactor: null };
      // The change is the user's own: they are its actor, in the session the reset opened.
      actor = principalOfRow('USER', row, session.id, ctx.audit.signedIn?.tokenId ?? '');
    }
    const asUser = Object.create(ctx) as RequestContext;
    asUser.principal = actor;
    await actAs(ctx.db, actor);
    await recordChanges(asUser, [
      {
        kind: 'user',
        id: actor.id,
        action: 'password_set',
        before: { mustChangePassword: true },
        after: { mustChangePassword: false, resetId: reset.id },
      },
    ]);
    return result;
  });
}
