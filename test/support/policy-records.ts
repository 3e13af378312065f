import type { TestApp } from './test-app';

/** Writes case records directly as the database owner, for policy tests that need exact shapes. */
export function recordWriter(app: TestApp) {
  const one = async (text: string, params: unknown[]) => (await app.db.query<{ id: string }[]>(text, params))[0].id;
  return {
    /** A report submitted by a user or a partner app of `agencyId`; graded P when `graded`. */
    report: (
      agencyId: string,
      submitter: { userId?: string; serviceAccountId?: string },
      graded = true,
      narrative = 'Raw police narrative',
    ) =>
      one(
        `INSERT INTO intelligence_reports (source_type, received_at, narrative, submitted_by_agency_id, submitted_by_user_id,
           submitted_by_service_account_id, source_evaluation, intelligence_assessment, handling_code, status, assessed_at)
         VALUES ('PUBLIC', now() - interval '1 day', $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [
          narrative,
          agencyId,
          submitter.userId ?? null,
          submitter.serviceAccountId ?? null,
          graded ? 'RELIABLE' : null,
          graded ? 'KNOWN_DIRECTLY' : null,
          graded ? 'P' : null,
          graded ? 'ASSESSED' : 'SUBMITTED',
          graded ? new Date() : null,
        ],
      ),
    subject: (agencyId: string, fullName: string, ids: { upn?: string; nhs?: string; care?: string; police?: string } = {}) =>
      one(
        `INSERT INTO subjects (full_name, date_of_birth, school_upn, nhs_number, social_care_id, police_reference, created_by_agency_id)
         VALUES ($1, '2000-01-01', $2, $3, $4, $5, $6) RETURNING id`,
        [fullName, ids.upn ?? null, ids.nhs ?? null, ids.care ?? null, ids.police ?? null, agencyId],
      ),
    link: (reportId: string, subjectId: string, userId: string) =>
      app.db.query(`INSERT INTO report_subjects (report_id, subject_id, role, linked_by_user_id) VALUES ($1, $2, 'POTENTIAL_VICTIM', $3)`, [
        reportId,
        subjectId,
        userId,
      ]),
    flag: (subjectId: string, status: 'ACTIVE' | 'PROPOSED', userId: string, agencyId: string) =>
      one(
        `INSERT INTO flags (subject_id, kind, risk_level, status, reason, set_by_user_id, set_by_agency_id)
         VALUES ($1, 'CSE_RISK', 'HIGH', $2, 'Policy test', $3, $4) RETURNING id`,
        [subjectId, status, userId, agencyId],
      ),
    /** A disclosure of `reportId` to `agencyId`: active, expired or revoked. */
    disclosure: (reportId: string, agencyId: string, byUserId: string, state: 'ACTIVE' | 'EXPIRED' | 'REVOKED') =>
      one(
        `INSERT INTO disclosures (report_id, recipient_agency_id, gateway, purpose, summary, disclosed_at, expires_at, disclosed_by_user_id,
           revoked_at, revoked_by_user_id, revocation_reason, no_agreement_reason)
         VALUES ($1, $2, 'CHILDREN_ACT_2004_S11', 'Policy test', 'Sanitised summary', now() - interval '10 days',
                 CASE WHEN $4 = 'EXPIRED' THEN now() - interval '1 day' ELSE now() + interval '10 days' END, $3,
                 CASE WHEN $4 = 'REVOKED' THEN now() END, CASE WHEN $4 = 'REVOKED' THEN $3::uuid END,
                 CASE WHEN $4 = 'REVOKED' THEN 'Policy test' END, 'Policy test fixture')
         RETURNING id`,
        [reportId, agencyId, byUserId, state],
      ),
    involvement: (subjectId: string, agencyId: string, userId: string, kind: string, ended = false) =>
      one(
        `INSERT INTO involvements (subject_id, agency_id, kind, lawful_basis, contact, registered_by_user_id, ended_at, ended_by_user_id, end_reason)
         VALUES ($1, $2, $3, 'PUBLIC_TASK', 'Test contact', $4, CASE WHEN $5 THEN now() END, CASE WHEN $5 THEN $4::uuid END,
                 CASE WHEN $5 THEN 'Policy test' END)
         RETURNING id`,
        [subjectId, agencyId, kind, userId, ended],
      ),
    breakGlass: (subjectId: string, userId: string, agencyId: string, expired = false) =>
      one(
        `INSERT INTO break_glass_grants (subject_id, user_id, agency_id, reason, granted_at, expires_at)
         VALUES ($1, $2, $3, 'Policy test emergency', CASE WHEN $4 THEN now() - interval '2 hours' ELSE now() END,
                 CASE WHEN $4 THEN now() - interval '1 hour' ELSE now() + interval '1 hour' END)
         RETURNING id`,
        [subjectId, userId, agencyId, expired],
      ),
  };
}

/** The involvement kind each kind of agency registers. */
export const INVOLVEMENT_KIND: Record<string, string> = {
  EDUCATION: 'PUPIL_ON_ROLL',
  SOCIAL_CARE: 'OPEN_CASE',
  HEALTH: 'PATIENT',
  VOLUNTARY: 'SUPPORTED',
};
