import { createHash, randomBytes } from 'node:crypto';
import { hashSecret } from '../auth/passwords';
import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page, PageRequest } from '../db/paging';
import { isStorableText } from '../db/safe-text';
import { AppError, badInput, ErrorCode, notFound } from '../errors';
import { recordChanges } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { managedAgencyOf, managedServiceAccountsScope } from '../policy/users';
import type { ServiceScope } from '../users/service-account.entity';
import {
  insertPartnerApp,
  listPartnerApps,
  lockPartnerApp,
  markPartnerAppRevoked,
  replacePartnerAppSecret,
  setTrustedDocuments,
} from './partner-app.queries';
import type { PartnerApp, PartnerAppCredentials } from './partner-app.types';
import { parseManifest } from './trusted-documents';

const NAME_MAX = 200;
const REASON_MAX = 500;
const MAX_GRACE_SECONDS = 30 * 86_400;

/** A client id: "pa_" and 12 random bytes in hex. */
const newClientId = () => `pa_${randomBytes(12).toString('hex')}`;
/** A client secret: 32 random bytes (base64url); only its argon2 hash is kept. */
const newClientSecret = () => randomBytes(32).toString('base64url');

/** What an app's history and CHANGE events record of it: never a secret or its hash. */
const appRecord = (app: PartnerApp) => ({
  clientId: app.clientId,
  name: app.name,
  scopes: app.scopes,
  active: app.active,
  revokedReason: app.revokedReason,
  previousSecretExpiresAt: app.previousSecretExpiresAt,
  trustedDocumentCount: app.trustedDocumentCount,
});

/** One app of the administrator's own agency, locked for the change; another agency's is NOT_FOUND. */
async function lockManaged(ctx: RequestContext, id: string): Promise<PartnerApp> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  const app = await lockPartnerApp(ctx.db, managedServiceAccountsScope(admin), id);
  if (!app) throw notFound('PartnerApp', 'id');
  return app;
}

const revokedConflict = (message: string) => new AppError(ErrorCode.CONFLICT, message, { reason: 'REVOKED' });

/** Caller text that must be 1 to `max` characters, not blank, and storable (db/safe-text.ts). */
function requiredText(value: string, max: number, field: string): string {
  const text = value.trim();
  if (!text || [...text].length > max || !isStorableText(text)) throw badInput(`${field} must be 1 to ${max} characters, not blank`, field);
  return text;
}

function checkedScopes(scopes: readonly ServiceScope[]): ServiceScope[] {
  if (scopes.length === 0) throw badInput('scopes must name at least one scope', 'input.scopes');
  if (new Set(scopes).size !== scopes.length) throw badInput('scopes must not repeat a scope', 'input.scopes');
  return [...scopes].sort();
}

/**
 * Registers a partner app of the administrator's own agency, with `scopes`. Returns its client id
 * and secret: the secret this once (it is stored only as an argon2 hash).
 */
export async function registerPartnerApp(
  ctx: RequestContext,
  input: { name: string; scopes: readonly ServiceScope[] },
): Promise<PartnerAppCredentials> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  const name = requiredText(input.name, NAME_MAX, 'input.name');
  const scopes = checkedScopes(input.scopes);
  const secret = newClientSecret();
  const secretHash = await hashSecret(secret, ctx.config.argon2);
  return inTransaction(ctx, async (ctx) => {
    const app = await insertPartnerApp(ctx.db, { agencyId: managedAgencyOf(admin), clientId: newClientId(), name, secretHash, scopes });
    await recordChanges(ctx, [{ kind: 'service_account', id: app.id, action: 'registered', before: null, after: appRecord(app) }]);
    return { app, clientId: app.clientId, clientSecret: secret };
  });
}

/**
 * Gives the app a new secret, returned this once. The secret it replaces keeps working for
 * `graceMinutes` (default PARTNER_SECRET_GRACE_SECONDS), so the app can be redeployed without a gap;
 * then it fails as a wrong secret does. Only the one secret before survives a rotation.
 */
export async function rotatePartnerAppSecret(ctx: RequestContext, id: string, graceMinutes?: number): Promise<PartnerAppCredentials> {
  authorize(ctx, Permission.MANAGE_USERS);
  const graceSeconds =
    graceMinutes === undefined || graceMinutes === null ? ctx.config.accounts.partnerSecretGraceSeconds : graceMinutes * 60;
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS)
    throw badInput(`graceMinutes must be between 0 and ${MAX_GRACE_SECONDS / 60}`, 'graceMinutes');
  const secret = newClientSecret();
  const secretHash = await hashSecret(secret, ctx.config.argon2);
  return inTransaction(ctx, async (ctx) => {
    const before = await lockManaged(ctx, id);
    if (!before.active) throw revokedConflict('This partner app is revoked: register a new one');
    const app = await replacePartnerAppSecret(ctx.db, id, secretHash, graceSeconds);
    await recordChanges(ctx, [
      { kind: 'service_account', id, action: 'secret_rotated', before: appRecord(before), after: { ...appRecord(app), graceSeconds } },
    ]);
    return { app, clientId: app.clientId, clientSecret: secret };
  });
}

/**
 * Revokes the app for good: it cannot sign in, and its live tokens stop working at once (its sessions
 * end). Revoking it again is CONFLICT (reason ALREADY_REVOKED), and changes nothing.
 */
export async function revokePartnerApp(ctx: RequestContext, id: string, reason: string): Promise<PartnerApp> {
  authorize(ctx, Permission.MANAGE_USERS);
  const why = requiredText(reason, REASON_MAX, 'reason');
  return inTransaction(ctx, async (ctx) => {
    const before = await lockManaged(ctx, id);
    if (!before.active) throw new AppError(ErrorCode.CONFLICT, 'This partner app is already revoked', { reason: 'ALREADY_REVOKED' });
    const { app, sessionsEnded } = await markPartnerAppRevoked(ctx.db, id, why);
    await recordChanges(ctx, [
      { kind: 'service_account', id, action: 'revoked', before: appRecord(before), after: { ...appRecord(app), sessionsEnded } },
    ]);
    return app;
  });
}

/** A short digest of an allow-list for the record: the sha256 of its sorted hashes. */
const listDigest = (hashes: string[]) => createHash('sha256').update(hashes.sort().join('\n')).digest('hex');

/**
 * Gives the app trusted documents (an allow-list): from now on its tokens run only the operations
 * of `manifest` (trusted-documents.ts `parseManifest` says what is refused). Replaces any earlier list.
 */
export async function setPartnerAppTrustedDocuments(ctx: RequestContext, id: string, manifest: unknown): Promise<PartnerApp> {
  authorize(ctx, Permission.MANAGE_USERS);
  const documents = parseManifest(manifest, ctx.config.maxQueryBytes);
  return inTransaction(ctx, async (ctx) => {
    const before = await lockManaged(ctx, id);
    if (!before.active) throw revokedConflict('This partner app is revoked');
    const app = await setTrustedDocuments(ctx.db, id, documents);
    await recordChanges(ctx, [
      {
        kind: 'service_account',
        id,
        action: 'trusted_documents_set',
        before: appRecord(before),
        after: { ...appRecord(app), trustedDocumentsDigest: listDigest(Object.keys(documents)) },
      },
    ]);
    return app;
  });
}

/** Removes the app's allow-list: it runs any operation its scopes allow, as before one was set. */
export async function clearPartnerAppTrustedDocuments(ctx: RequestContext, id: string): Promise<PartnerApp> {
  authorize(ctx, Permission.MANAGE_USERS);
  return inTransaction(ctx, async (ctx) => {
    const before = await lockManaged(ctx, id);
    if (before.trustedDocumentCount === null) return before;
    const app = await setTrustedDocuments(ctx.db, id, null);
    await recordChanges(ctx, [
      { kind: 'service_account', id, action: 'trusted_documents_cleared', before: appRecord(before), after: appRecord(app) },
    ]);
    return app;
  });
}

/** The administrator's own agency's partner apps, newest first (revoked ones included). */
export function listManagedPartnerApps(ctx: RequestContext, args: PageRequest): Promise<Page<PartnerApp>> {
  const admin = authorize(ctx, Permission.MANAGE_USERS);
  return listPartnerApps(ctx.db, managedServiceAccountsScope(admin), args);
}
