import { assertDivisionExists } from '../agencies/divisions';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { isUniqueViolation } from '../db/errors';
import { type Queryable, run, sql } from '../db/sql';
import { badInput, conflict, notFound } from '../errors';
import type { RequestContext } from '../graphql/context';
import { recordChange } from '../history/history.service';
import { authorize } from '../policy/auth-checker';
import { Permission } from '../policy/permissions';
import { reportReadScope, submittableSourceTypes } from '../policy/records';
import { Classification, HandlingCode, ReportStatus, SourceType, STATUS_TRANSITIONS } from './intelligence.enums';
import { findOwnSubmission, findReport, listReports, searchReports } from './intelligence.queries';
import type { Page } from '../graphql/pagination';
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

function validateTimes(input: SubmitIntelligenceInput): void {
  const latest = Date.now() + FUTURE_TOLERANCE_MS;
  for (const field of ['receivedAt', 'occurredAt'] as const) {
    if (input[field] && input[field].getTime() < EARLIEST) throw badInput(`${field} is implausibly early`, field);
  }
  if (input.receivedAt && input.receivedAt.getTime() > latest) throw badInput('receivedAt must not be in the future', 'receivedAt');
  if (input.occurredAt && input.occurredAt.getTime() > latest) throw badInput('occurredAt must not be in the future', 'occurredAt');
  if (input.occurredAt && input.receivedAt && input.occurredAt > input.receivedAt) {
    throw badInput('occurredAt must not be after receivedAt', 'occurredAt');
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

/** The report an earlier submission with this key created, if any (same key and payload), else CONFLICT. */
async function earlierSubmission(db: Queryable, principal: Principal, key: string, hash: string): Promise<IntelligenceReport | null> {
  const [existing] = await run<{ id: string; payload_hash: string }>(
    db,
    sql`SELECT id, payload_hash FROM intelligence_reports
         WHERE coalesce(submitted_by_user_id, submitted_by_service_account_id) = ${principal.id}::uuid AND idempotency_key = ${key}`,
  );
  if (!existing) return null;
  if (existing.payload_hash !== hash) throw conflict('This idempotencyKey was already used for a different submission');
  return findOwnSubmission(db, principal, existing.id);
}

/**
 * Records a piece of intelligence from the caller's agency. With an idempotencyKey, a retry of the
 * same submission returns the original report instead of a duplicate.
 */
export async function submitIntelligence(ctx: RequestContext, input: SubmitIntelligenceInput): Promise<IntelligenceReport> {
  const principal = authorize(ctx, Permission.SUBMIT_INTELLIGENCE);
  if (!submittableSourceTypes(principal.agency.kind).includes(input.sourceType)) {
    throw badInput(`A ${principal.agency.kind} agency cannot submit ${input.sourceType} intelligence`, 'sourceType');
  }
  if (input.informant && input.sourceType !== SourceType.PUBLIC) {
    throw badInput('Informant details belong only to PUBLIC tip-offs', 'informant');
  }
  validateTimes(input);
  if (input.divisionId != null) await assertDivisionExists(ctx.db, input.divisionId, 'divisionId');
  const hash = payloadHash(input);
  const key = input.idempotencyKey;

  try {
    return await ctx.db.transaction(async (tx) => {
      if (key) {
        const earlier = await earlierSubmission(tx, principal, key, hash);
        if (earlier) return earlier;
      }
      const id = await insertReport(tx, principal, input, key ? hash : null);
      const report = await findOwnSubmission(tx, principal, id);
      await recordChange(tx, ctx, { kind: 'intelligence_report', id, action: 'submitted', before: null, after: report });
      return report;
    });
  } catch (error) {
    // Two retries raced: the loser finds the winner's report (or a CONFLICT).
    if (key && isUniqueViolation(error)) {
      const earlier = await earlierSubmission(ctx.db, principal, key, hash);
      if (earlier) return earlier;
    }
    throw error;
  }
}

async function insertReport(tx: EntityManager, principal: Principal, input: SubmitIntelligenceInput, hash: string | null): Promise<string> {
  const [{ id }] = await run<{ id: string }>(
    tx,
    sql`INSERT INTO intelligence_reports
          (source_type, received_at, occurred_at, division_id, location, narrative, risk_indicators, classification,
           submitted_by_agency_id, submitted_by_user_id, submitted_by_service_account_id, idempotency_key, payload_hash)
        VALUES (${input.sourceType}, ${input.receivedAt ?? new Date()}, ${input.occurredAt ?? null}, ${input.divisionId ?? null},
                ${input.location?.trim() || null}, ${input.narrative.trim()}, ${input.riskIndicators ?? []}::risk_indicator[],
                ${input.classification ?? Classification.OFFICIAL}, ${principal.agency.id}::uuid,
                ${principal.kind === 'USER' ? principal.id : null}::uuid, ${principal.kind === 'SERVICE' ? principal.id : null}::uuid,
                ${input.idempotencyKey ?? null}, ${hash})
        RETURNING id`,
  );
  if (input.informant) {
    await run(
      tx,
      sql`INSERT INTO informants (report_id, name, contact, notes)
          VALUES (${id}::uuid, ${input.informant.name.trim()}, ${input.informant.contact ?? null}, ${input.informant.notes ?? null})`,
    );
  }
  return id;
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
  const scope = reportReadScope(principal);
  return ctx.db.transaction(async (tx) => {
    const [current] = scope
      ? await run<{ status: ReportStatus }>(
          tx,
          sql`SELECT r.status FROM intelligence_reports r WHERE r.id = ${id}::uuid AND ${scope} FOR UPDATE`,
        )
      : [];
    if (!current) throw notFound('Intelligence report');
    const regrade = grades && current.status === ReportStatus.ASSESSED && target === ReportStatus.ASSESSED;
    if (!regrade && !STATUS_TRANSITIONS[current.status].includes(target)) {
      throw badInput(`A report cannot move from ${current.status} to ${target}`, 'status');
    }
    const before = await findReport(tx, principal, id);
    await run(
      tx,
      grades
        ? sql`UPDATE intelligence_reports SET status = ${target}, source_evaluation = ${input.sourceEvaluation},
                intelligence_assessment = ${input.intelligenceAssessment}, handling_code = ${input.handlingCode},
                handling_conditions = ${input.handlingConditions?.trim() ?? null}, assessed_at = now(),
                assessed_by_user_id = ${principal.id}::uuid, updated_at = now()
              WHERE id = ${id}::uuid`
        : sql`UPDATE intelligence_reports SET status = ${target}, updated_at = now() WHERE id = ${id}::uuid`,
    );
    const after = await findReport(tx, principal, id);
    await recordChange(tx, ctx, { kind: 'intelligence_report', id, action: grades ? 'assessed' : 'status_changed', before, after });
    return after;
  });
}

/** One report the caller may read; NOT_FOUND otherwise, as if it did not exist. */
export function getReport(ctx: RequestContext, id: string): Promise<IntelligenceReport> {
  return findReport(ctx.db, authorize(ctx, Permission.READ_INTELLIGENCE), id);
}

export function listIntelligence(ctx: RequestContext, args: IntelligenceListArgs): Promise<Page<IntelligenceReport>> {
  return listReports(ctx.db, authorize(ctx, Permission.READ_INTELLIGENCE), args);
}

export function searchIntelligence(ctx: RequestContext, args: IntelligenceSearchArgs): Promise<Page<IntelligenceReport>> {
  return searchReports(ctx.db, authorize(ctx, Permission.SEARCH_RECORDS), args);
}
