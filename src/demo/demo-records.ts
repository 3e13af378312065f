import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { nhsCheckDigit } from '../subjects/nhs-number';

/**
 * The synthetic CSE records of the demo, reproducing Greater Manchester Police's published figures
 * for April 2013 to January 2014 (DESIGN.md): 2,286 pieces of intelligence by division, 105
 * CSE-linked crimes with 402 distinct victims and 242 distinct suspects (Rochdale: 37, 47, 49).
 * Every name, place and narrative is invented; the generator is seeded, so each run makes the same
 * records (apart from their uuids).
 */

/** Reports per division; one more report has no division. */
export const DEMO_REPORTS_BY_DIVISION: Record<string, number> = {
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
export const DEMO_CRIMES = { total: 105, victims: 402, suspects: 242, rochdale: { crimes: 37, victims: 47, suspects: 49 } };
export const DEMO_FIRST_CRIME_REFERENCE = 'GMP-CSE-2013-0001';

const PERIOD_START = Date.UTC(2013, 3, 1); // 2013-04-01
const PERIOD_END = Date.UTC(2014, 1, 1); // 2014-02-01, exclusive

/** mulberry32: a small, fast, seedable PRNG; Math.random would make every demo different. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const weighted = <T extends string>(weights: Record<T, number>): T => {
    const entries = Object.entries(weights) as [T, number][];
    let r = next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [value, w] of entries) if ((r -= w) < 0) return value;
    return entries[entries.length - 1][0];
  };
  return { next, int, pick, weighted, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

const FIRST_NAMES_F = [
  'Amelia',
  'Chloe',
  'Ellie',
  'Grace',
  'Holly',
  'Jade',
  'Kayleigh',
  'Leah',
  'Megan',
  'Nadia',
  'Paige',
  'Rosie',
  'Sana',
  'Tia',
  'Zara',
];
const FIRST_NAMES_M = [
  'Aaron',
  'Callum',
  'Dean',
  'Farid',
  'Gary',
  'Imran',
  'Jason',
  'Kieran',
  'Lee',
  'Mark',
  'Nathan',
  'Omar',
  'Ryan',
  'Shane',
  'Wayne',
];
const SURNAMES = [
  'Ashworth',
  'Birtwistle',
  'Cropper',
  'Dunkerley',
  'Entwistle',
  'Fothergill',
  'Greenhalgh',
  'Haworth',
  'Ingham',
  'Kershaw',
  'Lomax',
  'Mellor',
  'Ogden',
  'Pickup',
  'Ramsbottom',
  'Schofield',
  'Tattersall',
  'Whitworth',
];
const PLACES = [
  'a takeaway on the high street',
  'the bus station',
  'the retail park',
  'a taxi rank near the market',
  'the canal towpath',
  'a park behind the leisure centre',
  'a flat above a shop',
  'the railway station car park',
  'a shisha bar',
  'outside a school',
];
const NARRATIVES = [
  'Girl aged about {age} seen getting into cars with older men near {place}.',
  'Pupil regularly collected by an unknown adult in a taxi after school; has new phone and expensive trainers.',
  'Young person reported missing overnight, returned saying she had been at a party at {place}.',
  'Concern that a group of men are giving girls alcohol and cannabis at {place}.',
  'Child disclosed to a teacher that an older boyfriend takes her to {place} and gives her gifts.',
  'Officers on patrol saw two girls in school uniform with adult males at {place} late at night.',
  'Health professional concerned about repeat sexual health attendance by a {age}-year-old.',
  'Member of the public reports taxis dropping girls at {place} in the early hours.',
  'Young person has been recruiting friends to attend parties hosted by older men near {place}.',
  'Outreach workers saw a girl being driven away from {place} by a man who gave her cigarettes.',
];
const OFFENCES = [
  'Sexual activity with a child',
  'Rape of a child under 16',
  'Causing or inciting a child to engage in sexual activity',
  'Meeting a child following sexual grooming',
  'Trafficking within the UK for sexual exploitation',
  'Controlling child prostitution',
  'Sexual communication with a child',
];
const RISK_INDICATORS = [
  'MISSING_EPISODES',
  'SCHOOL_ABSENCE',
  'SUBSTANCE_MISUSE',
  'UNEXPLAINED_GIFTS',
  'OLDER_PARTNER',
  'SEXUAL_HEALTH',
  'SELF_HARM',
  'FAMILY_ESTRANGEMENT',
  'ONLINE_CONTACT',
  'RECRUITING_OTHERS',
  'TRANSPORTED_BY_ADULTS',
];
const SOURCE_MIX = { PUBLIC: 20, POLICE: 32, SOCIAL_CARE: 15, EDUCATION: 14, HEALTH: 9, VOLUNTARY: 7, OTHER_AGENCY: 3 };
const STATUS_MIX = { SUBMITTED: 8, UNDER_ASSESSMENT: 5, ASSESSED: 42, ACTIONED: 30, NO_FURTHER_ACTION: 15 };

interface Ids {
  agencies: Record<string, string>;
  users: Record<string, string>;
  serviceAccount: string;
}

async function lookUpIds(tx: EntityManager): Promise<Ids> {
  const agencies = Object.fromEntries(
    (await tx.query<{ name: string; id: string }[]>('SELECT name, id FROM agencies')).map((a) => [a.name, a.id]),
  );
  const users = Object.fromEntries(
    (await tx.query<{ email: string; id: string }[]>('SELECT email, id FROM users')).map((u) => [u.email, u.id]),
  );
  const [{ id: serviceAccount }] = await tx.query<
    {
      id: string;
    }[]
  >(`SELECT id FROM service_accounts WHERE client_id = 'safe-futures-app'`);
  return { agencies, users, serviceAccount };
}

/** Who submits each source type in the demo: the agency (by name) and its user (or the partner app). */
function submitterOf(source: string, rng: Rng, ids: Ids): { agency: string; user: string | null; service: string | null } {
  const by = (agency: string, email: string) => ({ agency: ids.agencies[agency], user: ids.users[email], service: null });
  switch (source) {
    case 'SOCIAL_CARE':
      return by("Rochdale Children's Social Care", 'practitioner@rochdale-csc.example');
    case 'EDUCATION':
      return by('Brookfield High School', 'lead@brookfield-high.example');
    case 'HEALTH':
      return by('Northern Health Trust', 'nurse@northern-health.example');
    case 'VOLUNTARY':
      return rng.chance(0.5)
        ? by('Safe Futures', 'reporter@safe-futures.example')
        : { agency: ids.agencies['Safe Futures'], user: null, service: ids.serviceAccount };
    default:
      return by('Greater Manchester Police', 'investigator@gmp.example');
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const fill = (template: string, rng: Rng) => template.replace('{age}', String(12 + rng.int(5))).replace('{place}', rng.pick(PLACES));

interface DemoReport {
  id: string;
  division: string | null;
}

async function insertReports(tx: EntityManager, rng: Rng, ids: Ids): Promise<DemoReport[]> {
  const divisions = [...Object.entries(DEMO_REPORTS_BY_DIVISION).flatMap(([d, n]) => Array<string | null>(n).fill(d)), null];
  const rows = divisions.map((division) => {
    const source = rng.weighted(SOURCE_MIX);
    const submitter = submitterOf(source, rng, ids);
    const received = PERIOD_START + rng.int(PERIOD_END - PERIOD_START - 3_600_000);
    const status = rng.weighted(STATUS_MIX);
    const graded = !['SUBMITTED', 'UNDER_ASSESSMENT'].includes(status);
    const handling = graded ? (rng.chance(0.2) ? 'C' : 'P') : null;
    const indicators = [...new Set(Array.from({ length: rng.int(4) }, () => rng.pick(RISK_INDICATORS)))];
    return {
      id: randomUUID(),
      division,
      source,
      received: iso(received),
      occurred: rng.chance(0.6) ? iso(received - rng.int(14 * 86_400_000)) : null,
      location: rng.chance(0.8) ? `Near ${rng.pick(PLACES)}` : null,
      narrative: fill(rng.pick(NARRATIVES), rng),
      indicators: indicators.join(','),
      classification: rng.chance(0.08) ? 'OFFICIAL_SENSITIVE' : 'OFFICIAL',
      ...submitter,
      status,
      evaluation: graded ? rng.pick(['RELIABLE', 'UNTESTED', 'NOT_RELIABLE']) : null,
      assessment: graded
        ? rng.pick(['KNOWN_DIRECTLY', 'KNOWN_INDIRECTLY_CORROBORATED', 'KNOWN_INDIRECTLY', 'NOT_KNOWN', 'SUSPECTED_FALSE'])
        : null,
      handling,
      conditions: handling === 'C' ? 'Share only with named safeguarding leads; do not disclose the source' : null,
      assessedAt: graded ? iso(received + 86_400_000 + rng.int(20 * 86_400_000)) : null,
      assessedBy: graded ? ids.users['analyst@gmp.example'] : null,
    };
  });
  const column = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((r) => r[key]);
  await tx.query(
    `INSERT INTO intelligence_reports (id, division_id, source_type, received_at, occurred_at, location, narrative, risk_indicators,
       classification, submitted_by_agency_id, submitted_by_user_id, submitted_by_service_account_id, status, source_evaluation,
       intelligence_assessment, handling_code, handling_conditions, assessed_at, assessed_by_user_id)
     SELECT id, division_id, source_type::source_type, received_at, occurred_at, location, narrative,
            string_to_array(indicators, ',')::risk_indicator[], classification::classification, agency, usr, svc,
            status::report_status, evaluation::source_evaluation, assessment::intelligence_assessment, handling::handling_code,
            conditions, assessed_at, assessed_by
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::text[],
                   $9::text[], $10::uuid[], $11::uuid[], $12::uuid[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
                   $18::timestamptz[], $19::uuid[])
         AS t(id, division_id, source_type, received_at, occurred_at, location, narrative, indicators, classification, agency, usr, svc,
              status, evaluation, assessment, handling, conditions, assessed_at, assessed_by)
      ORDER BY received_at`,
    [
      column('id'),
      column('division'),
      column('source'),
      column('received'),
      column('occurred'),
      column('location'),
      column('narrative'),
      column('indicators'),
      column('classification'),
      column('agency'),
      column('user'),
      column('service'),
      column('status'),
      column('evaluation'),
      column('assessment'),
      column('handling'),
      column('conditions'),
      column('assessedAt'),
      column('assessedBy'),
    ],
  );
  const publicTips = rows.filter((r) => r.source === 'PUBLIC').filter(() => rng.chance(0.1));
  await tx.query(`INSERT INTO informants (report_id, name, contact) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])`, [
    publicTips.map((r) => r.id),
    publicTips.map(() =>
      rng.chance(0.5) ? 'Member of the public (anonymous)' : `${rng.pick([...FIRST_NAMES_F, ...FIRST_NAMES_M])} ${rng.pick(SURNAMES)}`,
    ),
    // 07700 900000-900999 is Ofcom's range reserved for drama: never a real number.
    publicTips.map(() => `07700 900${String(rng.int(1000)).padStart(3, '0')}`),
  ]);
  return rows.map((r) => ({ id: r.id, division: r.division }));
}

/** A valid NHS number (modulus 11), unique by construction from `n`. */
function nhsNumber(n: number): string | null {
  const nine = String(900_000_000 + n);
  const check = nhsCheckDigit(nine);
  return check === null ? null : `${nine}${check}`;
}

interface DemoPerson {
  id: string;
  role: 'VICTIM' | 'SUSPECT' | 'OTHER';
  division: string;
}

/** Victims and suspects split across crimes so the distinct counts come out exactly. */
function crimesPlan(rng: Rng): { division: string; victims: number; suspects: number }[] {
  const others = Object.keys(DEMO_REPORTS_BY_DIVISION).filter((d) => d !== 'rochdale');
  const spread = (crimes: { division: string; victims: number; suspects: number }[], victims: number, suspects: number) => {
    for (let i = 0; i < victims - crimes.length; i++) crimes[rng.int(crimes.length)].victims++;
    for (let i = 0; i < suspects - crimes.length; i++) crimes[rng.int(crimes.length)].suspects++;
    return crimes;
  };
  const { rochdale } = DEMO_CRIMES;
  const otherCrimes = DEMO_CRIMES.total - rochdale.crimes;
  return [
    ...spread(
      Array.from({ length: rochdale.crimes }, () => ({ division: 'rochdale', victims: 1, suspects: 1 })),
      rochdale.victims,
      rochdale.suspects,
    ),
    ...spread(
      Array.from({ length: otherCrimes }, (_, i) => ({ division: others[i % others.length], victims: 1, suspects: 1 })),
      DEMO_CRIMES.victims - rochdale.victims,
      DEMO_CRIMES.suspects - rochdale.suspects,
    ),
  ];
}

async function insertPeopleAndCrimes(tx: EntityManager, rng: Rng, ids: Ids, reports: DemoReport[]): Promise<DemoPerson[]> {
  const plan = crimesPlan(rng);
  const people: (DemoPerson & {
    name: string;
    dob: string;
    gender: string;
    nhs: string | null;
    upn: string | null;
    care: string | null;
    ref: string;
  })[] = [];
  const crimes: { id: string; reference: string; offence: string; division: string; recordedOn: string }[] = [];
  const participants: { crime: string; person: string; role: string }[] = [];
  let serial = 0;
  const person = (role: DemoPerson['role'], division: string) => {
    serial++;
    const child = role !== 'SUSPECT';
    const female = child ? rng.chance(0.85) : rng.chance(0.05);
    const age = child ? 11 + rng.int(7) : 19 + rng.int(37);
    const dob = new Date(Date.UTC(2013 - age, rng.int(12), 1 + rng.int(28))).toISOString().slice(0, 10);
    const p = {
      id: randomUUID(),
      role,
      division,
      name: `${rng.pick(female ? FIRST_NAMES_F : FIRST_NAMES_M)} ${rng.pick(SURNAMES)}`,
      dob,
      gender: female ? 'FEMALE' : 'MALE',
      nhs: rng.chance(0.6) ? nhsNumber(serial) : null,
      upn: child && rng.chance(0.5) ? `D${String(352_000_000_000 + serial)}` : null,
      care: child && rng.chance(0.3) ? `RCSC-${String(10_000 + serial)}` : null,
      ref: `GMP/${String(40_000 + serial)}`,
    };
    people.push(p);
    return p;
  };
  plan.forEach((c, i) => {
    const id = randomUUID();
    crimes.push({
      id,
      reference: `GMP-CSE-2013-${String(i + 1).padStart(4, '0')}`,
      offence: rng.pick(OFFENCES),
      division: c.division,
      recordedOn: iso(PERIOD_START + rng.int(PERIOD_END - PERIOD_START)).slice(0, 10),
    });
    for (let v = 0; v < c.victims; v++) participants.push({ crime: id, person: person('VICTIM', c.division).id, role: 'VICTIM' });
    for (let s = 0; s < c.suspects; s++) participants.push({ crime: id, person: person('SUSPECT', c.division).id, role: 'SUSPECT' });
  });
  for (let i = 0; i < 150; i++) person('OTHER', rng.pick(Object.keys(DEMO_REPORTS_BY_DIVISION)));

  const gmp = ids.agencies['Greater Manchester Police'];
  await tx.query(
    `INSERT INTO subjects (id, full_name, date_of_birth, gender, nhs_number, school_upn, social_care_id, police_reference, aliases, created_by_agency_id)
     SELECT id, name, dob, gender::gender, nhs, upn, care, ref, CASE WHEN alias IS NULL THEN '{}' ELSE ARRAY[alias] END, $10
       FROM unnest($1::uuid[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         AS t(id, name, dob, gender, nhs, upn, care, ref, alias)`,
    [
      people.map((p) => p.id),
      people.map((p) => p.name),
      people.map((p) => p.dob),
      people.map((p) => p.gender),
      people.map((p) => p.nhs),
      people.map((p) => p.upn),
      people.map((p) => p.care),
      people.map((p) => (p.role === 'OTHER' ? null : p.ref)),
      people.map((p) => (rng.chance(0.2) ? p.name.split(' ')[0].slice(0, 3) : null)),
      gmp,
    ],
  );
  const investigator = ids.users['investigator@gmp.example'];
  await tx.query(
    `INSERT INTO crimes (id, crime_reference, offence, division_id, recorded_on, recorded_by_user_id)
     SELECT id, ref, offence, division, recorded_on, $6 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[])
       AS t(id, ref, offence, division, recorded_on)`,
    [
      crimes.map((c) => c.id),
      crimes.map((c) => c.reference),
      crimes.map((c) => c.offence),
      crimes.map((c) => c.division),
      crimes.map((c) => c.recordedOn),
      investigator,
    ],
  );
  await tx.query(
    `INSERT INTO crime_subjects (crime_id, subject_id, role) SELECT c, s, r::crime_role FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(c, s, r)`,
    [participants.map((p) => p.crime), participants.map((p) => p.person), participants.map((p) => p.role)],
  );

  // Each person is linked to a report of their division, with a role that fits their part.
  const reportsByDivision = new Map<string, string[]>();
  for (const r of reports) if (r.division) reportsByDivision.set(r.division, [...(reportsByDivision.get(r.division) ?? []), r.id]);
  const roleOf = (p: DemoPerson) =>
    p.role === 'VICTIM'
      ? 'POTENTIAL_VICTIM'
      : p.role === 'SUSPECT'
        ? 'POTENTIAL_PERPETRATOR'
        : rng.pick(['WITNESS', 'ASSOCIATE', 'POTENTIAL_VICTIM']);
  await tx.query(
    `INSERT INTO report_subjects (report_id, subject_id, role, linked_by_user_id)
     SELECT r, s, role::subject_role, $4 FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS t(r, s, role)`,
    [people.map((p) => rng.pick(reportsByDivision.get(p.division)!)), people.map((p) => p.id), people.map(roleOf), investigator],
  );
  return people;
}

/** Flags on a plausible share: most victims at risk, half the suspects; a few ended on review. */
async function insertFlags(tx: EntityManager, rng: Rng, ids: Ids, people: DemoPerson[]): Promise<void> {
  const flags = people
    .filter((p) => (p.role === 'VICTIM' ? rng.chance(0.6) : p.role === 'SUSPECT' ? rng.chance(0.5) : false))
    .map((p) => {
      const ended = rng.chance(0.05);
      return {
        subject: p.id,
        kind: p.role === 'VICTIM' ? 'CSE_RISK' : 'CSE_PERPETRATOR',
        // Demo children were 11-17 in 2013, so adults now: any level is allowed, but keep it plausible.
        level: rng.weighted({ LOW: 2, MEDIUM: 5, HIGH: 3 }),
        reason: p.role === 'VICTIM' ? 'Named as a victim in a CSE-linked crime' : 'Named as a suspect in a CSE-linked crime',
        review: iso(PERIOD_END + rng.int(180) * 86_400_000).slice(0, 10),
        status: ended ? 'ENDED' : 'ACTIVE',
        endedAt: ended ? iso(PERIOD_END + rng.int(90) * 86_400_000) : null,
        endReason: ended ? 'Reviewed: risk reduced, support in place' : null,
      };
    });
  const supervisor = ids.users['supervisor@gmp.example'];
  await tx.query(
    `INSERT INTO flags (subject_id, kind, risk_level, reason, review_date, status, ended_at, ended_by_user_id, end_reason, set_by_user_id, set_by_agency_id, set_at)
     SELECT s, k::flag_kind, l::risk_level, reason, review, st::flag_status, ended, CASE WHEN ended IS NULL THEN NULL ELSE $9::uuid END,
            end_reason, $9, $10, timestamptz '2014-01-31'
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[], $7::timestamptz[], $8::text[])
         AS t(s, k, l, reason, review, st, ended, end_reason)`,
    [
      flags.map((f) => f.subject),
      flags.map((f) => f.kind),
      flags.map((f) => f.level),
      flags.map((f) => f.reason),
      flags.map((f) => f.review),
      flags.map((f) => f.status),
      flags.map((f) => f.endedAt),
      flags.map((f) => f.endReason),
      supervisor,
      ids.agencies['Greater Manchester Police'],
    ],
  );
}

/** Seeds the demo records once: a database that has them already is left alone. */
export async function seedDemoRecords(tx: EntityManager): Promise<void> {
  const [existing] = await tx.query<unknown[]>('SELECT 1 FROM crimes WHERE crime_reference = $1', [DEMO_FIRST_CRIME_REFERENCE]);
  if (existing) return;
  const rng = prng(20130401);
  const ids = await lookUpIds(tx);
  const reports = await insertReports(tx, rng, ids);
  const people = await insertPeopleAndCrimes(tx, rng, ids, reports);
  await insertFlags(tx, rng, ids, people);
}
