import type { Principal } from '../auth/principal';
import { raw, run, sql, type Queryable } from '../db/sql';
import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, notFound } from '../errors';
import type { RequestContext } from '../graphql/context';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/auth-checker';
import { Permission } from '../policy/permissions';
import { findSubject, subjectScopeOf } from '../subjects/subject.queries';
import { FlagStatus, RiskLevel } from './flag.enums';
import type { Flag, FlagInput } from './flag.types';

/** Below this age a child is never flagged LOW (DESIGN.md); a database trigger holds it too. */
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
  ended_at: Date | null;
  end_reason: string | null;
}

export const FLAG_COLUMNS = raw(`f.id, f.subject_id, f.kind, f.risk_level, f.status, f.reason, f.review_date::text AS review_date, f.set_at,
  f.set_by_user_id, f.set_by_agency_id, f.ended_at, f.end_reason`);

export const toFlagView = (row: FlagRow): Flag => ({
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
  endedAt: row.ended_at,
  endReason: row.end_reason,
});

async function findFlag(db: Queryable, principal: Principal, id: string): Promise<Flag> {
  const [row] = await run<FlagRow>(
    db,
    sql`SELECT ${FLAG_COLUMNS} FROM flags f JOIN subjects s ON s.id = f.subject_id WHERE f.id = ${id}::uuid AND ${subjectScopeOf(principal)}`,
  );
  if (!row) throw notFound('Flag', 'flagId');
  return toFlagView(row);
}

/** Flags a subject. One active flag of each kind per subject: change a level by ending and re-flagging. */
export async function flagSubject(ctx: RequestContext, subjectId: string, input: FlagInput): Promise<Flag> {
  const principal = authorize(ctx, Permission.FLAG_SUBJECTS);
  const today = new Date().toISOString().slice(0, 10);
  if (input.reviewDate !== undefined && input.reviewDate < today) throw badInput('reviewDate must be today or later', 'input.reviewDate');
  return ctx.db.transaction(async (tx) => {
    const subject = await findSubject(tx, principal, subjectId, 'subjectId');
    if (input.riskLevel === RiskLevel.LOW && subject.age !== null && subject.age < MIN_AGE_FOR_LOW_RISK) {
      throw badInput(`A child under ${MIN_AGE_FOR_LOW_RISK} cannot be flagged LOW`, 'input.riskLevel');
    }
    let id: string;
    try {
      [{ id }] = await run<{ id: string }>(
        tx,
        sql`INSERT INTO flags (subject_id, kind, risk_level, reason, review_date, set_by_user_id, set_by_agency_id)
            VALUES (${subjectId}::uuid, ${input.kind}, ${input.riskLevel}, ${input.reason.trim()}, ${input.reviewDate ?? null}::date,
                    ${principal.id}::uuid, ${principal.agency.id}::uuid)
            RETURNING id`,
      );
    } catch (error) {
      if (isUniqueViolation(error))
        throw conflict(`The subject already has an active ${input.kind} flag: end it first`, { field: 'input.kind' });
      throw error;
    }
    const flag = await findFlag(tx, principal, id);
    await recordChange(tx, ctx, { kind: 'flag', id, action: 'flagged', before: null, after: flag });
    return flag;
  });
}

/** Ends an active flag with a reason (police SUPERVISOR). The flag stays, in the subject's history. */
export async function endFlag(ctx: RequestContext, flagId: string, reason: string): Promise<Flag> {
  const principal = authorize(ctx, Permission.END_FLAGS);
  return ctx.db.transaction(async (tx) => {
    const before = await findFlag(tx, principal, flagId);
    if (before.status !== FlagStatus.ACTIVE) throw badInput('This flag has already ended', 'flagId');
    const [updated] = await run(
      tx,
      sql`UPDATE flags SET status = 'ENDED', ended_at = now(), ended_by_user_id = ${principal.id}::uuid, end_reason = ${reason.trim()}
          WHERE id = ${flagId}::uuid AND status = 'ACTIVE' RETURNING id`,
    );
    if (!updated) throw badInput('This flag has already ended', 'flagId');
    const after = await findFlag(tx, principal, flagId);
    await recordChange(tx, ctx, { kind: 'flag', id: flagId, action: 'ended', before, after });
    return after;
  });
}
