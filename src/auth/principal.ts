import { AgencyKind } from '../agencies/agency-kind';
import type { Queryable } from '../db/sql';
import { Role } from '../policy/roles';
import { ServiceScope } from '../users/service-account.entity';
import { findPrincipalRow, type PrincipalRow } from './auth.queries';
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
  /**
   * A person with an active TOTP second factor; false (or absent, for principals built by hand
   * outside a sign-in) for everyone else, partner apps included.
   */
  secondFactor?: boolean;
  sessionId: string;
  /** The access token's `jti`, recorded in audit events. */
  tokenId: string;
}

/**
 * Resolves verified token claims to a live principal in one query. Returns null when the session
 * was revoked (logout, refresh-token reuse), the account was disabled since the token was issued,
 * or its agency awaits approval.
 */
export async function loadPrincipal(db: Queryable, claims: TokenClaims): Promise<Principal | null> {
  const row = await findPrincipalRow(db, claims.pk, claims.sid, claims.sub);
  return row ? principalOfRow(claims.pk, row, claims.sid, claims.jti) : null;
}

/** The principal a live session's row describes (`findPrincipalRow`), signed in with the token `tokenId`. */
export function principalOfRow(kind: PrincipalKind, row: PrincipalRow, sessionId: string, tokenId: string): Principal {
  return {
    kind,
    id: row.id,
    displayName: row.display_name,
    agency: { id: row.agency_id, name: row.agency_name, kind: row.agency_kind },
    roles: row.roles ?? [],
    scopes: row.scopes ?? [],
    secondFactor: row.second_factor,
    sessionId,
    tokenId,
  };
}
