import type { Principal } from '../auth/principal';
import { and, join, raw, run, sql, type Sql, type Queryable } from '../db/sql';
import { badInput, forbidden, notFound } from '../errors';
import { keysetPage, offsetPage, type Page, type PageRequest } from '../db/paging';
import { decide, Permission } from '../policy/permissions';
import { orNone, reportSubjectLinkScope, subjectFlagScope } from '../policy/edges';
import { mayFilterOn } from '../policy/fields';
import { requireScope, SUBJECT_IDENTIFIERS, subjectReadScope, subjectRedactions } from '../policy/records';
import { Gender, MatchReason, type SubjectRole } from './subject.enums';
import { normaliseNhsNumber } from './nhs-number';
import type { NewSubjectInput, ReportSubjectLink, Subject, SubjectFilter, SubjectMatch } from './subject.types';

export interface SubjectRow {
  id: string;
  full_name: string;
  aliases: string[];
  date_of_birth: string | null;
  approximate_age: number | null;
  age: number | null;
  gender: Gender;
  police_reference: string | null;
  nhs_number: string | null;
  school_upn: string | null;
  social_care_id: string | null;
  created_at: Date;
}

/** Dates come back as text (no time-zone shift); age is computed by PostgreSQL from the date of birth. */
export const SUBJECT_COLUMNS = raw(`s.id, s.full_name, s.aliases, s.date_of_birth::text AS date_of_birth, s.approximate_age,
  coalesce(date_part('year', age(current_date, s.date_of_birth))::int, s.approximate_age) AS age, s.gender, s.police_reference,
  s.nhs_number, s.school_upn, s.social_care_id, s.created_at`);

/** The subject as this principal may see it: withheld fields null and named (policy/records.ts). */
export function toSubjectView(row: SubjectRow, principal: Principal): Subject {
  const redacted = subjectRedactions(principal);
  const hide = <T>(field: string, value: T): T | null => (redacted.includes(field as never) ? null : value);
  return {
    id: row.id,
    fullName: row.full_name,
    aliases: row.aliases,
    dateOfBirth: row.date_of_birth,
    approximateAge: row.approximate_age,
    age: row.age,
    gender: row.gender,
    policeReference: hide('policeReference', row.police_reference),
    nhsNumber: hide('nhsNumber', row.nhs_number),
    schoolUpn: hide('schoolUpn', row.school_upn),
    socialCareId: hide('socialCareId', row.social_care_id),
    createdAt: row.created_at,
    redactedFields: [...redacted],
  };
}

export const subjectScopeOf = (principal: Principal) => requireScope(subjectReadScope(principal));

/** One subject within the caller's scope, or NOT_FOUND exactly as if it did not exist. */
export async function findSubject(db: Queryable, principal: Principal, id: string, field?: string): Promise<Subject> {
  const [row] = await run<SubjectRow>(
    db,
    sql`SELECT ${SUBJECT_COLUMNS} FROM subjects s WHERE s.id = ${id}::uuid AND ${subjectScopeOf(principal)}`,
  );
  if (!row) throw notFound('Subject', field);
  return toSubjectView(row, principal);
}

function filterConditions(principal: Principal, filter: SubjectFilter = {}): Sql[] {
  const conditions: Sql[] = [];
  if (filter.name != null) {
    if (decide(Permission.SEARCH_RECORDS, principal) !== 'ALLOW') throw forbidden('Fuzzy name search is for police analysts');
    // The name test itself is the FROM of the query (subjectsNamed); scope and filters apply to it.
  }
  if (filter.dateOfBirth) conditions.push(sql`s.date_of_birth = ${filter.dateOfBirth}::date`);
  if (filter.identifier != null) {
    const id = filter.identifier.trim();
    if (!id) throw badInput('identifier must not be blank', 'filter.identifier');
    // Only identifiers the caller may filter on (those it sees): matching on a withheld one would reveal it.
    const matches: Record<(typeof SUBJECT_IDENTIFIERS)[number], Sql> = {
      policeReference: sql`s.police_reference = ${id}`,
      nhsNumber: sql`s.nhs_number = ${normaliseNhsNumber(id)}`,
      schoolUpn: sql`s.school_upn = ${id}`,
      socialCareId: sql`s.social_care_id = ${id}`,
    };
    const visible = SUBJECT_IDENTIFIERS.filter((f) => mayFilterOn(principal, 'Subject', f)).map((f) => matches[f]);
    conditions.push(visible.length ? sql`(${join(visible, ' OR ')})` : raw('false'));
  }
  if (filter.flagKind || filter.riskLevel) {
    const kind = filter.flagKind ? sql`f.kind = ${filter.flagKind}` : raw('true');
    const level = filter.riskLevel ? sql`f.risk_level = ${filter.riskLevel}` : raw('true');
    // The flags the caller sees on the subject: the subject–flag edge's scope.
    conditions.push(
      sql`EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = s.id AND f.status = 'ACTIVE' AND ${orNone(subjectFlagScope(principal))} AND ${kind} AND ${level})`,
    );
  }
  return conditions;
}

/**
 * The subjects `s` whose full name or any alias is similar to `name` (pg_trgm's `%`):
 * `s.full_name % name OR EXISTS (SELECT 1 FROM unnest(s.aliases) a WHERE a % name)`, as two disjoint
 * sets each found through a trigram index (as one WHERE, the OR with the alias test could use none
 * and read every subject). Aliases are found in subject_aliases (a row per alias, kept by trigger),
 * then checked on the subject's own aliases.
 */
function subjectsNamed(name: string): Sql {
  // The trigram tests go through subjects_named and subjects_aliased (migrations/1766600000000-row-security.ts),
  // whose indexes row-level security would otherwise keep them from.
  return sql`(SELECT * FROM subjects n WHERE n.id IN (SELECT subjects_named(${name}))
              UNION ALL
              SELECT * FROM subjects n
               WHERE n.id IN (SELECT subjects_aliased(${name}))
                 AND NOT n.full_name % ${name} AND EXISTS (SELECT 1 FROM unnest(n.aliases) a WHERE a % ${name})) s`;
}

/** Subjects newest first, or by name likeness when searching by name; scope applied before paging. */
export async function listSubjects(
  db: Queryable,
  principal: Principal,
  args: PageRequest & { filter?: SubjectFilter },
): Promise<Page<Subject>> {
  const where = and([subjectScopeOf(principal), ...filterConditions(principal, args.filter)]);
  const name = args.filter?.name;
  const base = { list: 'subjects', select: SUBJECT_COLUMNS, from: name != null ? subjectsNamed(name) : raw('subjects s'), where };
  const page =
    name != null
      ? await offsetPage<SubjectRow>(db, { ...base, orderBy: sql`similarity(s.full_name, ${name}) DESC, s.id` }, args)
      : await keysetPage<SubjectRow>(
          db,
          {
            ...base,
            sortColumn: raw('s.created_at'),
            idColumn: raw('s.id'),
            sortType: 'timestamptz',
          },
          args,
        );
  return { ...page, edges: page.edges.map((e) => ({ cursor: e.cursor, node: toSubjectView(e.node, principal) })) };
}

/**
 * Existing subjects who may be this person: the same identifier (confidence 1), or (with `byName`) a
 * similar name (pg_trgm) with the same date of birth. Best first; scope applied.
 */
export async function possibleMatches(
  db: Queryable,
  principal: Principal,
  candidate: NewSubjectInput,
  byName = true,
): Promise<SubjectMatch[]> {
  const nameMatch = byName
    ? sql`(s.date_of_birth = ${candidate.dateOfBirth ?? null}::date
           AND (s.full_name % ${candidate.fullName} OR EXISTS (SELECT 1 FROM unnest(s.aliases) a WHERE a % ${candidate.fullName})))`
    : raw('false');
  const rows = await run<SubjectRow & { confidence: number; reason: MatchReason }>(
    db,
    sql`SELECT ${SUBJECT_COLUMNS}, m.confidence, m.reason FROM subjects s
        CROSS JOIN LATERAL (
          SELECT CASE WHEN s.police_reference = ${candidate.policeReference ?? null} OR s.nhs_number = ${candidate.nhsNumber ?? null}
                        OR s.school_upn = ${candidate.schoolUpn ?? null} OR s.social_care_id = ${candidate.socialCareId ?? null}
                      THEN 1.0
                      ELSE round((0.5 + 0.5 * greatest(similarity(s.full_name, ${candidate.fullName}),
                                   coalesce((SELECT max(similarity(a, ${candidate.fullName})) FROM unnest(s.aliases) a), 0)))::numeric, 2)
                 END::float8 AS confidence,
                 CASE WHEN s.police_reference = ${candidate.policeReference ?? null} OR s.nhs_number = ${candidate.nhsNumber ?? null}
                        OR s.school_upn = ${candidate.schoolUpn ?? null} OR s.social_care_id = ${candidate.socialCareId ?? null}
                      THEN ${MatchReason.IDENTIFIER} ELSE ${MatchReason.NAME_AND_DATE_OF_BIRTH} END AS reason
        ) m
        WHERE ${subjectScopeOf(principal)}
          AND (s.police_reference = ${candidate.policeReference ?? null} OR s.nhs_number = ${candidate.nhsNumber ?? null}
               OR s.school_upn = ${candidate.schoolUpn ?? null} OR s.social_care_id = ${candidate.socialCareId ?? null}
               OR ${nameMatch})
        ORDER BY m.confidence DESC, s.created_at DESC
        LIMIT 10`,
  );
  return rows.map((row) => ({ subject: toSubjectView(row, principal), confidence: row.confidence, reason: row.reason }));
}

/** Inserts a checked new subject, created by the principal's agency; returns its id (a known identifier is a unique violation). */
export async function insertSubject(db: Queryable, principal: Principal, input: NewSubjectInput): Promise<string> {
  const [{ id }] = await run<{ id: string }>(
    db,
    sql`INSERT INTO subjects (full_name, aliases, date_of_birth, approximate_age, gender, police_reference, nhs_number,
                                school_upn, social_care_id, created_by_agency_id)
          VALUES (${input.fullName}, ${input.aliases ?? []}::text[], ${input.dateOfBirth ?? null}::date, ${input.approximateAge ?? null},
                  ${input.gender ?? Gender.UNKNOWN}, ${input.policeReference ?? null}, ${input.nhsNumber ?? null}, ${input.schoolUpn ?? null},
                  ${input.socialCareId ?? null}, ${principal.agency.id}::uuid)
          RETURNING id`,
  );
  return id;
}

/** The subject's role in the report, if they are linked to it. */
export async function linkedRole(db: Queryable, reportId: string, subjectId: string): Promise<SubjectRole | undefined> {
  const [existing] = await run<{ role: SubjectRole }>(
    db,
    sql`SELECT role FROM report_subjects WHERE report_id = ${reportId}::uuid AND subject_id = ${subjectId}::uuid`,
  );
  return existing?.role;
}

/** Links the subject to the report with a role, linked by the principal. */
export async function insertReportSubject(
  db: Queryable,
  principal: Principal,
  link: { reportId: string; subjectId: string; role: SubjectRole },
): Promise<void> {
  await run(
    db,
    sql`INSERT INTO report_subjects (report_id, subject_id, role, linked_by_user_id) VALUES (${link.reportId}::uuid, ${link.subjectId}::uuid, ${link.role}, ${principal.id}::uuid)`,
  );
}

export type SubjectLinkRow = SubjectRow & { report_id: string; role: SubjectRole };

/** The visible links (the report–subject edge) of the reports `reports` picks on `rs`, with their subjects. */
function visibleSubjectLinks(principal: Principal | null, reports: Sql): Sql {
  const subjectScope = (principal && subjectReadScope(principal)) ?? raw('false');
  const linkScope = orNone(principal && reportSubjectLinkScope(principal));
  return sql`SELECT rs.report_id, rs.role, rs.linked_at, ${SUBJECT_COLUMNS} FROM report_subjects rs JOIN subjects s ON s.id = rs.subject_id
              WHERE ${reports} AND ${subjectScope} AND ${linkScope}`;
}

/** The subjects linked to these reports, through links the caller may see (the report–subject edge), in linking order. */
export function subjectLinksOf(db: Queryable, principal: Principal | null, reportIds: readonly string[]): Promise<SubjectLinkRow[]> {
  return run<SubjectLinkRow>(
    db,
    sql`${visibleSubjectLinks(principal, sql`rs.report_id = ANY(${[...reportIds]}::uuid[])`)} ORDER BY rs.linked_at, s.id`,
  );
}

/**
 * The same links of the report `r`, in the same order, as one JSON array column of a page's query
 * (one round trip for the page and its links); read back with `subjectLinksFromJson`.
 */
export function subjectLinksColumn(principal: Principal | null): Sql {
  return sql`(SELECT coalesce(json_agg(l ORDER BY l.linked_at, l.id), '[]'::json) FROM (${visibleSubjectLinks(principal, raw('rs.report_id = r.id'))}) l)`;
}

/** Rows of `subjectLinksColumn` as `subjectLinksOf` returns them (JSON carries times as text). */
export const subjectLinksFromJson = (rows: (Omit<SubjectLinkRow, 'created_at'> & { created_at: string })[]): SubjectLinkRow[] =>
  rows.map((row) => ({ ...row, created_at: new Date(row.created_at) }));

/** A subject link as the caller sees it. */
export const toSubjectLinkView = (row: SubjectLinkRow, principal: Principal): ReportSubjectLink => ({
  role: row.role,
  subject: toSubjectView(row, principal),
});
