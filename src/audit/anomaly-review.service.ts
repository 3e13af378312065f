import { inTransaction, type RequestContext } from '../context/request-context';
import { conflict, forbidden, notFound } from '../errors';
import { recordChange } from '../history/history.service';
import { auditReadScope, mayReviewAnomalyOf } from '../policy/audit';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { requireScope } from '../policy/records';
import { anomalyId, parseAnomalyId } from './anomaly-id';
import { withReviews } from './anomaly-reviews';
import { findAnomalies, insertAnomalyReview } from './audit.queries';
import type { AccessAnomaly } from './audit.types';
import { parseReview } from './review';

/** The lowest factor accessAnomalies accepts: an anomaly listed at any factor is found at this one. */
const LOWEST_FACTOR = 2;

/**
 * An auditor's review of a computed anomaly. The id says where to look; the anomaly is found again
 * within the reviewer's audit scope (NOT_FOUND otherwise). The anomaly's own actor may not review it
 * (FORBIDDEN: separation of duties), nor an agency's auditor another agency's staff's (the actor's
 * agency, or oversight, reviews those). One review each (CONFLICT). The review is a change: its
 * history, CHANGE event and the request's audit event commit together.
 */
export async function reviewAccessAnomaly(ctx: RequestContext, id: string, outcome: string, note: string): Promise<AccessAnomaly> {
  const principal = authorize(ctx, Permission.READ_AUDIT);
  const scope = requireScope(auditReadScope(principal));
  const review = parseReview(outcome, note);
  const ref = parseAnomalyId(id);
  if (!ref) throw notFound('AccessAnomaly', 'id');
  const found = (await findAnomalies(ctx.db, scope, ref.from, ref.to, LOWEST_FACTOR)).find((a) => anomalyId(a, ref.from, ref.to) === id);
  if (!found) throw notFound('AccessAnomaly', 'id');
  if (found.actorId === principal.id) throw forbidden('An anomaly of your own is reviewed by another auditor');
  if (!mayReviewAnomalyOf(principal, found.actorAgencyId)) {
    throw forbidden('Another agency’s staff are reviewed by their own agency’s auditors or oversight');
  }
  const isPeriod = found.eventId === null;
  return inTransaction(ctx, async (ctx) => {
    const row = await insertAnomalyReview(ctx.db, {
      anomalyId: id,
      kind: found.kind,
      actorId: found.actorId,
      actorAgencyId: found.actorAgencyId,
      eventId: found.eventId,
      from: isPeriod ? ref.from : null,
      to: isPeriod ? ref.to : null,
      outcome: review.outcome,
      note: review.note,
      reviewerId: principal.id,
    });
    if (!row) throw conflict('This anomaly has been reviewed already');
    await recordChange(ctx, {
      kind: 'access_anomaly_review',
      id: row.id,
      action: 'reviewed',
      before: null,
      after: { anomalyId: id, kind: found.kind, actorId: found.actorId, outcome: row.outcome, note: row.note },
    });
    const [reviewed] = await withReviews(ctx, principal, [found], ref.from, ref.to);
    return reviewed;
  });
}
