import type { DataSource } from 'typeorm';
import type { Queryable } from '../db/sql';

/*
 * The demo's repository: its agencies, users and partner app, the records it plans (one
 * multi-row INSERT per table, from typed arrays: unnest), the lawful-disclosure records and the
 * current cohort. Parameter lists follow each statement's $1, $2, ... in order.
 */

// ---------------------------------------------------------------------------------------------
// Agencies, users and the partner app (demo-seed.ts)

export async function insertDemoAgency(tx: Queryable, name: string, kind: string): Promise<void> {
  await tx.query(`INSERT INTO agencies (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [name, kind]);
}

export async function agencyIdByName(tx: Queryable, name: string): Promise<string> {
  const [{ id }] = (await tx.query(`SELECT id FROM agencies WHERE name = $1`, [name])) as { id: string }[];
  return id;
}

export async function insertAgencyDivisions(tx: Queryable, agencyId: string, divisions: string[]): Promise<void> {
  await tx.query(`INSERT INTO agency_divisions (agency_id, division_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, [
    agencyId,
    divisions,
  ]);
}

/** $1 agency, $2 email, $3 display name, $4 password hash, $5 roles. */
export async function insertDemoUser(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO users (agency_id, email, display_name, password_hash, roles)
         VALUES ($1, $2, $3, $4, $5::role[]) ON CONFLICT (email) DO NOTHING`,
    params,
  );
}

/** $1 agency, $2 client id, $3 secret hash, $4 scopes. */
export async function insertDemoServiceAccount(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO service_accounts (agency_id, client_id, name, secret_hash, scopes)
       VALUES ($1, $2, 'Safe Futures referral app', $3, $4::service_scope[]) ON CONFLICT (client_id) DO NOTHING`,
    params,
  );
}

/** Whether the demo accounts are there (by the first demo user's email). */
export async function hasDemoAccounts(db: DataSource, email: string): Promise<boolean> {
  return (await db.query<{ e: boolean }[]>('SELECT EXISTS (SELECT 1 FROM users WHERE email = $1) AS e', [email]))[0].e;
}

// ---------------------------------------------------------------------------------------------
// Ids of the demo agencies, users and partner app

export interface Ids {
  agency(name: string): string;
  user(email: string): string;
  serviceAccount(clientId: string): string;
}

export async function lookUpIds(tx: Queryable): Promise<Ids> {
  const byKey = async (sql: string) => new Map(((await tx.query(sql)) as { key: string; id: string }[]).map((r) => [r.key, r.id]));
  const agencies = await byKey('SELECT name AS key, id FROM agencies');
  const users = await byKey('SELECT email AS key, id FROM users');
  const serviceAccounts = await byKey('SELECT client_id AS key, id FROM service_accounts');
  const get = (map: Map<string, string>, key: string) => {
    const id = map.get(key);
    if (!id) throw new Error(`demo records need the demo agencies and users: ${key} is missing`);
    return id;
  };
  return {
    agency: (name) => get(agencies, name),
    user: (email) => get(users, email),
    serviceAccount: (clientId) => get(serviceAccounts, clientId),
  };
}

// ---------------------------------------------------------------------------------------------
// The planned records (demo-records.ts, demo-current.ts)

/** Two instances starting together would both find no records; the second waits here, then finds them. */
export async function lockDemoRecords(tx: Queryable): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('safeshare:demo-records'))`);
}

/** Whether the crime with this reference (the demo's first) is there. */
export async function crimeReferenceExists(tx: Queryable, reference: string): Promise<boolean> {
  const [existing] = (await tx.query('SELECT 1 FROM crimes WHERE crime_reference = $1', [reference])) as unknown[];
  return existing !== undefined;
}

/** The reports' columns ($1-$18) and the assessing analyst ($19). */
export async function insertReportRows(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO intelligence_reports (id, division_id, source_type, received_at, occurred_at, location, narrative, risk_indicators,
       classification, submitted_by_agency_id, submitted_by_user_id, submitted_by_service_account_id, status, source_evaluation,
       intelligence_assessment, handling_code, handling_conditions, assessed_at, assessed_by_user_id)
     SELECT id, division, source::source_type, received, occurred, location, narrative, string_to_array(indicators, ',')::risk_indicator[],
            classification::classification, agency, usr, svc, status::report_status, evaluation::source_evaluation,
            assessment::intelligence_assessment, handling::handling_code, conditions, assessed, CASE WHEN assessed IS NULL THEN NULL ELSE $19::uuid END
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[],
                   $10::uuid[], $11::uuid[], $12::uuid[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::timestamptz[])
         AS t(id, division, source, received, occurred, location, narrative, indicators, classification, agency, usr, svc, status,
              evaluation, assessment, handling, conditions, assessed)
      ORDER BY received`,
    params,
  );
}

export async function insertInformantRows(tx: Queryable, reportIds: string[], names: string[], contacts: string[]): Promise<void> {
  await tx.query(`INSERT INTO informants (report_id, name, contact) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])`, [
    reportIds,
    names,
    contacts,
  ]);
}

/** The subjects' columns ($1-$9) and the creating agency ($10). */
export async function insertSubjectRows(tx: Queryable, params: unknown[]): Promise<void> {
  // Aliases travel as one tab-separated text per subject: unnest cannot take an array of arrays of differing lengths.
  await tx.query(
    `INSERT INTO subjects (id, full_name, aliases, date_of_birth, gender, police_reference, nhs_number, school_upn, social_care_id,
       created_by_agency_id)
     SELECT id, name, CASE WHEN aliases = '' THEN '{}' ELSE string_to_array(aliases, E'\\t') END, dob, gender::gender, ref, nhs, upn, care, $10
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         AS t(id, name, aliases, dob, gender, ref, nhs, upn, care)`,
    params,
  );
}

/** The crimes' columns ($1-$5) and the recording investigator ($6). */
export async function insertCrimeRows(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO crimes (id, crime_reference, offence, division_id, recorded_on, recorded_by_user_id)
     SELECT *, $6::uuid FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[])`,
    params,
  );
}

export async function insertCrimeSubjectRows(tx: Queryable, crimeIds: string[], subjectIds: string[], roles: string[]): Promise<void> {
  await tx.query(
    `INSERT INTO crime_subjects (crime_id, subject_id, role)
     SELECT crime, subject, role::crime_role FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(crime, subject, role)`,
    [crimeIds, subjectIds, roles],
  );
}

/** The links' columns ($1-$4) and the linking investigator ($5). */
export async function insertLinkRows(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO report_subjects (report_id, subject_id, role, linked_at, linked_by_user_id)
     SELECT report, subject, role::subject_role, linked, $5 FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[])
       AS t(report, subject, role, linked)`,
    params,
  );
}

/** The flags' columns ($1-$9), the supervisor who set (and ended) them ($10) and their agency ($11). */
export async function insertFlagRows(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO flags (subject_id, kind, risk_level, reason, set_at, review_date, status, ended_at, end_reason, ended_by_user_id,
       set_by_user_id, set_by_agency_id)
     SELECT subject, kind::flag_kind, level::risk_level, reason, set_at, review, status::flag_status, ended, end_reason,
            CASE WHEN ended IS NULL THEN NULL ELSE $10::uuid END, $10, $11
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::date[], $7::text[], $8::timestamptz[], $9::text[])
         AS t(subject, kind, level, reason, set_at, review, status, ended, end_reason)`,
    params,
  );
}

/**
 * One proposed or rejected flag, on the subject with police reference $1, unless a flag of that
 * kind, reason and time is there already (or one set since conflicts).
 */
export async function insertProposalRow(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO flags (subject_id, kind, risk_level, status, reason, set_at, review_date, set_by_user_id, set_by_agency_id,
         rejected_at, rejected_by_user_id, rejection_reason)
       SELECT s.id, $2::flag_kind, $3::risk_level, $4::flag_status, $5::text, $6::timestamptz, $7::date, $8::uuid, $9::uuid,
              $10::timestamptz, CASE WHEN $10::timestamptz IS NULL THEN NULL ELSE $11::uuid END, $12::text
         FROM subjects s
        WHERE s.police_reference = $1::text
          AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = s.id AND f.kind = $2::flag_kind AND f.reason = $5::text
                                                  AND f.set_at = $6::timestamptz)
       ON CONFLICT DO NOTHING`,
    params,
  );
}

// ---------------------------------------------------------------------------------------------
// Lawful disclosure (demo-records.ts)

/** Subjects of reports with a CSE_RISK flag in force, graded P and OFFICIAL, in a fixed order; `where` is our own text. */
export async function flaggedChildren(tx: Queryable, where: string, limit: number): Promise<{ subject: string; report: string }[]> {
  return tx.query(
    `SELECT DISTINCT ON (s.police_reference) s.id AS subject, r.id AS report
       FROM subjects s JOIN flags f ON f.subject_id = s.id AND f.status = 'ACTIVE' AND f.kind = 'CSE_RISK'
       JOIN report_subjects rs ON rs.subject_id = s.id JOIN intelligence_reports r ON r.id = rs.report_id
      WHERE r.handling_code = 'P' AND r.classification = 'OFFICIAL' AND ${where}
      ORDER BY s.police_reference, r.received_at, r.id
      LIMIT ${limit}`,
  ) as Promise<{ subject: string; report: string }[]>;
}

export async function involvementWithContactExists(tx: Queryable, contact: string): Promise<boolean> {
  const [done] = (await tx.query(`SELECT 1 FROM involvements WHERE contact = $1`, [contact])) as unknown[];
  return done !== undefined;
}

/** $1 subject, $2 agency, $3 kind, $4 contact, $5 registered by. */
export async function insertInvolvement(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO involvements (subject_id, agency_id, kind, lawful_basis, contact, registered_by_user_id)
       VALUES ($1, $2, $3, 'PUBLIC_TASK', $4, $5)`,
    params,
  );
}

/** $1 report, $2 recipient agency, $3 summary, $4 disclosed at, $5 expires at, $6 disclosed by; returns the disclosure. */
export function insertDisclosure(tx: Queryable, params: unknown[]): Promise<{ id: string }[]> {
  return tx.query(
    `INSERT INTO disclosures (report_id, recipient_agency_id, gateway, purpose, summary, disclosed_at, expires_at, disclosed_by_user_id, agreement_id)
       VALUES ($1, $2, 'CHILDREN_ACT_2004_S11', 'Safeguarding the pupil at school', $3, $4::timestamptz, $5::timestamptz, $6, ${DEMO_AGREEMENT_ID}) RETURNING id`,
    params,
  ) as Promise<{ id: string }[]>;
}

export async function revokeDisclosure(tx: Queryable, id: string, revokedBy: string): Promise<void> {
  await tx.query(
    `UPDATE disclosures SET revoked_at = '2014-01-20T10:00:00Z', revoked_by_user_id = $2,
            revocation_reason = 'Sent to the wrong team: re-disclosed to the allocated social worker' WHERE id = $1`,
    [id, revokedBy],
  );
}

/** $1 report, $2 recipient agency, $3 decided by. */
export async function insertDecline(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO disclosure_declines (report_id, recipient_agency_id, reason, decided_by_user_id, decided_at)
     VALUES ($1, $2, 'Sharing now would alert the suspect to an ongoing investigation; review in a month', $3, '2014-01-15T10:00:00Z')`,
    params,
  );
}

/** $1 subject, $2 requested by, $3 requester's agency. */
export async function insertAccessRequest(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO access_requests (subject_id, requested_by_user_id, requester_agency_id, reason, due_at)
     VALUES ($1, $2, $3, 'Planning a strategy meeting: we need to know what police hold about the adults she is seen with',
             now() + interval '24 hours')`,
    params,
  );
}

// ---------------------------------------------------------------------------------------------
// The current cohort (demo-current.ts)

export async function subjectReferenceExists(tx: Queryable, policeReference: string): Promise<boolean> {
  const [done] = (await tx.query(`SELECT 1 FROM subjects WHERE police_reference = $1`, [policeReference])) as unknown[];
  return done !== undefined;
}

/** $1 subject, $2 agency, $3 kind, $4 contact, $5 registered by, $6 registered at. */
export async function insertDatedInvolvement(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO involvements (subject_id, agency_id, kind, lawful_basis, contact, registered_by_user_id, registered_at)
       VALUES ($1, $2, $3, 'PUBLIC_TASK', $4, $5, $6)`,
    params,
  );
}

/** $1 report, $2 recipient agency, $3 purpose, $4 summary, $5 disclosed at, $6 expires at, $7 disclosed by. */
export async function insertDatedDisclosure(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO disclosures (report_id, recipient_agency_id, gateway, purpose, summary, disclosed_at, expires_at, disclosed_by_user_id, agreement_id)
       VALUES ($1, $2, 'CHILDREN_ACT_2004_S11', $3, $4, $5::timestamptz, $6::timestamptz, $7, ${DEMO_AGREEMENT_ID})`,
    params,
  );
}

/** $1 subject, $2 requested by, $3 requester's agency, $4 reason, $5 requested at (AMBER: due a day later). */
export async function insertDatedAccessRequest(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `INSERT INTO access_requests (subject_id, requested_by_user_id, requester_agency_id, reason, requested_at, due_at)
       VALUES ($1, $2, $3, $4, $5::timestamptz, $5::timestamptz + interval '24 hours')`,
    params,
  );
}

/**
 * The demo's notices, as its records would have raised them: each live disclosure told to its
 * recipient, each pending access request to police supervisors (once: keyed by record).
 */
export async function raiseDemoNotices(tx: Queryable): Promise<void> {
  await tx.query(
    `INSERT INTO notification_events (type, record_kind, record_id, acting_agency_id, acting_principal_id, dedupe_key, occurred_at)
     SELECT 'DISCLOSURE_RECEIVED', 'disclosure', d.id, u.agency_id, d.disclosed_by_user_id, 'demo:disclosure:' || d.id, d.disclosed_at
       FROM disclosures d JOIN users u ON u.id = d.disclosed_by_user_id
      WHERE d.revoked_at IS NULL AND d.expires_at > now()
     UNION ALL
     SELECT 'ACCESS_REQUESTED', 'access_request', r.id, r.requester_agency_id, r.requested_by_user_id, 'demo:access_request:' || r.id, r.requested_at
       FROM access_requests r WHERE r.status = 'PENDING'
     ON CONFLICT (dedupe_key) DO NOTHING`,
  );
}

/** Notices raised but not yet fanned out, oldest first. */
export async function pendingNoticeIds(tx: Queryable): Promise<string[]> {
  const rows = (await tx.query(`SELECT id FROM notification_events WHERE fanned_out_at IS NULL ORDER BY occurred_at, id`)) as {
    id: string;
  }[];
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------
// Break-glass uses awaiting review (demo-seed.ts)

/**
 * A past, expired break-glass use by each of these users, awaiting audit review, unless they have
 * one already: the auditors' console has something to review from the first sign-in. It opens
 * nothing now (expired two days ago, an hour after it was granted).
 */
export async function insertDemoBreakGlass(tx: Queryable, uses: { email: string; reason: string; daysAgo: number }[]): Promise<void> {
  await tx.query(
    `INSERT INTO break_glass_grants (subject_id, user_id, agency_id, reason, granted_at, expires_at)
     SELECT (SELECT s.id FROM subjects s WHERE s.police_reference IS NOT NULL ORDER BY s.police_reference LIMIT 1),
            u.id, u.agency_id, x.reason, now() - make_interval(days => x.days_ago),
            now() - make_interval(days => x.days_ago) + interval '1 hour'
       FROM unnest($1::text[], $2::text[], $3::int[]) AS x(email, reason, days_ago)
       JOIN users u ON u.email = x.email
      WHERE NOT EXISTS (SELECT 1 FROM break_glass_grants g WHERE g.user_id = u.id)
        AND EXISTS (SELECT 1 FROM subjects s WHERE s.police_reference IS NOT NULL)`,
    [uses.map((u) => u.email), uses.map((u) => u.reason), uses.map((u) => u.daysAgo)],
  );
}

/** The demo's disclosures are made under its partnership agreement (demo-seed.ts DEMO_AGREEMENTS, the first). */
const DEMO_AGREEMENT_ID = `(SELECT id FROM information_sharing_agreements WHERE reference = 'ISA-GM-CSE-2012')`;

/**
 * $1 reference, $2 title, $3 purpose, $4 gateways, $5 data categories, $6 conditions, $7 starts on,
 * $8 review on, $9 registered by (email), $10 party agency names. Left alone when the reference exists.
 */
export async function insertDemoAgreement(tx: Queryable, params: unknown[]): Promise<void> {
  await tx.query(
    `WITH isa AS (
       INSERT INTO information_sharing_agreements (reference, title, purpose, gateways, data_categories, conditions, starts_on, review_on,
                                                   status, registered_by_user_id, registered_at)
       SELECT $1, $2, $3, $4::legal_gateway[], $5::shared_data_category[], $6, $7::date, $8::date, 'ACTIVE', u.id, $7::date
         FROM users u WHERE u.email = $9
       ON CONFLICT (reference) DO NOTHING
       RETURNING id)
     INSERT INTO agreement_parties (agreement_id, agency_id)
     SELECT isa.id, a.id FROM isa, agencies a WHERE a.name = ANY ($10::text[])`,
    params,
  );
}
