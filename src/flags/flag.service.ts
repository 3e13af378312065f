import type { Principal } from '../auth/principal';
import { raw, run, sql, type Queryable, type Sql } from '../db/sql';
import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, forbidden, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { decide, Permission } from '../policy/permissions';
import { flagRedactions } from '../policy/records';
import { orNone, subjectFlagScope } from '../policy/edges';
import { findSubject, subjectScopeOf } from '../subjects/subject.queries';
import { FlagStatus, RiskLevel } from './flag.enums';
import type { Flag, FlagInput } from './flag.types';

/** Below this age a child is never flagged LOW (docs/architecture.md, "The records"); a database trigger holds it too. */
export const MIN_AGE_FOR_LOW_RISK = 13;

export interface FlagRow {
  id: string;
  subject_id: string;
  kind: Flag['kind'];
  risk_level: RiskLevel;
  status: FlagStatus;
  reason: string;
  review_date: string | null;
  set_at: Date;
  set_by_user_id: string;
  set_by_agency_id: string;
  approved_at: Date | null;
  approved_by_user_id: string | null;
  rejected_at: Date | null;
  rejected_by_user_id: string | null;
  rejection_reason: string | null;
  ended_at: Date | null;
  end_reason: string | null;
}

export const FLAG_COLUMNS = raw(`f.id, f.subject_id, f.kind, f.risk_level, f.status, f.reason, f.review_date::text AS review_date, f.set_at,
  f.set_by_user_id, f.set_by_agency_id, f.approved_at, f.approved_by_user_id, f.rejected_at, f.rejected_by_user_id, f.rejection_reason,
  f.ended_at, f.end_reason`);

/** The flag as this principal may see it: withheld fields named (policy/records.ts). */
export const toFlagView = (row: FlagRow, principal: Principal): Flag => ({
  id: row.id,
  subjectId: row.subject_id,
  kind: row.kind,
  riskLevel: row.risk_level,
  status: row.status,
  reason: row.reason,
  reviewDate: row.review_date,
  setAt: row.set_at,
  setByUserId: row.set_by_user_id,
  setByAgencyId: row.set_by_agency_id,
  approvedAt: row.approved_at,
  approvedByUserId: row.approved_by_user_id,
  rejectedAt: row.rejected_at,
  rejectedByUserId: row.rejected_by_user_id,
  rejectionReason: row.rejection_reason,
  endedAt: row.ended_at,
  endReason: row.end_reason,
  redactedFields: flagRedactions(principal),
});

async function findFlag(db: Queryable, principal: Principal, id: string): Promise<Flag> {
  const [row] = await run<FlagRow>(
    db,
    sql`SELECT ${FLAG_COLUMNS} FROM flags f JOIN subjects s ON s.id = f.subject_id WHERE f.id = ${id}::uuid AND ${subjectScopeOf(principal)} AND ${orNone(subjectFlagScope(principal))}`,
  );
  if (!row) throw notFound('Flag', 'flagId');
  return toFlagView(row, principal);
}

/**
 * Flags a subject: active at once when a police supervisor sets it, otherwise PROPOSED until one
 * approves it. One open (proposed or active) flag of each kind per subject: change a level by
 * ending and re-flagging.
 */
export async function flagSubject(ctx: RequestContext, subjectId: string, input: FlagInput): Promise<Flag> {
  const principal = authorize(ctx, Permission.FLAG_SUBJECTS);
  const status = decide(Permission.APPROVE_FLAGS, principal) === 'ALLOW' ? FlagStatus.ACTIVE : FlagStatus.PROPOSED;
  const today = new Date().toISOString().slice(0, 10);
  if (input.reviewDate !== undefined && input.reviewDate < today) throw badInput('reviewDate must be today or later', 'input.reviewDate');
  return inTransaction(ctx, async (ctx) => {
    const subject = await findSubject(ctx.db, principal, subjectId, 'subjectId');
    if (input.riskLevel === RiskLevel.LOW && subject.age !== null && subject.age < MIN_AGE_FOR_LOW_RISK) {
      throw badInput(`A child under ${MIN_AGE_FOR_LOW_RISK} cannot be flagged LOW`, 'input.riskLevel');
    }
    let id: string;
    try {
      [{ id }] = await run<{ id: string }>(
        ctx.db,
        sql`INSERT INTO flags (subject_id, kind, risk_level, status, reason, review_date, set_by_user_id, set_by_agency_id)
            VALUES (${subjectId}::uuid, ${input.kind}, ${input.riskLevel}, ${status}, ${input.reason.trim()}, ${input.reviewDate ?? null}::date,
                    ${principal.id}::uuid, ${principal.agency.id}::uuid)
            RETURNING id`,
      );
    } catch (error) {
      if (isUniqueViolation(error))
        throw conflict(`The subject already has an active or proposed ${input.kind} flag: end, approve or reject it first`, {
          field: 'input.kind',
        });
      throw error;
    }
    const flag = await findFlag(ctx.db, principal, id);
    const action = status === FlagStatus.ACTIVE ? 'flagged' : 'proposed';
    await recordChange(ctx, { kind: 'flag', id, action, before: null, after: flag });
    return flag;
  });
}

/** Why a flag in this status cannot make the move asked for (only PROPOSED and ACTIVE flags move). */
const CANNOT_MOVE: Record<FlagStatus, string> = {
  [FlagStatus.PROPOSED]: 'This flag is awaiting approval, not in force: reject it instead',
  [FlagStatus.ACTIVE]: 'This flag is already in force',
  [FlagStatus.REJECTED]: 'This flag was rejected',
  [FlagStatus.ENDED]: 'This flag has already ended',
};

/**
 * Moves a flag from one status to another, once: the UPDATE re-checks the status under the row
 * lock, so of two racing decisions exactly one wins and the other is refused like a stale one.
 */
async function transition(
  ctx: RequestContext,
  principal: Principal,
  flagId: string,
  move: { from: FlagStatus; action: string; set: Sql; check?: (flag: Flag) => void },
): Promise<Flag> {
  return inTransaction(ctx, async (ctx) => {
    const before = await findFlag(ctx.db, principal, flagId);
    if (before.status !== move.from) throw badInput(CANNOT_MOVE[before.status], 'flagId');
    move.check?.(before);
    // In a CTE so the driver returns the rows (TypeORM returns [rows, count] for a bare UPDATE).
    const [updated] = await run<{ id: string }>(
      ctx.db,
      sql`WITH moved AS (UPDATE flags SET ${move.set} WHERE id = ${flagId}::uuid AND status = ${move.from} RETURNING id) SELECT id FROM moved`,
    );
    if (!updated) {
      const now = await findFlag(ctx.db, principal, flagId);
      throw badInput(CANNOT_MOVE[now.status], 'flagId');
    }
    const after = await findFlag(ctx.db, principal, flagId);
    await recordChange(ctx, { kind: 'flag', id: flagId, action: move.action, before, after });
    return after;
  });
}

/** Ends an active flag with a reason (police SUPERVISOR). The flag stays, in the subject's history. */
export async function endFlag(ctx: RequestContext, flagId: string, reason: string): Promise<Flag> {
  const principal = authorize(ctx, Permission.END_FLAGS);
  return transition(ctx, principal, flagId, {
    from: FlagStatus.ACTIVE,
    action: 'ended',
    set: sql`status = 'ENDED', ended_at = now(), ended_by_user_id = ${principal.id}::uuid, end_reason = ${reason.trim()}`,
  });
}

/** Puts a proposed flag in force (police SUPERVISOR; never the proposer). */
export async function approveFlag(ctx: RequestContext, flagId: string): Promise<Flag> {
  const principal = authorize(ctx, Permission.APPROVE_FLAGS);
  return transition(ctx, principal, flagId, {
    from: FlagStatus.PROPOSED,
    action: 'approved',
    set: sql`status = 'ACTIVE', approved_at = now(), approved_by_user_id = ${principal.id}::uuid`,
    check: (flag) => {
      if (flag.setByUserId === principal.id) throw forbidden('A flag needs a second person to approve it');
    },
  });
}

/** Rejects a proposed flag with a reason (police SUPERVISOR). It stays, in the subject's history. */
export async function rejectFlag(ctx: RequestContext, flagId: string, reason: string): Promise<Flag> {
  const principal = authorize(ctx, Permission.APPROVE_FLAGS);
  return transition(ctx, principal, flagId, {
    from: FlagStatus.PROPOSED,
    action: 'rejected',
    set: sql`status = 'REJECTED', rejected_at = now(), rejected_by_user_id = ${principal.id}::uuid, rejection_reason = ${reason.trim()}`,
  });
}
