import DataLoader from 'dataloader';
import type { Queryable } from '../db/sql';
import { type AgencyRow, type DivisionRow, referenceData } from '../agencies/reference-data';
import type { Principal } from '../auth/principal';
import { groupedLoader } from '../graphql/grouped-loader';
import { type SubjectLinkRow, subjectLinksOf, toSubjectLinkView } from '../subjects/subject.queries';
import type { ReportSubjectLink } from '../subjects/subject.types';
import { informantsOf, type ReportLinkRow, reportLinksOf, toReportLinkView } from './intelligence.queries';
import type { Informant, SubjectReportLink } from './intelligence.types';

/** Loaders for the fields nested under a report; each applies the caller's scope in its SQL. */
export function reportLoaders(db: Queryable, principal: Principal | null) {
  return {
    // Reference data, cached in process (see reference-data.ts).
    agencyById: new DataLoader<string, AgencyRow | undefined>((ids) => referenceData(db).agencies(ids)),
    divisionById: new DataLoader<string, DivisionRow | undefined>((ids) => Promise.all(ids.map((id) => referenceData(db).division(id)))),
    informantByReport: new DataLoader<string, Informant | null>(async (ids) => {
      const rows = await informantsOf(db, ids);
      return ids.map((id) => rows.find((r) => r.report_id === id) ?? null);
    }),
    // Both directions of the report–subject edge apply the one decision (policy/edges.ts).
    subjectLinksByReport: groupedLoader<string, SubjectLinkRow, ReportSubjectLink>(
      (ids) => subjectLinksOf(db, principal, ids),
      (row) => row.report_id,
      (row) => toSubjectLinkView(row, principal!),
    ),
    /** Reports a subject is linked to, through links the caller may see, newest first. */
    reportLinksBySubject: groupedLoader<string, ReportLinkRow, SubjectReportLink>(
      (ids) => reportLinksOf(db, principal, ids),
      (row) => row.subject_id,
      (row) => toReportLinkView(row, principal!),
    ),
  };
}
