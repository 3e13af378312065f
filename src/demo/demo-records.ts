import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Queryable } from '../db/sql';
import { CrimeRole } from '../crimes/crime.enums';
import { FlagKind, FlagStatus, RiskLevel } from '../flags/flag.enums';
import {
  Classification,
  HandlingCode,
  IntelligenceAssessment,
  ReportStatus,
  RiskIndicator,
  SourceEvaluation,
  SourceType,
} from '../intelligence/intelligence.enums';
import { nhsCheckDigit } from '../subjects/nhs-number';
import { Gender, SubjectRole } from '../subjects/subject.enums';
import { withSystemContext } from '../db/row-security';
import {
  crimeReferenceExists,
  flaggedChildren,
  type Ids,
  insertAccessRequest,
  insertCrimeRows,
  insertCrimeSubjectRows,
  insertDecline,
  insertDisclosure,
  insertFlagRows,
  insertInformantRows,
  insertInvolvement,
  insertLinkRows,
  insertProposalRow,
  insertReportRows,
  insertSubjectRows,
  involvementWithContactExists,
  lockDemoRecords,
  lookUpIds,
  revokeDisclosure,
} from './demo.queries';

/**
 * The synthetic CSE records of the demo, reproducing Greater Manchester Police's published figures
 * for April 2013 to January 2014 (docs/architecture.md, "The demo"): 2,286 pieces of intelligence by division, 105
 * CSE-linked crimes with 402 distinct victims and 242 distinct suspects (Rochdale: 37, 47, 49).
 * Every name, place and narrative is invented. The generator is seeded, so every run plans the same
 * records (apart from their uuids).
 */

/** Reports per division; one more report has no division. */
export const DEMO_REPORTS_BY_DIVISION: Readonly<Record<string, number>> = {
  rochdale: 693,
  'south-manchester': 269,
  oldham: 224,
  tameside: 210,
  stockport: 191,
  bolton: 162,
  wigan: 151,
  'north-manchester': 130,
  trafford: 115,
  salford: 75,
  bury: 65,
};
export const DEMO_CRIMES = { total: 105, victims: 402, suspects: 242, rochdale: { crimes: 37, victims: 47, suspects: 49 } } as const;
export const DEMO_FIRST_CRIME_REFERENCE = 'GMP-CSE-2013-0001';
const EXTRA_SUBJECTS = 150;
const SEED = 20130401;

export const DAY = 86_400_000;
const PERIOD_START = Date.UTC(2013, 3, 1); // 2013-04-01
const PERIOD_END = Date.UTC(2014, 1, 1); // 2014-02-01, exclusive

export const GMP = 'Greater Manchester Police';
export const INVESTIGATOR = 'investigator@gmp.example';
export const ANALYST = 'analyst@gmp.example';
export const SUPERVISOR = 'supervisor@gmp.example';
export const PARTNER_APP = 'safe-futures-app';

// ---------------------------------------------------------------------------------------------
// Randomness: mulberry32, small and seedable; Math.random would make every demo different.

export function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const weighted = <T extends string>(weights: Partial<Record<T, number>>): T => {
    const entries = (Object.entries(weights) as [T, number][]).filter(([, w]) => w > 0);
    let r = next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, w] of entries) if ((r -= w) < 0) return value;
    return entries[entries.length - 1][0];
  };
  return { int, pick, weighted, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof prng>;

// ---------------------------------------------------------------------------------------------
// Vocabulary: common names (combined at random, so no real person) and generic places.

/** First names with the short form a friend might use, which becomes an alias. */
export const GIRLS: [string, string][] = [
  ['Amelia', 'Millie'],
  ['Chloe', 'Clo'],
  ['Courtney', 'Court'],
  ['Demi', 'Dem'],
  ['Ellie', 'Elle'],
  ['Grace', 'Gracie'],
  ['Holly', 'Hols'],
  ['Jade', 'Jadey'],
  ['Kayleigh', 'Kay'],
  ['Leah', 'Lee-Lee'],
  ['Megan', 'Meg'],
  ['Nadia', 'Nad'],
  ['Paige', 'Paigey'],
  ['Rosie', 'Ro'],
  ['Sana', 'San'],
  ['Shannon', 'Shan'],
  ['Tia', 'T'],
  ['Zara', 'Zee'],
];
export const BOYS: [string, string][] = [
  ['Aaron', 'Az'],
  ['Callum', 'Cal'],
  ['Darren', 'Daz'],
  ['Dean', 'Deano'],
  ['Farid', 'Faz'],
  ['Gary', 'Gaz'],
  ['Imran', 'Immy'],
  ['Jason', 'Jay'],
  ['Kieran', 'Kez'],
  ['Liam', 'Li'],
  ['Mark', 'Marky'],
  ['Nathan', 'Nate'],
  ['Omar', 'O'],
  ['Ryan', 'Ry'],
  ['Shane', 'Shaney'],
  ['Tariq', 'Taz'],
  ['Wayne', 'Wazza'],
];
export const SURNAMES = [
  'Ashworth',
  'Birtwistle',
  'Butterworth',
  'Clegg',
  'Cropper',
  'Dunkerley',
  'Entwistle',
  'Fothergill',
  'Greenhalgh',
  'Haworth',
  'Holt',
  'Ingham',
  'Kershaw',
  'Lomax',
  'Mellor',
  'Ogden',
  'Pickup',
  'Ramsbottom',
  'Schofield',
  'Stott',
  'Tattersall',
  'Whitworth',
];
export const PLACES = [
  'a takeaway on the high street',
  'the bus station',
  'the park',
  'the taxi rank',
  'the retail park',
  'the canal towpath',
  'the shops on the main road',
  'the railway station car park',
  'a shisha bar',
  'the market',
];
/** Templates by source, each in the voice of whoever would report it. */
export const NARRATIVES: Record<SourceType, string[]> = {
  [SourceType.PUBLIC]: [
    'Caller reports taxis dropping girls who look about {age} at {place} in the early hours.',
    'Neighbour concerned that older men in cars collect teenage girls from {place} most evenings.',
    'Anonymous caller says men are giving girls alcohol at parties held near {place}.',
  ],
  [SourceType.POLICE]: [
    'Officers on patrol saw two girls in school uniform with adult males in a car near {place} late at night.',
    'Girl aged {age} found at {place} after being reported missing from home; she had a new phone she would not explain.',
    'Taxi seen repeatedly collecting a {age}-year-old girl from {place}; the driver is not known to the family.',
  ],
  [SourceType.SOCIAL_CARE]: [
    'Looked-after child aged {age} missing from her placement overnight, returned saying she had been at a party near {place}.',
    'Young person has unexplained gifts (clothes, a phone, money) and talks of an older boyfriend who picks her up from {place}.',
  ],
  [SourceType.EDUCATION]: [
    'Pupil aged {age} regularly collected from school by an unknown adult in a taxi; has a new phone and expensive trainers.',
    'Pupil told a teacher that older men take her and her friends to parties near {place} and give them alcohol.',
  ],
  [SourceType.HEALTH]: [
    'School nurse concerned by repeat sexual health attendance by a {age}-year-old who mentions an older partner.',
    'A {age}-year-old brought to A&E intoxicated by adult men who left before staff could speak to them.',
  ],
  [SourceType.VOLUNTARY]: [
    'Outreach workers saw a girl aged about {age} being driven away from {place} by a man who gave her cigarettes and vodka.',
    'Young person told a youth worker she is asked to bring friends to parties near {place} for older men.',
  ],
  [SourceType.OTHER_AGENCY]: [
    'Passed on by a neighbouring authority: a {age}-year-old missing from home was found with older men near {place}.',
    'Housing officer reports girls of about {age} visiting a flat near {place} at all hours, with taxis coming and going.',
  ],
};
/** Offences of the Sexual Offences Act 2003 as named in 2013. */
const OFFENCES = [
  'Rape',
  'Sexual assault',
  'Sexual activity with a child',
  'Causing or inciting a child to engage in sexual activity',
  'Arranging or facilitating a child sex offence',
  'Meeting a child following sexual grooming',
  'Trafficking within the UK for sexual exploitation',
];
export const HANDLING_CONDITIONS = [
  'Share only with named safeguarding leads; do not disclose the source.',
  'Not to be shared with the family; the source is at risk if identified.',
  'Police use only until the source has been spoken to again.',
];

// ---------------------------------------------------------------------------------------------
// Dates

export const iso = (ms: number) => new Date(ms).toISOString();
export const isoDate = (ms: number) => iso(ms).slice(0, 10);
function addYears(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}
function ageOn(dateOfBirth: string, at: number): number {
  const born = new Date(`${dateOfBirth}T00:00:00Z`);
  const on = new Date(at);
  const hadBirthday =
    on.getUTCMonth() > born.getUTCMonth() || (on.getUTCMonth() === born.getUTCMonth() && on.getUTCDate() >= born.getUTCDate());
  return on.getUTCFullYear() - born.getUTCFullYear() - (hadBirthday ? 0 : 1);
}
/** A birth date making the person between minAge and maxAge on every one of the dates. */
function birthDate(rng: Rng, dates: number[], minAge: number, maxAge: number): string {
  const latestBirth = addYears(Math.min(...dates), -minAge) - DAY;
  const earliestBirth = addYears(Math.max(...dates), -(maxAge + 1)) + DAY;
  return isoDate(earliestBirth + rng.int(Math.floor((latestBirth - earliestBirth) / DAY) + 1) * DAY);
}

// ---------------------------------------------------------------------------------------------
// The plan: every record described with indexes instead of ids, so it is pure and comparable.

/** Who submitted a report: a demo user (by email) or the partner app (by client id), with their agency. */
export type Submitter = { agency: string; user: string } | { agency: string; serviceAccount: string };

export interface PlannedReport {
  division: string | null;
  source: SourceType;
  receivedAt: number;
  occurredAt: number | null;
  location: string | null;
  narrative: string;
  riskIndicators: RiskIndicator[];
  classification: Classification;
  submitter: Submitter;
  status: ReportStatus;
  grading: {
    evaluation: SourceEvaluation;
    assessment: IntelligenceAssessment;
    handling: HandlingCode;
    conditions: string | null;
    assessedAt: number;
  } | null;
  informant: { name: string; contact: string } | null;
}

export interface PlannedSubject {
  fullName: string;
  aliases: string[];
  dateOfBirth: string;
  gender: Gender;
  policeReference: string | null;
  nhsNumber: string | null;
  schoolUpn: string | null;
  socialCareId: string | null;
}

export interface PlannedCrime {
  reference: string;
  offence: string;
  division: string;
  recordedOn: number;
  victims: number[];
  suspects: number[];
}

export interface PlannedLink {
  report: number;
  subject: number;
  role: SubjectRole;
  linkedAt: number;
}

export interface PlannedFlag {
  subject: number;
  kind: FlagKind;
  level: RiskLevel;
  reason: string;
  setAt: number;
  reviewDate: string;
  ended: { at: number; reason: string } | null;
}

/** A flag an investigator or analyst proposed: awaiting a supervisor's approval, or rejected by one. */
export interface PlannedProposal {
  /** The subject's police reference: finds them in a demo seeded before proposals were added. */
  subjectReference: string;
  kind: FlagKind;
  level: RiskLevel;
  reason: string;
  setAt: number;
  reviewDate: string;
  proposedBy: string;
  rejected: { at: number; reason: string } | null;
}

export interface DemoPlan {
  reports: PlannedReport[];
  subjects: PlannedSubject[];
  crimes: PlannedCrime[];
  links: PlannedLink[];
  flags: PlannedFlag[];
  proposals: PlannedProposal[];
}

/** The demo records, the same on every call. */
export function planDemoRecords(): DemoPlan {
  const rng = prng(SEED);
  const reports = planReports(rng);
  const cast: CastMember[] = [];
  const crimes = planCrimes(rng, cast);
  addExtras(rng, reports, cast);
  const nextNhsNumber = nhsNumbers();
  const subjects = cast.map((member, i) => planSubject(rng, i, member, nextNhsNumber));
  const links = planLinks(rng, reports, crimes, cast);
  const flags = cast.flatMap((member, i) => planFlags(rng, i, member, subjects[i]));
  return { reports, subjects, crimes, links, flags, proposals: planProposals(cast, subjects, flags) };
}

// --- Reports

/**
 * Where each partner agency works, as seeded in demo-seed.ts. Elsewhere that kind of concern reaches
 * GMP through a body outside Safeshare (OTHER_AGENCY) or an officer's own referral (POLICE).
 */
const PARTNER_AREAS: Partial<Record<SourceType, string[]>> = {
  [SourceType.SOCIAL_CARE]: ['rochdale'],
  [SourceType.EDUCATION]: ['rochdale'],
  [SourceType.HEALTH]: ['rochdale', 'oldham', 'bury'],
  [SourceType.VOLUNTARY]: ['rochdale', 'oldham'],
};
const SOURCE_WEIGHTS: Record<SourceType, number> = {
  [SourceType.PUBLIC]: 20,
  [SourceType.POLICE]: 32,
  [SourceType.SOCIAL_CARE]: 15,
  [SourceType.EDUCATION]: 14,
  [SourceType.HEALTH]: 9,
  [SourceType.VOLUNTARY]: 7,
  [SourceType.OTHER_AGENCY]: 3,
};

function sourceWeights(division: string | null): Record<SourceType, number> {
  const weights = { ...SOURCE_WEIGHTS };
  for (const [source, area] of Object.entries(PARTNER_AREAS) as [SourceType, string[]][]) {
    if (division && area.includes(division)) continue;
    weights[SourceType.OTHER_AGENCY] += weights[source] / 2;
    weights[SourceType.POLICE] += weights[source] / 2;
    weights[source] = 0;
  }
  return weights;
}

export function submitterFor(rng: Rng, source: SourceType): Submitter {
  switch (source) {
    case SourceType.SOCIAL_CARE:
      return { agency: "Rochdale Children's Social Care", user: 'practitioner@rochdale-csc.example' };
    case SourceType.EDUCATION:
      return { agency: 'Brookfield High School', user: 'lead@brookfield-high.example' };
    case SourceType.HEALTH:
      return { agency: 'Northern Health Trust', user: 'nurse@northern-health.example' };
    case SourceType.VOLUNTARY:
      return rng.chance(0.5)
        ? { agency: 'Safe Futures', user: 'reporter@safe-futures.example' }
        : { agency: 'Safe Futures', serviceAccount: PARTNER_APP };
    default:
      return { agency: GMP, user: INVESTIGATOR };
  }
}

/** "south-manchester" → "South Manchester", as the divisions table names it. */
export const townOf = (division: string) =>
  division.replace(/(^|-)(\w)/g, (_, dash: string, c: string) => (dash ? ' ' : '') + c.toUpperCase());

function planReports(rng: Rng): PlannedReport[] {
  const divisions = [...Object.entries(DEMO_REPORTS_BY_DIVISION).flatMap(([d, n]) => Array<string>(n).fill(d)), null];
  return divisions.map((division) => planReport(rng, division)).sort((a, b) => a.receivedAt - b.receivedAt);
}

function planReport(rng: Rng, division: string | null): PlannedReport {
  const source = rng.weighted(sourceWeights(division));
  const receivedAt = PERIOD_START + rng.int((PERIOD_END - PERIOD_START) / 1000) * 1000;
  // The one report without a division names no town: that is why it has none.
  const place = division ? `${rng.pick(PLACES)} in ${townOf(division)}` : rng.pick(PLACES);
  const narrative = rng
    .pick(NARRATIVES[source])
    .replace('{age}', String(12 + rng.int(5)))
    .replace('{place}', place);
  const status = planStatus(rng, receivedAt);
  return {
    division,
    source,
    receivedAt,
    occurredAt: rng.chance(0.6) ? receivedAt - (1 + rng.int(14 * 24)) * 3_600_000 : null,
    location: rng.chance(0.8) ? `Near ${place}` : null,
    narrative,
    riskIndicators: [...new Set(Array.from({ length: rng.int(4) }, () => rng.pick(Object.values(RiskIndicator))))],
    classification: rng.chance(0.06) ? Classification.OFFICIAL_SENSITIVE : Classification.OFFICIAL,
    submitter: submitterFor(rng, source),
    status,
    grading: status === ReportStatus.SUBMITTED || status === ReportStatus.UNDER_ASSESSMENT ? null : planGrading(rng, source, receivedAt),
    informant: source === SourceType.PUBLIC && rng.chance(0.06) ? planInformant(rng) : null,
  };
}

/** Recent reports are often still waiting for an analyst; older ones mostly graded. */
function planStatus(rng: Rng, receivedAt: number): ReportStatus {
  const recent = PERIOD_END - receivedAt < 21 * DAY;
  if (rng.chance(recent ? 0.6 : 0.04)) return rng.weighted({ [ReportStatus.SUBMITTED]: 3, [ReportStatus.UNDER_ASSESSMENT]: 2 });
  return rng.weighted({ [ReportStatus.ASSESSED]: 40, [ReportStatus.ACTIONED]: 40, [ReportStatus.NO_FURTHER_ACTION]: 20 });
}

export function planGrading(rng: Rng, source: SourceType, receivedAt: number): NonNullable<PlannedReport['grading']> {
  const evaluation =
    source === SourceType.PUBLIC
      ? rng.weighted({ [SourceEvaluation.RELIABLE]: 1, [SourceEvaluation.UNTESTED]: 6, [SourceEvaluation.NOT_RELIABLE]: 1 })
      : source === SourceType.POLICE
        ? rng.weighted({ [SourceEvaluation.RELIABLE]: 8, [SourceEvaluation.UNTESTED]: 2 })
        : rng.weighted({ [SourceEvaluation.RELIABLE]: 6, [SourceEvaluation.UNTESTED]: 3, [SourceEvaluation.NOT_RELIABLE]: 1 });
  const handling = rng.chance(0.15) ? HandlingCode.C : HandlingCode.P;
  return {
    evaluation,
    assessment: rng.weighted({
      [IntelligenceAssessment.KNOWN_DIRECTLY]: 3,
      [IntelligenceAssessment.KNOWN_INDIRECTLY_CORROBORATED]: 4,
      [IntelligenceAssessment.KNOWN_INDIRECTLY]: 5,
      [IntelligenceAssessment.NOT_KNOWN]: 2,
      [IntelligenceAssessment.SUSPECTED_FALSE]: 1,
    }),
    handling,
    conditions: handling === HandlingCode.C ? rng.pick(HANDLING_CONDITIONS) : null,
    assessedAt: receivedAt + (2 + rng.int(14 * 24)) * 3_600_000,
  };
}

function planInformant(rng: Rng): { name: string; contact: string } {
  const [first] = rng.pick(rng.chance(0.5) ? GIRLS : BOYS);
  return {
    name: rng.chance(0.5) ? 'Member of the public (anonymous)' : `${first} ${rng.pick(SURNAMES)}`,
    // 07700 900000-900999 is Ofcom's range reserved for drama: never a real number.
    contact: `07700 900${String(rng.int(1000)).padStart(3, '0')}`,
  };
}

// --- Crimes and the people in them

/** A person of the demo before they get a name: what part they play, where, and when. */
interface CastMember {
  part: 'VICTIM' | 'SUSPECT' | SubjectRole.WITNESS | SubjectRole.ASSOCIATE | SubjectRole.POTENTIAL_VICTIM;
  division: string;
  child: boolean;
  /** Dates their age must fit: the crimes they are named in, or the report they appear in. */
  dates: number[];
  /** For people outside the crimes: the one report they are linked to. */
  report?: number;
}

/** Splits `total` over the keys in proportion to the weights (largest remainder), as a list of keys. */
function apportion(total: number, weights: Record<string, number>): string[] {
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  const shares = Object.entries(weights).map(([key, w]) => ({ key, exact: (total * w) / sum, n: Math.floor((total * w) / sum) }));
  const left = total - shares.reduce((a, s) => a + s.n, 0);
  const byRemainder = [...shares].sort((a, b) => b.exact - b.n - (a.exact - a.n));
  for (const share of byRemainder.slice(0, left)) share.n++;
  return shares.flatMap((s) => Array<string>(s.n).fill(s.key));
}

function planCrimes(rng: Rng, cast: CastMember[]): PlannedCrime[] {
  const { rochdale } = DEMO_CRIMES;
  const elsewhere = Object.fromEntries(Object.entries(DEMO_REPORTS_BY_DIVISION).filter(([d]) => d !== 'rochdale'));
  const draft = (divisions: string[]) =>
    divisions.map((division) => ({
      division,
      offence: rng.pick(OFFENCES),
      recordedOn: PERIOD_START + rng.int((PERIOD_END - PERIOD_START) / DAY) * DAY,
      victims: [] as number[],
      suspects: [] as number[],
    }));
  const inRochdale = draft(Array<string>(rochdale.crimes).fill('rochdale'));
  const inOthers = draft(apportion(DEMO_CRIMES.total - rochdale.crimes, elsewhere));
  castInto(rng, inRochdale, 'VICTIM', rochdale.victims, 6, cast);
  castInto(rng, inRochdale, 'SUSPECT', rochdale.suspects, 15, cast);
  castInto(rng, inOthers, 'VICTIM', DEMO_CRIMES.victims - rochdale.victims, 15, cast);
  castInto(rng, inOthers, 'SUSPECT', DEMO_CRIMES.suspects - rochdale.suspects, 20, cast);
  return [...inRochdale, ...inOthers]
    .sort((a, b) => a.recordedOn - b.recordedOn)
    .map((crime, i) => ({ reference: `GMP-CSE-2013-${String(i + 1).padStart(4, '0')}`, ...crime }));
}

/**
 * Adds `count` new distinct people to the crimes, at least one per crime, then names `repeats` of
 * them in a second crime of the same division (repeat victims, offending groups). New people are
 * only ever victims or only suspects, so no one is both in one crime, and the distinct counts are exact.
 */
function castInto(
  rng: Rng,
  crimes: Omit<PlannedCrime, 'reference'>[],
  part: 'VICTIM' | 'SUSPECT',
  count: number,
  repeats: number,
  cast: CastMember[],
): void {
  if (count < crimes.length) throw new Error(`${count} ${part} cannot cover ${crimes.length} crimes`);
  const named = (crime: Omit<PlannedCrime, 'reference'>) => (part === 'VICTIM' ? crime.victims : crime.suspects);
  const first = cast.length;
  for (let i = 0; i < count; i++) {
    const crime = i < crimes.length ? crimes[i] : rng.pick(crimes);
    cast.push({ part, division: crime.division, child: part === 'VICTIM', dates: [crime.recordedOn] });
    named(crime).push(first + i);
  }
  for (let r = 0; r < repeats; r++) {
    const person = first + rng.int(count);
    const others = crimes.filter((c) => c.division === cast[person].division && !named(c).includes(person));
    if (others.length === 0) continue;
    const crime = rng.pick(others);
    named(crime).push(person);
    cast[person].dates.push(crime.recordedOn);
  }
}

/** People known only from intelligence: witnesses, associates and children thought at risk. */
function addExtras(rng: Rng, reports: PlannedReport[], cast: CastMember[]): void {
  const withDivision = reports.flatMap((r, i) => (r.division ? [i] : []));
  for (let i = 0; i < EXTRA_SUBJECTS; i++) {
    const report = rng.pick(withDivision);
    const part = rng.weighted({ [SubjectRole.POTENTIAL_VICTIM]: 4, [SubjectRole.WITNESS]: 3, [SubjectRole.ASSOCIATE]: 3 });
    const child = part === SubjectRole.POTENTIAL_VICTIM || (part === SubjectRole.ASSOCIATE && rng.chance(0.4));
    cast.push({ part, division: reports[report].division!, child, dates: [reports[report].receivedAt], report });
  }
}

/** Valid NHS numbers from the 999 range NHS England keeps for testing, skipping any whose check digit would be 10. */
function nhsNumbers(): () => string {
  let next = 999_000_000;
  return () => {
    for (;;) {
      const firstNine = String(next++);
      const check = nhsCheckDigit(firstNine);
      if (check !== null) return `${firstNine}${check}`;
    }
  };
}

function planSubject(rng: Rng, index: number, member: CastMember, nextNhsNumber: () => string): PlannedSubject {
  const female = rng.chance(member.part === 'SUSPECT' ? 0.04 : member.child ? 0.88 : 0.5);
  const [first, nickname] = rng.pick(female ? GIRLS : BOYS);
  const surname = rng.pick(SURNAMES);
  const serial = String(index + 1);
  const inCrime = member.part === 'VICTIM' || member.part === 'SUSPECT';
  return {
    fullName: `${first} ${surname}`,
    aliases: planAliases(rng, member, first, nickname),
    dateOfBirth: member.child
      ? birthDate(rng, member.dates, 11, 17)
      : birthDate(rng, member.dates, member.part === 'SUSPECT' ? 19 : 18, member.part === 'SUSPECT' ? 55 : 65),
    gender: female ? Gender.FEMALE : Gender.MALE,
    policeReference: inCrime || rng.chance(0.4) ? `GMP/${String(40_000 + index + 1)}` : null,
    nhsNumber: rng.chance(member.child ? 0.7 : 0.45) ? nextNhsNumber() : null,
    // A letter, then 12 digits (local authority, school, year, serial), unique by the serial.
    schoolUpn: member.child && rng.chance(0.5) ? `${rng.pick([...'ABCDEFGHJKLMNPQRTUVWXYZ'])}354${serial.padStart(9, '0')}` : null,
    socialCareId: member.child && rng.chance(0.3) ? `CSC-${serial.padStart(6, '0')}` : null,
  };
}

/** Suspects are more often known by other names than children are. */
function planAliases(rng: Rng, member: CastMember, first: string, nickname: string): string[] {
  if (!rng.chance(member.part === 'SUSPECT' ? 0.35 : 0.15)) return [];
  return rng.chance(0.5) ? [nickname] : [nickname, `${first} ${rng.pick(SURNAMES)}`];
}

// --- Links between people and reports

function planLinks(rng: Rng, reports: PlannedReport[], crimes: PlannedCrime[], cast: CastMember[]): PlannedLink[] {
  const byDivision = new Map<string, number[]>();
  reports.forEach((r, i) => {
    if (r.division) byDivision.set(r.division, [...(byDivision.get(r.division) ?? []), i]);
  });
  const links = new Map<string, PlannedLink>();
  const link = (report: number, subject: number, role: SubjectRole) =>
    links.set(`${report}:${subject}`, { report, subject, role, linkedAt: reports[report].receivedAt + (1 + rng.int(10)) * DAY });

  for (const crime of crimes) {
    // The intelligence that led to the crime: a report from its division in the months before.
    const division = byDivision.get(crime.division)!;
    const before = division.filter((i) => reports[i].receivedAt < crime.recordedOn && reports[i].receivedAt > crime.recordedOn - 90 * DAY);
    const lead = rng.pick(before.length ? before : division);
    for (const v of crime.victims) {
      link(lead, v, SubjectRole.POTENTIAL_VICTIM);
      // Other agencies' fragments about the same child.
      if (rng.chance(0.4)) link(rng.pick(division), v, SubjectRole.POTENTIAL_VICTIM);
    }
    for (const s of crime.suspects) {
      link(lead, s, SubjectRole.POTENTIAL_PERPETRATOR);
      if (rng.chance(0.25)) link(rng.pick(division), s, SubjectRole.POTENTIAL_PERPETRATOR);
    }
  }
  cast.forEach((member, i) => {
    if (member.report !== undefined) link(member.report, i, member.part as SubjectRole);
  });
  return [...links.values()];
}

// --- Flags

const CHILD_REASONS = ['Named as a victim in a CSE-linked crime', 'Several agencies report the same risk indicators'];
const ADULT_REASONS = ['Named as a suspect in a CSE-linked crime', 'Seen repeatedly with children reported missing'];

/** A risk level from the weights; never LOW for a child under 13 (docs/api.md, "Flags"; a trigger refuses it too). */
function riskLevel(rng: Rng, subject: PlannedSubject, at: number, weights: Partial<Record<RiskLevel, number>>): RiskLevel {
  return rng.weighted(ageOn(subject.dateOfBirth, at) < 13 ? { ...weights, [RiskLevel.LOW]: 0 } : weights);
}

function planFlags(rng: Rng, index: number, member: CastMember, subject: PlannedSubject): PlannedFlag[] {
  const kind =
    member.part === 'VICTIM' && rng.chance(0.6)
      ? FlagKind.CSE_RISK
      : member.part === 'SUSPECT' && rng.chance(0.5)
        ? FlagKind.CSE_PERPETRATOR
        : member.part === SubjectRole.POTENTIAL_VICTIM && rng.chance(0.25)
          ? FlagKind.CSE_RISK
          : null;
  if (!kind) return [];
  const weights = kind === FlagKind.CSE_RISK ? { LOW: 2, MEDIUM: 5, HIGH: 3 } : { LOW: 1, MEDIUM: 4, HIGH: 4 };
  const setAt = Math.min(...member.dates) + (1 + rng.int(7)) * DAY + 10 * 3_600_000;
  const flag = (at: number, reason: string): PlannedFlag => ({
    subject: index,
    kind,
    level: riskLevel(rng, subject, at, weights),
    reason,
    setAt: at,
    reviewDate: isoDate(at + (90 + rng.int(92)) * DAY),
    ended: null,
  });
  const first = flag(setAt, rng.pick(kind === FlagKind.CSE_RISK ? CHILD_REASONS : ADULT_REASONS));
  if (!rng.chance(0.06)) return [first];
  // A few were ended on review; some of those were replaced at a revised level.
  const endedAt = setAt + (30 + rng.int(90)) * DAY;
  const revised = rng.chance(0.5);
  first.ended = { at: endedAt, reason: revised ? 'Risk level revised on review' : 'Reviewed: risk reduced, support in place' };
  return revised ? [first, flag(endedAt, 'Re-flagged at the risk level revised on review')] : [first];
}

/**
 * Two proposals awaiting a supervisor (a child at risk, an adult suspect) and one rejected, on
 * people with a police reference and no flag yet. Planned after everything else, from a stream of
 * their own, so adding them changed no other record.
 */
function planProposals(cast: CastMember[], subjects: PlannedSubject[], flags: PlannedFlag[]): PlannedProposal[] {
  const rng = prng(SEED + 1);
  const flagged = new Set(flags.map((f) => f.subject));
  const candidates = (part: CastMember['part']) =>
    cast.flatMap((member, i) => (member.part === part && subjects[i].policeReference && !flagged.has(i) ? [i] : []));
  const [child, rejectedChild] = candidates('VICTIM');
  const [suspect] = candidates('SUSPECT');
  const proposal = (i: number, kind: FlagKind, level: RiskLevel, proposedBy: string, reason: string): PlannedProposal => {
    const setAt = Math.max(...cast[i].dates) + (3 + rng.int(10)) * DAY + 14 * 3_600_000;
    return {
      subjectReference: subjects[i].policeReference!,
      kind,
      level,
      reason,
      setAt,
      reviewDate: isoDate(setAt + 90 * DAY),
      proposedBy,
      rejected: null,
    };
  };
  const rejected = proposal(
    rejectedChild,
    FlagKind.CSE_RISK,
    RiskLevel.MEDIUM,
    INVESTIGATOR,
    'Seen once with an older boy near the bus station',
  );
  rejected.rejected = {
    at: rejected.setAt + (2 + rng.int(5)) * DAY,
    reason: 'Not corroborated: school and social care report no risk indicators; the older boy is her cousin',
  };
  return [
    proposal(
      child,
      FlagKind.CSE_RISK,
      RiskLevel.HIGH,
      INVESTIGATOR,
      'Missing from home three times this month; seen getting into cars with older men',
    ),
    proposal(suspect, FlagKind.CSE_PERPETRATOR, RiskLevel.MEDIUM, ANALYST, 'Named in two further reports as driving girls to a party flat'),
    rejected,
  ];
}

// ---------------------------------------------------------------------------------------------
// Writing the plan: each plan mapped to the typed arrays of its table's one multi-row INSERT (demo.queries.ts).

/** Inserts the reports in the order received; returns their ids by index. */
async function insertReports(tx: Queryable, ids: Ids, reports: PlannedReport[]): Promise<string[]> {
  const reportIds = reports.map(() => randomUUID());
  const col = <T>(value: (r: PlannedReport) => T) => reports.map(value);
  await insertReportRows(tx, [
    reportIds,
    col((r) => r.division),
    col((r) => r.source),
    col((r) => iso(r.receivedAt)),
    col((r) => (r.occurredAt === null ? null : iso(r.occurredAt))),
    col((r) => r.location),
    col((r) => r.narrative),
    col((r) => r.riskIndicators.join(',')),
    col((r) => r.classification),
    col((r) => ids.agency(r.submitter.agency)),
    col((r) => ('user' in r.submitter ? ids.user(r.submitter.user) : null)),
    col((r) => ('serviceAccount' in r.submitter ? ids.serviceAccount(r.submitter.serviceAccount) : null)),
    col((r) => r.status),
    col((r) => r.grading?.evaluation ?? null),
    col((r) => r.grading?.assessment ?? null),
    col((r) => r.grading?.handling ?? null),
    col((r) => r.grading?.conditions ?? null),
    col((r) => (r.grading ? iso(r.grading.assessedAt) : null)),
    ids.user(ANALYST),
  ]);
  const informed = reports.flatMap((r, i) => (r.informant ? [{ id: reportIds[i], ...r.informant }] : []));
  await insertInformantRows(
    tx,
    informed.map((r) => r.id),
    informed.map((r) => r.name),
    informed.map((r) => r.contact),
  );
  return reportIds;
}

async function insertSubjects(tx: Queryable, ids: Ids, subjects: PlannedSubject[]): Promise<string[]> {
  const subjectIds = subjects.map(() => randomUUID());
  const col = <T>(value: (s: PlannedSubject) => T) => subjects.map(value);
  // Aliases travel as one tab-separated text per subject: unnest cannot take an array of arrays of differing lengths.
  await insertSubjectRows(tx, [
    subjectIds,
    col((s) => s.fullName),
    col((s) => s.aliases.join('\t')),
    col((s) => s.dateOfBirth),
    col((s) => s.gender),
    col((s) => s.policeReference),
    col((s) => s.nhsNumber),
    col((s) => s.schoolUpn),
    col((s) => s.socialCareId),
    ids.agency(GMP),
  ]);
  return subjectIds;
}

async function insertCrimes(tx: Queryable, ids: Ids, crimes: PlannedCrime[], subjectIds: string[]): Promise<void> {
  const crimeIds = crimes.map(() => randomUUID());
  await insertCrimeRows(tx, [
    crimeIds,
    crimes.map((c) => c.reference),
    crimes.map((c) => c.offence),
    crimes.map((c) => c.division),
    crimes.map((c) => isoDate(c.recordedOn)),
    ids.user(INVESTIGATOR),
  ]);
  const named = crimes.flatMap((c, i) => [
    ...c.victims.map((s) => ({ crime: crimeIds[i], subject: subjectIds[s], role: CrimeRole.VICTIM })),
    ...c.suspects.map((s) => ({ crime: crimeIds[i], subject: subjectIds[s], role: CrimeRole.SUSPECT })),
  ]);
  await insertCrimeSubjectRows(
    tx,
    named.map((n) => n.crime),
    named.map((n) => n.subject),
    named.map((n) => n.role),
  );
}

async function insertLinks(tx: Queryable, ids: Ids, links: PlannedLink[], reportIds: string[], subjectIds: string[]): Promise<void> {
  await insertLinkRows(tx, [
    links.map((l) => reportIds[l.report]),
    links.map((l) => subjectIds[l.subject]),
    links.map((l) => l.role),
    links.map((l) => iso(l.linkedAt)),
    ids.user(INVESTIGATOR),
  ]);
}

async function insertFlags(tx: Queryable, ids: Ids, flags: PlannedFlag[], subjectIds: string[]): Promise<void> {
  const col = <T>(value: (f: PlannedFlag) => T) => flags.map(value);
  await insertFlagRows(tx, [
    col((f) => subjectIds[f.subject]),
    col((f) => f.kind),
    col((f) => f.level),
    col((f) => f.reason),
    col((f) => iso(f.setAt)),
    col((f) => f.reviewDate),
    col((f) => (f.ended ? FlagStatus.ENDED : FlagStatus.ACTIVE)),
    col((f) => (f.ended ? iso(f.ended.at) : null)),
    col((f) => f.ended?.reason ?? null),
    ids.user(SUPERVISOR),
    ids.agency(GMP),
  ]);
}

/** A planned cohort's records in the order their references need: reports, people, crimes, links, flags. */
export async function insertCohort(
  tx: Queryable,
  ids: Ids,
  plan: Pick<DemoPlan, 'reports' | 'subjects' | 'crimes' | 'links' | 'flags'>,
): Promise<{ reportIds: string[]; subjectIds: string[] }> {
  const reportIds = await insertReports(tx, ids, plan.reports);
  const subjectIds = await insertSubjects(tx, ids, plan.subjects);
  await insertCrimes(tx, ids, plan.crimes, subjectIds);
  await insertLinks(tx, ids, plan.links, reportIds, subjectIds);
  await insertFlags(tx, ids, plan.flags, subjectIds);
  return { reportIds, subjectIds };
}

/**
 * The proposed and rejected flags, each once: on a fresh demo and on one seeded before they were
 * added. A proposal already decided through the API, or a flag set since on the same person, wins.
 */
export async function insertProposals(tx: Queryable, ids: Ids, proposals: PlannedProposal[]): Promise<void> {
  for (const p of proposals) {
    await insertProposalRow(tx, [
      p.subjectReference,
      p.kind,
      p.level,
      p.rejected ? FlagStatus.REJECTED : FlagStatus.PROPOSED,
      p.reason,
      iso(p.setAt),
      p.reviewDate,
      ids.user(p.proposedBy),
      ids.agency(GMP),
      p.rejected ? iso(p.rejected.at) : null,
      ids.user(SUPERVISOR),
      p.rejected?.reason ?? null,
    ]);
  }
}

/**
 * Seeds the demo records in one transaction, once: a database that has them is left alone (bar
 * records added to the demo since), so `seedDemo` may run on every start. Needs the demo agencies,
 * users and partner app.
 */
export async function seedDemoRecords(
  db: DataSource,
  options: { alsoSeed?: (tx: Queryable, ids: Ids) => Promise<void> } = {},
): Promise<void> {
  // The service seeds as its own role, for nobody in particular: it must see every row it checks.
  await withSystemContext(db, async (tx) => {
    // Two instances starting together would both find no records; the second waits here, then finds them.
    await lockDemoRecords(tx);
    const existing = await crimeReferenceExists(tx, DEMO_FIRST_CRIME_REFERENCE);
    const ids = await lookUpIds(tx);
    const plan = planDemoRecords();
    if (!existing) {
      await insertCohort(tx, ids, plan);
    }
    await insertProposals(tx, ids, plan.proposals);
    await insertLawfulDisclosure(tx, ids);
    // More records in the same transaction (the current cohort, demo-current.ts, chosen by demo-seed.ts).
    if (options.alsoSeed) await options.alsoSeed(tx, ids);
  });
}

// ---------------------------------------------------------------------------------------------
// Lawful disclosure: involvements, disclosures, a decline and a pending access request, so that
// every demo account has something to see. Chosen by query from the records above (deterministic
// order), added once (a marker involvement says they are there), on fresh and older demos alike.

const BROOKFIELD = 'Brookfield High School';
const ROCHDALE_CSC = "Rochdale Children's Social Care";
const NORTHERN_HEALTH = 'Northern Health Trust';
const BROOKFIELD_CONTACT = 'Designated Safeguarding Lead, Brookfield High School (01632 960 101)';

async function insertLawfulDisclosure(tx: Queryable, ids: Ids): Promise<void> {
  const done = await involvementWithContactExists(tx, BROOKFIELD_CONTACT);
  if (done) return;
  const [pupil, expiredCase, revokedCase, declinedCase] = await flaggedChildren(tx, 's.school_upn IS NOT NULL', 4);
  const openCases = (await flaggedChildren(tx, 's.social_care_id IS NOT NULL', 4)).filter((c) => c.subject !== pupil?.subject);
  const [patient] = await flaggedChildren(tx, 's.nhs_number IS NOT NULL', 1);
  if (!pupil || openCases.length < 3 || !patient || !declinedCase) return; // not the standard demo records
  const involve = (subject: string, agency: string, kind: string, contact: string, by: string) =>
    insertInvolvement(tx, [subject, ids.agency(agency), kind, contact, ids.user(by)]);
  // Brookfield High has the flagged child on roll; Rochdale CSC has open cases (that child's among them).
  await involve(pupil.subject, BROOKFIELD, 'PUPIL_ON_ROLL', BROOKFIELD_CONTACT, 'lead@brookfield-high.example');
  const cscContact = 'Rochdale Children’s Social Care duty team (01632 960 202)';
  for (const c of [pupil, ...openCases.slice(0, 2)]) {
    await involve(c.subject, ROCHDALE_CSC, 'OPEN_CASE', cscContact, 'practitioner@rochdale-csc.example');
  }
  await involve(
    patient.subject,
    NORTHERN_HEALTH,
    'PATIENT',
    'School nursing team, Northern Health Trust (01632 960 303)',
    'nurse@northern-health.example',
  );

  const supervisor = ids.user(SUPERVISOR);
  const disclose = (report: string, agency: string, summary: string, disclosedAt: string, expiresAt: string) =>
    insertDisclosure(tx, [report, ids.agency(agency), summary, disclosedAt, expiresAt, supervisor]);
  const inAYear = new Date(Date.now() + 365 * DAY).toISOString();
  await disclose(
    pupil.report,
    BROOKFIELD,
    'Police hold intelligence that this pupil may be at risk of sexual exploitation by adults outside school. Please note any collection from school by unknown adults and share concerns with the police CSE team at once.',
    iso(Date.now()),
    inAYear,
  );
  await disclose(
    expiredCase.report,
    BROOKFIELD,
    'Police held concerns about this pupil’s contact with older adults; the disclosure period has ended.',
    '2013-11-05T10:00:00Z',
    '2014-02-05T10:00:00Z',
  );
  const [revoked] = await disclose(
    revokedCase.report,
    ROCHDALE_CSC,
    'Police hold intelligence that this child has been seen with adults of concern near the bus station.',
    '2014-01-10T10:00:00Z',
    '2014-07-10T10:00:00Z',
  );
  await revokeDisclosure(tx, revoked.id, supervisor);
  await insertDecline(tx, [declinedCase.report, ids.agency(NORTHERN_HEALTH), supervisor]);
  // A social worker has asked for more about one of the open cases; the supervisor has yet to answer.
  await insertAccessRequest(tx, [openCases[1].subject, ids.user('practitioner@rochdale-csc.example'), ids.agency(ROCHDALE_CSC)]);
}
