import type { Queryable } from '../db/sql';
import { FlagKind, RiskLevel } from '../flags/flag.enums';
import { Classification, HandlingCode, ReportStatus, RiskIndicator, SourceType } from '../intelligence/intelligence.enums';
import { nhsCheckDigit } from '../subjects/nhs-number';
import { Gender, SubjectRole } from '../subjects/subject.enums';
import {
  BOYS,
  DAY,
  GIRLS,
  INVESTIGATOR,
  NARRATIVES,
  PLACES,
  SURNAMES,
  type PlannedCrime,
  type PlannedFlag,
  type PlannedLink,
  type PlannedProposal,
  type PlannedReport,
  type PlannedSubject,
  type Rng,
  insertCohort,
  insertProposals,
  iso,
  isoDate,
  planGrading,
  prng,
  submitterFor,
  townOf,
} from './demo-records';
import { type Ids, insertDatedAccessRequest, insertDatedDisclosure, insertDatedInvolvement, subjectReferenceExists } from './demo.queries';

/**
 * The demo's current cohort: the ten months before the day the demo is first seeded, so that every
 * demo account has live work today (children of today's ages, flags with review dates ahead, open
 * access requests and disclosures in force). The GMP cohort of 2013–14 is untouched: this one is
 * dated after it, so the published figures for 2013-04-01 to 2014-02-01 stay exact. Added once (the
 * first current subject's police reference marks it), and then left as it was seeded.
 */
export const CURRENT_COHORT_MARKER = 'GMP/90001';
export const CURRENT_REPORTS = 160;
const CURRENT_DAYS = 300;
const CHILDREN = 14;
const ADULTS = 5;

const BROOKFIELD = 'Brookfield High School';
const ROCHDALE_CSC = "Rochdale Children's Social Care";
const NORTHERN_HEALTH = 'Northern Health Trust';
const SAFE_FUTURES = 'Safe Futures';
const LEAD = 'lead@brookfield-high.example';
const PRACTITIONER = 'practitioner@rochdale-csc.example';
const NURSE = 'nurse@northern-health.example';
const REPORTER = 'reporter@safe-futures.example';

/** Where the cohort's reports come from: mostly the areas the partner agencies work in. */
const DIVISIONS: Record<string, number> = { rochdale: 55, oldham: 20, bury: 10, 'north-manchester': 8, salford: 7 };
const PARTNER_SOURCES: Record<string, SourceType[]> = {
  rochdale: [SourceType.EDUCATION, SourceType.SOCIAL_CARE, SourceType.HEALTH, SourceType.VOLUNTARY],
  oldham: [SourceType.HEALTH, SourceType.VOLUNTARY],
  bury: [SourceType.HEALTH],
};

export interface CurrentPlan {
  reports: PlannedReport[];
  subjects: PlannedSubject[];
  links: PlannedLink[];
  flags: PlannedFlag[];
  proposals: PlannedProposal[];
  crimes: PlannedCrime[];
  /** For each child, the index of the report (graded P, OFFICIAL) that a disclosure about them shares. */
  disclosable: number[];
}

const midnight = (ms: number) => Math.floor(ms / DAY) * DAY;

function validNhsNumber(from: number): string {
  for (let n = from; ; n++) {
    const check = nhsCheckDigit(String(n));
    if (check !== null) return `${n}${check}`;
  }
}

function birthDateForAge(rng: Rng, today: number, age: number): string {
  const d = new Date(today);
  d.setUTCFullYear(d.getUTCFullYear() - age - 1);
  return isoDate(d.getTime() + (1 + rng.int(360)) * DAY);
}

/** The cohort for a demo seeded on `today`: the same plan for the same day. */
export function planCurrentCohort(now: number): CurrentPlan {
  const today = midnight(now);
  const rng = prng(today / DAY);
  const start = today - CURRENT_DAYS * DAY + DAY;
  const reports: PlannedReport[] = [];
  for (let i = 0; i < CURRENT_REPORTS; i++) {
    const division = rng.weighted(DIVISIONS);
    const partner = PARTNER_SOURCES[division] ?? [];
    const source =
      rng.chance(0.45) && partner.length
        ? rng.pick(partner)
        : rng.weighted({ [SourceType.POLICE]: 5, [SourceType.PUBLIC]: 3, [SourceType.OTHER_AGENCY]: 1 });
    const receivedAt = Math.min(start + rng.int((now - start) / 1000) * 1000, now - 3_600_000);
    const place = `${rng.pick(PLACES)} in ${townOf(division)}`;
    const recent = now - receivedAt < 21 * DAY;
    const status = rng.chance(recent ? 0.6 : 0.05)
      ? rng.weighted({ [ReportStatus.SUBMITTED]: 3, [ReportStatus.UNDER_ASSESSMENT]: 1 })
      : rng.weighted({ [ReportStatus.ASSESSED]: 5, [ReportStatus.ACTIONED]: 4, [ReportStatus.NO_FURTHER_ACTION]: 1 });
    const grading =
      status === ReportStatus.SUBMITTED || status === ReportStatus.UNDER_ASSESSMENT ? null : planGrading(rng, source, receivedAt);
    if (grading) grading.assessedAt = Math.min(grading.assessedAt, now - 60_000);
    reports.push({
      division,
      source,
      receivedAt,
      occurredAt: rng.chance(0.6) ? receivedAt - (1 + rng.int(7 * 24)) * 3_600_000 : null,
      location: `Near ${place}`,
      narrative: rng
        .pick(NARRATIVES[source])
        .replace('{age}', String(12 + rng.int(5)))
        .replace('{place}', place),
      riskIndicators: [...new Set(Array.from({ length: 1 + rng.int(3) }, () => rng.pick(Object.values(RiskIndicator))))],
      classification: Classification.OFFICIAL,
      submitter: submitterFor(rng, source),
      status,
      grading,
      informant: null,
    });
  }
  reports.sort((a, b) => a.receivedAt - b.receivedAt);

  const subjects: PlannedSubject[] = [];
  for (let i = 0; i < CHILDREN + ADULTS; i++) {
    const child = i < CHILDREN;
    const female = rng.chance(child ? 0.85 : 0.05);
    const [first] = rng.pick(female ? GIRLS : BOYS);
    const serial = String(i + 1);
    subjects.push({
      fullName: `${first} ${rng.pick(SURNAMES)}`,
      aliases: [],
      dateOfBirth: birthDateForAge(rng, today, child ? 13 + (i % 4) : 22 + rng.int(25)),
      gender: female ? Gender.FEMALE : Gender.MALE,
      policeReference: `GMP/${90_000 + i + 1}`,
      nhsNumber: child && i % 3 !== 2 ? validNhsNumber(999_900_000 + i * 100) : null,
      // Children 0–5 are on Brookfield's roll; 3–8 have a social care id.
      schoolUpn: child && i < 6 ? `K355${serial.padStart(9, '0')}` : null,
      socialCareId: child && i >= 3 && i < 9 ? `CSC-9${serial.padStart(5, '0')}` : null,
    });
  }

  // Each child is named in a few reports, each adult in more; a report names a subject once.
  const links: PlannedLink[] = [];
  const linked = new Set<string>();
  const disclosable: number[] = [];
  subjects.forEach((_, s) => {
    const child = s < CHILDREN;
    const count = child ? 4 + rng.int(4) : 5 + rng.int(5);
    for (let n = 0; n < count; n++) {
      const r = rng.int(reports.length);
      if (linked.has(`${r}:${s}`)) continue;
      linked.add(`${r}:${s}`);
      links.push({
        report: r,
        subject: s,
        role: child ? SubjectRole.POTENTIAL_VICTIM : SubjectRole.POTENTIAL_PERPETRATOR,
        linkedAt: reports[r].receivedAt + 3_600_000,
      });
    }
  });
  for (let s = 0; s < CHILDREN; s++) {
    const own = links.filter((l) => l.subject === s).map((l) => l.report);
    const r = own[own.length - 1];
    // What a supervisor shares has been graded for sharing.
    const report = reports[r];
    if (!report.grading || report.grading.handling !== HandlingCode.P) {
      report.status = ReportStatus.ASSESSED;
      report.grading = { ...planGrading(rng, report.source, report.receivedAt), handling: HandlingCode.P, conditions: null };
      report.grading.assessedAt = Math.min(report.grading.assessedAt, now - 60_000);
    }
    disclosable.push(r);
  }

  const firstSeen = (s: number) =>
    Math.min(...links.filter((l) => l.subject === s).map((l) => reports[l.report].receivedAt + 2 * 3_600_000));
  const review = (days: number) => isoDate(today + days * DAY);
  const flags: PlannedFlag[] = [];
  for (let s = 0; s < 9; s++) {
    flags.push({
      subject: s,
      kind: FlagKind.CSE_RISK,
      level: s % 3 === 0 ? RiskLevel.HIGH : RiskLevel.MEDIUM,
      reason: 'Repeated missing episodes and contact with older adults; multi-agency concern.',
      setAt: firstSeen(s),
      reviewDate: review(14 + s * 9),
      ended: null,
    });
  }
  for (let s = CHILDREN; s < CHILDREN + 3; s++) {
    flags.push({
      subject: s,
      kind: FlagKind.CSE_PERPETRATOR,
      level: RiskLevel.HIGH,
      reason: 'Named in several reports as giving lifts and gifts to children.',
      setAt: firstSeen(s),
      reviewDate: review(30 + s),
      ended: null,
    });
  }
  // Two proposals for the supervisor to decide today.
  const proposals: PlannedProposal[] = [
    {
      subjectReference: subjects[9].policeReference!,
      kind: FlagKind.CSE_RISK,
      level: RiskLevel.MEDIUM,
      reason: 'Seen twice this month getting into cars with adult men near the bus station.',
      setAt: now - 2 * DAY,
      reviewDate: review(60),
      proposedBy: INVESTIGATOR,
      rejected: null,
    },
    {
      subjectReference: subjects[CHILDREN + 3].policeReference!,
      kind: FlagKind.CSE_PERPETRATOR,
      level: RiskLevel.MEDIUM,
      reason: 'Links across several reports suggest he recruits through a takeaway.',
      setAt: now - DAY,
      reviewDate: review(45),
      proposedBy: 'analyst@gmp.example',
      rejected: null,
    },
  ];

  const year = new Date(today).getUTCFullYear();
  const crimes: PlannedCrime[] = Array.from({ length: 8 }, (_, i) => ({
    reference: `GMP-CSE-CUR-${year}-${String(i + 1).padStart(3, '0')}`,
    offence: i % 2 ? 'Sexual activity with a child' : 'Meeting a child following sexual grooming',
    division: i % 3 ? 'rochdale' : 'oldham',
    recordedOn: midnight(start + (i + 1) * 30 * DAY),
    victims: [i % CHILDREN, (i + 5) % CHILDREN],
    suspects: [CHILDREN + (i % ADULTS)],
  }));
  return { reports, subjects, links, flags, proposals, crimes, disclosable };
}

/** Seeds the current cohort once, inside the demo's transaction; `now` decides its dates. */
export async function seedCurrentCohort(tx: Queryable, ids: Ids, now = Date.now()): Promise<void> {
  const done = await subjectReferenceExists(tx, CURRENT_COHORT_MARKER);
  if (done) return;
  const plan = planCurrentCohort(now);
  const { reportIds, subjectIds } = await insertCohort(tx, ids, plan);
  await insertProposals(tx, ids, plan.proposals);

  const involve = (s: number, agency: string, kind: string, contact: string, by: string) =>
    insertDatedInvolvement(tx, [subjectIds[s], ids.agency(agency), kind, contact, ids.user(by), iso(now - (30 + s) * DAY)]);
  // Child 11 has no flag yet: the school's pending question to the police is about her, so a school
  // lead following the guide (who asks about a flagged pupil) never meets it as a CONFLICT.
  for (const s of [0, 1, 2, 3, 11])
    await involve(s, BROOKFIELD, 'PUPIL_ON_ROLL', 'Pastoral office, Brookfield High School (01632 960 111)', LEAD);
  for (const s of [3, 4, 5, 6])
    await involve(s, ROCHDALE_CSC, 'OPEN_CASE', 'Rochdale Children’s Social Care, exploitation team (01632 960 212)', PRACTITIONER);
  for (const s of [7, 8])
    await involve(s, NORTHERN_HEALTH, 'PATIENT', 'Sexual health outreach, Northern Health Trust (01632 960 313)', NURSE);
  await involve(10, SAFE_FUTURES, 'SUPPORTED', 'Safe Futures outreach team (01632 960 414)', REPORTER);

  const supervisor = ids.user('supervisor@gmp.example');
  const disclose = (s: number, agency: string, purpose: string, daysAgo: number, daysLeft: number) =>
    insertDatedDisclosure(tx, [
      reportIds[plan.disclosable[s]],
      ids.agency(agency),
      purpose,
      'Police hold recent intelligence that this child is in contact with adults who may exploit her; please share any concern with the CSE team at once.',
      iso(now - daysAgo * DAY),
      iso(now + daysLeft * DAY),
      supervisor,
    ]);
  await disclose(0, BROOKFIELD, 'Safeguarding the pupil at school', 20, 160);
  await disclose(1, BROOKFIELD, 'Safeguarding the pupil at school', 6, 84);
  await disclose(4, ROCHDALE_CSC, 'Planning the child protection response', 12, 120);
  await disclose(7, NORTHERN_HEALTH, 'Informing sexual health care', 9, 20);

  const request = (s: number, by: string, agency: string, reason: string, daysAgo: number) =>
    insertDatedAccessRequest(tx, [subjectIds[s], ids.user(by), ids.agency(agency), reason, iso(now - daysAgo * DAY)]);
  await request(11, LEAD, BROOKFIELD, 'The pupil has been collected from school by an unknown adult twice this week', 1);
  await request(5, PRACTITIONER, ROCHDALE_CSC, 'Strategy meeting on Thursday: what do police hold about the adults she is seen with?', 2);
  await request(
    8,
    NURSE,
    NORTHERN_HEALTH,
    'Repeat attendances at the clinic with an older partner; we need to know whether police share our concern',
    3,
  );
}
