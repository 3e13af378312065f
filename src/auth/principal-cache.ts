import type { Queryable } from '../db/sql';
import { principalUnchangedSql } from './auth.queries';
import { loadPrincipal, type Principal } from './principal';
import type { TokenClaims } from './tokens';

/** How long a session's principal is reused; every use is still confirmed (see `PrincipalCache`). */
export const PRINCIPAL_TTL_MS = 60_000;
/** Far above the sessions one process serves in a minute; past it the cache starts afresh. */
const MAX_SESSIONS = 10_000;

/** A principal as the request sees it, and how it must be confirmed if it came from the cache. */
export interface ResolvedPrincipal {
  principal: Principal | null;
  /** Present only for a cached principal: the request must confirm it (see `PrincipalCache`). */
  cached?: CachedPrincipal;
  /** Drops this session's entry: for a use case that changed the caller's own principal (a second factor confirmed). */
  forget?: () => void;
}

export interface CachedPrincipal {
  /** True in SQL while the principal is unchanged in the database; run with the audit insert. */
  unchanged: ReturnType<typeof principalUnchangedSql>;
  /** Loads it afresh (before a mutation runs), refreshing the entry: null if the session or account is gone. */
  reload(): Promise<Principal | null>;
  /** Drops the entry, once the database said it is stale. */
  forget(): void;
}

/**
 * Principals by session, so a request need not look its caller up before its first query.
 *
 * The guarantee that a disabled account, a revoked session or a changed role applies at once is
 * kept by confirming every cached principal against the database before anything leaves or is
 * written for it: a mutation reloads it before it runs; a query's response is released only if the
 * statement that writes its audit events (or, with nothing to audit, a check of its own) finds the
 * principal unchanged. Otherwise the response is replaced by UNAUTHENTICATED and the entry dropped.
 * A miss, or an expired entry, is loaded from the database as before.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; expires: number }>();

  async resolve(db: Queryable, claims: TokenClaims): Promise<ResolvedPrincipal> {
    const key = `${claims.pk}:${claims.sub}:${claims.sid}`;
    const load = async () => {
      const principal = await loadPrincipal(db, claims);
      if (!principal) this.entries.delete(key);
      else {
        if (this.entries.size >= MAX_SESSIONS) this.entries.clear();
        this.entries.set(key, { principal, expires: Date.now() + PRINCIPAL_TTL_MS });
      }
      return principal;
    };
    const forget = () => void this.entries.delete(key);
    const hit = this.entries.get(key);
    if (!hit || hit.expires <= Date.now()) return { principal: await load(), forget };
    const principal = { ...hit.principal, tokenId: claims.jti };
    return {
      principal,
      cached: { unchanged: principalUnchangedSql(principal), reload: load, forget },
      forget,
    };
  }
}
