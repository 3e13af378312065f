import { AgencyKind } from '../agencies/agency-kind';
import { join, raw, type Sql, sql } from '../db/sql';
import { NotificationType } from '../notifications/notification.enums';
import type { Principal } from '../auth/principal';
import { Role } from './roles';

/**
 * Who is told what (docs/notifications.md, "Who is told"). Decided here, once, never by the code
 * that causes a notice: a change names only its record; this module names the notice it raises and
 * the principals who receive it, in SQL evaluated when the notice is fanned out (so from the
 * recipients' agencies and roles at that moment).
 */

/** A change as history records it: what a notice is derived from. */
interface ChangeFacts {
  kind: string;
  action: string;
  before: object | null;
  after: object | null;
}

const statusOf = (record: object | null): unknown => (record as { status?: unknown } | null)?.status;

/**
 * The notice a change raises, if any. Every change passes through `recordChanges`, so every change
 * listed here raises its notice in its own transaction: none can be forgotten by a caller.
 */
export function noticeOfChange(change: ChangeFacts): NotificationType | null {
  switch (`${change.kind}:${change.action}`) {
    case 'flag:proposed':
      return NotificationType.FLAG_PROPOSED;
    case 'flag:flagged': // set active at once by a supervisor
    case 'flag:approved':
      return NotificationType.FLAG_APPROVED;
    case 'flag:ended':
      return NotificationType.FLAG_ENDED;
    case 'disclosure:disclosed':
      return NotificationType.DISCLOSURE_RECEIVED;
    case 'disclosure:revoked':
      return NotificationType.DISCLOSURE_REVOKED;
    case 'access_request:requested':
      return NotificationType.ACCESS_REQUESTED;
    case 'access_request:disclosed':
    case 'access_request:declined':
      return NotificationType.ACCESS_REQUEST_DECIDED;
    case 'break_glass_grant:granted':
      return NotificationType.BREAK_GLASS_USED;
    case 'intelligence_report:assessed':
    case 'intelligence_report:status_changed':
      return statusOf(change.before) !== statusOf(change.after) ? NotificationType.SUBMISSION_STATUS_CHANGED : null;
    default:
      return null;
  }
}

/**
 * The facts of a notice's record that decide its recipients, looked up when it is fanned out (in
 * the system context): its subject, the agency and principal it concerns. `ev` is the notice row.
 */
export const NOTICE_FACTS = raw(`
  CASE ev.record_kind
    WHEN 'flag' THEN (SELECT f.subject_id FROM flags f WHERE f.id = ev.record_id)
    WHEN 'access_request' THEN (SELECT r.subject_id FROM access_requests r WHERE r.id = ev.record_id)
    WHEN 'break_glass_grant' THEN (SELECT g.subject_id FROM break_glass_grants g WHERE g.id = ev.record_id)
    WHEN 'subject' THEN ev.record_id
    ELSE ev.subject_id END AS subject_id,
  CASE ev.record_kind
    WHEN 'disclosure' THEN (SELECT d.recipient_agency_id FROM disclosures d WHERE d.id = ev.record_id)
    WHEN 'access_request' THEN (SELECT r.requester_agency_id FROM access_requests r WHERE r.id = ev.record_id)
    ELSE ev.target_agency_id END AS target_agency_id,
  CASE ev.record_kind
    WHEN 'access_request' THEN (SELECT r.requested_by_user_id FROM access_requests r WHERE r.id = ev.record_id)
    WHEN 'intelligence_report' THEN (SELECT coalesce(r.submitted_by_service_account_id, r.submitted_by_user_id)
                                       FROM intelligence_reports r WHERE r.id = ev.record_id)
    ELSE ev.target_principal_id END AS target_principal_id`);

/** A group of recipients: the agencies it covers, and which of their people (by role) or which one principal. */
type AgencyGroup = 'POLICE' | 'KNOWING_SUBJECT' | 'INVOLVED_WITH_SUBJECT' | 'TARGET' | 'AGREEMENT_PARTIES';
type Audience = { agencies: AgencyGroup; roles: readonly Role[] } | { principal: 'TARGET' };

const CARE_PEOPLE = [Role.SAFEGUARDING_LEAD, Role.PRACTITIONER] as const;
const POLICE_SUPERVISORS: Audience = { agencies: 'POLICE', roles: [Role.SUPERVISOR] };

/**
 * Who each notice goes to. Care agencies are told through their leads and practitioners (who read
 * the records it names); police through their supervisors (who decide requests, approve flags and
 * review break-glass); a requester or submitter directly.
 */
export const AUDIENCES: Record<NotificationType, readonly Audience[]> = {
  // A proposed flag is police's alone until a supervisor approves it (care readers see active flags
  // only, records.ts flagReadScope): a notice never names a record its recipient may not read.
  [NotificationType.FLAG_PROPOSED]: [POLICE_SUPERVISORS],
  [NotificationType.FLAG_APPROVED]: [{ agencies: 'KNOWING_SUBJECT', roles: CARE_PEOPLE }],
  [NotificationType.FLAG_ENDED]: [{ agencies: 'KNOWING_SUBJECT', roles: CARE_PEOPLE }],
  [NotificationType.FLAG_REVIEW_DUE]: [POLICE_SUPERVISORS],
  [NotificationType.DISCLOSURE_RECEIVED]: [{ agencies: 'TARGET', roles: CARE_PEOPLE }],
  [NotificationType.DISCLOSURE_REVOKED]: [{ agencies: 'TARGET', roles: CARE_PEOPLE }],
  [NotificationType.DISCLOSURE_EXPIRING]: [{ agencies: 'TARGET', roles: CARE_PEOPLE }],
  [NotificationType.ACCESS_REQUESTED]: [POLICE_SUPERVISORS],
  [NotificationType.ACCESS_REQUEST_DECIDED]: [{ principal: 'TARGET' }, { agencies: 'TARGET', roles: [Role.SAFEGUARDING_LEAD] }],
  [NotificationType.ACCESS_REQUEST_OVERDUE]: [
    POLICE_SUPERVISORS,
    { principal: 'TARGET' },
    { agencies: 'TARGET', roles: [Role.SAFEGUARDING_LEAD] },
  ],
  [NotificationType.BREAK_GLASS_USED]: [{ agencies: 'INVOLVED_WITH_SUBJECT', roles: CARE_PEOPLE }, POLICE_SUPERVISORS],
  [NotificationType.SUBJECT_ACCESSED]: [{ agencies: 'INVOLVED_WITH_SUBJECT', roles: CARE_PEOPLE }],
  [NotificationType.SUBMISSION_STATUS_CHANGED]: [{ principal: 'TARGET' }],
  // The people who answer for an agreement at each party: police supervisors, care and voluntary
  // leads, an oversight body's administrators (who keep the register).
  [NotificationType.AGREEMENT_REVIEW_DUE]: [
    { agencies: 'AGREEMENT_PARTIES', roles: [Role.SUPERVISOR, Role.SAFEGUARDING_LEAD, Role.ADMIN] },
  ],
};

/** Agencies in each audience, for notice `ev` (with its facts): `a` is the agencies table. */
function agencyCondition(agencies: AgencyGroup): Sql {
  switch (agencies) {
    case 'POLICE':
      return sql`a.kind = ${AgencyKind.POLICE}`;
    case 'KNOWING_SUBJECT':
      return sql`a.kind <> ${AgencyKind.POLICE} AND ev.subject_id IN (SELECT subjects_known_to(a.id))`;
    case 'INVOLVED_WITH_SUBJECT':
      return raw(`EXISTS (SELECT 1 FROM involvements i WHERE i.agency_id = a.id AND i.subject_id = ev.subject_id AND i.ended_at IS NULL)`);
    case 'TARGET':
      return raw('a.id = ev.target_agency_id');
    case 'AGREEMENT_PARTIES':
      return raw(`ev.record_kind = 'agreement'
                  AND EXISTS (SELECT 1 FROM agreement_parties ap WHERE ap.agreement_id = ev.record_id AND ap.agency_id = a.id)`);
  }
}

/** The people of the audience's agencies with one of its roles, or its one principal (user or partner app). */
function audienceSql(audience: Audience): Sql {
  if ('principal' in audience) {
    return raw(`SELECT u.id AS principal_id, 'USER' AS principal_kind, u.agency_id FROM users u
                 WHERE u.id = ev.target_principal_id AND u.disabled_at IS NULL
                UNION ALL
                SELECT s.id, 'SERVICE', s.agency_id FROM service_accounts s
                 WHERE s.id = ev.target_principal_id AND s.disabled_at IS NULL`);
  }
  return sql`SELECT u.id AS principal_id, 'USER' AS principal_kind, u.agency_id FROM users u JOIN agencies a ON a.id = u.agency_id
              WHERE u.disabled_at IS NULL AND u.roles && ${audience.roles}::role[] AND ${agencyCondition(audience.agencies)}`;
}

/**
 * What every recipient must satisfy, whatever its audience: its agency is active; it is not the
 * principal (or, for reads, the agency) whose act raised the notice; and when the notice names a
 * subject, the subject is known to its agency (police case readers read every subject). An agency
 * is never told about a subject it does not know.
 */
const EVERY_RECIPIENT = raw(`
  a.status = 'ACTIVE'
  AND r.principal_id IS DISTINCT FROM ev.acting_principal_id
  AND (ev.type <> 'SUBJECT_ACCESSED' OR a.id IS DISTINCT FROM ev.acting_agency_id)
  AND (ev.subject_id IS NULL OR a.kind = 'POLICE' OR ev.subject_id IN (SELECT subjects_known_to(a.id)))`);

/**
 * The recipients of notice `ev` (a row of notification_events with its facts filled in): rows of
 * (principal_id, principal_kind, agency_id), each once.
 */
export function noticeRecipientsSql(type: NotificationType): Sql {
  const audiences = AUDIENCES[type];
  return sql`SELECT DISTINCT r.principal_id, r.principal_kind, r.agency_id
               FROM (${join(audiences.map(audienceSql), ' UNION ')}) r JOIN agencies a ON a.id = r.agency_id
              WHERE ${EVERY_RECIPIENT}`;
}

/**
 * The agencies whose webhooks are sent notice `ev`: every agency with a recipient, and the agencies
 * of each audience (an agency told through its system may have no person with the role).
 */
export function noticeAgenciesSql(type: NotificationType): Sql {
  const byAgency = AUDIENCES[type].flatMap((audience) =>
    'principal' in audience
      ? [
          raw(`SELECT s.agency_id FROM service_accounts s WHERE s.id = ev.target_principal_id
              UNION SELECT u.agency_id FROM users u WHERE u.id = ev.target_principal_id`),
        ]
      : [sql`SELECT a.id FROM agencies a WHERE ${agencyCondition(audience.agencies)}`],
  );
  return sql`SELECT DISTINCT a.id FROM agencies a
              WHERE a.id IN (${join(byAgency, ' UNION ')})
                AND a.status = 'ACTIVE'
                AND (ev.type <> 'SUBJECT_ACCESSED' OR a.id IS DISTINCT FROM ev.acting_agency_id)
                AND (ev.subject_id IS NULL OR a.kind = 'POLICE' OR ev.subject_id IN (SELECT subjects_known_to(a.id)))`;
}

/**
 * A read that raises no access notice: a routine read, by an agency in the subject's care (an
 * active involvement of its own) or by police (the CSE flags are police's own records). Anyone else
 * reading a subject with an active CSE flag (a disclosure's recipient with no involvement, a
 * break-glass reader) reads out of the subject's care, and the agencies involved are told
 * (`SUBJECT_ACCESSED`, at most once an hour per subject and reading agency).
 */
export function routineRead(readerAgency: Sql, subject: Sql): Sql {
  return sql`(EXISTS (SELECT 1 FROM agencies ra WHERE ra.id = ${readerAgency} AND ra.kind = ${AgencyKind.POLICE})
              OR EXISTS (SELECT 1 FROM involvements ri WHERE ri.agency_id = ${readerAgency} AND ri.subject_id = ${subject}
                                                         AND ri.ended_at IS NULL))`;
}

/** The caller's own inbox: a notice is delivered to a principal, and only it reads or marks it. */
export function ownInboxScope(p: Principal): Sql {
  return sql`n.recipient_id = ${p.id}::uuid`;
}

/** A subject with an active CSE flag: the subjects whose out-of-care reads are told to the agencies involved. */
export function hasActiveCseFlag(subject: Sql): Sql {
  return sql`EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = ${subject} AND f.status = 'ACTIVE')`;
}
