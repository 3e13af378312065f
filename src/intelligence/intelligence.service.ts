import { assertDivisionExists, assertDivisionsExist } from '../agencies/divisions';
import { createHash, randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal';
import { isUniqueViolation } from '../db/errors';
import { badInput, conflict, notFound } from '../errors';
import { inTransaction, type RequestContext } from '../context/request-context';
import { recordChange, recordChanges } from '../history/history.service';
import { authorize } from '../policy/authorize';
import { Permission } from '../policy/permissions';
import { submittableSourceTypes } from '../policy/records';
import { Classification, HandlingCode, MAX_BATCH_SUBMISSIONS, ReportStatus, SourceType, STATUS_TRANSITIONS } from './intelligence.enums';
import {
  type EarlierSubmission,
  earlierSubmissions,
  findOwnSubmissions,
  findReport,
  insertReports,
  listReports,
  type ReportListIncludes,
  lockReportStatus,
  searchReports,
  updateAssessment,
} from './intelligence.queries';
import type { Page } from '../db/paging';
import { readReplica } from '../db/replica';
import type {
  AssessmentInput,
  IntelligenceListArgs,
  IntelligenceReport,
  IntelligenceSearchArgs,
  SubmitIntelligenceInput,
} from './intelligence.types';

/** Clocks differ a little between an agency's system and ours; beyond this, "future" is an error. */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

/** Nothing Safeshare records happened before this; earlier dates are typing errors. */
const EARLIEST = Date.UTC(1970, 0, 1);

/** An error's message and field, naming the submission they concern in a batch (`inputs[3]: ...`, `inputs[3].sourceType`). */
const naming = (item: string | undefined, message: string, field: string): [string, string] =>
  item ? [`${item}: ${message}`, `${item}.${field}`] : [message, field];

/**
 * What a submission must satisfy beyond its shape, apart from its division existing: a source type
 * the submitter may use, informant details only on public tip-offs, plausible times. In a batch,
 * `item` is `inputs[3]`: errors then name `inputs[3].sourceType` and say which item it was.
 */
function checkSubmission(principal: Principal, input: SubmitIntelligenceInput, item?: string): void {
  const refuse = (message: string, field: string) => badInput(...naming(item, message, field));
  if (!submittableSourceTypes(principal.agency.kind).includes(input.sourceType)) {
    throw refuse(`A ${principal.agency.kind} agency cannot submit ${input.sourceType} intelligence`, 'sourceType');
  }
  if (input.informant && input.sourceType !== SourceType.PUBLIC) {
    throw refuse('Informant details belong only to PUBLIC tip-offs', 'informant');
  }
  const latest = Date.now() + FUTURE_TOLERANCE_MS;
  for (const field of ['receivedAt', 'occurredAt'] as const) {
    if (input[field] && input[field].getTime() < EARLIEST) throw refuse(`${field} is implausibly early`, field);
  }
  for (const field of ['receivedAt', 'occurredAt'] as const) {
    if (input[field] && input[field].getTime() > latest) throw refuse(`${field} must not be in the future`, field);
  }
  if (input.occurredAt && input.receivedAt && input.occurredAt > input.receivedAt) {
    throw refuse('occurredAt must not be after receivedAt', 'occurredAt');
  }
}

/**
 * The payload's fingerprint for idempotency: a retry must carry the same content. Fields the
 * caller left out (or gave as null) stay out, so a defaulted receivedAt does not make a retry look different.
 */
function payloadHash(input: SubmitIntelligenceInput): string {
  const canonical = {
    sourceType: input.sourceType,
    narrative: input.narrative.trim(),
    receivedAt: input.receivedAt?.toISOString(),
    occurredAt: input.occurredAt?.toISOString(),
    divisionId: input.divisionId ?? undefined,
    location: input.location ?? undefined,
    riskIndicators: [...(input.riskIndicators ?? [])].sort(),
    classification: input.classification ?? Classification.OFFICIAL,
    informant: input.informant
      ? { name: input.informant.name, contact: input.informant.contact ?? undefined, notes: input.informant.notes ?? undefined }
      : undefined,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * Records a piece of intelligence from the caller's agency. With an idempotencyKey, a retry of the
 * same submission returns the original report instead of a duplicate.
 */
export async function submitIntelligence(ctx: RequestContext, input: SubmitIntelligenceInput): Promise<IntelligenceReport> {
  const principal = authorize(ctx, Permission.SUBMIT_INTELLIGENCE);
  checkSubmission(principal, input);
  if (input.divisionId != null) await assertDivisionExists(ctx.db, input.divisionId, 'divisionId');
  const [report] = await recordSubmissions(ctx, principal, [input], () => undefined);
  return report;
}

/**
 * Records 1 to MAX_BATCH_SUBMISSIONS submissions in one transaction: all of them or none. Each is
 * checked as submitIntelligence checks it (errors name `inputs[i]`), and keeps its own idempotency
 * key: a retried batch returns the same reports (and records those not yet there), a key reused
 * for a different payload is CONFLICT, one key twice in a batch is BAD_USER_INPUT. Reports,
 * informants, history and audit events are each written by one statement, whatever the batch size.
 */
export async function submitIntelligenceBatch(ctx: RequestContext, inputs: SubmitIntelligenceInput[]): Promise<IntelligenceReport[]> {
  const principal = authorize(ctx, Permission.SUBMIT_INTELLIGENCE);
  if (inputs.length < 1 || inputs.length > MAX_BATCH_SUBMISSIONS) {
    throw badInput(`inputs must hold 1 to ${MAX_BATCH_SUBMISSIONS} submissions`, 'inputs');
  }
  const item = (i: number) => `inputs[${i}]`;
  inputs.forEach((input, i) => checkSubmission(principal, input, item(i)));
  const keyAt = new Map<string, number>();
  inputs.forEach(({ idempotencyKey: key }, i) => {
    if (key == null) return;
    const first = keyAt.get(key);
    if (first !== undefined) {
      throw badInput(
        `${item(i)}: idempotencyKey is also that of ${item(first)}; each submission needs its own`,
        `${item(i)}.idempotencyKey`,
      );
    }
    keyAt.set(key, i);
  });
  await assertDivisionsExist(
    ctx.db,
    inputs.map((input) => input.divisionId),
    (i) => `${item(i)}.divisionId`,
  );
  return recordSubmissions(ctx, principal, inputs, item);
}

/**
 * Records checked submissions in one transaction, each keeping its own idempotency key (a retry
 * returns the report the key first made; a key reused for a different payload is CONFLICT). `item`
 * names the i-th submission in errors (`inputs[3]`), or nothing for a single one.
 */
async function recordSubmissions(
  ctx: RequestContext,
  principal: Principal,
  inputs: SubmitIntelligenceInput[],
  item: (i: number) => string | undefined,
): Promise<IntelligenceReport[]> {
  const keys = inputs.flatMap(({ idempotencyKey: key }) => (key == null ? [] : [key]));
  const hashes = inputs.map(payloadHash);

  const attempt = () =>
    inTransaction(ctx, async (ctx) => {
      const earlier = keys.length ? await earlierSubmissions(ctx.db, principal, keys) : new Map<string, EarlierSubmission>();
      const ids = inputs.map((input, i) => {
        const found = input.idempotencyKey == null ? undefined : earlier.get(input.idempotencyKey);
        if (found && found.payloadHash !== hashes[i]) {
          const [message, field] = naming(item(i), 'This idempotencyKey was already used for a different submission', 'idempotencyKey');
          throw conflict(message, { field });
        }
        return found?.id;
      });
      const fresh = inputs.flatMap((input, i) => (ids[i] ? [] : [{ i, id: randomUUID(), input }]));
      for (const f of fresh) ids[f.i] = f.id;
      if (fresh.length) await insertReports(ctx.db, principal, fresh, hashes);
      const reports = await findOwnSubmissions(ctx.db, principal, ids as string[]);
      await recordChanges(
        ctx,
        fresh.map(({ i, id }) => ({ kind: 'intelligence_report', id, action: 'submitted', before: null, after: reports[i] })),
      );
      return reports;
    });
  try {
    return await attempt();
  } catch (error) {
    // A concurrent submission recorded one of these keys first: once more, finding it.
    if (keys.length && isUniqueViolation(error)) return attempt();
    throw error;
  }
}

const GRADING_KEYS = ['sourceEvaluation', 'intelligenceAssessment', 'handlingCode'] as const;

/** Checks an assessment on its own terms; returns whether it grades and the status it moves to. */
function readAssessment(input: AssessmentInput): { grades: boolean; target: ReportStatus } {
  const given = GRADING_KEYS.filter((k) => input[k] !== undefined && input[k] !== null);
  if (given.length > 0 && given.length < 3) {
    throw badInput(
      'Grading needs all three of sourceEvaluation, intelligenceAssessment and handlingCode',
      GRADING_KEYS.find((k) => !given.includes(k)),
    );
  }
  const grades = given.length === 3;
  if (input.handlingCode === HandlingCode.C && !input.handlingConditions?.trim()) {
    throw badInput('Handling code C needs the conditions of sharing', 'handlingConditions');
  }
  if (input.handlingConditions != null && input.handlingCode !== HandlingCode.C) {
    throw badInput('handlingConditions go only with handling code C', 'handlingConditions');
  }
  const target = input.status ?? (grades ? ReportStatus.ASSESSED : undefined);
  if (!target) throw badInput('Give a grading, a status, or both', 'status');
  if (grades && target !== ReportStatus.ASSESSED) throw badInput('Grading a report moves it to ASSESSED', 'status');
  if (target === ReportStatus.ASSESSED && !grades) throw badInput('A report is ASSESSED only with its grading', 'sourceEvaluation');
  return { grades, target };
}

/**
 * Records the 3x5x2 grading and/or moves the report along its lifecycle. Re-grading an ASSESSED
 * report is allowed (the history keeps the earlier grade); any other repeat or skip is refused.
 */
export async function assessIntelligence(ctx: RequestContext, id: string, input: AssessmentInput): Promise<IntelligenceReport> {
  const principal = authorize(ctx, Permission.ASSESS_INTELLIGENCE);
  const { grades, target } = readAssessment(input);
  return inTransaction(ctx, async (ctx) => {
    const status = await lockReportStatus(ctx.db, principal, id);
    if (!status) throw notFound('Intelligence report');
    const regrade = grades && status === ReportStatus.ASSESSED && target === ReportStatus.ASSESSED;
    if (!regrade && !STATUS_TRANSITIONS[status].includes(target)) {
      throw badInput(`A report cannot move from ${status} to ${target}`, 'status');
    }
    const before = await findReport(ctx.db, principal, id);
    await updateAssessment(ctx.db, principal, id, { grades, target, input });
    const after = await findReport(ctx.db, principal, id);
    await recordChange(ctx, { kind: 'intelligence_report', id, action: grades ? 'assessed' : 'status_changed', before, after });
    return after;
  });
}

/** One report the caller may read; NOT_FOUND otherwise, as if it did not exist. */
export function getReport(ctx: RequestContext, id: string): Promise<IntelligenceReport> {
  return findReport(ctx.db, authorize(ctx, Permission.READ_INTELLIGENCE), id);
}

export function listIntelligence(
  ctx: RequestContext,
  args: IntelligenceListArgs,
  includes?: ReportListIncludes,
): Promise<Page<IntelligenceReport>> {
  return listReports(ctx.db, authorize(ctx, Permission.READ_INTELLIGENCE), args, includes);
}

export function searchIntelligence(ctx: RequestContext, args: IntelligenceSearchArgs): Promise<Page<IntelligenceReport>> {
  const principal = authorize(ctx, Permission.SEARCH_RECORDS);
  // A search may lag the primary by up to REPLICA_MAX_LAG_MS (docs/scaling.md); it is audited on the primary.
  return readReplica(ctx).read((db) => searchReports(db, principal, args));
}
