import type { Principal } from '../auth/principal';
import type { Queryable } from '../db/sql';
import { groupedLoader } from '../graphql/grouped-loader';
import { disclosureSubjectScope, orNone } from '../policy/edges';
import { declineReadScope, disclosureReadScope, subjectReadScope } from '../policy/records';
import { type SubjectRow, toSubjectView } from '../subjects/subject.queries';
import type { Subject } from '../subjects/subject.types';
import {
  declineRowsByAccessRequests,
  type DeclineRow,
  disclosureRowsByAccessRequests,
  type DisclosureRow,
  subjectRowsByDisclosures,
  subjectRowsByIds,
  toDecisionView,
  toDisclosureView,
} from './disclosure.queries';
import type { Disclosure, DisclosureDecision } from './disclosure.types';

/** Loaders for what hangs off disclosures and access requests; each applies the caller's scope in its SQL. */
export function disclosureLoaders(db: Queryable, principal: Principal | null) {
  const subjectScope = orNone(principal && subjectReadScope(principal));
  const disclosureScope = orNone(principal && disclosureReadScope(principal));
  const aboutScope = orNone(principal && disclosureSubjectScope(principal));
  const declineScope = orNone(principal && declineReadScope(principal));
  return {
    /** Subjects the caller may read, by id (null when not). */
    subjectsById: groupedLoader<string, SubjectRow, Subject>(
      (ids) => subjectRowsByIds(db, ids, subjectScope),
      (row) => row.id,
      (row) => toSubjectView(row, principal!),
    ),
    /** The subjects a disclosure is about (those of its report), limited to those the caller may read. */
    subjectsByDisclosure: groupedLoader<string, SubjectRow & { disclosure_id: string }, Subject>(
      (ids) => subjectRowsByDisclosures(db, ids, aboutScope),
      (row) => row.disclosure_id,
      (row) => toSubjectView(row, principal!),
    ),
    /** The disclosure answering each access request, while the caller may read it. */
    disclosuresByAccessRequest: groupedLoader<string, DisclosureRow, Disclosure>(
      (ids) => disclosureRowsByAccessRequests(db, ids, disclosureScope),
      (row) => row.access_request_id!,
      (row) => toDisclosureView(row, principal!),
    ),
    /** The decline answering each access request the caller may read. */
    declinesByAccessRequest: groupedLoader<string, DeclineRow, DisclosureDecision>(
      (ids) => declineRowsByAccessRequests(db, ids, declineScope),
      (row) => row.access_request_id!,
      toDecisionView,
    ),
  };
}
