import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { type AgencyRow, type DivisionRow, referenceData } from '../agencies/reference-data';
import type { Principal } from '../auth/principal';
import { raw, run, sql } from '../db/sql';
import { groupedLoader } from '../graphql/grouped-loader';
import { orNone, reportSubjectLinkScope } from '../policy/edges';
import { reportReadScope, subjectReadScope } from '../policy/records';
import { SUBJECT_COLUMNS, type SubjectRow, toSubjectView } from '../subjects/subject.queries';
import type { SubjectRole } from '../subjects/subject.enums';
import type { ReportSubjectLink } from '../subjects/subject.types';
import { reportColumns, type ReportRow, toReportView } from './intelligence.queries';
import type { Informant, SubjectReportLink } from './intelligence.types';

/** Loaders for the fields nested under a report; each applies the caller's scope in its SQL. */
export function reportLoaders(db: EntityManager, principal: Principal | null) {
  const subjectScope = (principal && subjectReadScope(principal)) ?? raw('false');
  const reportScope = (principal && reportReadScope(principal)) ?? raw('false');
  // Both directions of the report–subject edge apply the one decision (policy/edges.ts).
  const linkScope = orNone(principal && reportSubjectLinkScope(principal));
  return {
    // Reference data, cached in process (see reference-data.ts).
    agencyById: new DataLoader<string, AgencyRow | undefined>((ids) => referenceData(db).agencies(ids)),
    divisionById: new DataLoader<string, DivisionRow | undefined>((ids) => Promise.all(ids.map((id) => referenceData(db).division(id)))),
    informantByReport: new DataLoader<string, Informant | null>(async (ids) => {
      const rows = await run<Informant & { report_id: string }>(
        db,
        sql`SELECT report_id, name, contact, notes FROM informants WHERE report_id = ANY(${[...ids]}::uuid[])`,
      );
      return ids.map((id) => rows.find((r) => r.report_id === id) ?? null);
    }),
    subjectLinksByReport: groupedLoader<string, SubjectRow & { report_id: string; role: SubjectRole }, ReportSubjectLink>(
      (ids) =>
        run(
          db,
          sql`SELECT rs.report_id, rs.role, ${SUBJECT_COLUMNS} FROM report_subjects rs JOIN subjects s ON s.id = rs.subject_id
               WHERE rs.report_id = ANY(${[...ids]}::uuid[]) AND ${subjectScope} AND ${linkScope}
               ORDER BY rs.linked_at, s.id`,
        ),
      (row) => row.report_id,
      (row) => ({ role: row.role, subject: toSubjectView(row, principal!) }),
    ),
    /** Reports a subject is linked to, through links the caller may see, newest first. */
    reportLinksBySubject: groupedLoader<string, ReportRow & { subject_id: string; role: SubjectRole }, SubjectReportLink>(
      (ids) =>
        run(
          db,
          sql`SELECT rs.subject_id, rs.role, ${principal ? reportColumns(principal) : raw('r.id')} FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
               WHERE rs.subject_id = ANY(${[...ids]}::uuid[]) AND ${reportScope} AND ${linkScope}
               ORDER BY r.received_at DESC, r.id DESC`,
        ),
      (row) => row.subject_id,
      (row) => ({ role: row.role, report: toReportView(row, principal!) }),
    ),
  };
}
