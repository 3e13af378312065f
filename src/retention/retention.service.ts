import { inTransaction, type RequestContext } from '../context/request-context';
import type { Page } from '../db/paging';
import { AppError, badInput, conflict, ErrorCode, notFound } from '../errors';
import { recordChanges } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { requireScope } from '../policy/records';
import { retentionReviewScope } from '../policy/retention';
import { RECORD_KIND_OF, RetentionDecision } from './retention.enums';
import {
  disposeRecord,
  insertDecision,
  listReviewGroups,
  listReviewPage,
  lockReviewable,
  type ReviewableRecord,
} from './retention.queries';
import type {
  DecideRetentionArgs,
  RetentionDecisionRecord,
  RetentionReview,
  RetentionReviewGroup,
  RetentionReviewsArgs,
} from './retention.types';

const YEAR_MS = 365.25 * 86_400_000;
/** A RETAIN's next review is at most this far ahead when its group has no repeat period. */
const LONGEST_REVIEW_YEARS = 10;

/** The retention queue (police SUPERVISOR): records whose review date has passed, oldest due first. */
export function retentionReviews(ctx: RequestContext, args: RetentionReviewsArgs): Promise<Page<RetentionReview>> {
  const scope = requireScope(retentionReviewScope(authorize(ctx, Permission.REVIEW_RETENTION)));
  return listReviewPage(ctx.db, scope, args.recordKind, args);
}

/** The review groups as configured (retention_review_groups), with their source. */
export function retentionReviewGroups(ctx: RequestContext): Promise<RetentionReviewGroup[]> {
  requireScope(retentionReviewScope(authorize(ctx, Permission.REVIEW_RETENTION)));
  return listReviewGroups(ctx.db);
}

/** Group 1 keeps a record until its subject is `keepUntilAge` (100): a subject of unknown age is kept. */
function keptForAge(record: ReviewableRecord, now: number): boolean {
  if (record.keepUntilAge == null) return false;
  if (record.subjectDateOfBirth == null) return true;
  return now < Date.parse(`${record.subjectDateOfBirth}T00:00:00Z`) + record.keepUntilAge * YEAR_MS;
}

/**
 * Records a retention decision on a record whose review has come (police SUPERVISOR). RETAIN needs
 * the reason and the next review date (after now, within the group's review period). DISPOSE removes
 * the record's case content (the owner-run `dispose_record`, in this transaction): from then on it is
 * NOT_FOUND to everyone on every path, while its audit events, ids and counts remain. A group 1 record
 * is not disposed before its subject is 100 (or while the subject's age is unknown). The decision, the
 * disposal, their history and audit events commit together or not at all.
 */
export async function decideRetention(ctx: RequestContext, args: DecideRetentionArgs): Promise<RetentionDecisionRecord> {
  const principal = authorize(ctx, Permission.REVIEW_RETENTION);
  const scope = requireScope(retentionReviewScope(principal));
  const now = Date.now();
  const retain = args.decision === RetentionDecision.RETAIN;
  if (!retain && args.nextReviewAt != null) throw badInput('A disposal has no next review', 'nextReviewAt');
  if (retain && args.nextReviewAt == null) throw badInput('Retaining a record needs its next review date', 'nextReviewAt');
  return inTransaction(ctx, async (ctx) => {
    const record = await lockReviewable(ctx.db, scope, args.recordKind, args.recordId);
    if (!record) throw notFound('Record', 'recordId');
    if (record.reviewDueAt.getTime() > now) throw badInput('This record is not due for review yet', 'recordId');
    if (retain) {
      const longest = (record.repeatReviewYears ?? LONGEST_REVIEW_YEARS) * YEAR_MS;
      const next = args.nextReviewAt!.getTime();
      if (next <= now || next > now + longest) {
        throw badInput(
          `The next review must be after now and within ${record.repeatReviewYears ?? LONGEST_REVIEW_YEARS} years`,
          'nextReviewAt',
        );
      }
    } else if (keptForAge(record, now)) {
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `Review group ${record.reviewGroup} records are kept until the subject is ${record.keepUntilAge}: retain it with a next review date`,
        { field: 'decision', reason: 'RETAINED_UNTIL_AGE' },
      );
    }
    const decision = await insertDecision(ctx.db, {
      kind: args.recordKind,
      id: args.recordId,
      reviewGroup: record.reviewGroup,
      decision: args.decision,
      reason: args.reason.trim(),
      nextReviewAt: args.nextReviewAt ?? null,
      by: principal.id,
    });
    if (!retain && !(await disposeRecord(ctx.db, args.recordKind, args.recordId))) {
      throw conflict('This record has been disposed of already');
    }
    const kind = RECORD_KIND_OF[args.recordKind];
    await recordChanges(ctx, [
      { kind: 'retention_decision', id: decision.id, action: retain ? 'retained' : 'disposed', before: null, after: decision },
      // The record's own history: that it was reviewed, or that its content is gone (none of it kept here).
      {
        kind,
        id: args.recordId,
        action: retain ? 'retention_retained' : 'disposed',
        before: null,
        after: { retentionDecisionId: decision.id, decision: args.decision, nextReviewAt: decision.nextReviewAt },
      },
    ]);
    return decision;
  });
}
