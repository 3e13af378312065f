import { run, sql } from '../db/sql';
import { notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import type { BreakGlassGrant } from './break-glass.types';

/** How long a break-glass grant lasts. */
export const BREAK_GLASS_MINUTES = 60;

interface GrantRow {
  id: string;
  subject_id: string;
  user_id: string;
  reason: string;
  granted_at: Date;
  expires_at: Date;
  reviewed_at: Date | null;
}

/**
 * Grants the caller an hour's read of one subject and its reports, outside their normal scope, with a
 * mandatory reason. It awaits audit review (`reviewed_at` null) and its event is a BREAK_GLASS one,
 * which the auditors' anomaly report lists. A missing subject is NOT_FOUND: break-glass reaches
 * records outside one's scope by design, so it necessarily tells that the subject exists, and it
 * cannot be used without leaving that trace.
 */
export async function breakGlass(ctx: RequestContext, subjectId: string, reason: string): Promise<BreakGlassGrant> {
  const principal = authorize(ctx, Permission.BREAK_GLASS);
  return inTransaction(ctx, async (ctx) => {
    // Outside the caller's scope by design, so beyond its row-level security: existence only.
    const [{ exists }] = await run<{ exists: boolean }>(ctx.db, sql`SELECT subject_exists(${subjectId}::uuid) AS exists`);
    if (!exists) throw notFound('Subject', 'subjectId');
    const [row] = await run<GrantRow>(
      ctx.db,
      sql`INSERT INTO break_glass_grants (subject_id, user_id, agency_id, reason, expires_at)
          VALUES (${subjectId}::uuid, ${principal.id}::uuid, ${principal.agency.id}::uuid, ${reason.trim()},
                  now() + make_interval(mins => ${BREAK_GLASS_MINUTES}))
          RETURNING id, subject_id, user_id, reason, granted_at, expires_at, reviewed_at`,
    );
    const grant: BreakGlassGrant = {
      id: row.id,
      subjectId: row.subject_id,
      userId: row.user_id,
      reason: row.reason,
      grantedAt: row.granted_at,
      expiresAt: row.expires_at,
      reviewedAt: row.reviewed_at,
    };
    await recordChange(ctx, { kind: 'break_glass_grant', id: grant.id, action: 'granted', before: null, after: grant });
    return grant;
  });
}
