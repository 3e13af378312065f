import type { DataSource, EntityManager } from 'typeorm';
import { AgencyKind } from '../agencies/agency-kind';
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
 * Resolves verified token claims to a live principal in one query. Returns null when the session
 * was revoked (logout, refresh-token reuse) or the account was disabled since the token was issued.
 */
export async function loadPrincipal(db: DataSource | EntityManager, claims: TokenClaims): Promise<Principal | null> {
  const rows: PrincipalRow[] =
    claims.pk === 'USER'
      ? await db.query(
          `SELECT u.id, u.display_name, u.roles::text[] AS roles, NULL AS scopes,
                  a.id AS agency_id, a.name AS agency_name, a.kind AS agency_kind
             FROM auth_sessions s
             JOIN users u ON u.id = s.user_id
             JOIN agencies a ON a.id = u.agency_id
            WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND u.disabled_at IS NULL`,
          [claims.sid, claims.sub],
        )
      : await db.query(
          `SELECT sa.id, sa.name AS display_name, NULL AS roles, sa.scopes::text[] AS scopes,
                  a.id AS agency_id, a.name AS agency_name, a.kind AS agency_kind
             FROM auth_sessions s
             JOIN service_accounts sa ON sa.id = s.service_account_id
             JOIN agencies a ON a.id = sa.agency_id
            WHERE s.id = $1 AND s.service_account_id = $2 AND s.revoked_at IS NULL AND sa.disabled_at IS NULL`,
          [claims.sid, claims.sub],
        );
  const row = rows[0];
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
