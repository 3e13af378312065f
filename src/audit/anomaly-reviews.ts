import type { Principal } from '../auth/principal';
import type { RequestContext } from '../context/request-context';
import { anomalyReviewScope } from '../policy/audit';
import { anomalyId } from './anomaly-id';
import { anomalyReviews } from './audit.queries';
import type { AccessAnomaly, ComputedAnomaly } from './audit.types';

/** The anomalies found in [from, to) with their ids and, where the reviewer scope reaches, their reviews (one query). */
export async function withReviews(
  ctx: RequestContext,
  principal: Principal,
  found: ComputedAnomaly[],
  from: Date,
  to: Date,
): Promise<AccessAnomaly[]> {
  const anomalies = found.map((a) => ({ ...a, id: anomalyId(a, from, to) }));
  const scope = anomalyReviewScope(principal);
  const reviews = scope && anomalies.length ? await anomalyReviews(ctx.db, scope, [...new Set(anomalies.map((a) => a.id))]) : [];
  const byId = new Map(reviews.map((r) => [r.anomaly_id, r]));
  return anomalies.map((a) => {
    const r = byId.get(a.id);
    return {
      ...a,
      reviewedAt: r?.reviewed_at ?? null,
      reviewOutcome: r?.outcome ?? null,
      reviewNote: r?.note ?? null,
      reviewedByUserId: r?.reviewed_by_user_id ?? null,
    };
  });
}
