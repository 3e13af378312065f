import type { DataSource } from 'typeorm';
import { AgencyKind } from '../agencies/agency-kind';
import { hashSecret, type Argon2Params } from '../auth/passwords';
import { Role } from '../policy/roles';
import { ServiceScope } from '../users/service-account.entity';
import { seedCurrentCohort } from './demo-current';
import { seedDemoRecords } from './demo-records';
import { withSystemContext } from '../db/row-security';
import { fanOutNotice } from '../notifications/fan-out';
import {
  agencyIdByName,
  insertAgencyDivisions,
  insertDemoAgency,
  insertDemoServiceAccount,
  insertDemoUser,
  insertDemoBreakGlass,
  insertDemoAgreement,
  pendingNoticeIds,
  raiseDemoNotices,
} from './demo.queries';

/** Demo credentials, published in docs/api.md and the README. A real deployment seeds no users. */
export const DEMO_PASSWORD = 'safeshare-demo';
export const DEMO_CLIENT_ID = 'safe-futures-app';
export const DEMO_CLIENT_SECRET = 'safeshare-demo-secret';

const ALL_DIVISIONS = [
  'bolton',
  'bury',
  'north-manchester',
  'oldham',
  'rochdale',
  'salford',
  'south-manchester',
  'stockport',
  'tameside',
  'trafford',
  'wigan',
];

/** Synthetic agencies: names are invented for the demo and describe no real organisation's staff. */
export const DEMO_AGENCIES: { key: string; name: string; kind: AgencyKind; divisions: string[] }[] = [
  { key: 'gmp', name: 'Greater Manchester Police', kind: AgencyKind.POLICE, divisions: ALL_DIVISIONS },
  { key: 'rochdale-csc', name: "Rochdale Children's Social Care", kind: AgencyKind.SOCIAL_CARE, divisions: ['rochdale'] },
  { key: 'brookfield-high', name: 'Brookfield High School', kind: AgencyKind.EDUCATION, divisions: ['rochdale'] },
  { key: 'northern-health', name: 'Northern Health Trust', kind: AgencyKind.HEALTH, divisions: ['rochdale', 'oldham', 'bury'] },
  { key: 'safe-futures', name: 'Safe Futures', kind: AgencyKind.VOLUNTARY, divisions: ['rochdale', 'oldham'] },
  { key: 'oversight', name: 'Office of the Police and Crime Commissioner', kind: AgencyKind.OVERSIGHT, divisions: [] },
];

/** The demo accounts (docs/api.md, "Demo accounts"), all with DEMO_PASSWORD; seeded with their roles in force (no grants). */
export const DEMO_USERS: { email: string; displayName: string; agency: string; roles: Role[] }[] = [
  { email: 'analyst@gmp.example', displayName: 'Demo Analyst', agency: 'gmp', roles: [Role.ANALYST] },
  { email: 'investigator@gmp.example', displayName: 'Demo Investigator', agency: 'gmp', roles: [Role.INVESTIGATOR] },
  { email: 'supervisor@gmp.example', displayName: 'Demo Supervisor', agency: 'gmp', roles: [Role.SUPERVISOR] },
  { email: 'auditor@gmp.example', displayName: 'Demo Police Auditor', agency: 'gmp', roles: [Role.AUDITOR] },
  { email: 'practitioner@rochdale-csc.example', displayName: 'Demo Social Worker', agency: 'rochdale-csc', roles: [Role.PRACTITIONER] },
  {
    email: 'lead@brookfield-high.example',
    displayName: 'Demo Safeguarding Lead',
    agency: 'brookfield-high',
    roles: [Role.SAFEGUARDING_LEAD, Role.REPORTER],
  },
  {
    email: 'nurse@northern-health.example',
    displayName: 'Demo School Nurse',
    agency: 'northern-health',
    roles: [Role.PRACTITIONER, Role.REPORTER],
  },
  { email: 'reporter@safe-futures.example', displayName: 'Demo Outreach Worker', agency: 'safe-futures', roles: [Role.REPORTER] },
  { email: 'auditor@oversight.example', displayName: 'Demo Oversight Auditor', agency: 'oversight', roles: [Role.AUDITOR] },
  { email: 'admin@oversight.example', displayName: 'Demo Oversight Admin', agency: 'oversight', roles: [Role.ADMIN] },
  // Second administrators: a grant one administrator requests is approved by another.
  { email: 'admin2@oversight.example', displayName: 'Demo Second Oversight Admin', agency: 'oversight', roles: [Role.ADMIN] },
  { email: 'admin@brookfield-high.example', displayName: 'Demo School Admin', agency: 'brookfield-high', roles: [Role.ADMIN] },
];

/** Past break-glass uses awaiting an auditor's review (synthetic reasons). */
export const DEMO_BREAK_GLASS = [
  {
    email: 'practitioner@rochdale-csc.example',
    reason: 'Out-of-hours placement decision: police history needed before the duty manager could agree a return home',
    daysAgo: 2,
  },
  {
    email: 'nurse@northern-health.example',
    reason: 'Child presented at A&E late at night with an older adult; checking for known exploitation risks',
    daysAgo: 3,
  },
];

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/**
 * The demo's register of information-sharing agreements (synthetic): the partnership's CSE protocol,
 * which the demo's disclosures cite, and a data-sharing agreement with the voluntary group whose
 * review date has passed (so the register and the review clock have something to show).
 */
export const DEMO_AGREEMENTS = () => [
  {
    reference: 'ISA-GM-CSE-2012',
    title: 'Rochdale multi-agency child sexual exploitation information-sharing protocol',
    purpose: 'Sharing what partners know of children at risk of sexual exploitation and of those who exploit them, to safeguard them',
    gateways: [
      'CHILDREN_ACT_1989_S47',
      'CHILDREN_ACT_1989_S17',
      'CHILDREN_ACT_2004_S11',
      'CRIME_AND_DISORDER_ACT_1998_S115',
      'DPA_2018_SCH8_SAFEGUARDING',
      'CONSENT',
    ],
    dataCategories: ['INTELLIGENCE_SUMMARY', 'SUBJECT_IDENTITY', 'RISK_FLAGS', 'INVOLVEMENTS', 'EDUCATION', 'HEALTH', 'SOCIAL_CARE'],
    conditions: 'Shared with the named practitioner or designated safeguarding lead only; not passed on without police consent',
    startsOn: '2012-04-01',
    reviewOn: inDays(180),
    parties: ['gmp', 'rochdale-csc', 'brookfield-high', 'northern-health', 'safe-futures'],
  },
  {
    reference: 'ISA-GM-VOL-2021',
    title: 'Outreach referrals from Safe Futures to Greater Manchester Police',
    purpose: 'Passing outreach workers’ concerns about exploitation to police, and police advice back to the outreach team',
    gateways: ['CRIME_AND_DISORDER_ACT_1998_S115', 'CONSENT'],
    dataCategories: ['INTELLIGENCE_SUMMARY', 'SUBJECT_IDENTITY'],
    conditions: null,
    startsOn: '2021-06-01',
    reviewOn: inDays(-20),
    parties: ['gmp', 'safe-futures'],
  },
];

/**
 * Seeds the synthetic demo: agencies, users, a partner app and the GMP records; with
 * `currentCohort` (the service's start and `npm run seed`) also the cohort of the ten months before
 * today (demo-current.ts). Idempotent: what already exists (by agency name, email, client id) is
 * left alone, so running it twice changes nothing. Tests seed without the current cohort, so their
 * figures do not depend on the day they run.
 */
export async function seedDemo(db: DataSource, argon2: Argon2Params, options: { currentCohort?: boolean } = {}): Promise<void> {
  const passwordHash = await hashSecret(DEMO_PASSWORD, argon2);
  const secretHash = await hashSecret(DEMO_CLIENT_SECRET, argon2);
  await withSystemContext(db, async (tx) => {
    const agencyIds = new Map<string, string>();
    for (const agency of DEMO_AGENCIES) {
      await insertDemoAgency(tx, agency.name, agency.kind);
      const id = await agencyIdByName(tx, agency.name);
      agencyIds.set(agency.key, id);
      await insertAgencyDivisions(tx, id, agency.divisions);
    }
    for (const user of DEMO_USERS) {
      await insertDemoUser(tx, [agencyIds.get(user.agency), user.email, user.displayName, passwordHash, user.roles]);
    }
    await insertDemoServiceAccount(tx, [
      agencyIds.get('safe-futures'),
      DEMO_CLIENT_ID,
      secretHash,
      [ServiceScope.SUBMIT_INTELLIGENCE, ServiceScope.READ_OWN_SUBMISSIONS],
    ]);
    for (const a of DEMO_AGREEMENTS()) {
      const parties = a.parties.map((key) => DEMO_AGENCIES.find((agency) => agency.key === key)!.name);
      await insertDemoAgreement(tx, [
        a.reference,
        a.title,
        a.purpose,
        a.gateways,
        a.dataCategories,
        a.conditions,
        a.startsOn,
        a.reviewOn,
        'supervisor@gmp.example',
        parties,
      ]);
    }
  });
  await seedDemoRecords(db, options.currentCohort ? { alsoSeed: (tx, ids) => seedCurrentCohort(tx, ids) } : {});
  await withSystemContext(db, (tx) => insertDemoBreakGlass(tx, DEMO_BREAK_GLASS));
  // Every demo inbox has something in it from the first sign-in, whether or not workers run yet.
  const pending = await withSystemContext(db, async (tx) => {
    await raiseDemoNotices(tx);
    return pendingNoticeIds(tx);
  });
  for (const id of pending) await fanOutNotice(db, id);
}
