// Deterministic synthetic data at scale, for the load benchmarks (docs/performance.md).
//
//   npm run bench:data                        # 1,000,000 reports into safeshare_bench_1m
//   BENCH_REPORTS=100000 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/safeshare_bench_100k npm run bench:data
//
// For BENCH_REPORTS reports (default 1,000,000) it writes, scaled alike: 0.3 subjects, 0.05 flags,
// 0.02 crimes and 5 audit events per report (BENCH_AUDIT_EVENTS overrides the last), plus 200
// agencies (the demo's 6 and 194 generated, each with a reporter user). The database is created,
// migrated and seeded with the demo (so the demo accounts sign in), then filled by INSERT ... SELECT
// over generate_series on the server: no rows travel through Node. Every value comes from a hash of
// the row number (hashint8extended), so every run writes the same data, ids included (uuids are md5
// of the row number), apart from the demo records' own random ids.
//
// A database already holding this dataset (recorded in its COMMENT) is left alone; BENCH_REGENERATE=1
// drops and rebuilds it. Only a database whose name contains "bench" is ever dropped.
//
// Invariants kept: every CHECK, FK and trigger of the migrations holds (a child under 13 is never
// LOW, one open flag per kind per subject, grading all-or-nothing, handling code C has conditions,
// one submitter per report, source types that fit the submitting agency); audit events go through
// the row-hash trigger into monthly partitions, in transactions of at most 20,000 events, and are
// then sealed exactly as the service seals them.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { MAIN, serverEnv } from './common.mjs';

const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/safeshare_bench_1m';
const REPORTS = Number(process.env.BENCH_REPORTS ?? 1_000_000);
const scaled = (perMillion, min) => Math.max(min, Math.round((REPORTS * perMillion) / 1_000_000));
const COUNTS = {
  reports: REPORTS,
  subjects: scaled(300_000, 100),
  flags: scaled(50_000, 20),
  crimes: scaled(20_000, 10),
  agencies: 200,
  auditEvents: Number(process.env.BENCH_AUDIT_EVENTS ?? scaled(5_000_000, 1_000)),
};
const GENERATOR_VERSION = 2;
const require = createRequire(import.meta.url);
// The data was generated for this schema: a changed list of migrations (one renamed or removed, or a
// new constraint the data must meet) means generating again.
const { MIGRATIONS } = require('../dist/migrations/index.js');
const DATASET = { v: GENERATOR_VERSION, ...COUNTS };
const MARKER = `safeshare-bench ${JSON.stringify({ ...DATASET, migrations: MIGRATIONS.map((m) => m.name) })}`;
const CHUNK = 100_000;
const AUDIT_BATCH = 20_000; // one transaction each, so no seal holds more than MAX_EVENTS_PER_SEAL
const AUDIT_WORKERS = 2;

const main = MAIN;
const env = serverEnv(url);

const started = performance.now();
const timings = [];
async function step(name, fn) {
  const t0 = performance.now();
  const result = await fn();
  const seconds = (performance.now() - t0) / 1000;
  timings.push({ step: name, seconds: Number(seconds.toFixed(1)) });
  console.log(`  ${name}: ${seconds.toFixed(1)} s`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary (invented; combined at random so no real person)

const GIRLS = ['Amelia', 'Chloe', 'Courtney', 'Demi', 'Ellie', 'Grace', 'Holly', 'Jade', 'Kayleigh', 'Leah', 'Megan', 'Nadia', 'Paige']
  .concat(['Rosie', 'Sana', 'Shannon', 'Tia', 'Zara', 'Abbie', 'Bethany', 'Casey', 'Danielle', 'Emma', 'Freya', 'Gemma', 'Hannah'])
  .concat(['Imogen', 'Jasmine', 'Keeley', 'Lacey', 'Mia', 'Natasha', 'Olivia', 'Poppy', 'Rebecca', 'Sophie', 'Tegan', 'Yasmin']);
const BOYS = ['Aaron', 'Callum', 'Darren', 'Dean', 'Farid', 'Gary', 'Imran', 'Jason', 'Kieran', 'Liam', 'Mark', 'Nathan', 'Omar']
  .concat(['Ryan', 'Shane', 'Tariq', 'Wayne', 'Adil', 'Bilal', 'Connor', 'Danny', 'Ethan', 'Harvey', 'Jamie', 'Kyle', 'Lewis'])
  .concat(['Mohammed', 'Nico', 'Paul', 'Reece', 'Sean', 'Tyler', 'Usman', 'Zak']);
const NICKNAMES = [
  'Az',
  'Cal',
  'Daz',
  'Deano',
  'Faz',
  'Gaz',
  'Immy',
  'Jay',
  'Kez',
  'Marky',
  'Nate',
  'Ry',
  'Taz',
  'Wazza',
  'Bill',
  'Dan',
].concat(['Millie', 'Clo', 'Dem', 'Elle', 'Gracie', 'Hols', 'Jadey', 'Kay', 'Meg', 'Nad', 'Ro', 'Shan', 'Zee', 'Bex', 'Tash']);
const SURNAMES = ['Ashworth', 'Birtwistle', 'Butterworth', 'Clegg', 'Cropper', 'Dunkerley', 'Entwistle', 'Fothergill', 'Greenhalgh']
  .concat(['Haworth', 'Holt', 'Ingham', 'Kershaw', 'Lomax', 'Mellor', 'Ogden', 'Pickup', 'Ramsbottom', 'Schofield', 'Stott'])
  .concat(['Tattersall', 'Whitworth', 'Ainsworth', 'Barlow', 'Brierley', 'Chadwick', 'Crabtree', 'Duckworth', 'Eccles', 'Fielding'])
  .concat(['Gartside', 'Hargreaves', 'Heywood', 'Hindle', 'Howarth', 'Isherwood', 'Jagger', 'Kenyon', 'Leach', 'Lord', 'Marsden'])
  .concat(['Nuttall', 'Ormerod', 'Pilling', 'Rigby', 'Scholes', 'Shackleton', 'Sutcliffe', 'Taylor', 'Unsworth', 'Walmsley'])
  .concat(['Wolstenholme', 'Ahmed', 'Akhtar', 'Begum', 'Hussain', 'Iqbal', 'Khan', 'Malik', 'Rashid', 'Shah', 'Patel', 'Mistry']);
const STREET_KINDS = ['Street', 'Road', 'Lane', 'Avenue', 'Close', 'Way', 'Terrace', 'Drive'];
const PLACES = ['a takeaway on the high street', 'the bus station', 'the park', 'the taxi rank', 'the retail park', 'the canal towpath']
  .concat(['the shops on the main road', 'the railway station car park', 'a shisha bar', 'the market', 'a car wash', 'the leisure centre'])
  .concat(['a hotel near the ring road', 'the tram stop', 'a flat above the shops', 'the snooker hall', 'the precinct']);
const VEHICLES = ['silver', 'black', 'white', 'red', 'blue', 'grey', 'green', 'maroon']
  .flatMap((colour) =>
    ['Vauxhall Astra', 'Ford Focus', 'BMW 3 Series', 'Toyota Prius', 'Audi A3', 'Nissan Qashqai'].map((m) => `${colour} ${m}`),
  )
  .concat(['white transit van', 'private hire taxi', 'black cab']);
/** Two or three per source type, in the order of the source_type enum (PUBLIC, POLICE, SOCIAL_CARE, ...). */
const NARRATIVES = [
  'Caller reports taxis dropping girls who look about {age} at {place} on {street} in {town} in the early hours.',
  'Neighbour concerned that older men in a {vehicle} collect teenage girls from {street} most evenings.',
  'Anonymous caller says men are giving girls alcohol at parties held in a flat on {street}, {town}.',
  'Officers on patrol saw two girls in school uniform with adult males in a {vehicle} near {place} late at night.',
  'Girl aged {age} found at {place} in {town} after being reported missing from home; she had a new phone she would not explain.',
  'Taxi seen repeatedly collecting a {age}-year-old girl from {street}; the driver, known as {nick}, is not known to the family.',
  'Looked-after child aged {age} missing from her placement overnight, returned saying she had been at a party on {street}.',
  'Young person has unexplained gifts and talks of an older boyfriend called {nick} who picks her up in a {vehicle} from {place}.',
  'Pupil aged {age} regularly collected from school by an unknown adult in a taxi; has a new phone and expensive trainers.',
  'Pupil told a teacher that older men take her and her friends to parties on {street} and give them alcohol and cannabis.',
  'School nurse concerned by repeat sexual health attendance by a {age}-year-old who mentions an older partner, {nick}.',
  'A {age}-year-old brought to A&E intoxicated by adult men who left in a {vehicle} before staff could speak to them.',
  'Outreach workers saw a girl aged about {age} being driven away from {place} in {town} by a man who gave her vodka.',
  'Young person told a youth worker she is asked to bring friends to a house on {street} for older men.',
  'Housing officer reports girls of about {age} visiting a flat on {street} at all hours, with taxis coming and going.',
  'Passed on by a neighbouring force: a {age}-year-old missing from home was found with older men at {place} in {town}.',
];
const OFFENCES = ['Rape', 'Sexual assault', 'Sexual activity with a child', 'Causing or inciting a child to engage in sexual activity']
  .concat(['Arranging or facilitating a child sex offence', 'Meeting a child following sexual grooming'])
  .concat(['Trafficking within the UK for sexual exploitation']);
const CONDITIONS = [
  'Share only with named safeguarding leads; do not disclose the source.',
  'Not to be shared with the family; the source is at risk if identified.',
  'Police use only until the source has been spoken to again.',
];
/** GMP's reports per division (docs/architecture.md, "The demo"): the same shape at scale; one in 2,286 has no division. */
const DIVISION_WEIGHTS = [
  ['rochdale', 693],
  ['south-manchester', 269],
  ['oldham', 224],
  ['tameside', 210],
  ['stockport', 191],
  ['bolton', 162],
  ['wigan', 151],
  ['north-manchester', 130],
  ['trafford', 115],
  ['salford', 75],
  ['bury', 65],
];
/** Where reports come from, per 1,000. The rest come from the 194 generated agencies. */
const DEMO_SHARES = {
  gmp: 500,
  'brookfield-high': 20,
  'rochdale-csc': 20,
  'northern-health': 10,
  'safe-futures-user': 5,
  'safe-futures-app': 5,
};

// ---------------------------------------------------------------------------------------------
// The database

function adminUrl() {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

async function prepareDatabase() {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const [row] = (await admin.query(`SELECT shobj_description(oid, 'pg_database') AS marker FROM pg_database WHERE datname = $1`, [name]))
      .rows;
    if (row && row.marker === MARKER && process.env.BENCH_REGENERATE !== '1') return 'current';
    // Same dataset, made before migrations that were added since: migrating it forward is what a
    // deployment does (migrations backfill), and takes minutes instead of regenerating for half an hour.
    if (row && isEarlierSchemaOfThisDataset(row.marker) && process.env.BENCH_REGENERATE !== '1') return 'migrate';
    if (row) {
      if (!name.includes('bench')) throw new Error(`refusing to drop ${name}: only a database named *bench* is rebuilt`);
      console.log(`dropping ${name} (${row.marker ? 'other dataset' : 'no dataset marker'})`);
      await admin.query(`DROP DATABASE "${name.replace(/"/g, '')}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
    return 'generate';
  } finally {
    await admin.end();
  }
}

function isEarlierSchemaOfThisDataset(marker) {
  if (!marker?.startsWith('safeshare-bench ')) return false;
  const { migrations, ...dataset } = JSON.parse(marker.slice('safeshare-bench '.length));
  const current = MIGRATIONS.map((m) => m.name);
  return (
    JSON.stringify(dataset) === JSON.stringify(DATASET) &&
    Array.isArray(migrations) &&
    migrations.length < current.length &&
    migrations.every((name, i) => name === current[i])
  );
}

async function setMarker(db) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  await db.query(`COMMENT ON DATABASE "${name.replace(/"/g, '')}" IS ${pg.escapeLiteral(MARKER)}`);
}

/** Session settings for bulk loading, and the pseudo-random helpers (temporary: they leave no trace). */
async function connect() {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(`SET synchronous_commit = off`);
  await db.query(`SET maintenance_work_mem = '256MB'`);
  await db.query(`SET work_mem = '64MB'`);
  await db.query(`SET timezone = 'UTC'`);
  await db.query(`SET jit = off`); // compiling these one-off statements costs more than it saves
  // h(i, salt): a non-negative pseudo-random bigint, the same for the same arguments on every run.
  await db.query(`CREATE FUNCTION pg_temp.h(i bigint, salt int) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
                    AS $$ SELECT hashint8extended(i, salt) & 9223372036854775807 $$`);
  await db.query(`CREATE FUNCTION pg_temp.pick(a text[], h bigint) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
                    AS $$ SELECT a[1 + (h % cardinality(a))::int] $$`);
  // uid(kind, i): a version 4 shaped uuid from md5 (the API refuses ids without a valid version and variant).
  await db.query(`CREATE FUNCTION pg_temp.uid(kind text, i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
                    AS $$ SELECT (substr(m, 1, 12) || '4' || substr(m, 14, 3) || '8' || substr(m, 18, 15))::uuid
                            FROM md5(kind || ':' || i) m $$`);
  return db;
}

async function chunked(db, total, sqlText, params = []) {
  for (let from = 0; from < total; from += CHUNK) {
    await db.query(sqlText, [from, Math.min(total, from + CHUNK) - 1, ...params]);
  }
}

// ---------------------------------------------------------------------------------------------
// Reference data: agencies, their divisions and users, and who submits what

async function insertAgencies(db) {
  const generated = COUNTS.agencies - 6;
  // Mostly schools, then health, social care, voluntary groups and a few neighbouring forces.
  await db.query(
    `INSERT INTO agencies (id, name, kind, created_at)
     SELECT pg_temp.uid('agency', g), format('Bench %s %s (%s)', k.label, lpad(g::text, 3, '0'), d.name), k.kind::agency_kind,
            timestamptz '2015-06-01' + make_interval(days => g)
       FROM generate_series(1, $1::int) g
       CROSS JOIN LATERAL (SELECT CASE WHEN g % 20 < 11 THEN 'EDUCATION' WHEN g % 20 < 14 THEN 'HEALTH' WHEN g % 20 < 17 THEN 'SOCIAL_CARE'
                                       WHEN g % 20 < 19 THEN 'VOLUNTARY' ELSE 'POLICE' END AS kind) k0
       CROSS JOIN LATERAL (SELECT k0.kind, CASE k0.kind WHEN 'EDUCATION' THEN 'School' WHEN 'HEALTH' THEN 'Health Service'
                                       WHEN 'SOCIAL_CARE' THEN 'Children''s Services' WHEN 'VOLUNTARY' THEN 'Youth Project'
                                       ELSE 'Police' END AS label) k
       JOIN (SELECT id, name, row_number() OVER (ORDER BY id) - 1 AS n FROM divisions) d ON d.n = g % 11`,
    [generated],
  );
  await db.query(
    `INSERT INTO agency_divisions (agency_id, division_id)
     SELECT pg_temp.uid('agency', g), d.id FROM generate_series(1, $1::int) g
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM divisions) d ON d.n = g % 11`,
    [generated],
  );
  // One reporter per generated agency, signing in with the demo password.
  await db.query(
    `INSERT INTO users (id, agency_id, email, display_name, password_hash, roles)
     SELECT pg_temp.uid('user', g), pg_temp.uid('agency', g), format('reporter%s@bench.example', lpad(g::text, 3, '0')),
            format('Bench Reporter %s', g), (SELECT password_hash FROM users WHERE email = 'analyst@gmp.example'), '{REPORTER}'::role[]
       FROM generate_series(1, $1::int) g`,
    [generated],
  );

  // Submitters: numbered slots per 1,000 reports; demo agencies first, then the generated ones.
  await db.query(`CREATE TEMP TABLE submitters (lo int, hi int, agency_id uuid, user_id uuid, svc_id uuid, kind agency_kind,
                    division_id text, own_source source_type)`);
  const slots = [];
  let at = 0;
  for (const [key, share] of Object.entries(DEMO_SHARES)) {
    slots.push({ key, lo: at, hi: at + share - 1 });
    at += share;
  }
  const demo = (key, agencyName, userSql, svcSql) =>
    db.query(
      `INSERT INTO submitters
       SELECT $1, $2, a.id, (${userSql}), (${svcSql}), a.kind,
              (SELECT min(division_id) FROM agency_divisions WHERE agency_id = a.id),
              CASE a.kind WHEN 'POLICE' THEN 'POLICE' ELSE a.kind::text END::source_type
         FROM agencies a WHERE a.name = $3`,
      [slots.find((s) => s.key === key).lo, slots.find((s) => s.key === key).hi, agencyName],
    );
  await demo('gmp', 'Greater Manchester Police', `SELECT id FROM users WHERE email = 'investigator@gmp.example'`, 'NULL::uuid');
  await demo(
    'brookfield-high',
    'Brookfield High School',
    `SELECT id FROM users WHERE email = 'lead@brookfield-high.example'`,
    'NULL::uuid',
  );
  await demo(
    'rochdale-csc',
    "Rochdale Children's Social Care",
    `SELECT id FROM users WHERE email = 'practitioner@rochdale-csc.example'`,
    'NULL::uuid',
  );
  await demo(
    'northern-health',
    'Northern Health Trust',
    `SELECT id FROM users WHERE email = 'nurse@northern-health.example'`,
    'NULL::uuid',
  );
  await demo('safe-futures-user', 'Safe Futures', `SELECT id FROM users WHERE email = 'reporter@safe-futures.example'`, 'NULL::uuid');
  await demo('safe-futures-app', 'Safe Futures', 'NULL::uuid', `SELECT id FROM service_accounts WHERE client_id = 'safe-futures-app'`);
  // The generated agencies share the remaining slots (each slot is one agency).
  await db.query(
    `INSERT INTO submitters
     SELECT $1 + g - 1, $1 + g - 1, a.id, pg_temp.uid('user', g), NULL, a.kind, ad.division_id,
            CASE a.kind WHEN 'POLICE' THEN 'POLICE' ELSE a.kind::text END::source_type
       FROM generate_series(1, $2::int) g
       JOIN agencies a ON a.id = pg_temp.uid('agency', g)
       JOIN agency_divisions ad ON ad.agency_id = a.id`,
    [at, COUNTS.agencies - 6],
  );
  const check = await db.query(`SELECT count(*)::int AS n, max(hi) AS hi FROM submitters WHERE user_id IS NULL AND svc_id IS NULL`);
  if (check.rows[0].n) throw new Error('a submitter has neither a user nor a service account');
  return at + COUNTS.agencies - 6; // slots in all
}

async function insertDivisionWeights(db) {
  await db.query(`CREATE TEMP TABLE division_weights (lo int, hi int, division_id text)`);
  let at = 0;
  for (const [id, weight] of DIVISION_WEIGHTS) {
    await db.query(`INSERT INTO division_weights VALUES ($1, $2, $3)`, [at, at + weight - 1, id]);
    at += weight;
  }
  await db.query(`INSERT INTO division_weights VALUES ($1, $1, NULL)`, [at]); // no division
  return at + 1;
}

// ---------------------------------------------------------------------------------------------
// Records

const PERIOD_START = '2016-01-01T00:00:00Z';
const PERIOD_END = '2026-11-01T00:00:00Z';

async function insertReports(db, slotCount, divisionSpan) {
  // Report i (0-based) is received at a time rising with i, as a live system appends them.
  await chunked(
    db,
    COUNTS.reports,
    `INSERT INTO intelligence_reports (id, reference, source_type, status, received_at, occurred_at, division_id, location, narrative,
        risk_indicators, classification, submitted_by_agency_id, submitted_by_user_id, submitted_by_service_account_id,
        source_evaluation, intelligence_assessment, handling_code, handling_conditions, assessed_at, assessed_by_user_id,
        created_at, updated_at)
     SELECT pg_temp.uid('report', i), 'INT-' || lpad(i::text, 7, '0'), src, st::report_status, recv,
            CASE WHEN pg_temp.h(i, 5) % 5 = 0 THEN NULL ELSE recv - make_interval(mins => (pg_temp.h(i, 6) % 43200)::int) END,
            div, CASE WHEN pg_temp.h(i, 7) % 10 < 7 THEN place || ' in ' || town END,
            replace(replace(replace(replace(replace(replace(pg_temp.pick(($6::text[])[tlo:thi], pg_temp.h(i, 8)),
              '{age}', (12 + pg_temp.h(i, 9) % 6)::text), '{place}', place), '{town}', town),
              '{street}', pg_temp.pick($7::text[], pg_temp.h(i, 10)) || ' ' || pg_temp.pick($8::text[], pg_temp.h(i, 11))),
              '{vehicle}', pg_temp.pick($9::text[], pg_temp.h(i, 12))), '{nick}', pg_temp.pick($10::text[], pg_temp.h(i, 13))),
            ARRAY(SELECT e FROM unnest(enum_range(NULL::risk_indicator)) WITH ORDINALITY u(e, n) WHERE (pg_temp.h(i, 14) >> (3 * n::int)) & 7 = 0),
            CASE WHEN pg_temp.h(i, 15) % 10 = 0 THEN 'OFFICIAL_SENSITIVE' ELSE 'OFFICIAL' END::classification,
            s.agency_id, s.user_id, s.svc_id,
            CASE WHEN graded THEN (ARRAY['RELIABLE', 'UNTESTED', 'NOT_RELIABLE'])[1 + pg_temp.h(i, 16) % 3] END::source_evaluation,
            CASE WHEN graded THEN (ARRAY['KNOWN_DIRECTLY', 'KNOWN_INDIRECTLY_CORROBORATED', 'KNOWN_INDIRECTLY', 'NOT_KNOWN', 'SUSPECTED_FALSE'])
                                  [1 + pg_temp.h(i, 17) % 5] END::intelligence_assessment,
            CASE WHEN graded THEN CASE WHEN handling_c THEN 'C' ELSE 'P' END END::handling_code,
            CASE WHEN graded AND handling_c THEN pg_temp.pick($11::text[], pg_temp.h(i, 19)) END,
            CASE WHEN graded THEN recv + make_interval(hours => (1 + pg_temp.h(i, 20) % 336)::int) END,
            CASE WHEN graded THEN $12::uuid END,
            recv, recv
       FROM generate_series($1::bigint, $2::bigint) i
      CROSS JOIN LATERAL (SELECT timestamptz '${PERIOD_START}'
                                   + (i + (pg_temp.h(i, 1) % 1000) / 1000.0) * ((timestamptz '${PERIOD_END}' - timestamptz '${PERIOD_START}') / $3::int)
                                 AS recv) t
      JOIN submitters s ON (pg_temp.h(i, 2) % $4::int) BETWEEN s.lo AND s.hi
      JOIN division_weights dw ON (pg_temp.h(i, 3) % $5::int) BETWEEN dw.lo AND dw.hi
      CROSS JOIN LATERAL (SELECT
            CASE WHEN s.kind = 'POLICE' AND s.division_id IS NULL OR s.agency_id = $13::uuid THEN dw.division_id ELSE s.division_id END AS div,
            CASE WHEN pg_temp.h(i, 4) % 100 < 15 THEN 'PUBLIC'
                 WHEN s.kind = 'POLICE' AND pg_temp.h(i, 4) % 100 >= 90 THEN 'OTHER_AGENCY'
                 ELSE s.own_source::text END::source_type AS src,
            CASE WHEN recv > now() - interval '60 days' THEN 'SUBMITTED'
                 ELSE (ARRAY['SUBMITTED', 'UNDER_ASSESSMENT', 'ASSESSED', 'ASSESSED', 'ASSESSED', 'ACTIONED', 'ACTIONED', 'NO_FURTHER_ACTION',
                             'NO_FURTHER_ACTION', 'ASSESSED'])[1 + pg_temp.h(i, 18) % 10] END AS st,
            pg_temp.h(i, 21) % 100 < 15 AS handling_c) x
      CROSS JOIN LATERAL (SELECT st IN ('ASSESSED', 'ACTIONED', 'NO_FURTHER_ACTION') AS graded,
                                 pg_temp.pick($14::text[], pg_temp.h(i, 22)) AS place,
                                 -- the narratives of each source type, in the order of NARRATIVES
                                 (ARRAY[1, 4, 7, 9, 11, 13, 15])[array_position(enum_range(NULL::source_type), src)] AS tlo,
                                 (ARRAY[3, 6, 8, 10, 12, 14, 16])[array_position(enum_range(NULL::source_type), src)] AS thi,
                                 coalesce((SELECT name FROM divisions WHERE id = div), 'Greater Manchester') AS town) y
      ORDER BY i`,
    [
      COUNTS.reports,
      slotCount,
      divisionSpan,
      NARRATIVES,
      SURNAMES,
      STREET_KINDS,
      VEHICLES,
      NICKNAMES,
      CONDITIONS,
      await idOf(db, `SELECT id FROM users WHERE email = 'analyst@gmp.example'`),
      await idOf(db, `SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`),
      PLACES,
    ],
  );
  // Informant details for about a third of public tip-offs.
  await db.query(
    `INSERT INTO informants (report_id, name, contact, created_at)
     SELECT r.id, pg_temp.pick($1::text[], pg_temp.h(n, 30)) || ' ' || pg_temp.pick($2::text[], pg_temp.h(n, 31)),
            '07700 900' || lpad((pg_temp.h(n, 32) % 1000)::text, 3, '0'), r.received_at
       FROM (SELECT id, received_at, substr(reference, 5)::bigint AS n FROM intelligence_reports
              WHERE source_type = 'PUBLIC' AND reference ~ '^INT-[0-9]{7}$') r
      WHERE pg_temp.h(r.n, 33) % 3 = 0`,
    [GIRLS.concat(BOYS), SURNAMES],
  );
}

async function idOf(db, sqlText) {
  const { rows } = await db.query(sqlText);
  if (!rows[0]) throw new Error(`not found: ${sqlText}`);
  return rows[0].id;
}

/** Subject k (0-based) is a child when k % 5 < 3, an adult otherwise. */
async function insertSubjects(db) {
  const gmp = await idOf(db, `SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`);
  await chunked(
    db,
    COUNTS.subjects,
    `INSERT INTO subjects (id, full_name, aliases, date_of_birth, approximate_age, gender, police_reference, nhs_number, school_upn,
        social_care_id, created_by_agency_id, created_at, updated_at)
     SELECT pg_temp.uid('subject', k),
            pg_temp.pick(CASE WHEN female THEN $3::text[] ELSE $4::text[] END, pg_temp.h(k, 41)) || ' ' ||
              CASE WHEN pg_temp.h(k, 42) % 10 = 0 THEN pg_temp.pick($5::text[], pg_temp.h(k, 43)) || '-' ELSE '' END ||
              pg_temp.pick($5::text[], pg_temp.h(k, 44)),
            CASE WHEN child OR pg_temp.h(k, 45) % 3 = 0 THEN ARRAY[pg_temp.pick($6::text[], pg_temp.h(k, 46))] ELSE '{}' END,
            CASE WHEN no_dob THEN NULL ELSE current_date - age_days END,
            CASE WHEN no_dob THEN (age_days / 365)::smallint END,
            CASE WHEN pg_temp.h(k, 47) % 50 = 0 THEN 'UNKNOWN' WHEN female THEN 'FEMALE' ELSE 'MALE' END::gender,
            CASE WHEN pg_temp.h(k, 48) % 10 < 6 THEN 'BX/' || lpad(k::text, 7, '0') END,
            CASE WHEN pg_temp.h(k, 49) % 5 = 0 THEN nhs END,
            CASE WHEN child AND pg_temp.h(k, 50) % 5 < 2 THEN 'Z' || lpad(k::text, 12, '0') END,
            CASE WHEN child AND pg_temp.h(k, 51) % 10 < 3 THEN 'BSC-' || k END,
            $7::uuid, created, created
       FROM generate_series($1::bigint, $2::bigint) k
      CROSS JOIN LATERAL (SELECT k % 5 < 3 AS child) c
      CROSS JOIN LATERAL (SELECT CASE WHEN child THEN pg_temp.h(k, 40) % 10 < 8 ELSE pg_temp.h(k, 40) % 100 < 15 END AS female,
                                 CASE WHEN child THEN 8 * 365 + (pg_temp.h(k, 52) % (10 * 365))::int
                                      ELSE 18 * 365 + (pg_temp.h(k, 52) % (42 * 365))::int END AS age_days,
                                 pg_temp.h(k, 53) % 10 = 0 AS no_dob,
                                 timestamptz '${PERIOD_START}' + (k + 0.5) * ((timestamptz '${PERIOD_END}' - timestamptz '${PERIOD_START}') / $8::int)
                                   AS created) a
      -- NHS numbers in 997 000 000 + k, with their modulus 11 check digit (none when it would be 10)
      CROSS JOIN LATERAL (SELECT (997000000 + k)::text AS base) b
      CROSS JOIN LATERAL (SELECT 11 - (SELECT sum(substr(base, p, 1)::int * (11 - p)) FROM generate_series(1, 9) p) % 11 AS check_digit) cd
      CROSS JOIN LATERAL (SELECT CASE WHEN check_digit = 10 THEN NULL ELSE base || (check_digit % 11)::text END AS nhs) n
      ORDER BY k`,
    [GIRLS, BOYS, SURNAMES, NICKNAMES, gmp, COUNTS.subjects],
  );
}

/** Child subject number for a random draw (k % 5 in 0..2), and adult (3..4). */
const childOf = (h) => `((${h}) % ${Math.floor(COUNTS.subjects / 5)}) * 5 + (${h}) / 7 % 3`;
const adultOf = (h) => `((${h}) % ${Math.floor(COUNTS.subjects / 5)}) * 5 + 3 + (${h}) / 7 % 2`;

async function insertLinks(db) {
  const investigator = await idOf(db, `SELECT id FROM users WHERE email = 'investigator@gmp.example'`);
  // 0 to 3 subjects per report (1.3 on average): a child at risk, an adult suspect, then a witness or associate.
  await chunked(
    db,
    COUNTS.reports,
    `INSERT INTO report_subjects (report_id, subject_id, role, linked_by_user_id, linked_at)
     SELECT pg_temp.uid('report', i), pg_temp.uid('subject', sk), role::subject_role, $3::uuid, r.received_at + interval '1 day'
       FROM generate_series($1::bigint, $2::bigint) i
       JOIN intelligence_reports r ON r.id = pg_temp.uid('report', i)
      CROSS JOIN LATERAL (SELECT CASE WHEN pg_temp.h(i, 60) % 10 < 3 THEN 0 WHEN pg_temp.h(i, 60) % 10 < 7 THEN 1
                                      WHEN pg_temp.h(i, 60) % 10 < 9 THEN 2 ELSE 3 END AS links) l
      CROSS JOIN LATERAL (VALUES (1, ${childOf('pg_temp.h(i, 61)')}, 'POTENTIAL_VICTIM'),
                                 (2, ${adultOf('pg_temp.h(i, 62)')}, 'POTENTIAL_PERPETRATOR'),
                                 (3, pg_temp.h(i, 63) % ${COUNTS.subjects}, CASE WHEN pg_temp.h(i, 64) % 2 = 0 THEN 'WITNESS' ELSE 'ASSOCIATE' END))
                     AS v(n, sk, role)
      WHERE v.n <= l.links
     ON CONFLICT DO NOTHING`,
    [investigator],
  );
}

async function insertFlags(db) {
  const supervisor = await idOf(db, `SELECT id FROM users WHERE email = 'supervisor@gmp.example'`);
  const investigator = await idOf(db, `SELECT id FROM users WHERE email = 'investigator@gmp.example'`);
  const gmp = await idOf(db, `SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`);
  // Flag j is on subject (j * 7919) mod subjects: distinct subjects, so never two open flags of a kind.
  // A child under 13 (by the trigger's own reckoning) is MEDIUM or HIGH, never LOW.
  await db.query(
    `INSERT INTO flags (id, subject_id, kind, risk_level, status, reason, review_date, set_by_user_id, set_by_agency_id, set_at,
        ended_at, ended_by_user_id, end_reason, rejected_at, rejected_by_user_id, rejection_reason)
     SELECT pg_temp.uid('flag', j), s.id, CASE WHEN child THEN 'CSE_RISK' ELSE 'CSE_PERPETRATOR' END::flag_kind,
            CASE WHEN years < 13 THEN (ARRAY['MEDIUM', 'HIGH'])[1 + pg_temp.h(j, 71) % 2]
                 ELSE (ARRAY['LOW', 'MEDIUM', 'MEDIUM', 'HIGH'])[1 + pg_temp.h(j, 71) % 4] END::risk_level,
            st::flag_status,
            CASE WHEN child THEN 'Missing episodes, older associates and unexplained gifts reported by several agencies'
                 ELSE 'Named in several reports as collecting girls in cars and supplying alcohol' END,
            (set_at + interval '90 days')::date,
            CASE WHEN st IN ('ACTIVE', 'ENDED') THEN $2::uuid ELSE $3::uuid END, $4::uuid, set_at,
            CASE WHEN st = 'ENDED' THEN set_at + make_interval(days => (30 + pg_temp.h(j, 72) % 90)::int) END,
            CASE WHEN st = 'ENDED' THEN $2::uuid END,
            CASE WHEN st = 'ENDED' THEN 'Reviewed: risk reduced, support in place' END,
            CASE WHEN st = 'REJECTED' THEN set_at + make_interval(days => (2 + pg_temp.h(j, 73) % 6)::int) END,
            CASE WHEN st = 'REJECTED' THEN $2::uuid END,
            CASE WHEN st = 'REJECTED' THEN 'Not corroborated by the other agencies involved' END
       FROM generate_series(0, $1::bigint - 1) j
      CROSS JOIN LATERAL (SELECT (j * 7919) % ${COUNTS.subjects} AS k) sk
       JOIN subjects s ON s.id = pg_temp.uid('subject', sk.k)
      CROSS JOIN LATERAL (SELECT sk.k % 5 < 3 AS child,
                                 coalesce(date_part('year', age(current_date, s.date_of_birth))::int, s.approximate_age) AS years,
                                 CASE WHEN pg_temp.h(j, 70) % 100 < 85 THEN 'ACTIVE' WHEN pg_temp.h(j, 70) % 100 < 93 THEN 'ENDED'
                                      WHEN pg_temp.h(j, 70) % 100 < 97 THEN 'PROPOSED' ELSE 'REJECTED' END AS st,
                                 now() - interval '150 days' - make_interval(days => (pg_temp.h(j, 74) % 1700)::int) AS set_at) x`,
    [COUNTS.flags, supervisor, investigator, gmp],
  );
}

async function insertCrimes(db, divisionSpan) {
  const investigator = await idOf(db, `SELECT id FROM users WHERE email = 'investigator@gmp.example'`);
  await db.query(
    `INSERT INTO crimes (id, crime_reference, offence, division_id, recorded_on, recorded_by_user_id, created_at)
     SELECT pg_temp.uid('crime', c), 'GMP-BENCH-' || lpad(c::text, 7, '0'), pg_temp.pick($2::text[], pg_temp.h(c, 80)),
            coalesce(dw.division_id, 'rochdale'), rec::date, $3::uuid, rec
       FROM generate_series(0, $1::bigint - 1) c
       JOIN division_weights dw ON (pg_temp.h(c, 81) % $4::int) BETWEEN dw.lo AND dw.hi
      CROSS JOIN LATERAL (SELECT timestamptz '${PERIOD_START}'
                                   + (c + 0.5) * ((timestamptz '${PERIOD_END}' - timestamptz '${PERIOD_START}') / $1::int) AS rec) t`,
    [COUNTS.crimes, OFFENCES, investigator, divisionSpan],
  );
  // 1 to 3 victims (children) and 0 to 2 suspects (adults) per crime.
  await db.query(
    `INSERT INTO crime_subjects (crime_id, subject_id, role)
     SELECT pg_temp.uid('crime', c), pg_temp.uid('subject', sk), role::crime_role
       FROM generate_series(0, $1::bigint - 1) c
      CROSS JOIN LATERAL (VALUES (1, ${childOf('pg_temp.h(c, 82)')}, 'VICTIM'), (2, ${childOf('pg_temp.h(c, 83)')}, 'VICTIM'),
                                 (3, ${childOf('pg_temp.h(c, 84)')}, 'VICTIM'), (4, ${adultOf('pg_temp.h(c, 85)')}, 'SUSPECT'),
                                 (5, ${adultOf('pg_temp.h(c, 86)')}, 'SUSPECT')) AS v(n, sk, role)
      WHERE (v.n <= 3 AND v.n <= 1 + pg_temp.h(c, 87) % 3) OR (v.n > 3 AND v.n - 3 <= pg_temp.h(c, 88) % 3)
     ON CONFLICT DO NOTHING`,
    [COUNTS.crimes],
  );
}

// ---------------------------------------------------------------------------------------------
// Audit trail

const AUDIT_MONTHS = 12;

async function insertAuditEvents() {
  const db = await connect();
  // The last twelve months, each in its partition (created as the service would).
  await db.query(
    `SELECT audit_ensure_partition((date_trunc('month', now()) - make_interval(months => m))::date) FROM generate_series(0, $1::int) m`,
    [AUDIT_MONTHS],
  );
  // Actors: the police demo users and the generated reporters, with their agencies and roles.
  await db.query(
    `CREATE UNLOGGED TABLE IF NOT EXISTS bench_audit_actors AS
     SELECT row_number() OVER (ORDER BY u.email) - 1 AS n, u.id, u.agency_id, u.roles::text[] AS roles
       FROM users u WHERE u.email LIKE '%@gmp.example' AND u.email <> 'auditor@gmp.example' OR u.email LIKE '%@bench.example'`,
  );
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM bench_audit_actors`);
  const actorCount = rows[0].n;
  const gmp = await idOf(db, `SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`);
  await db.end();

  const from = `date_trunc('month', now()) - make_interval(months => ${AUDIT_MONTHS})`;
  const statement = `INSERT INTO audit_events (occurred_at, request_id, actor_id, actor_kind, actor_agency_id, actor_roles, token_id,
        operation_field, document_hash, client_address, user_agent, action, outcome, reason, record_kind, record_ids, record_agency_ids,
        subject_ids, record_count, details)
     SELECT ${from} + (e + 0.5) * ((now() - interval '1 hour' - (${from})) / $3::bigint),
            pg_temp.uid('request', e)::text, a.id, 'USER', a.agency_id, a.roles, pg_temp.uid('token', e / 40)::text,
            CASE act WHEN 'READ' THEN 'intelligenceReport' WHEN 'LIST' THEN 'intelligenceReports' WHEN 'SEARCH' THEN 'searchIntelligence'
                     WHEN 'CHANGE' THEN 'submitIntelligence' WHEN 'WRITE' THEN 'submitIntelligence' ELSE 'login' END,
            md5('doc' || (pg_temp.h(e, 91) % 50)), '10.20.' || (pg_temp.h(e, 92) % 256) || '.' || (pg_temp.h(e, 93) % 256),
            'Mozilla/5.0 (bench)', act, outcome,
            CASE outcome WHEN 'DENIED' THEN 'FORBIDDEN' WHEN 'FAILED' THEN 'BAD_USER_INPUT' END,
            CASE WHEN act IN ('LOGIN', 'WRITE') THEN NULL ELSE 'intelligence_report' END,
            ids, CASE WHEN cardinality(ids) > 0 THEN ARRAY[$4::uuid] ELSE '{}' END,
            CASE WHEN cardinality(ids) > 0 AND pg_temp.h(e, 94) % 2 = 0
                 THEN ARRAY[pg_temp.uid('subject', pg_temp.h(e, 95) % $5::bigint)] ELSE '{}' END,
            cardinality(ids),
            CASE act WHEN 'LIST' THEN jsonb_build_object('filter', jsonb_build_object('division', 'rochdale'), 'count', cardinality(ids))
                     WHEN 'SEARCH' THEN jsonb_build_object('text', 'taxi', 'count', cardinality(ids))
                     WHEN 'READ' THEN jsonb_build_object('fields', ARRAY['id', 'reference', 'narrative', 'receivedAt'], 'redacted', ARRAY['informant'])
                     ELSE '{}' END
       FROM generate_series($1::bigint, $2::bigint) e
       JOIN bench_audit_actors a ON a.n = pg_temp.h(e, 90) % ${actorCount}
      CROSS JOIN LATERAL (SELECT CASE WHEN pg_temp.h(e, 96) % 100 < 45 THEN 'READ' WHEN pg_temp.h(e, 96) % 100 < 75 THEN 'LIST'
                                      WHEN pg_temp.h(e, 96) % 100 < 85 THEN 'SEARCH' WHEN pg_temp.h(e, 96) % 100 < 92 THEN 'CHANGE'
                                      WHEN pg_temp.h(e, 96) % 100 < 97 THEN 'LOGIN' ELSE 'WRITE' END AS act,
                                 CASE WHEN pg_temp.h(e, 97) % 100 < 97 THEN 'ALLOWED' WHEN pg_temp.h(e, 97) % 100 < 99 THEN 'DENIED'
                                      ELSE 'FAILED' END AS outcome) x
      CROSS JOIN LATERAL (SELECT ARRAY(SELECT pg_temp.uid('report', (pg_temp.h(e, 98) + g * 104729) % $6::bigint)
                                         FROM generate_series(1, CASE WHEN outcome <> 'ALLOWED' THEN 0
                                                                      WHEN act IN ('READ', 'CHANGE') THEN 1
                                                                      WHEN act IN ('LIST', 'SEARCH') THEN 1 + (pg_temp.h(e, 99) % 10)::int
                                                                      ELSE 0 END) g) AS ids) r
      ORDER BY e`;

  // AUDIT_WORKERS connections take batches in turn; each batch is its own transaction.
  let next = 0;
  const total = COUNTS.auditEvents;
  let done = 0;
  let lastReport = performance.now();
  const worker = async () => {
    const c = await connect();
    try {
      for (;;) {
        const from = next;
        if (from >= total) break;
        next += AUDIT_BATCH;
        const to = Math.min(total, from + AUDIT_BATCH) - 1;
        await c.query(statement, [from, to, total, gmp, COUNTS.subjects, COUNTS.reports]);
        done += to - from + 1;
        if (performance.now() - lastReport > 15_000) {
          lastReport = performance.now();
          console.log(`    audit events: ${done.toLocaleString('en-GB')} of ${total.toLocaleString('en-GB')}`);
        }
      }
    } finally {
      await c.end();
    }
  };
  await Promise.all(Array.from({ length: AUDIT_WORKERS }, worker));
  const cleanup = await connect();
  await cleanup.query(`DROP TABLE bench_audit_actors`);
  await cleanup.end();
}

/**
 * Seals the generated events as the service's sealer would (src/audit/seal.ts: same ranges of
 * transactions, same chain, same hash via its own sealHash), so servers start with a settled trail.
 *
 * Not by calling sealAuditTrail itself: its query orders by the text casts of tx_id and id (the
 * SELECT list's aliases win in ORDER BY), which makes every seal read and sort the whole unsealed
 * trail as text (seconds per seal at 5M events, about an hour in all) and records events in text
 * order, which audit:verify (numeric order) then reports as moved at the first id crossing a power
 * of ten. See docs/performance.md. Here events are read in numeric order, one transaction per seal:
 * each generated transaction holds AUDIT_BATCH (= MAX_EVENTS_PER_SEAL) events, so its seal is the one
 * the service would cut.
 */
async function sealEvents() {
  const { sealHash, MAX_EVENTS_PER_SEAL } = require('../dist/src/audit/seal.js');
  if (AUDIT_BATCH > MAX_EVENTS_PER_SEAL) throw new Error('AUDIT_BATCH must not exceed MAX_EVENTS_PER_SEAL');
  const db = await connect();
  let seals = 0;
  try {
    for (;;) {
      await db.query('BEGIN');
      await db.query('SELECT pg_advisory_xact_lock($1)', [0x5afe_5ea1]); // the sealers' lock (SEAL_LOCK)
      const [last] = (await db.query(`SELECT to_tx::text, seal_hash FROM audit_seals ORDER BY id DESC LIMIT 1`)).rows;
      const [{ horizon }] = (await db.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon`)).rows;
      const from = last?.to_tx ?? '0';
      // The service's cut: up to MAX_EVENTS_PER_SEAL events, between transactions, never inside one.
      const { rows: head } = await db.query(
        `SELECT e.tx_id::text AS tx FROM audit_events e WHERE e.tx_id >= $1::xid8 AND e.tx_id < $2::xid8
          ORDER BY e.tx_id, e.id LIMIT ${MAX_EVENTS_PER_SEAL + 1}`,
        [from, horizon],
      );
      if (head.length === 0) {
        await db.query('ROLLBACK');
        break;
      }
      let to = horizon;
      if (head.length > MAX_EVENTS_PER_SEAL) {
        to = head[MAX_EVENTS_PER_SEAL].tx;
        if (to === head[0].tx) to = (BigInt(to) + 1n).toString(); // one huge transaction: a seal of its own
      }
      const { rows: events } = await db.query(
        `SELECT e.id::text AS id, e.row_hash, e.occurred_at::text AS occurred_at FROM audit_events e WHERE e.tx_id >= $1::xid8 AND e.tx_id < $2::xid8
          ORDER BY e.tx_id, e.id`,
        [from, to],
      );
      const ids = events.map((e) => e.id);
      const hashes = events.map((e) => e.row_hash);
      const prev = last?.seal_hash ?? null;
      // First and last times from the rows just read: the service's min()/max() over the range is
      // planned as a backward scan of the time index filtered by tx_id, seconds per seal here.
      // (Text in UTC, microseconds kept; in this format text order is time order.)
      const times = events.map((e) => e.occurred_at).sort();
      await db.query(
        `INSERT INTO audit_seals (from_tx, to_tx, event_count, first_occurred_at, last_occurred_at, event_ids, event_hashes, prev_hash, seal_hash)
         VALUES ($1::xid8, $2::xid8, $3, $4, $5, $6::bigint[], $7::bytea[], $8, $9)`,
        [from, to, ids.length, times[0], times.at(-1), ids, hashes, prev, sealHash(prev, from, to, ids, hashes)],
      );
      await db.query('COMMIT');
      seals++;
    }
  } finally {
    await db.end();
  }
  return seals;
}

// ---------------------------------------------------------------------------------------------

console.log(`bench data: ${url.replace(/\/\/[^@]*@/, '//')}`);
console.log(
  `  ${Object.entries(COUNTS)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-GB')}`)
    .join(', ')}`,
);
const state = await prepareDatabase();
if (state === 'current') {
  console.log('  already generated (BENCH_REGENERATE=1 to rebuild)');
  process.exit(0);
}
if (state === 'migrate') {
  await step('migrate the existing dataset forward', () => execFileSync('node', [main, 'migrate'], { env, stdio: 'inherit' }));
  const db = await connect();
  await db.query('ANALYZE');
  await setMarker(db);
  await db.end();
  console.log('  migrated (BENCH_REGENERATE=1 to rebuild from scratch)');
  process.exit(0);
}
await step('migrate and seed the demo', () => {
  execFileSync('node', [main, 'migrate'], { env, stdio: 'inherit' });
  execFileSync('node', [main, 'seed'], { env, stdio: 'inherit' });
});
const db = await connect();
const slotCount = await step('agencies, divisions and users', () => insertAgencies(db));
const divisionSpan = await insertDivisionWeights(db);
await step(`intelligence reports (${COUNTS.reports.toLocaleString('en-GB')}) and informants`, () =>
  insertReports(db, slotCount, divisionSpan),
);
await step(`subjects (${COUNTS.subjects.toLocaleString('en-GB')})`, () => insertSubjects(db));
await step('report-subject links', () => insertLinks(db));
// Statistics for the tables just filled: the flag triggers plan their lookups once, and on tables
// the planner still believes empty those plans scan (minutes instead of seconds for the flags).
await step('ANALYZE', () => db.query('ANALYZE'));
await step(`flags (${COUNTS.flags.toLocaleString('en-GB')})`, () => insertFlags(db));
await step(`crimes (${COUNTS.crimes.toLocaleString('en-GB')}) and their victims and suspects`, () => insertCrimes(db, divisionSpan));
await step(`audit events (${COUNTS.auditEvents.toLocaleString('en-GB')}, hashed by the trigger)`, () => insertAuditEvents());
const seals = await step('seal the audit trail', () => sealEvents());
await step('VACUUM ANALYZE', async () => {
  await db.query('VACUUM (ANALYZE)');
});
const { rows: sizes } = await db.query(`
  SELECT (SELECT count(*) FROM intelligence_reports)::int AS reports, (SELECT count(*) FROM subjects)::int AS subjects,
         (SELECT count(*) FROM report_subjects)::int AS links, (SELECT count(*) FROM flags)::int AS flags,
         (SELECT count(*) FROM crimes)::int AS crimes, (SELECT count(*) FROM agencies)::int AS agencies,
         (SELECT count(*) FROM audit_events)::int AS audit_events, pg_size_pretty(pg_database_size(current_database())) AS size`);
await setMarker(db);
await db.end();
const total = (performance.now() - started) / 1000;
console.log(`  ${seals} seals; rows: ${JSON.stringify(sizes[0])}`);
console.log(`generated in ${(total / 60).toFixed(1)} min (${total.toFixed(0)} s)`);
console.table(timings);
