import type { Principal } from '../auth/principal';
import { forbidden } from '../errors';
import { raw, sql, type Sql } from '../db/sql';
import { isCareReader, isPoliceCaseReader } from './permissions';
import { crimeReadScope, disclosureReadScope, flagReadScope, readsRecordHistory, reportReadScope, subjectReadScope } from './records';

/**
 * One decision per edge. Each function is the SQL condition under which a link between two records
 * is visible to a principal, on the link table's alias; every resolver, loader, filter and count that
 * follows or tests the link applies it, inside the query (before paging and totalCount), from either
 * end. Null: the principal sees no link of that kind at all.
 */

/**
 * A report–subject link (`report_subjects` alias `rs`): police case readers see every one. A care
 * reader sees only the links of a subject on which they hold a live break-glass grant: that grant
 * is what lets them read the subject and its reports, so the link is the one thing it opens.
 * Everyone else (reporters reading back their own submissions, partner apps, ADMIN, AUDITOR) sees
 * none: a report's linked subjects and their roles are police case content.
 */
export function reportSubjectLinkScope(p: Principal): Sql | null {
  if (!reportReadScope(p) || !subjectReadScope(p)) return null;
  if (isPoliceCaseReader(p)) return raw('true');
  if (isCareReader(p) && p.kind === 'USER') {
    // A grant on the subject puts it in the subject scope and its reports in the report scope.
    return sql`EXISTS (SELECT 1 FROM break_glass_grants e_g
                        WHERE e_g.subject_id = rs.subject_id AND e_g.user_id = ${p.id}::uuid AND e_g.expires_at > now())`;
  }
  return null;
}

/**
 * Whether a report (alias `r`) shows its `subjects` to the principal: when some link of it is visible.
 * Police readers always (a report without subjects shows an empty list); nobody else without one.
 */
export function reportSubjectsShown(p: Principal): Sql {
  if (isPoliceCaseReader(p)) return raw('true');
  const link = reportSubjectLinkScope(p);
  return link ? sql`EXISTS (SELECT 1 FROM report_subjects rs WHERE rs.report_id = r.id AND ${link})` : raw('false');
}

/**
 * The report–subject links visible to the principal, as a condition on the report `r`: some visible
 * link of `r` satisfies `where` (a condition on `rs`, and on the subject `s` when it is joined).
 * For the filters that test links (`IntelligenceFilter.subjectId`, `flagged`).
 */
export function reportHasVisibleLink(p: Principal, where: Sql): Sql {
  const link = requireEdge(reportSubjectLinkScope(p), 'Filtering by subject or flag needs access to reports’ subjects');
  return sql`EXISTS (SELECT 1 FROM report_subjects rs WHERE rs.report_id = r.id AND ${link} AND ${where})`;
}

/**
 * A crime–subject link (`crime_subjects` alias `cs`, subject `s` joined): both records readable.
 * Crimes are for police case readers alone, so for anyone else there is none; from the subject's
 * side this is `Subject.crimes`, redacted for them.
 */
export function crimeSubjectLinkScope(p: Principal): Sql | null {
  const crimes = crimeReadScope(p);
  const subjects = subjectReadScope(p);
  if (!crimes || !subjects) return null;
  // Police case readers read every live crime and subject, and a disposal deletes the links of what
  // it disposes (dispose_record): every link left has two readable ends.
  if (isPoliceCaseReader(p)) return raw('true');
  if (isAll(crimes) && isAll(subjects)) return raw('true');
  return sql`(EXISTS (SELECT 1 FROM crimes c WHERE c.id = cs.crime_id AND ${crimes})
          AND EXISTS (SELECT 1 FROM subjects s WHERE s.id = cs.subject_id AND ${subjects}))`;
}

/** A subject's flag (alias `f`, subject `s` joined): the subject readable and the flag within the flag scope. */
export function subjectFlagScope(p: Principal): Sql | null {
  const subjects = subjectReadScope(p);
  return subjects ? sql`(${subjects} AND ${flagReadScope(p)})` : null;
}

/**
 * A disclosure–subject link (disclosure `d`, the report's link `rs`, subject `s` joined): the
 * disclosure and the subject readable. This edge is the disclosure's own (what it is about), not
 * the report's: it never names the report, whose id is redacted for recipients.
 */
export function disclosureSubjectScope(p: Principal): Sql | null {
  const disclosures = disclosureReadScope(p);
  const subjects = subjectReadScope(p);
  return disclosures && subjects ? sql`(${disclosures} AND ${subjects})` : null;
}

/**
 * A subject's involved agencies (involvement `i`, subject `s` joined): whoever reads the subject sees
 * the agencies actively involved, by name and contact only. The involvement records themselves are
 * read through involvementReadScope (police all, care readers their agency's).
 */
export function subjectInvolvementScope(p: Principal): Sql | null {
  const subjects = subjectReadScope(p);
  return subjects ? sql`(${subjects} AND i.ended_at IS NULL)` : null;
}

/** A record's change history (`record_history` alias `h`): police case readers', on every kind of record. */
export function historyScope(p: Principal | null): Sql {
  return readsRecordHistory(p) ? raw('true') : raw('false');
}

/** An edge the caller must be able to see some of: none at all means the filter is FORBIDDEN to them. */
export function requireEdge(scope: Sql | null, message: string): Sql {
  if (!scope) throw forbidden(message);
  return scope;
}

/** A scope that admits every row (police case readers'): the edge needs no test of its own. */
const isAll = (scope: Sql) => scope.values.length === 0 && scope.parts.join('').trim() === 'true';

/** False when there is no scope: a loader for a principal who sees none of an edge returns nothing. */
export const orNone = (scope: Sql | null): Sql => scope ?? raw('false');
