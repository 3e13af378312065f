import { STATISTICS_FLAG_STATUS } from '../../src/policy/statistics';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * flagStats reads two tables kept by trigger (migrations/1765400000000-flag-statistics.ts). These
 * tests hold them, after every kind of change and under concurrent changes, to the figures computed
 * from the records themselves: the flags that count (STATISTICS_FLAG_STATUS) placed in their
 * subject's latest division, and each risk report's potential victims with a CSE_RISK flag.
 */

let app: TestApp;
const t: Record<string, string> = {};
beforeAll(async () => {
  app = await startTestApp();
  for (const email of ['investigator@gmp.example', 'supervisor@gmp.example', 'analyst@gmp.example']) {
    t[email.split('@')[0]] = (await app.login(email)).accessToken;
  }
});
afterAll(() => app.close());

/** What the tables must hold, computed the slow way from flags, links and reports. */
async function expectTablesAgreeWithRecords() {
  const [placements] = (await app.ownerQuery(
    `WITH truth AS (
       SELECT f.id, f.kind, f.risk_level, f.review_date,
              (SELECT r.division_id FROM report_subjects rs JOIN intelligence_reports r ON r.id = rs.report_id
                WHERE rs.subject_id = f.subject_id ORDER BY r.received_at DESC, r.id DESC LIMIT 1) AS division_id
         FROM flags f WHERE f.status = $1),
     kept AS (SELECT flag_id AS id, kind, risk_level, review_date, division_id FROM active_flag_placements)
     SELECT (SELECT count(*) FROM truth)::int AS flags,
            (SELECT count(*) FROM (SELECT * FROM truth EXCEPT SELECT * FROM kept) x)::int AS missing,
            (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM truth) x)::int AS extra`,
    [STATISTICS_FLAG_STATUS],
  )) as { flags: number; missing: number; extra: number }[];
  expect(placements).toMatchObject({ missing: 0, extra: 0 });
  const [coverage] = (await app.ownerQuery(
    `WITH truth AS (
       SELECT r.id, r.received_at, count(*)::int AS victims,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM flags f WHERE f.subject_id = rs.subject_id
                                                AND f.kind = 'CSE_RISK' AND f.status = $1))::int AS flagged
         FROM intelligence_reports r JOIN report_subjects rs ON rs.report_id = r.id AND rs.role = 'POTENTIAL_VICTIM'
        WHERE r.risk_indicators <> '{}' GROUP BY r.id),
     kept AS (SELECT report_id, received_at, victims, flagged_victims FROM report_flag_coverage WHERE victims > 0)
     SELECT (SELECT count(*) FROM truth)::int AS reports,
            (SELECT count(*) FROM (SELECT * FROM truth EXCEPT SELECT * FROM kept) x)::int AS missing,
            (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM truth) x)::int AS extra`,
    [STATISTICS_FLAG_STATUS],
  )) as { reports: number; missing: number; extra: number }[];
  expect(coverage).toMatchObject({ missing: 0, extra: 0 });
  return { flags: placements.flags, reports: coverage.reports };
}

let made = 0;
async function report(receivedAt: string, divisionId: string, riskIndicators: string[] = ['MISSING_EPISODES']) {
  const r = await app.gql<{ submitIntelligence: { id: string } }>(
    `mutation($i: SubmitIntelligenceInput!) { submitIntelligence(input: $i) { id } }`,
    { i: { sourceType: 'POLICE', receivedAt, divisionId, riskIndicators, narrative: `Flag statistics test report ${++made}` } },
    t.investigator,
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.submitIntelligence.id;
}
async function link(reportId: string, input: Record<string, unknown>) {
  const r = await app.gql<{ linkSubject: { subjects: { subject: { id: string; fullName: string } }[] } }>(
    `mutation($r: ID!, $i: LinkSubjectInput!) { linkSubject(reportId: $r, input: $i) { subjects { subject { id fullName } } } }`,
    { r: reportId, i: input },
    t.investigator,
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.linkSubject.subjects;
}
async function newVictim(reportId: string) {
  const name = `Flagstat Person${++made}`;
  const subjects = await link(reportId, { role: 'POTENTIAL_VICTIM', newSubject: { fullName: name, approximateAge: 15 } });
  return subjects.find((s) => s.subject.fullName === name)!.subject.id;
}
async function flag(subjectId: string, as: string, kind = 'CSE_RISK', riskLevel = 'HIGH') {
  const r = await app.gql<{ flagSubject: { id: string; status: string } }>(
    `mutation($s: ID!, $i: FlagInput!) { flagSubject(subjectId: $s, input: $i) { id status } }`,
    { s: subjectId, i: { kind, riskLevel, reason: 'Flag statistics test' } },
    t[as],
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.flagSubject;
}
const FLAG_STATS = `query($from: DateTime!, $to: DateTime!) { flagStats(from: $from, to: $to) {
  activeTotal dueForReview active { division { id } kind riskLevel count } underFlagging { reports unflagged } } }`;
async function flagStats(from: string, to: string) {
  const r = await app.gql<{
    flagStats: {
      activeTotal: number;
      active: { division: { id: string } | null; kind: string; riskLevel: string; count: number }[];
      underFlagging: { reports: number; unflagged: number };
    };
  }>(FLAG_STATS, { from, to }, t.analyst);
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.flagStats;
}
const cell = (s: Awaited<ReturnType<typeof flagStats>>, division: string, kind = 'CSE_RISK', level = 'HIGH') =>
  s.active.find((c) => c.division?.id === division && c.kind === kind && c.riskLevel === level)?.count ?? 0;

it('agree with the records on the demo data', async () => {
  const { flags, reports } = await expectTablesAgreeWithRecords();
  expect(flags).toBeGreaterThan(100);
  expect(reports).toBeGreaterThan(100);
});

it('follow links, flags set, approved and ended, and a subject moving division with a newer report', async () => {
  const from = '2019-03-01T00:00:00Z';
  const to = '2019-04-01T00:00:00Z';
  const before = await flagStats(from, to);

  const older = await report('2019-03-05T10:00:00Z', 'bolton');
  const victim = await newVictim(older);
  let now = await flagStats(from, to);
  expect(now.underFlagging).toEqual({ reports: before.underFlagging.reports + 1, unflagged: before.underFlagging.unflagged + 1 });

  // A supervisor's flag is in force at once: placed in Bolton, and the report is no longer unflagged.
  const boltonBefore = cell(now, 'bolton');
  await flag(victim, 'supervisor');
  now = await flagStats(from, to);
  expect(cell(now, 'bolton')).toBe(boltonBefore + 1);
  expect(now.activeTotal).toBe(before.activeTotal + 1);
  expect(now.underFlagging.unflagged).toBe(before.underFlagging.unflagged);

  // A newer report in Wigan moves the subject's flag there; an older one in Salford does not.
  const wiganBefore = cell(now, 'wigan');
  await link(await report('2019-03-20T10:00:00Z', 'wigan'), { role: 'POTENTIAL_VICTIM', subjectId: victim });
  await link(await report('2019-03-01T10:00:00Z', 'salford'), { role: 'POTENTIAL_VICTIM', subjectId: victim });
  now = await flagStats(from, to);
  expect(cell(now, 'wigan')).toBe(wiganBefore + 1);
  expect(cell(now, 'bolton')).toBe(boltonBefore);
  // Three reports with this flagged victim: none of them unflagged.
  expect(now.underFlagging).toEqual({ reports: before.underFlagging.reports + 3, unflagged: before.underFlagging.unflagged });

  // An investigator's flag is PROPOSED and counts nowhere until a supervisor approves it.
  const perpetratorReport = await report('2019-03-21T10:00:00Z', 'oldham', []);
  const [suspect] = (
    await link(perpetratorReport, { role: 'POTENTIAL_PERPETRATOR', newSubject: { fullName: `Flagstat Suspect${++made}` } })
  ).slice(-1);
  const proposed = await flag(suspect.subject.id, 'investigator', 'CSE_PERPETRATOR', 'MEDIUM');
  expect(proposed.status).toBe('PROPOSED');
  expect(cell(await flagStats(from, to), 'oldham', 'CSE_PERPETRATOR', 'MEDIUM')).toBe(cell(now, 'oldham', 'CSE_PERPETRATOR', 'MEDIUM'));
  await expectTablesAgreeWithRecords();
  const approved = await app.gql(`mutation($f: ID!) { approveFlag(flagId: $f) { status } }`, { f: proposed.id }, t.supervisor);
  expect(approved.body.errors).toBeUndefined();
  expect(cell(await flagStats(from, to), 'oldham', 'CSE_PERPETRATOR', 'MEDIUM')).toBe(cell(now, 'oldham', 'CSE_PERPETRATOR', 'MEDIUM') + 1);

  // Ending the CSE_RISK flag: out of Wigan, and its three reports are unflagged again.
  const [{ id: flagId }] = (await app.ownerQuery(`SELECT id FROM flags WHERE subject_id = $1 AND status = 'ACTIVE'`, [victim])) as {
    id: string;
  }[];
  const ended = await app.gql(`mutation($f: ID!) { endFlag(flagId: $f, reason: "Risk reduced") { status } }`, { f: flagId }, t.supervisor);
  expect(ended.body.errors).toBeUndefined();
  now = await flagStats(from, to);
  expect(cell(now, 'wigan')).toBe(wiganBefore);
  expect(now.underFlagging.unflagged).toBe(before.underFlagging.unflagged + 3);
  await expectTablesAgreeWithRecords();
});

it('stay right under concurrent links and flags on the same subjects', async () => {
  const subjects: string[] = [];
  for (let i = 0; i < 4; i++) subjects.push(await newVictim(await report(`2018-06-0${i + 1}T12:00:00Z`, 'rochdale')));
  const reports: string[] = [];
  for (let i = 0; i < 12; i++)
    reports.push(await report(`2018-06-${String(10 + i).padStart(2, '0')}T12:00:00Z`, ['tameside', 'bury', 'trafford'][i % 3]));
  // Every subject linked to every report while each subject's flag is set, all at once.
  const work: Promise<unknown>[] = [];
  for (const s of subjects) {
    work.push(flag(s, 'supervisor'));
    for (const r of reports) work.push(link(r, { role: 'POTENTIAL_VICTIM', subjectId: s }));
  }
  await Promise.all(work);
  await expectTablesAgreeWithRecords();
  // The latest of the twelve (the 21st) is in Trafford: all four flags are placed there.
  const [{ n }] = (await app.ownerQuery(
    `SELECT count(*)::int AS n FROM active_flag_placements WHERE subject_id = ANY ($1::uuid[]) AND division_id = 'trafford'`,
    [subjects],
  )) as { n: number }[];
  expect(n).toBe(4);
});

it('are recomputed when links are removed or a report is moved, changes no operation makes but the database allows', async () => {
  const r = await report('2017-01-10T12:00:00Z', 'stockport');
  const victim = await newVictim(r);
  await flag(victim, 'supervisor');
  await app.ownerQuery(`UPDATE intelligence_reports SET division_id = 'trafford', received_at = '2017-01-11T12:00:00Z' WHERE id = $1`, [r]);
  await expectTablesAgreeWithRecords();
  await app.ownerQuery(`UPDATE intelligence_reports SET risk_indicators = '{}' WHERE id = $1`, [r]);
  await expectTablesAgreeWithRecords();
  await app.ownerQuery(`UPDATE intelligence_reports SET risk_indicators = '{SELF_HARM}' WHERE id = $1`, [r]);
  await expectTablesAgreeWithRecords();
  await app.ownerQuery(`UPDATE report_subjects SET role = 'WITNESS' WHERE report_id = $1`, [r]);
  await expectTablesAgreeWithRecords();
  await app.ownerQuery(`DELETE FROM report_subjects WHERE report_id = $1`, [r]);
  await expectTablesAgreeWithRecords();
  const [{ division_id }] = (await app.ownerQuery(`SELECT division_id FROM active_flag_placements WHERE subject_id = $1`, [victim])) as {
    division_id: string | null;
  }[];
  expect(division_id).toBeNull();
});

it('cannot be written, nor their helpers called, by the service', async () => {
  await expect(app.db.query(`DELETE FROM active_flag_placements`)).rejects.toThrow(/permission denied/);
  await expect(app.db.query(`UPDATE report_flag_coverage SET flagged_victims = 0`)).rejects.toThrow(/permission denied/);
  // Nor can it call the helpers the triggers use (they would take their locks at will).
  await expect(app.db.query(`SELECT flag_statistics_recompute('{}', '{}')`)).rejects.toThrow(/permission denied/);
  await expect(app.db.query(`SELECT flag_statistics_lock_subjects('{}')`)).rejects.toThrow(/permission denied/);
});
