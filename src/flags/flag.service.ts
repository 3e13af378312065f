import type { Principal } from '../auth/principal';
import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, forbidden } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { decide, Permission } from '../policy/permissions';
import { findSubject } from '../subjects/subject.queries';
import { FlagStatus, RiskLevel } from './flag.enums';
import { findFlag, type FlagMove, insertFlag, moveFlag } from './flag.queries';
import type { Flag, FlagInput } from './flag.types';

/** Below this age a child is never flagged LOW (docs/architecture.md, "The records"); a database trigger holds it too. */
export const MIN_AGE_FOR_LOW_RISK = 13;

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
      id = await insertFlag(ctx.db, principal, {
        subjectId,
        kind: input.kind,
        riskLevel: input.riskLevel,
        status,
        reason: input.reason.trim(),
        reviewDate: input.reviewDate ?? null,
      });
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
  move: { from: FlagStatus; action: string; decision: FlagMove; check?: (flag: Flag) => void },
): Promise<Flag> {
  return inTransaction(ctx, async (ctx) => {
    const before = await findFlag(ctx.db, principal, flagId);
    if (before.status !== move.from) throw badInput(CANNOT_MOVE[before.status], 'flagId');
    move.check?.(before);
    if (!(await moveFlag(ctx.db, flagId, move.from, move.decision))) {
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
    decision: { to: 'ENDED', userId: principal.id, reason: reason.trim() },
  });
}

/** Puts a proposed flag in force (police SUPERVISOR; never the proposer). */
export async function approveFlag(ctx: RequestContext, flagId: string): Promise<Flag> {
  const principal = authorize(ctx, Permission.APPROVE_FLAGS);
  return transition(ctx, principal, flagId, {
    from: FlagStatus.PROPOSED,
    action: 'approved',
    decision: { to: 'ACTIVE', userId: principal.id },
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
    decision: { to: 'REJECTED', userId: principal.id, reason: reason.trim() },
  });
}
