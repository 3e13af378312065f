import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Row-level security on the case tables: a second lock behind the read scopes of
 * src/policy/records.ts, so that a query written without its scope still returns only the rows the
 * policy lets its caller read (docs/security.md, "Row-level security (second lock)").
 *
 * The caller reaches PostgreSQL as the transaction-local setting `safeshare.principal`, a JSON
 * object rendered by src/policy/row-security.ts: `{"id", "kind", "agency": {"id", "kind"}, "roles",
 * "scopes"}` for a user or partner app, `{"system": true}` for the service's own background work.
 * No setting (or an empty one) is nobody: no case rows at all.
 *
 * Policies apply to every role but the tables' owner (the migrating user): migrations, and the
 * SECURITY DEFINER functions below, run as the owner and see every row. FORCE is deliberately not
 * set, so that stays true. The predicates on the principal are STABLE SQL functions, called in the
 * policies as scalar subqueries (`(SELECT rls_police_case_reader())`) so each is evaluated once per
 * statement; the sets that need other case tables (a care reader's known subjects, the reports of
 * its break-glass grants) are SECURITY DEFINER set-returning functions, evaluated once per statement
 * as a hashed `IN (SELECT ...)`, so one policy never recurses into another's table.
 *
 * Also: the functions that must see every row whoever writes (a flag's age check, a new report's
 * reference) become SECURITY DEFINER; the few lookups the service makes beyond its caller's read
 * scope on purpose (the audit trail's record context, statistics, a subject's existence for
 * break-glass, an involvement's identifier match) are SECURITY DEFINER functions of their own.
 */
export class RowSecurity1766600000000 implements MigrationInterface {
  name = 'RowSecurity1766600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of PRINCIPAL_FUNCTIONS) await q.query(statement);
    for (const statement of SCOPE_FUNCTIONS) await q.query(statement);
    for (const statement of SERVICE_FUNCTIONS) await q.query(statement);
    for (const statement of IMMUNE_FUNCTIONS) await q.query(statement);

    for (const [table, policies] of Object.entries(POLICIES)) {
      await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      // The system writes anything; it reads everything through each table's read policy.
      for (const command of SYSTEM_COMMANDS) {
        await q.query(`CREATE POLICY system_${command.toLowerCase()} ON ${table} FOR ${command} ${SYSTEM_POLICY[command]}`);
      }
      for (const [name, policy] of Object.entries(policies)) await q.query(`CREATE POLICY ${name} ON ${table} ${policy}`);
    }

    // Definer functions run as their owner: only the application role may call them.
    for (const fn of DEFINER_FUNCTIONS) await q.query(`REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC`);
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeshare_app') THEN
          ${DEFINER_FUNCTIONS.map((fn) => `GRANT EXECUTE ON FUNCTION ${fn} TO safeshare_app;`).join('\n          ')}
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, policies] of Object.entries(POLICIES)) {
      for (const name of [...SYSTEM_COMMANDS.map((c) => `system_${c.toLowerCase()}`), ...Object.keys(policies)]) {
        await q.query(`DROP POLICY ${name} ON ${table}`);
      }
      await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
    for (const statement of IMMUNE_FUNCTIONS_BEFORE) await q.query(statement);
    for (const fn of [...DEFINER_FUNCTIONS].reverse()) await q.query(`DROP FUNCTION ${fn}`);
    for (const fn of PREDICATES.reverse()) await q.query(`DROP FUNCTION ${fn}`);
  }
}

const SYSTEM_COMMANDS = ['INSERT', 'UPDATE', 'DELETE'] as const;
const SYSTEM_POLICY: Record<(typeof SYSTEM_COMMANDS)[number], string> = {
  INSERT: 'WITH CHECK ((SELECT rls_system()))',
  UPDATE: 'USING ((SELECT rls_system())) WITH CHECK ((SELECT rls_system()))',
  DELETE: 'USING ((SELECT rls_system()))',
};

const DEFINER = `STABLE SECURITY DEFINER SET search_path = public, pg_temp`;
const CARE_KINDS = `'SOCIAL_CARE', 'EDUCATION', 'HEALTH'`;

/**
 * The principal and what it is, mirroring src/policy/permissions.ts (isPoliceCaseReader and the
 * rest) from the facts the setting carries. Each is false (or null) when no principal is set.
 */
const PRINCIPAL_FUNCTIONS = [
  `CREATE FUNCTION rls_principal() RETURNS jsonb LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT nullif(current_setting('safeshare.principal', true), '')::jsonb $$`,
  `CREATE FUNCTION rls_system() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT coalesce(rls_principal() @> '{"system": true}', false) $$`,
  `CREATE FUNCTION rls_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT (rls_principal() ->> 'id')::uuid $$`,
  `CREATE FUNCTION rls_agency() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT (rls_principal() #>> '{agency,id}')::uuid $$`,
  // A user of an agency of one of `kinds` holding one of `roles`. No FROM: inlined into the policy.
  `CREATE FUNCTION rls_user_with(roles text[], kinds text[]) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT coalesce(rls_principal() ->> 'kind' = 'USER' AND rls_principal() #>> '{agency,kind}' = ANY (kinds)
                     AND rls_principal() -> 'roles' ?| roles, false) $$`,
  `CREATE FUNCTION rls_police_case_reader() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT rls_user_with('{INVESTIGATOR,ANALYST,SUPERVISOR}', '{POLICE}') $$`,
  `CREATE FUNCTION rls_police_supervisor() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT rls_user_with('{SUPERVISOR}', '{POLICE}') $$`,
  `CREATE FUNCTION rls_safeguarding_lead() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT rls_user_with('{SAFEGUARDING_LEAD}', ARRAY[${CARE_KINDS}, 'VOLUNTARY']) $$`,
  `CREATE FUNCTION rls_care_reader() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT rls_user_with('{PRACTITIONER}', ARRAY[${CARE_KINDS}]) OR rls_safeguarding_lead() $$`,
  /** Reporters read their agency's submissions; a partner app with the scope its own (readsOwnSubmissions). */
  `CREATE FUNCTION rls_reporter() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT coalesce(rls_principal() ->> 'kind' = 'USER' AND rls_principal() -> 'roles' ? 'REPORTER', false) $$`,
  /** Who may submit intelligence (Permission.SUBMIT_INTELLIGENCE). */
  `CREATE FUNCTION rls_submitter() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT coalesce(CASE rls_principal() ->> 'kind'
                       WHEN 'USER' THEN rls_principal() -> 'roles' ?| '{REPORTER,INVESTIGATOR,ANALYST,SUPERVISOR}'
                       WHEN 'SERVICE' THEN rls_principal() -> 'scopes' ? 'SUBMIT_INTELLIGENCE' END, false) $$`,
  /** Statistics are for every signed-in user (Permission.READ_STATISTICS), and the system. */
  `CREATE FUNCTION rls_reads_statistics() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
     SELECT coalesce(rls_principal() ->> 'kind' = 'USER', false) OR rls_system() $$`,
];
const PREDICATES = [
  'rls_principal()',
  'rls_system()',
  'rls_id()',
  'rls_agency()',
  'rls_user_with(text[], text[])',
  'rls_police_case_reader()',
  'rls_police_supervisor()',
  'rls_safeguarding_lead()',
  'rls_care_reader()',
  'rls_reporter()',
  'rls_submitter()',
  'rls_reads_statistics()',
];

/**
 * Scope checks that read other case tables, as the owner: knownToAgency OR breakGlassOn (the care
 * reader's subject scope) and the break-glass arm of reportReadScope, exactly as records.ts writes them.
 */
const SCOPE_FUNCTIONS = [
  // Evaluated once per statement (a hashed `IN (SELECT ...)`), not once per row: a care reader's
  // known subjects are few, and a function call per row scanned cost tens of microseconds each.
  // PL/pgSQL: its query plans are kept for the connection's life, where a SQL function's would be
  // made again in every statement.
  `CREATE FUNCTION rls_known_subjects() RETURNS SETOF uuid LANGUAGE plpgsql ${DEFINER} ROWS 100 AS $$
   BEGIN
     IF NOT rls_care_reader() THEN RETURN; END IF;
     RETURN QUERY
       SELECT k_rs.subject_id FROM report_subjects k_rs JOIN intelligence_reports k_r ON k_r.id = k_rs.report_id
        WHERE k_r.submitted_by_agency_id = rls_agency()
       UNION
       SELECT k_rs.subject_id FROM report_subjects k_rs JOIN disclosures k_d ON k_d.report_id = k_rs.report_id
        WHERE k_d.recipient_agency_id = rls_agency() AND k_d.revoked_at IS NULL AND k_d.expires_at > now()
       UNION
       SELECT k_i.subject_id FROM involvements k_i WHERE k_i.agency_id = rls_agency() AND k_i.ended_at IS NULL
       UNION
       SELECT k_g.subject_id FROM break_glass_grants k_g WHERE k_g.user_id = rls_id() AND k_g.expires_at > now();
   END $$`,
  `CREATE FUNCTION rls_break_glass_reports() RETURNS SETOF uuid LANGUAGE plpgsql ${DEFINER} ROWS 100 AS $$
   BEGIN
     IF NOT rls_care_reader() THEN RETURN; END IF;
     RETURN QUERY
       SELECT DISTINCT bg_rs.report_id FROM report_subjects bg_rs JOIN break_glass_grants bg ON bg.subject_id = bg_rs.subject_id
        WHERE bg.user_id = rls_id() AND bg.expires_at > now();
   END $$`,
];

/**
 * Lookups the service makes beyond its caller's read scope by design, each answering only what its
 * caller needs: ids and counts, never a record's content.
 */
const SERVICE_FUNCTIONS = [
  // The audit trail names the subjects and owning agencies of every record an event concerns, also
  // of a record its caller was refused, or named without signing in (src/audit/record-context.ts).
  `CREATE FUNCTION audit_record_context(records jsonb) RETURNS TABLE (kind text, id uuid, subject_id uuid, agency_id uuid)
     LANGUAGE sql ${DEFINER} AS $$
     WITH asked AS (SELECT DISTINCT x.kind, x.id FROM jsonb_to_recordset(records) AS x(kind text, id uuid)),
     ids AS (SELECT a.kind, array_agg(a.id) AS ids FROM asked a GROUP BY a.kind)
     SELECT 'intelligence_report', r.id, rs.subject_id, r.submitted_by_agency_id
       FROM intelligence_reports r LEFT JOIN report_subjects rs ON rs.report_id = r.id
      WHERE r.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'intelligence_report')::uuid[])
     UNION ALL
     SELECT 'subject', s.id, s.id, s.created_by_agency_id FROM subjects s
      WHERE s.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'subject')::uuid[])
     UNION ALL
     SELECT 'flag', f.id, f.subject_id, f.set_by_agency_id FROM flags f
      WHERE f.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'flag')::uuid[])
     UNION ALL
     SELECT 'involvement', i.id, i.subject_id, i.agency_id FROM involvements i
      WHERE i.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'involvement')::uuid[])
     UNION ALL
     SELECT 'disclosure', d.id, rs.subject_id, unnest(ARRAY[r.submitted_by_agency_id, d.recipient_agency_id])
       FROM disclosures d JOIN intelligence_reports r ON r.id = d.report_id LEFT JOIN report_subjects rs ON rs.report_id = r.id
      WHERE d.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'disclosure')::uuid[])
     UNION ALL
     SELECT 'disclosure_decision', x.id, coalesce(rs.subject_id, ar.subject_id), x.recipient_agency_id
       FROM disclosure_declines x LEFT JOIN report_subjects rs ON rs.report_id = x.report_id
       LEFT JOIN access_requests ar ON ar.id = x.access_request_id
      WHERE x.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'disclosure_decision')::uuid[])
     UNION ALL
     SELECT 'access_request', a.id, a.subject_id, a.requester_agency_id FROM access_requests a
      WHERE a.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'access_request')::uuid[])
     UNION ALL
     SELECT 'break_glass_grant', g.id, g.subject_id, g.agency_id FROM break_glass_grants g
      WHERE g.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'break_glass_grant')::uuid[])
     UNION ALL
     SELECT 'crime', c.id, cs.subject_id, u.agency_id
       FROM crimes c JOIN users u ON u.id = c.recorded_by_user_id LEFT JOIN crime_subjects cs ON cs.crime_id = c.id
      WHERE c.id = ANY ((SELECT ids FROM ids WHERE ids.kind = 'crime')::uuid[]) $$`,
  // Statistics count every report and crime whoever asks (policy/statistics.ts): counts only.
  `CREATE FUNCTION statistics_report_cells(a_from timestamptz, a_to timestamptz, b_from timestamptz, b_to timestamptz)
     RETURNS TABLE (division_id text, source_type source_type, month text, n bigint) LANGUAGE sql ${DEFINER} AS $$
     SELECT r.division_id, r.source_type, to_char(date_trunc('month', r.received_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD'), count(*)
       FROM intelligence_reports r
      WHERE ((r.received_at >= a_from AND r.received_at < a_to) OR (r.received_at >= b_from AND r.received_at < b_to))
        AND rls_reads_statistics()
      GROUP BY 1, 2, 3 $$`,
  `CREATE FUNCTION statistics_crime_cells(from_day date, to_day date)
     RETURNS TABLE (division_id text, month text, g integer, crimes integer, victims integer, suspects integer) LANGUAGE sql ${DEFINER} AS $$
     SELECT c.division_id, c.month, GROUPING(c.division_id, c.month), count(DISTINCT c.id)::int,
            count(DISTINCT cs.subject_id) FILTER (WHERE cs.role = 'VICTIM')::int,
            count(DISTINCT cs.subject_id) FILTER (WHERE cs.role = 'SUSPECT')::int
       FROM (SELECT id, division_id, (recorded_on - extract(day FROM recorded_on)::int + 1)::text AS month FROM crimes
              WHERE recorded_on >= from_day AND recorded_on < to_day AND rls_reads_statistics()) c
       -- A lateral probe per crime (OFFSET 0 keeps it one): cheaper than hashing every crime's people.
       LEFT JOIN LATERAL (SELECT subject_id, role FROM crime_subjects cs WHERE cs.crime_id = c.id OFFSET 0) cs ON true
      GROUP BY GROUPING SETS ((c.division_id, c.month), (c.division_id), (c.month), ()) $$`,
  // Full-text and fuzzy name matches, found through their GIN indexes. Under row-level security a
  // query's own @@ or % (not leakproof) may only be tested after the policy, row by row, so
  // no index could serve it: the service finds the candidates' ids here, and reads the rows the
  // policy lets it read among them.
  `CREATE FUNCTION reports_matching(query tsquery) RETURNS SETOF uuid LANGUAGE sql ${DEFINER} ROWS 1000 AS $$
     SELECT id FROM intelligence_reports WHERE search_vector @@ query AND rls_principal() IS NOT NULL $$`,
  `CREATE FUNCTION subjects_named(name text) RETURNS SETOF uuid LANGUAGE sql ${DEFINER} ROWS 100 AS $$
     SELECT id FROM subjects WHERE full_name % name AND rls_principal() IS NOT NULL $$`,
  `CREATE FUNCTION subjects_aliased(name text) RETURNS SETOF uuid LANGUAGE sql ${DEFINER} ROWS 100 AS $$
     SELECT DISTINCT subject_id FROM subject_aliases WHERE alias % name AND rls_principal() IS NOT NULL $$`,
  // Break-glass reaches a subject outside its caller's scope by design: it must learn that it exists.
  `CREATE FUNCTION subject_exists(subject uuid) RETURNS boolean LANGUAGE sql ${DEFINER} AS $$
     SELECT rls_principal() IS NOT NULL AND EXISTS (SELECT 1 FROM subjects WHERE id = subject) $$`,
  // An involvement may be registered for a subject carrying the identifier the caller's kind of
  // agency gives out (a school's UPN): true only when it matches, and only that kind's identifier.
  `CREATE FUNCTION subject_has_identifier(subject uuid, agency_kind text, identifier text) RETURNS boolean LANGUAGE sql ${DEFINER} AS $$
     SELECT EXISTS (SELECT 1 FROM subjects s
                     WHERE s.id = subject
                       AND coalesce(rls_principal() #>> '{agency,kind}' = agency_kind, rls_system())
                       AND CASE agency_kind
                             WHEN 'EDUCATION' THEN s.school_upn = identifier
                             WHEN 'SOCIAL_CARE' THEN s.social_care_id = identifier
                             WHEN 'HEALTH' THEN s.nhs_number = identifier
                             ELSE false END) $$`,
];

/**
 * Functions that read case tables whoever writes: under the writer's row security they would see
 * only the writer's rows (a flag's subject's age; whether a new reference is taken already).
 */
const IMMUNE_FUNCTIONS = [
  `ALTER FUNCTION flags_check_child_risk() SECURITY DEFINER SET search_path = public, pg_temp`,
  `ALTER FUNCTION next_report_reference() SECURITY DEFINER SET search_path = public, pg_temp`,
];
const IMMUNE_FUNCTIONS_BEFORE = [
  `ALTER FUNCTION flags_check_child_risk() SECURITY INVOKER RESET search_path`,
  `ALTER FUNCTION next_report_reference() SECURITY INVOKER RESET search_path`,
];

const DEFINER_FUNCTIONS = [
  'rls_known_subjects()',
  'rls_break_glass_reports()',
  'audit_record_context(jsonb)',
  'statistics_report_cells(timestamptz, timestamptz, timestamptz, timestamptz)',
  'statistics_crime_cells(date, date)',
  'reports_matching(tsquery)',
  'subjects_named(text)',
  'subjects_aliased(text)',
  'subject_exists(uuid)',
  'subject_has_identifier(uuid, text, text)',
];

// Each `(SELECT ...)` is evaluated once per statement (an InitPlan), then compared per row.
const ALL = `(SELECT rls_system() OR rls_police_case_reader())`;
const SUPERVISOR = `(SELECT rls_system() OR rls_police_supervisor())`;
const CARE = `(SELECT rls_care_reader())`;
const LEAD = `(SELECT rls_safeguarding_lead())`;
const KNOWN = `(SELECT rls_known_subjects())`;
// A care reader's own agency and own id; null (matching nothing) for anyone else.
const CARE_AGENCY = `(SELECT CASE WHEN rls_care_reader() THEN rls_agency() END)`;
const CARE_ME = `(SELECT CASE WHEN rls_care_reader() THEN rls_id() END)`;
const LEAD_AGENCY = `(SELECT CASE WHEN rls_safeguarding_lead() THEN rls_agency() END)`;
const ME = `(SELECT rls_id())`;
const MY_AGENCY = `(SELECT rls_agency())`;
const STATISTICS = `FOR SELECT USING ((SELECT rls_reads_statistics()))`;

/**
 * Per table, the policies besides the system's, one per command: SELECT mirrors the read scopes
 * of records.ts (the test compares them row for row), INSERT and UPDATE what the service writes for
 * whom (permissions.ts). No DELETE policy: the service deletes no case rows. UPDATE also governs
 * SELECT ... FOR UPDATE / FOR SHARE.
 */
const POLICIES: Record<string, Record<string, string>> = {
  intelligence_reports: {
    // reportReadScope, and ownSubmissionScope (a submitter reads back what it submitted).
    report_read: `FOR SELECT USING (${ALL}
        OR submitted_by_agency_id = (SELECT CASE WHEN rls_reporter() THEN rls_agency() END)
        OR coalesce(submitted_by_user_id, submitted_by_service_account_id) = ${ME}
        OR id IN (SELECT rls_break_glass_reports()))`,
    report_submit: `FOR INSERT WITH CHECK ((SELECT rls_submitter()) AND submitted_by_agency_id = ${MY_AGENCY}
        AND coalesce(submitted_by_user_id, submitted_by_service_account_id) = ${ME}
        AND (submitted_by_user_id IS NULL) = ((SELECT rls_principal() ->> 'kind') = 'SERVICE'))`,
    // Assessing, and the row locks linking and disclosing take.
    report_update: `FOR UPDATE USING (${ALL}) WITH CHECK (${ALL})`,
  },
  informants: {
    informant_read: `FOR SELECT USING (${SUPERVISOR})`,
    informant_submit: `FOR INSERT WITH CHECK (EXISTS (SELECT 1 FROM intelligence_reports r WHERE r.id = report_id
        AND coalesce(r.submitted_by_user_id, r.submitted_by_service_account_id) = ${ME}))`,
  },
  subjects: {
    subject_read: `FOR SELECT USING (${ALL} OR id IN ${KNOWN})`,
    subject_create: `FOR INSERT WITH CHECK (${ALL} AND created_by_agency_id = ${MY_AGENCY})`,
  },
  subject_aliases: {
    subject_alias_read: `FOR SELECT USING (${ALL} OR subject_id IN ${KNOWN})`,
  },
  report_subjects: {
    // A link is read with its subject (the subject's scope).
    link_read: `FOR SELECT USING (${ALL} OR subject_id IN ${KNOWN})`,
    link_create: `FOR INSERT WITH CHECK (${ALL} AND linked_by_user_id = ${ME})`,
  },
  flags: {
    // flagReadScope on top of the subject's scope: anyone but police case readers sees flags in force only.
    flag_read: `FOR SELECT USING (${ALL} OR (status = 'ACTIVE' AND subject_id IN ${KNOWN}))`,
    flag_create: `FOR INSERT WITH CHECK (${ALL} AND set_by_user_id = ${ME} AND set_by_agency_id = ${MY_AGENCY})`,
    flag_update: `FOR UPDATE USING (${ALL}) WITH CHECK (${ALL})`,
  },
  crimes: {
    crime_read: `FOR SELECT USING (${ALL})`,
    crime_create: `FOR INSERT WITH CHECK (${ALL} AND recorded_by_user_id = ${ME})`,
  },
  crime_subjects: {
    crime_subject_read: `FOR SELECT USING (${ALL})`,
    crime_subject_create: `FOR INSERT WITH CHECK (${ALL})`,
  },
  record_history: {
    // readsRecordHistory; every writer appends its own changes.
    history_read: `FOR SELECT USING (${ALL})`,
    history_append: `FOR INSERT WITH CHECK (actor_id = ${ME} AND actor_agency_id = ${MY_AGENCY})`,
  },
  involvements: {
    // involvementReadScope, and involvedAgencyScope (who else is actively involved with a subject one reads).
    involvement_read: `FOR SELECT USING (${ALL} OR agency_id = ${CARE_AGENCY}
        OR (ended_at IS NULL AND subject_id IN ${KNOWN}))`,
    involvement_register: `FOR INSERT WITH CHECK (${CARE} AND agency_id = ${MY_AGENCY} AND registered_by_user_id = ${ME})`,
    involvement_end: `FOR UPDATE USING (${LEAD} AND agency_id = ${MY_AGENCY}) WITH CHECK (${LEAD} AND agency_id = ${MY_AGENCY})`,
  },
  disclosures: {
    disclosure_read: `FOR SELECT USING (${ALL}
        OR (recipient_agency_id = ${CARE_AGENCY} AND revoked_at IS NULL AND expires_at > now()))`,
    disclosure_create: `FOR INSERT WITH CHECK (${SUPERVISOR} AND disclosed_by_user_id = ${ME})`,
    disclosure_revoke: `FOR UPDATE USING (${SUPERVISOR}) WITH CHECK (${SUPERVISOR})`,
  },
  disclosure_declines: {
    // declineReadScope: police case readers all; others through an access request they may read.
    decline_read: `FOR SELECT USING (${ALL} OR EXISTS (SELECT 1 FROM access_requests ar WHERE ar.id = access_request_id))`,
    decline_create: `FOR INSERT WITH CHECK (${SUPERVISOR} AND decided_by_user_id = ${ME})`,
  },
  access_requests: {
    // accessRequestReadScope: a lead reads its agency's, any other care reader its own.
    access_request_read: `FOR SELECT USING (${SUPERVISOR} OR requester_agency_id = ${LEAD_AGENCY}
        OR requested_by_user_id = (SELECT CASE WHEN rls_care_reader() AND NOT rls_safeguarding_lead() THEN rls_id() END))`,
    access_request_create: `FOR INSERT WITH CHECK (${CARE} AND requested_by_user_id = ${ME} AND requester_agency_id = ${MY_AGENCY})`,
    access_request_decide: `FOR UPDATE USING (${SUPERVISOR}) WITH CHECK (${SUPERVISOR})`,
  },
  break_glass_grants: {
    break_glass_read: `FOR SELECT USING (${SUPERVISOR} OR user_id = ${CARE_ME})`,
    break_glass_create: `FOR INSERT WITH CHECK (${CARE} AND user_id = ${ME} AND agency_id = ${MY_AGENCY})`,
    break_glass_review: `FOR UPDATE USING (${SUPERVISOR}) WITH CHECK (${SUPERVISOR})`,
  },
  // Kept by trigger and read by statistics only, which every signed-in user reads.
  active_flag_placements: { statistics_read: STATISTICS },
  report_flag_coverage: { statistics_read: STATISTICS },
  report_daily_counts: { statistics_read: STATISTICS },
  report_monthly_counts: { statistics_read: STATISTICS },
  report_count_deltas: { statistics_read: STATISTICS },
};
