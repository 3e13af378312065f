import { notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { insertBreakGlassGrant, subjectExists } from './break-glass.queries';
import type { BreakGlassGrant } from './break-glass.types';

/** How long a break-glass grant lasts. */
export const BREAK_GLASS_MINUTES = 60;

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
    if (!(await subjectExists(ctx.db, subjectId))) throw notFound('Subject', 'subjectId');
    const grant = await insertBreakGlassGrant(ctx.db, {
      subjectId,
      userId: principal.id,
      agencyId: principal.agency.id,
      reason: reason.trim(),
      minutes: BREAK_GLASS_MINUTES,
    });
    await recordChange(ctx, { kind: 'break_glass_grant', id: grant.id, action: 'granted', before: null, after: grant });
    return grant;
  });
}
