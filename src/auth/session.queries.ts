import { keysetPage, type Page, type PageRequest } from '../db/paging';
import { and, type Queryable, raw, run, type Sql, sql } from '../db/sql';

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  refresh_expires_at: Date | null;
}

/**
 * Sessions that still let someone in, as SQL on alias `s`: not revoked, and either recent enough for
 * its first access token to be valid or holding an unused, unexpired refresh token.
 */
const live = (accessTtlSeconds: number) =>
  sql`s.revoked_at IS NULL AND s.user_id IS NOT NULL
      AND (s.created_at > now() - make_interval(secs => ${accessTtlSeconds})
           OR EXISTS (SELECT 1 FROM refresh_tokens rt WHERE rt.session_id = s.id AND rt.used_at IS NULL AND rt.expires_at > now()))`;

const SESSION_COLUMNS = sql`s.id, s.user_id, s.created_at,
  (SELECT max(rt.expires_at) FROM refresh_tokens rt WHERE rt.session_id = s.id AND rt.used_at IS NULL) AS refresh_expires_at`;

/** Live sessions within `scope` (alias `s`), optionally of one user, newest first. */
export function listLiveSessions(
  db: Queryable,
  scope: Sql,
  accessTtlSeconds: number,
  userId: string | null,
  args: PageRequest,
): Promise<Page<SessionRow>> {
  return keysetPage<SessionRow>(
    db,
    {
      // One list per caller's view, and per user for an admin: a cursor works only where it was given.
      list: userId ? `userSessions:${userId}` : 'mySessions',
      select: SESSION_COLUMNS,
      from: raw('auth_sessions s'),
      where: and([live(accessTtlSeconds), scope, userId ? sql`s.user_id = ${userId}::uuid` : sql`true`]),
      sortColumn: raw('s.created_at'),
      idColumn: raw('s.id'),
      sortType: 'timestamptz',
    },
    args,
  );
}

/** Ends one live session within `scope` (alias `s`); returns it, or nothing when there is none to end. */
export async function revokeSessionIn(db: Queryable, id: string, scope: Sql, reason: string): Promise<SessionRow | undefined> {
  const [row] = await run<SessionRow>(
    db,
    sql`WITH ended AS (
          UPDATE auth_sessions s SET revoked_at = now(), revoked_reason = ${reason}
           WHERE s.id = ${id}::uuid AND s.revoked_at IS NULL AND s.user_id IS NOT NULL AND ${scope}
          RETURNING s.id, s.user_id, s.created_at)
        SELECT e.id, e.user_id, e.created_at, NULL::timestamptz AS refresh_expires_at FROM ended e`,
  );
  return row;
}
