import { AgencyKind } from '../agencies/agency-kind';
import { type Queryable, run, type Sql, sql } from '../db/sql';
import { Role } from '../policy/roles';
import { ServiceScope } from '../users/service-account.entity';
import type { PrincipalKind, TokenClaims } from './tokens';

/** Who is calling: a user of an agency, or a partner app's service account. */
export interface Principal {
  kind: PrincipalKind;
  id: string;
  displayName: string;
  agency: { id: string; name: string; kind: AgencyKind };
  /** Current roles from the database, not the token: a role change applies at once. */
  roles: Role[];
  scopes: ServiceScope[];
  sessionId: string;
  /** The access token's `jti`, recorded in audit events. */
  tokenId: string;
}

interface PrincipalRow {
  id: string;
  display_name: string;
  roles: Role[] | null;
  scopes: ServiceScope[] | null;
  agency_id: string;
  agency_name: string;
  agency_kind: AgencyKind;
}

/**
 * The live row behind a session: nothing when it was revoked, its account disabled, or its agency
 * not yet approved. `roles` are those in force; pending ones (users.pending_roles) are never read here.
 */
function principalRowSql(kind: PrincipalKind, sessionId: string, id: string): Sql {
  return kind === 'USER'
    ? sql`SELECT u.id, u.display_name, u.roles::text[] AS roles, NULL AS scopes,
                 a.id AS agency_id, a.name AS agency_name, a.kind AS agency_kind
            FROM auth_sessions s
            JOIN users u ON u.id = s.user_id
            JOIN agencies a ON a.id = u.agency_id
           WHERE s.id = ${sessionId}::uuid AND s.user_id = ${id}::uuid AND s.revoked_at IS NULL AND u.disabled_at IS NULL
             AND a.status = 'ACTIVE'`
    : sql`SELECT sa.id, sa.name AS display_name, NULL AS roles, sa.scopes::text[] AS scopes,
                 a.id AS agency_id, a.name AS agency_name, a.kind AS agency_kind
            FROM auth_sessions s
            JOIN service_accounts sa ON sa.id = s.service_account_id
            JOIN agencies a ON a.id = sa.agency_id
           WHERE s.id = ${sessionId}::uuid AND s.service_account_id = ${id}::uuid AND s.revoked_at IS NULL AND sa.disabled_at IS NULL
             AND a.status = 'ACTIVE'`;
}

/**
 * Resolves verified token claims to a live principal in one query. Returns null when the session
 * was revoked (logout, refresh-token reuse), the account was disabled since the token was issued,
 * or its agency awaits approval.
 */
export async function loadPrincipal(db: Queryable, claims: TokenClaims): Promise<Principal | null> {
  const [row] = await run<PrincipalRow>(db, principalRowSql(claims.pk, claims.sid, claims.sub));
  if (!row) return null;
  return {
    kind: claims.pk,
    id: row.id,
    displayName: row.display_name,
    agency: { id: row.agency_id, name: row.agency_name, kind: row.agency_kind },
    roles: row.roles ?? [],
    scopes: row.scopes ?? [],
    sessionId: claims.sid,
    tokenId: claims.jti,
  };
}

/**
 * A boolean SQL expression: true while `principal` is exactly what `loadPrincipal` would return now
 * (session live, account enabled, same roles or scopes, name and agency). Lets a principal taken
 * from the cache be confirmed inside a statement the request runs anyway (its audit insert).
 */
export function principalUnchangedSql(principal: Principal): Sql {
  const grants = principal.kind === 'USER' ? sql`p.roles = ${principal.roles}::text[]` : sql`p.scopes = ${principal.scopes}::text[]`;
  return sql`EXISTS (SELECT 1 FROM (${principalRowSql(principal.kind, principal.sessionId, principal.id)}) p
                      WHERE ${grants} AND p.display_name = ${principal.displayName} AND p.agency_id = ${principal.agency.id}::uuid
                        AND p.agency_name = ${principal.agency.name} AND p.agency_kind::text = ${principal.agency.kind})`;
}
