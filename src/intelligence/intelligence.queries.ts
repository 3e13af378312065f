import { assertDivisionExists } from '../agencies/divisions';
import type { Principal } from '../auth/principal';
import { and, type Queryable, raw, run, sql, type Sql } from '../db/sql';
import { badInput, notFound } from '../errors';
import { keysetPage, offsetPage, type Page, type PageRequest } from '../db/paging';
import { orNone, reportHasVisibleLink, reportSubjectLinkScope, reportSubjectsShown, subjectFlagScope } from '../policy/edges';
import { assertFilterable } from '../policy/fields';
import { ownSubmissionScope, reportReadScope, reportRedactions, requireScope } from '../policy/records';
import type { SubjectRole } from '../subjects/subject.enums';
import { subjectLinksColumn, subjectLinksFromJson, toSubjectLinkView } from '../subjects/subject.queries';
import { withPrefetched } from '../db/prefetched';
import {
  Classification,
  type HandlingCode,
  type IntelligenceAssessment,
  type ReportStatus,
  type RiskIndicator,
  type SourceEvaluation,
  type SourceType,
} from './intelligence.enums';
import type {
  AssessmentInput,
  Informant,
  IntelligenceFilter,
  IntelligenceReport,
  SubjectReportLink,
  SubmitIntelligenceInput,
} from './intelligence.types';

export interface ReportRow {
  id: string;
  reference: string;
  source_type: SourceType;
  status: ReportStatus;
  division_id: string | null;
  received_at: Date;
  occurred_at: Date | null;
  location: string | null;
  narrative: string;
  risk_indicators: RiskIndicator[];
  classification: Classification;
  submitted_by_agency_id: string;
  source_evaluation: SourceEvaluation | null;
  intelligence_assessment: IntelligenceAssessment | null;
  handling_code: HandlingCode | null;
  handling_conditions: string | null;
  assessed_at: Date | null;
  /** The report–subject edge's answer for this report and principal (reportColumns). */
  subjects_shown: boolean;
}

const REPORT_COLUMNS = raw(`r.id, r.reference, r.source_type, r.status, r.division_id, r.received_at, r.occurred_at, r.location,
  r.narrative, r.risk_indicators::text[] AS risk_indicators, r.classification, r.submitted_by_agency_id, r.source_evaluation,
  r.intelligence_assessment, r.handling_code, r.handling_conditions, r.assessed_at`);

/** The report's columns and whether it shows its subjects to this principal (decided by policy/edges.ts, in SQL). */
export const reportColumns = (principal: Principal): Sql => sql`${REPORT_COLUMNS}, ${reportSubjectsShown(principal)} AS subjects_shown`;

/** The report as this principal may see it: withheld fields null and named. */
export function toReportView(row: ReportRow, principal: Principal): IntelligenceReport {
  const redacted = reportRedactions(principal, row.subjects_shown);
  const hide = <T>(field: string, value: T): T | null => (redacted.includes(field as never) ? null : value);
  return {
    id: row.id,
    reference: row.reference,
    sourceType: row.source_type,
    status: row.status,
    divisionId: row.division_id,
    receivedAt: row.received_at,
    occurredAt: row.occurred_at,
    location: row.location,
    narrative: row.narrative,
    riskIndicators: row.risk_indicators,
    classification: row.classification,
    submittedByAgencyId: row.submitted_by_agency_id,
    sourceEvaluation: hide('sourceEvaluation', row.source_evaluation),
    intelligenceAssessment: hide('intelligenceAssessment', row.intelligence_assessment),
    handlingCode: hide('handlingCode', row.handling_code),
    handlingConditions: hide('handlingConditions', row.handling_conditions),
    assessedAt: hide('assessedAt', row.assessed_at),
    redactedFields: [...redacted],
  };
}

const scopeOf = (principal: Principal) => requireScope(reportReadScope(principal));

/** One report within the caller's scope, or NOT_FOUND exactly as if it did not exist. */
export async function findReport(db: Queryable, principal: Principal, id: string): Promise<IntelligenceReport> {
  const [row] = await run<ReportRow>(
    db,
    sql`SELECT ${reportColumns(principal)} FROM intelligence_reports r WHERE r.id = ${id}::uuid AND ${scopeOf(principal)}`,
  );
  if (!row) throw notFound('Intelligence report');
  return toReportView(row, principal);
}

/**
 * Reports as returned to the user or app that just submitted them, in the order of `ids` (one
 * query): a submitter always gets its own submissions back (even a partner app that may only
 * submit), with the usual redactions; NOT_FOUND if one is not theirs.
 */
export async function findOwnSubmissions(db: Queryable, principal: Principal, ids: string[]): Promise<IntelligenceReport[]> {
  const rows = await run<ReportRow>(
    db,
    sql`SELECT ${reportColumns(principal)} FROM intelligence_reports r
         WHERE r.id = ANY(${ids}::uuid[]) AND ${ownSubmissionScope(principal)}`,
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => {
    const row = byId.get(id);
    if (!row) throw notFound('Intelligence report');
    return toReportView(row, principal);
  });
}

/** Filters on subjects and flags reveal case content, so they need the right to read subjects. */
async function filterConditions(db: Queryable, principal: Principal, filter: IntelligenceFilter = {}): Promise<Sql[]> {
  const conditions: Sql[] = [];
  if (filter.division === 'none') conditions.push(sql`r.division_id IS NULL`);
  else if (filter.division != null) {
    await assertDivisionExists(db, filter.division, 'filter.division');
    conditions.push(sql`r.division_id = ${filter.division}`);
  }
  if (filter.sourceType) conditions.push(sql`r.source_type = ${filter.sourceType}`);
  if (filter.status) conditions.push(sql`r.status = ${filter.status}`);
  if (filter.receivedFrom) conditions.push(sql`r.received_at >= ${filter.receivedFrom}`);
  if (filter.receivedTo) conditions.push(sql`r.received_at < ${filter.receivedTo}`);
  if (filter.receivedFrom && filter.receivedTo && filter.receivedFrom > filter.receivedTo) {
    throw badInput('receivedFrom must not be after receivedTo', 'filter.receivedFrom');
  }
  if (filter.riskIndicator) conditions.push(sql`${filter.riskIndicator}::risk_indicator = ANY (r.risk_indicators)`);
  if (filter.reference != null) conditions.push(sql`r.reference = ${filter.reference}`);
  // Keys are scoped to their submitter: another's key matches nothing, so it reveals nothing.
  if (filter.idempotencyKey != null) {
    conditions.push(sql`r.idempotency_key = ${filter.idempotencyKey} AND ${ownSubmissionScope(principal)}`);
  }
  if (filter.updatedSince) conditions.push(sql`r.updated_at >= ${filter.updatedSince}`);
  // Null means "not given", as if the field were left out. Both test the report–subject edge, so
  // they match only through links the caller sees (FORBIDDEN to those who see none): a filter
  // must not reveal a withheld field.
  if (filter.flagged != null || filter.subjectId != null) {
    assertFilterable(principal, 'IntelligenceReport', 'subjects', 'Filtering by subject or flag needs access to reports’ subjects');
  }
  if (filter.flagged != null) {
    const flagged = reportHasVisibleLink(
      principal,
      sql`EXISTS (SELECT 1 FROM flags f JOIN subjects s ON s.id = f.subject_id
                   WHERE f.subject_id = rs.subject_id AND f.status = 'ACTIVE' AND ${orNone(subjectFlagScope(principal))})`,
    );
    conditions.push(filter.flagged ? flagged : sql`NOT ${flagged}`);
  }
  if (filter.subjectId) conditions.push(reportHasVisibleLink(principal, sql`rs.subject_id = ${filter.subjectId}::uuid`));
  return conditions;
}

/** What a list's query fetches with its page for fields nested under it (see db/prefetched.ts). */
export interface ReportListIncludes {
  /** The reports' visible subject links (`IntelligenceReport.subjects`). */
  subjectLinks?: boolean;
}

/** Reports newest first, within the caller's scope (applied before paging and counting). */
export async function listReports(
  db: Queryable,
  principal: Principal,
  args: PageRequest & { filter?: IntelligenceFilter },
  includes: ReportListIncludes = {},
): Promise<Page<IntelligenceReport>> {
  const where = and([scopeOf(principal), ...(await filterConditions(db, principal, args.filter))]);
  const page = await keysetPage<ReportRow & { subject_links?: Parameters<typeof subjectLinksFromJson>[0] }>(
    db,
    {
      list: 'intelligenceReports',
      select: includes.subjectLinks
        ? sql`${reportColumns(principal)}, ${subjectLinksColumn(principal)} AS subject_links`
        : reportColumns(principal),
      from: raw('intelligence_reports r'),
      where,
      sortColumn: raw('r.received_at'),
      idColumn: raw('r.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  const viewOf = (row: ReportRow & { subject_links?: Parameters<typeof subjectLinksFromJson>[0] }) => {
    const view = toReportView(row, principal);
    if (!row.subject_links) return view;
    return withPrefetched(
      view,
      'subjects',
      subjectLinksFromJson(row.subject_links).map((link) => toSubjectLinkView(link, principal)),
    );
  };
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: viewOf(e.node) })) };
}

/** Full-text search over narratives and locations, best match first, within the caller's scope. */
export async function searchReports(
  db: Queryable,
  principal: Principal,
  args: PageRequest & { filter?: IntelligenceFilter; text: string },
): Promise<Page<IntelligenceReport>> {
  const query = sql`websearch_to_tsquery('english', ${args.text})`;
  const where = and([
    scopeOf(principal),
    // The stored report_search_vector(location, narrative), GIN indexed: matched (by reports_matching,
    // through the index even under row-level security) and ranked without recomputing it.
    sql`r.id IN (SELECT reports_matching(${query}))`,
    ...(await filterConditions(db, principal, args.filter)),
  ]);
  const page = await offsetPage<ReportRow>(
    db,
    {
      list: 'searchIntelligence',
      select: reportColumns(principal),
      from: raw('intelligence_reports r'),
      where,
      orderBy: sql`ts_rank_cd(r.search_vector, ${query}) DESC, r.received_at DESC, r.id DESC`,
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toReportView(e.node, principal) })) };
}

/**
 * Locks a report the caller may read against concurrent changes (FOR UPDATE); false when it is
 * missing or outside the caller's scope (with no scope at all, nothing is asked).
 */
export async function lockReport(db: Queryable, principal: Principal, id: string): Promise<boolean> {
  const scope = reportReadScope(principal);
  const [report] = scope
    ? await run(db, sql`SELECT r.id FROM intelligence_reports r WHERE r.id = ${id}::uuid AND ${scope} FOR UPDATE`)
    : [];
  return report !== undefined;
}

/** A report's status, locked FOR UPDATE, when the caller may read it; undefined otherwise. */
export async function lockReportStatus(db: Queryable, principal: Principal, id: string): Promise<ReportStatus | undefined> {
  const scope = reportReadScope(principal);
  const [current] = scope
    ? await run<{ status: ReportStatus }>(
        db,
        sql`SELECT r.status FROM intelligence_reports r WHERE r.id = ${id}::uuid AND ${scope} FOR UPDATE`,
      )
    : [];
  return current?.status;
}

/** Records an assessment: the grading (with who and when) when it grades, and the status it moves to. */
export async function updateAssessment(
  db: Queryable,
  principal: Principal,
  id: string,
  assessment: { grades: boolean; target: ReportStatus; input: AssessmentInput },
): Promise<void> {
  const { target, input } = assessment;
  await run(
    db,
    assessment.grades
      ? sql`UPDATE intelligence_reports SET status = ${target}, source_evaluation = ${input.sourceEvaluation},
                intelligence_assessment = ${input.intelligenceAssessment}, handling_code = ${input.handlingCode},
                handling_conditions = ${input.handlingConditions?.trim() ?? null}, assessed_at = now(),
                assessed_by_user_id = ${principal.id}::uuid, updated_at = now()
              WHERE id = ${id}::uuid`
      : sql`UPDATE intelligence_reports SET status = ${target}, updated_at = now() WHERE id = ${id}::uuid`,
  );
}

export interface EarlierSubmission {
  id: string;
  payloadHash: string;
}

/** The reports earlier submissions by this principal created under these keys, by key. */
export async function earlierSubmissions(db: Queryable, principal: Principal, keys: string[]): Promise<Map<string, EarlierSubmission>> {
  const rows = await run<{ id: string; idempotency_key: string; payload_hash: string }>(
    db,
    sql`SELECT r.id, r.idempotency_key, r.payload_hash FROM intelligence_reports r
         WHERE ${ownSubmissionScope(principal)} AND r.idempotency_key = ANY(${keys}::text[])`,
  );
  return new Map(rows.map((r) => [r.idempotency_key, { id: r.id, payloadHash: r.payload_hash }]));
}

/** Inserts the reports (ids chosen by the caller) and their informants, one statement each. */
export async function insertReports(
  db: Queryable,
  principal: Principal,
  fresh: { i: number; id: string; input: SubmitIntelligenceInput }[],
  hashes: string[],
): Promise<void> {
  const rows = fresh.map(({ i, id, input }) => ({
    id,
    source_type: input.sourceType,
    received_at: input.receivedAt?.toISOString() ?? null,
    occurred_at: input.occurredAt?.toISOString() ?? null,
    division_id: input.divisionId ?? null,
    location: input.location?.trim() || null,
    narrative: input.narrative.trim(),
    risk_indicators: input.riskIndicators ?? [],
    classification: input.classification ?? Classification.OFFICIAL,
    idempotency_key: input.idempotencyKey ?? null,
    payload_hash: input.idempotencyKey ? hashes[i] : null,
  }));
  await run(
    db,
    sql`INSERT INTO intelligence_reports
          (id, source_type, received_at, occurred_at, division_id, location, narrative, risk_indicators, classification,
           submitted_by_agency_id, submitted_by_user_id, submitted_by_service_account_id, idempotency_key, payload_hash)
        SELECT x.id, x.source_type, coalesce(x.received_at, now()), x.occurred_at, x.division_id, x.location, x.narrative,
               x.risk_indicators, x.classification, ${principal.agency.id}::uuid,
               ${principal.kind === 'USER' ? principal.id : null}::uuid, ${principal.kind === 'SERVICE' ? principal.id : null}::uuid,
               x.idempotency_key, x.payload_hash
          FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id uuid, source_type source_type, received_at timestamptz,
               occurred_at timestamptz, division_id text, location text, narrative text, risk_indicators risk_indicator[],
               classification classification, idempotency_key text, payload_hash text)`,
  );
  const informants = fresh.flatMap(({ id, input }) =>
    input.informant
      ? [
          {
            report_id: id,
            name: input.informant.name.trim(),
            contact: input.informant.contact ?? null,
            notes: input.informant.notes ?? null,
          },
        ]
      : [],
  );
  if (informants.length) {
    await run(
      db,
      sql`INSERT INTO informants (report_id, name, contact, notes)
          SELECT x.report_id, x.name, x.contact, x.notes
            FROM jsonb_to_recordset(${JSON.stringify(informants)}::jsonb) AS x(report_id uuid, name text, contact text, notes text)`,
    );
  }
}

/** The informants of these reports, one per report at most (the caller decides who may see them). */
export function informantsOf(db: Queryable, reportIds: readonly string[]): Promise<(Informant & { report_id: string })[]> {
  return run<Informant & { report_id: string }>(
    db,
    sql`SELECT report_id, name, contact, notes FROM informants WHERE report_id = ANY(${[...reportIds]}::uuid[])`,
  );
}

export type ReportLinkRow = ReportRow & { subject_id: string; role: SubjectRole };

/** Reports these subjects are linked to, through links the caller may see (the report–subject edge), newest first. */
export function reportLinksOf(db: Queryable, principal: Principal | null, subjectIds: readonly string[]): Promise<ReportLinkRow[]> {
  const reportScope = (principal && reportReadScope(principal)) ?? raw('false');
  const linkScope = orNone(principal && reportSubjectLinkScope(principal));
  return run<ReportLinkRow>(
    db,
    sql`SELECT rs.subject_id, rs.role, ${principal ? reportColumns(principal) : raw('r.id')} FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
               WHERE rs.subject_id = ANY(${[...subjectIds]}::uuid[]) AND ${reportScope} AND ${linkScope}
               ORDER BY r.received_at DESC, r.id DESC`,
  );
}

/** A report link as the caller sees it. */
export const toReportLinkView = (row: ReportLinkRow, principal: Principal): SubjectReportLink => ({
  role: row.role,
  report: toReportView(row, principal),
});
