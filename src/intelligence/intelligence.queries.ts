import { assertDivisionExists } from '../agencies/divisions';
import type { Principal } from '../auth/principal';
import { and, type Queryable, raw, run, sql, type Sql } from '../db/sql';
import { badInput, notFound } from '../errors';
import { keysetPage, offsetPage, type Page, type PageRequest } from '../db/paging';
import { orNone, reportHasVisibleLink, reportSubjectsShown, subjectFlagScope } from '../policy/edges';
import { assertFilterable } from '../policy/fields';
import { ownSubmissionScope, reportReadScope, reportRedactions, requireScope } from '../policy/records';
import type {
  Classification,
  HandlingCode,
  IntelligenceAssessment,
  ReportStatus,
  RiskIndicator,
  SourceEvaluation,
  SourceType,
} from './intelligence.enums';
import type { IntelligenceFilter, IntelligenceReport } from './intelligence.types';

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
    conditions.push(
      sql`r.idempotency_key = ${filter.idempotencyKey} AND coalesce(r.submitted_by_user_id, r.submitted_by_service_account_id) = ${principal.id}::uuid`,
    );
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

/** Reports newest first, within the caller's scope (applied before paging and counting). */
export async function listReports(
  db: Queryable,
  principal: Principal,
  args: PageRequest & { filter?: IntelligenceFilter },
): Promise<Page<IntelligenceReport>> {
  const where = and([scopeOf(principal), ...(await filterConditions(db, principal, args.filter))]);
  const page = await keysetPage<ReportRow>(
    db,
    {
      list: 'intelligenceReports',
      select: reportColumns(principal),
      from: raw('intelligence_reports r'),
      where,
      sortColumn: raw('r.received_at'),
      idColumn: raw('r.id'),
      sortType: 'timestamptz',
    },
    args,
  );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toReportView(e.node, principal) })) };
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
