import type { EntityManager } from 'typeorm';
import type { AgencyKind } from '../agencies/agency-kind';
import type { LockoutConfig } from '../config';
import { type Queryable, run, type Sql, sql } from '../db/sql';
import type { Role } from '../policy/roles';
import type { ServiceScope } from '../users/service-account.entity';
import { ServiceAccountEntity } from '../users/service-account.entity';
import { UserEntity } from '../users/user.entity';
import { RefreshTokenEntity } from './refresh-token.entity';
import { AuthSessionEntity } from './session.entity';
import type { PrincipalKind } from './tokens';

// Principals

export interface PrincipalRow {
  id: string;
  display_name: string;
  roles: Role[] | null;
  scopes: ServiceScope[] | null;
  second_factor: boolean;
  agency_id: string;
  agency_name: string;
  agency_kind: AgencyKind;
}

/** What a principal was loaded as (a Principal has this shape), to confirm it is still so. */
export interface PrincipalSnapshot {
  kind: PrincipalKind;
  id: string;
  sessionId: string;
  displayName: string;
  agency: { id: string; name: string; kind: AgencyKind };
  roles: Role[];
  scopes: ServiceScope[];
  secondFactor?: boolean;
}

/**
 * The live row behind a session: nothing when it was revoked, its account disabled or awaiting a
 * new password after a reset, or its agency not yet approved. `roles` are those in force; pending ones (users.pending_roles) are never read here.
 */
function principalRowSql(kind: PrincipalKind, sessionId: string, id: string): Sql {
  return kind === 'USER'
    ? sql`SELECT u.id, u.display_name, u.roles::text[] AS roles, NULL AS scopes,
                 EXISTS (SELECT 1 FROM user_second_factors f WHERE f.user_id = u.id AND f.secret IS NOT NULL) AS second_factor,
                 a.id AS agency_id, a.name AS agency_name, a.kind AS agency_kind
            FROM auth_sessions s
            JOIN users u ON u.id = s.user_id
            JOIN agencies a ON a.id = u.agency_id
           WHERE s.id = ${sessionId}::uuid AND s.user_id = ${id}::uuid AND s.revoked_at IS NULL AND u.disabled_at IS NULL
             AND NOT u.must_change_password AND a.status = 'ACTIVE'`
    : sql`SELECT sa.id, sa.name AS display_name, NULL AS roles, sa.scopes::text[] AS scopes, false AS second_factor,
                 a.id AS agency_id, a.name AS agency_name, a.kind AS agency_kind
            FROM auth_sessions s
            JOIN service_accounts sa ON sa.id = s.service_account_id
            JOIN agencies a ON a.id = sa.agency_id
           WHERE s.id = ${sessionId}::uuid AND s.service_account_id = ${id}::uuid AND s.revoked_at IS NULL AND sa.disabled_at IS NULL
             AND a.status = 'ACTIVE'`;
}

/** The live principal row of a session, in one query (see `principalRowSql`). */
export async function findPrincipalRow(
  db: Queryable,
  kind: PrincipalKind,
  sessionId: string,
  id: string,
): Promise<PrincipalRow | undefined> {
  const [row] = await run<PrincipalRow>(db, principalRowSql(kind, sessionId, id));
  return row;
}

/**
 * A boolean SQL expression: true while `principal` is exactly what `loadPrincipal` would return now
 * (session live, account enabled, same roles or scopes, second factor, name and agency). Lets a principal taken
 * from the cache be confirmed inside a statement the request runs anyway (its audit insert).
 */
export function principalUnchangedSql(principal: PrincipalSnapshot): Sql {
  const grants = principal.kind === 'USER' ? sql`p.roles = ${principal.roles}::text[]` : sql`p.scopes = ${principal.scopes}::text[]`;
  return sql`EXISTS (SELECT 1 FROM (${principalRowSql(principal.kind, principal.sessionId, principal.id)}) p
                      WHERE ${grants} AND p.second_factor = ${principal.secondFactor ?? false} AND p.display_name = ${principal.displayName} AND p.agency_id = ${principal.agency.id}::uuid
                        AND p.agency_name = ${principal.agency.name} AND p.agency_kind::text = ${principal.agency.kind})`;
}

// Sign-in throttle

/**
 * Counts a failure against `key` unless it is locked (sign-in-throttle.ts explains the lockout):
 * one row back when counted, none while locked.
 */
export function claimThrottle(db: Queryable, key: string, lockout: LockoutConfig): Promise<{ failures: number }[]> {
  // The failure count this attempt makes: restarted when the last failure is older than the window.
  const next = `CASE WHEN t.last_failed_at < now() - make_interval(secs => $5) THEN 1 ELSE t.failures + 1 END`;
  // Capped exponent: 2^30 times any base already exceeds every allowed maximum.
  const lockFor = (failures: string) =>
    `CASE WHEN ${failures} >= $2 THEN now() + make_interval(secs => least($4::float8, $3::float8 * power(2, least(${failures} - $2, 30)))) END`;
  return db.query(
    `INSERT INTO sign_in_throttles AS t (account_key, failures, last_failed_at, locked_until)
     VALUES ($1, 1, now(), ${lockFor('1')})
     ON CONFLICT (account_key) DO UPDATE
        SET failures = ${next}, last_failed_at = now(), locked_until = ${lockFor(next)}, refused_while_locked = 0
      WHERE t.locked_until IS NULL OR t.locked_until <= now()
     RETURNING t.failures`,
    [key, lockout.threshold, lockout.baseSeconds, lockout.maxSeconds, lockout.windowSeconds],
  ) as Promise<{ failures: number }[]>;
}

/** Counts an attempt refused while `key` is locked; returns the seconds left and the refusals of this lock. */
export async function countLockedRefusal(db: Queryable, key: string): Promise<{ retry: number | null; refused: number } | undefined> {
  const [row] = (await db.query(
    // Inside a WITH, so TypeORM returns the rows (for a bare UPDATE it returns [rows, count]).
    `WITH counted AS (
       UPDATE sign_in_throttles SET refused_while_locked = refused_while_locked + 1 WHERE account_key = $1
       RETURNING ceil(extract(epoch FROM locked_until - now()))::int AS retry, refused_while_locked AS refused)
     SELECT retry, refused FROM counted`,
    [key],
  )) as { retry: number | null; refused: number }[];
  return row;
}

export async function deleteThrottle(db: Queryable, key: string): Promise<void> {
  await db.query(`DELETE FROM sign_in_throttles WHERE account_key = $1`, [key]);
}

/** Forgets rows whose failures are past the window and that are not locked. */
export async function sweepThrottles(db: Queryable, lockout: LockoutConfig): Promise<void> {
  await db.query(
    `DELETE FROM sign_in_throttles
      WHERE last_failed_at < now() - make_interval(secs => $1) AND (locked_until IS NULL OR locked_until < now())`,
    [lockout.windowSeconds],
  );
}

// Accounts and sessions

/** The user with this (normalised) email, enabled or not. */
export function findUserByEmail(db: EntityManager, email: string): Promise<UserEntity | null> {
  return db.getRepository(UserEntity).findOneBy({ email });
}

export function findServiceAccountByClientId(db: EntityManager, clientId: string): Promise<ServiceAccountEntity | null> {
  return db.getRepository(ServiceAccountEntity).findOneBy({ clientId });
}

/** Stores a rehashed password, unless it changed since it was read. */
export async function updatePasswordHash(db: Queryable, userId: string, rehashed: string, previous: string): Promise<void> {
  await db.query(`UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3`, [userId, rehashed, previous]);
}

/** Stores a rehashed client secret, unless it changed since it was read. */
export async function updateSecretHash(db: Queryable, serviceAccountId: string, rehashed: string, previous: string): Promise<void> {
  await db.query(`UPDATE service_accounts SET secret_hash = $2 WHERE id = $1 AND secret_hash = $3`, [serviceAccountId, rehashed, previous]);
}

/** Starts a session of a user or of a partner app. */
export function insertSession(
  db: EntityManager,
  owner: { userId: string; serviceAccountId: null } | { userId: null; serviceAccountId: string },
): Promise<AuthSessionEntity> {
  return db.getRepository(AuthSessionEntity).save(owner);
}

export async function revokeSession(db: Queryable, sessionId: string, reason: string): Promise<void> {
  await db.query(`UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`, [
    sessionId,
    reason,
  ]);
}

// Refresh tokens

export async function insertRefreshToken(db: EntityManager, token: { id: string; sessionId: string; expiresAt: Date }): Promise<void> {
  await db.getRepository(RefreshTokenEntity).insert({ ...token, usedAt: null });
}

/** A refresh token of the session, locked until the transaction ends (of two racing uses one wins). */
export function lockRefreshToken(db: EntityManager, id: string, sessionId: string): Promise<RefreshTokenEntity | null> {
  return db.getRepository(RefreshTokenEntity).findOne({
    where: { id, sessionId },
    lock: { mode: 'pessimistic_write' },
  });
}

export async function markRefreshTokenUsed(db: EntityManager, id: string): Promise<void> {
  await db.getRepository(RefreshTokenEntity).update({ id }, { usedAt: new Date() });
}

/** The agency and roles in force of a user's live session (not revoked, user enabled, agency approved). */
export async function findLiveUserSession(
  db: Queryable,
  sessionId: string,
  userId: string,
): Promise<{ agency_id: string; roles: string[] } | undefined> {
  const live = (await db.query(
    `SELECT u.agency_id, u.roles::text[] AS roles
         FROM auth_sessions s JOIN users u ON u.id = s.user_id JOIN agencies a ON a.id = u.agency_id
        WHERE s.id = $1 AND u.id = $2 AND s.revoked_at IS NULL AND u.disabled_at IS NULL AND NOT u.must_change_password
          AND a.status = 'ACTIVE'`,
    [sessionId, userId],
  )) as { agency_id: string; roles: string[] }[];
  return live[0];
}
