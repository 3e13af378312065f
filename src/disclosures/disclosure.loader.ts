import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { raw, run, sql } from '../db/sql';
import { groupedLoader } from '../graphql/grouped-loader';
import { disclosureSubjectScope, orNone } from '../policy/edges';
import { declineReadScope, disclosureReadScope, subjectReadScope } from '../policy/records';
import { SUBJECT_COLUMNS, type SubjectRow, toSubjectView } from '../subjects/subject.queries';
import type { Subject } from '../subjects/subject.types';
import {
  DECLINE_COLUMNS,
  DISCLOSURE_COLUMNS,
  type DeclineRow,
  type DisclosureRow,
  toDecisionView,
  toDisclosureView,
} from './disclosure.queries';
import type { Disclosure, DisclosureDecision } from './disclosure.types';

/** Loaders for what hangs off disclosures and access requests; each applies the caller's scope in its SQL. */
export function disclosureLoaders(db: EntityManager, principal: Principal | null) {
  const subjectScope = (principal && subjectReadScope(principal)) ?? raw('false');
  const disclosureScope = (principal && disclosureReadScope(principal)) ?? raw('false');
  const aboutScope = orNone(principal && disclosureSubjectScope(principal));
  const declineScope = (principal && declineReadScope(principal)) ?? raw('false');
  return {
    /** Subjects the caller may read, by id (null when not). */
    subjectsById: groupedLoader<string, SubjectRow, Subject>(
      (ids) => run(db, sql`SELECT ${SUBJECT_COLUMNS} FROM subjects s WHERE s.id = ANY(${[...ids]}::uuid[]) AND ${subjectScope}`),
      (row) => row.id,
      (row) => toSubjectView(row, principal!),
    ),
    /** The subjects a disclosure is about (those of its report), limited to those the caller may read. */
    subjectsByDisclosure: groupedLoader<string, SubjectRow & { disclosure_id: string }, Subject>(
      (ids) =>
        run(
          db,
          sql`SELECT d.id AS disclosure_id, ${SUBJECT_COLUMNS} FROM disclosures d
                JOIN report_subjects rs ON rs.report_id = d.report_id JOIN subjects s ON s.id = rs.subject_id
               WHERE d.id = ANY(${[...ids]}::uuid[]) AND ${aboutScope}
               ORDER BY s.full_name, s.id`,
        ),
      (row) => row.disclosure_id,
      (row) => toSubjectView(row, principal!),
    ),
    /** The disclosure answering each access request, while the caller may read it. */
    disclosuresByAccessRequest: groupedLoader<string, DisclosureRow, Disclosure>(
      (ids) =>
        run(
          db,
          sql`SELECT ${DISCLOSURE_COLUMNS} FROM disclosures d WHERE d.access_request_id = ANY(${[...ids]}::uuid[]) AND ${disclosureScope}`,
        ),
      (row) => row.access_request_id!,
      (row) => toDisclosureView(row, principal!),
    ),
    /** The decline answering each access request the caller may read. */
    declinesByAccessRequest: groupedLoader<string, DeclineRow, DisclosureDecision>(
      (ids) =>
        run(
          db,
          sql`SELECT ${DECLINE_COLUMNS} FROM disclosure_declines x WHERE x.access_request_id = ANY(${[...ids]}::uuid[]) AND ${declineScope}`,
        ),
      (row) => row.access_request_id!,
      toDecisionView,
    ),
  };
}
