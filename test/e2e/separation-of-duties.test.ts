import { AgencyKind } from '../../src/agencies/agency-kind';
import { Role } from '../../src/policy/roles';
import { pendingGrants } from '../support/grants';
import { createAgency as insertAgency, createPrincipal, type TestPrincipal } from '../support/principals';
import { codes, startTestApp, type GqlResult, type TestApp } from '../support/test-app';

/**
 * Separation of duties: one administrator alone can no longer admit an agency, give anyone a role
 * that reads police content or the trail or controls accounts, or act through an account they made.
 */
let app: TestApp;
const PASSWORD = 'a-long-enough-passphrase';
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  app = await startTestApp();
  for (const email of [
    'admin@oversight.example',
    'admin2@oversight.example',
    'admin@brookfield-high.example',
    'auditor@oversight.example',
  ]) {
    tokens[email] = (await app.login(email)).accessToken;
    [{ id: ids[email] }] = await app.db.query(`SELECT id FROM users WHERE email = $1`, [email]);
  }
});
afterAll(() => app.close());

const ADMIN = 'admin@oversight.example';
const ADMIN2 = 'admin2@oversight.example';
const SCHOOL_ADMIN = 'admin@brookfield-high.example';

const CREATE_AGENCY = 'mutation($i: CreateAgencyInput!) { createAgency(input: $i) { id status } }';
const CREATE_USER = 'mutation($i: CreateUserInput!) { createUser(input: $i) { id roles pendingRoles } }';
const APPROVE = 'mutation($id: ID!) { approveGrant(id: $id) { id kind status decidedById reason agency { id status } userId roles } }';
const REJECT = 'mutation($id: ID!, $r: String!) { rejectGrant(id: $id, reason: $r) { id status decidedById reason } }';
const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }';
const REPORTS = '{ intelligenceReports(first: 5) { edges { node { id informant { name } } } } }';

type Grant = { id: string; kind: string; status: string; decidedById: string | null; reason: string | null };
const approve = (id: string, token: string) => app.gql<{ approveGrant: Grant & { agency: { status: string } } }>(APPROVE, { id }, token);
const reject = (id: string, reason: string, token: string) => app.gql<{ rejectGrant: Grant }>(REJECT, { id, r: reason }, token);

let n = 0;
const unique = (prefix: string) => `${prefix} ${process.pid}-${++n}`;
const emailOf = (prefix: string) => `${prefix}-${process.pid}-${++n}@sod.example`;

async function newAgency(kind = 'POLICE', token = tokens[ADMIN]): Promise<{ id: string; grantId: string }> {
  const r = await app.gql<{ createAgency: { id: string; status: string } }>(CREATE_AGENCY, { i: { name: unique('Agency'), kind } }, token);
  expect(codes(r)).toEqual([]);
  expect(r.body.data!.createAgency.status).toBe('PENDING_APPROVAL');
  const [{ id: grantId }] = await app.db.query(`SELECT id FROM grants WHERE agency_id = $1 AND kind = 'AGENCY'`, [
    r.body.data!.createAgency.id,
  ]);
  return { id: r.body.data!.createAgency.id, grantId };
}

async function newUser(token: string, roles: string[], agencyId?: string) {
  const email = emailOf('user');
  const r = await app.gql<{ createUser: { id: string; roles: string[]; pendingRoles: string[] } }>(
    CREATE_USER,
    { i: { email, displayName: 'Synthetic Person', password: PASSWORD, roles, agencyId } },
    token,
  );
  expect(codes(r)).toEqual([]);
  const [grant] = await app.db.query(`SELECT id FROM grants WHERE user_id = $1 AND status = 'PENDING'`, [r.body.data!.createUser.id]);
  return { ...r.body.data!.createUser, email, grantId: (grant?.id as string | undefined) ?? null };
}

const signIn = (email: string) => app.gql<{ login: { accessToken: string; refreshToken: string } }>(LOGIN, { e: email, p: PASSWORD });

/** Everything a decision may change: grants, agencies' status, users' roles, history and change events. */
async function state() {
  const [grants, agencies, users, history] = await Promise.all([
    app.db.query(`SELECT id, status, decided_by_id, reason FROM grants ORDER BY id`),
    app.db.query(`SELECT id, status FROM agencies ORDER BY id`),
    app.db.query(`SELECT id, roles, pending_roles, disabled_at FROM users ORDER BY id`),
    app.db.query(`SELECT count(*)::int AS n FROM record_history`),
  ]);
  return JSON.stringify({ grants, agencies, users, history });
}

async function expectRefused(r: Promise<GqlResult>, code: string, before: string) {
  expect(codes(await r)).toEqual([code]);
  expect(await state()).toBe(before);
}

describe('a new agency', () => {
  it('is PENDING_APPROVAL, listed to its requester who may not approve it, and approved by a second OVERSIGHT admin', async () => {
    const agency = await newAgency('POLICE');
    const listed = (await pendingGrants(app, tokens[ADMIN])).find((g) => g.agency?.id === agency.id);
    expect(listed).toMatchObject({ id: agency.grantId, kind: 'AGENCY', status: 'PENDING', canDecide: false, requestedById: ids[ADMIN] });
    await expectRefused(approve(agency.grantId, tokens[ADMIN]), 'FORBIDDEN', await state());
    expect((await pendingGrants(app, tokens[ADMIN2])).find((g) => g.id === agency.grantId)?.canDecide).toBe(true);

    const r = await approve(agency.grantId, tokens[ADMIN2]);
    expect(codes(r)).toEqual([]);
    expect(r.body.data!.approveGrant).toMatchObject({ status: 'APPROVED', decidedById: ids[ADMIN2], agency: { status: 'ACTIVE' } });
    const [{ status }] = await app.db.query(`SELECT status FROM agencies WHERE id = $1`, [agency.id]);
    expect(status).toBe('ACTIVE');
    expect((await pendingGrants(app, tokens[ADMIN])).some((g) => g.id === agency.grantId)).toBe(false);
  });

  it('refuses its users at sign-in exactly as a wrong password, and their existing sessions, until it is approved', async () => {
    const agency = await newAgency('VOLUNTARY');
    const user = await newUser(tokens[ADMIN], ['ADMIN'], agency.id);
    const refused = await signIn(user.email);
    const wrong = await app.gql(LOGIN, { e: user.email, p: 'not-the-password-at-all' });
    const unknown = await app.gql(LOGIN, { e: emailOf('nobody'), p: PASSWORD });
    expect(codes(refused)).toEqual(['UNAUTHENTICATED']);
    expect(refused.body.errors![0].message).toBe(wrong.body.errors![0].message);
    expect(refused.body.errors![0].message).toBe(unknown.body.errors![0].message);
    // A session made by other means (a reporter in the pending agency) resolves to nobody.
    const inside = await createPrincipal(app, agency.id, [Role.REPORTER]);
    expect(codes(await app.gql('{ me { id } }', {}, inside.token))).toEqual(['UNAUTHENTICATED']);

    await approve(agency.grantId, tokens[ADMIN2]);
    expect(codes(await app.gql('{ me { id } }', {}, inside.token))).toEqual([]);
    // Signed in, but the ADMIN role is still only requested.
    const session = await signIn(user.email);
    expect(codes(session)).toEqual([]);
    const me = await app.gql<{ me: { roles: string[] } }>('{ me { roles } }', {}, session.body.data!.login.accessToken);
    expect(me.body.data!.me.roles).toEqual([]);
  });
});

describe('privileged roles', () => {
  it.each(['INVESTIGATOR', 'ANALYST', 'SUPERVISOR', 'AUDITOR', 'ADMIN'])(
    '%s is pending, not in force, until a second admin approves it (even for a cached principal)',
    async (role) => {
      const gmp: string = (await app.db.query(`SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`))[0].id;
      const gmpAdmin = await createPrincipal(app, gmp, [Role.ADMIN]);
      const user = await newUser(gmpAdmin.token, [role]);
      expect(user).toMatchObject({ roles: [], pendingRoles: [role] });
      const session = (await signIn(user.email)).body.data!.login.accessToken;
      const me = () => app.gql<{ me: { roles: string[] } }>('{ me { roles } }', {}, session);
      expect((await me()).body.data!.me.roles).toEqual([]);
      expect(codes(await app.gql(REPORTS, {}, session))).toEqual(['FORBIDDEN']);
      expect(codes(await approve(user.grantId!, gmpAdmin.token))).toEqual(['FORBIDDEN']);

      expect(codes(await approve(user.grantId!, tokens[ADMIN2]))).toEqual([]);
      // The cached principal no longer matches: refused once, then loaded with the role in force.
      expect(codes(await me())).toEqual(['UNAUTHENTICATED']);
      expect((await me()).body.data!.me.roles).toEqual([role]);
      const [row] = await app.db.query(`SELECT roles::text[] AS roles, pending_roles::text[] AS pending FROM users WHERE id = $1`, [
        user.id,
      ]);
      expect(row).toEqual({ roles: [role], pending: [] });
    },
  );

  it.each(['REPORTER', 'PRACTITIONER', 'SAFEGUARDING_LEAD'])('%s is in force at once, with no grant', async (role) => {
    const school: string = (await app.db.query(`SELECT id FROM agencies WHERE name = 'Brookfield High School'`))[0].id;
    const user = await newUser(tokens[SCHOOL_ADMIN], [role]);
    expect(user).toMatchObject({ roles: [role], pendingRoles: [], grantId: null });
    expect(school).toBeTruthy();
  });

  it('splits a mix: the ordinary roles in force, the privileged ones pending', async () => {
    const user = await newUser(tokens[ADMIN], ['AUDITOR', 'ADMIN']);
    expect(user).toMatchObject({ roles: [], pendingRoles: ['AUDITOR', 'ADMIN'] });
    const school = await newUser(tokens[SCHOOL_ADMIN], ['SAFEGUARDING_LEAD', 'AUDITOR']);
    expect(school).toMatchObject({ roles: ['SAFEGUARDING_LEAD'], pendingRoles: ['AUDITOR'] });
  });

  it('a rejection says why, leaves the roles out of force, disables an account left with none, and is final', async () => {
    const user = await newUser(tokens[ADMIN], ['AUDITOR']);
    const session = (await signIn(user.email)).body.data!.login.accessToken;
    const r = await reject(user.grantId!, 'Not needed for this post', tokens[ADMIN2]);
    expect(r.body.data!.rejectGrant).toMatchObject({ status: 'REJECTED', decidedById: ids[ADMIN2], reason: 'Not needed for this post' });
    const [row] = await app.db.query(
      `SELECT roles::text[] AS roles, pending_roles::text[] AS pending_roles, disabled_at FROM users WHERE id = $1`,
      [user.id],
    );
    expect(row).toMatchObject({ roles: [], pending_roles: [] });
    expect(row.disabled_at).not.toBeNull();
    expect(codes(await app.gql('{ me { id } }', {}, session))).toEqual(['UNAUTHENTICATED']);
    // The same person, or anyone, deciding it again: CONFLICT, and nothing changes.
    const before = await state();
    await expectRefused(approve(user.grantId!, tokens[ADMIN2]), 'CONFLICT', before);
    await expectRefused(reject(user.grantId!, 'again', tokens[ADMIN2]), 'CONFLICT', before);

    const kept = await newUser(tokens[SCHOOL_ADMIN], ['REPORTER', 'AUDITOR']);
    await reject(kept.grantId!, 'Reporting only', tokens[ADMIN]);
    const [after] = await app.db.query(`SELECT roles::text[] AS roles, disabled_at FROM users WHERE id = $1`, [kept.id]);
    expect(after).toEqual({ roles: ['REPORTER'], disabled_at: null });
    // An approved grant is as final.
    const approved = await newUser(tokens[ADMIN], ['AUDITOR']);
    await approve(approved.grantId!, tokens[ADMIN2]);
    await expectRefused(reject(approved.grantId!, 'changed my mind', tokens[ADMIN2]), 'CONFLICT', await state());
  });
});

describe('the single-administrator attack', () => {
  it('is blocked at each step; only a second, unrelated OVERSIGHT admin lets it through', async () => {
    const me = tokens[ADMIN];
    const force = await newAgency('POLICE', me);
    const first = await newUser(me, ['ADMIN'], force.id);
    expect(first.pendingRoles).toEqual(['ADMIN']);
    // Step 1: the agency and its first admin wait; the requester approves neither.
    let before = await state();
    await expectRefused(approve(force.grantId, me), 'FORBIDDEN', before);
    await expectRefused(approve(first.grantId!, me), 'FORBIDDEN', before);
    // Step 2: the first admin cannot sign in while the agency waits.
    expect(codes(await signIn(first.email))).toEqual(['UNAUTHENTICATED']);
    await approve(force.grantId, tokens[ADMIN2]);
    // Step 3: signed in, but not an admin until the role is approved.
    const asFirst = (await signIn(first.email)).body.data!.login.accessToken;
    expect(
      codes(
        await app.gql(CREATE_USER, { i: { email: emailOf('s'), displayName: 'S', password: PASSWORD, roles: ['SUPERVISOR'] } }, asFirst),
      ),
    ).toEqual(['FORBIDDEN']);
    await approve(first.grantId!, tokens[ADMIN2]);
    // Step 4: the new admin's supervisor waits; neither the new admin nor its creator approves it.
    const supervisor = await newUser(asFirst, ['SUPERVISOR']);
    expect(supervisor.pendingRoles).toEqual(['SUPERVISOR']);
    const asSupervisor = (await signIn(supervisor.email)).body.data!.login.accessToken;
    expect(codes(await app.gql(REPORTS, {}, asSupervisor))).toEqual(['FORBIDDEN']);
    before = await state();
    await expectRefused(approve(supervisor.grantId!, asFirst), 'FORBIDDEN', before);
    await expectRefused(approve(supervisor.grantId!, me), 'FORBIDDEN', before);
    const seen = (await pendingGrants(app, me)).find((g) => g.id === supervisor.grantId);
    expect(seen?.canDecide).toBe(false);
    // Step 5: an admin the new admin then makes is theirs too: it approves nothing of theirs.
    const second = await newUser(asFirst, ['ADMIN']);
    await approve(second.grantId!, tokens[ADMIN2]);
    const asSecond = (await signIn(second.email)).body.data!.login.accessToken;
    await expectRefused(approve(supervisor.grantId!, asSecond), 'FORBIDDEN', await state());
    const byCreatorOfCreator = await newUser(asSecond, ['INVESTIGATOR']);
    await expectRefused(approve(byCreatorOfCreator.grantId!, me), 'FORBIDDEN', await state());
    // Only the second OVERSIGHT admin, who made none of these accounts, lets it through.
    expect(codes(await approve(supervisor.grantId!, tokens[ADMIN2]))).toEqual([]);
    expect(codes(await app.gql(REPORTS, {}, asSupervisor))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await app.gql(REPORTS, {}, asSupervisor))).toEqual([]);
  });
});

describe('who may decide which grant', () => {
  /**
   * Every kind of grant against every kind of decider. Expected outcomes are the rules as stated:
   * a different OVERSIGHT admin for agencies and first admins; a different admin of the same agency
   * or an OVERSIGHT admin otherwise; never the requester, an account with its own grant pending,
   * an account the requester created or that created the requester; another agency's admins do not
   * see it; a non-admin is refused outright.
   */
  type GrantCase = 'AGENCY' | 'FIRST_ADMIN' | 'IN_AGENCY';
  type Decider =
    | 'requester'
    | 'otherOversight'
    | 'createdByRequester'
    | 'creatorOfRequester'
    | 'sameAgencyAdmin'
    | 'otherAgencyAdmin'
    | 'withPendingGrant'
    | 'nonAdmin';
  const ALLOWED = 'ALLOWED';
  const EXPECTED: Record<Decider, Record<GrantCase, string>> = {
    requester: { AGENCY: 'FORBIDDEN', FIRST_ADMIN: 'FORBIDDEN', IN_AGENCY: 'FORBIDDEN' },
    otherOversight: { AGENCY: ALLOWED, FIRST_ADMIN: ALLOWED, IN_AGENCY: ALLOWED },
    createdByRequester: { AGENCY: 'FORBIDDEN', FIRST_ADMIN: 'FORBIDDEN', IN_AGENCY: 'FORBIDDEN' },
    creatorOfRequester: { AGENCY: 'FORBIDDEN', FIRST_ADMIN: 'FORBIDDEN', IN_AGENCY: 'FORBIDDEN' },
    sameAgencyAdmin: { AGENCY: 'NOT_FOUND', FIRST_ADMIN: 'NOT_FOUND', IN_AGENCY: ALLOWED },
    otherAgencyAdmin: { AGENCY: 'NOT_FOUND', FIRST_ADMIN: 'NOT_FOUND', IN_AGENCY: 'NOT_FOUND' },
    withPendingGrant: { AGENCY: 'FORBIDDEN', FIRST_ADMIN: 'FORBIDDEN', IN_AGENCY: 'FORBIDDEN' },
    nonAdmin: { AGENCY: 'FORBIDDEN', FIRST_ADMIN: 'FORBIDDEN', IN_AGENCY: 'FORBIDDEN' },
  };

  let oversight: string;
  let policeAgency: string;
  let otherPolice: string;
  /** Requesters, by case: each an account whose creator is known. */
  const requesters: Record<GrantCase, TestPrincipal> = {} as never;
  const deciders: Record<GrantCase, Record<Decider, TestPrincipal>> = {} as never;

  /** Records that `by` requested `user`'s roles (as if it had created the account), approved by admin2. */
  async function sponsored(by: TestPrincipal, user: TestPrincipal, roles: Role[]) {
    await app.db.query(
      `INSERT INTO grants (kind, status, agency_id, user_id, roles, requested_by_id, requester_agency_id, decided_by_id, decided_at)
       VALUES ('ROLES', 'APPROVED', $1, $2, $3::role[], $4, $5, $6, now() - interval '30 days')`,
      [user.agencyId, user.id, roles, by.id, by.agencyId, ids[ADMIN2]],
    );
  }

  beforeAll(async () => {
    [{ id: oversight }] = await app.db.query(`SELECT id FROM agencies WHERE kind = 'OVERSIGHT'`);
    policeAgency = await insertAgency(app, AgencyKind.POLICE, unique('Matrix police'));
    otherPolice = await insertAgency(app, AgencyKind.POLICE, unique('Matrix other police'));
    for (const c of ['AGENCY', 'FIRST_ADMIN', 'IN_AGENCY'] as GrantCase[]) {
      const home = c === 'IN_AGENCY' ? policeAgency : oversight;
      const requester = await createPrincipal(app, home, [Role.ADMIN]);
      const creator = await createPrincipal(app, oversight, [Role.ADMIN]);
      await sponsored(creator, requester, [Role.ADMIN]);
      const createdByRequester = await createPrincipal(app, home, [Role.ADMIN]);
      await sponsored(requester, createdByRequester, [Role.ADMIN]);
      const withPending = await createPrincipal(app, home, [Role.ADMIN]);
      await app.db.query(`UPDATE users SET pending_roles = '{AUDITOR}' WHERE id = $1`, [withPending.id]);
      await app.db.query(
        `INSERT INTO grants (kind, agency_id, user_id, roles, requested_by_id, requester_agency_id) VALUES ('ROLES', $1, $2, '{AUDITOR}', $3, $4)`,
        [home, withPending.id, ids[ADMIN2], oversight],
      );
      requesters[c] = requester;
      deciders[c] = {
        requester,
        otherOversight: await createPrincipal(app, oversight, [Role.ADMIN]),
        createdByRequester,
        creatorOfRequester: creator,
        sameAgencyAdmin: await createPrincipal(app, c === 'IN_AGENCY' ? policeAgency : otherPolice, [Role.ADMIN]),
        otherAgencyAdmin: await createPrincipal(app, c === 'IN_AGENCY' ? otherPolice : otherPolice, [Role.ADMIN]),
        withPendingGrant: withPending,
        nonAdmin: await createPrincipal(app, home, [Role.AUDITOR]),
      };
    }
    // For agency grants "the same agency" is the one being admitted, which nobody can act for yet:
    // its would-be admin is the other police force's here, so the two columns agree.
  });

  async function freshGrant(c: GrantCase): Promise<string> {
    const token = requesters[c].token;
    if (c === 'AGENCY') return (await newAgency('HEALTH', token)).grantId;
    if (c === 'FIRST_ADMIN') return (await newUser(token, ['ADMIN'], (await newAgency('HEALTH', tokens[ADMIN2])).id)).grantId!;
    return (await newUser(token, ['INVESTIGATOR'])).grantId!;
  }

  for (const decider of Object.keys(EXPECTED) as Decider[]) {
    for (const c of ['AGENCY', 'FIRST_ADMIN', 'IN_AGENCY'] as GrantCase[]) {
      const expected = EXPECTED[decider][c];
      it(`${decider} deciding a ${c} grant: ${expected}`, async () => {
        const grantId = await freshGrant(c);
        const token = deciders[c][decider].token;
        const listed = (await pendingGrants(app, token).catch(() => [])).find((g) => g.id === grantId);
        if (expected === ALLOWED) {
          expect(listed?.canDecide).toBe(true);
          const r = await (decider === 'sameAgencyAdmin' ? reject(grantId, 'Checked and refused', token) : approve(grantId, token));
          expect(codes(r)).toEqual([]);
          const [row] = await app.db.query(`SELECT status, decided_by_id FROM grants WHERE id = $1`, [grantId]);
          expect(row.decided_by_id).toBe(deciders[c][decider].id);
        } else {
          if (expected === 'NOT_FOUND') expect(listed).toBeUndefined();
          else expect(listed?.canDecide ?? false).toBe(false);
          const before = await state();
          await expectRefused(approve(grantId, token), expected, before);
          await expectRefused(reject(grantId, 'Refused by the wrong person', token), expected, before);
        }
      });
    }
  }
});

describe('pendingGrants', () => {
  it('pages with a totalCount over what the admin sees, and is refused to non-admins', async () => {
    const school = await newUser(tokens[SCHOOL_ADMIN], ['AUDITOR']);
    const r = await app.gql<{ pendingGrants: { totalCount: number; edges: { node: { id: string } }[] } }>(
      '{ pendingGrants(first: 1) { totalCount edges { node { id } } } }',
      {},
      tokens[SCHOOL_ADMIN],
    );
    const seen = await pendingGrants(app, tokens[SCHOOL_ADMIN]);
    expect(r.body.data!.pendingGrants.totalCount).toBe(seen.length);
    expect(seen.map((g) => g.id)).toContain(school.grantId);
    // The school's admin sees only its own agency's requests.
    const school_id: string = (await app.db.query(`SELECT agency_id FROM users WHERE email = $1`, [SCHOOL_ADMIN]))[0].agency_id;
    expect(seen.every((g) => g.agency?.id === school_id)).toBe(true);
    expect(codes(await app.gql('{ pendingGrants { totalCount } }', {}, tokens['auditor@oversight.example']))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql('{ pendingGrants { totalCount } }'))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('bad input', () => {
  it.each([
    ['a malformed id', 'BAD_USER_INPUT', APPROVE, { id: 'not-a-grant' }],
    ['an unknown id', 'NOT_FOUND', APPROVE, { id: '00000000-0000-4000-8000-000000000000' }],
    ['an empty reason', 'BAD_USER_INPUT', REJECT, { r: '' }],
    ['a blank reason', 'BAD_USER_INPUT', REJECT, { r: '   \n ' }],
    ['a reason over 2000 characters', 'BAD_USER_INPUT', REJECT, { r: 'x'.repeat(2001) }],
    ['a missing reason', 'BAD_USER_INPUT', 'mutation($id: ID!) { rejectGrant(id: $id) { id } }', {}],
    ['a page size of 0', 'BAD_USER_INPUT', '{ pendingGrants(first: 0) { totalCount } }', {}],
    ['a forged cursor', 'BAD_USER_INPUT', '{ pendingGrants(after: "bm9wZQ") { totalCount } }', {}],
  ])('%s is %s and changes nothing', async (_case, code, query, variables) => {
    const pending = await newUser(tokens[ADMIN], ['AUDITOR']);
    const before = await state();
    await expectRefused(app.gql(query, { id: pending.grantId, ...variables }, tokens[ADMIN2]), code, before);
  });

  it('non-admins and anonymous callers are refused and change nothing', async () => {
    const pending = await newUser(tokens[ADMIN], ['AUDITOR']);
    const before = await state();
    await expectRefused(approve(pending.grantId!, tokens['auditor@oversight.example']), 'FORBIDDEN', before);
    await expectRefused(app.gql(APPROVE, { id: pending.grantId }), 'UNAUTHENTICATED', before);
  });
});

describe('records and constraints', () => {
  it('every request and decision writes its change records and audit events in its transaction', async () => {
    const agency = await newAgency('EDUCATION');
    const user = await newUser(tokens[ADMIN], ['ADMIN'], agency.id);
    await approve(agency.grantId, tokens[ADMIN2]);
    await reject(user.grantId!, 'Wrong person', tokens[ADMIN2]);
    const history = await app.db.query(
      `SELECT record_kind, action, actor_id FROM record_history WHERE record_id = ANY($1::uuid[]) ORDER BY id`,
      [[agency.id, agency.grantId, user.id, user.grantId]],
    );
    expect(history).toEqual([
      { record_kind: 'agency', action: 'created', actor_id: ids[ADMIN] },
      { record_kind: 'grant', action: 'requested', actor_id: ids[ADMIN] },
      { record_kind: 'user', action: 'created', actor_id: ids[ADMIN] },
      { record_kind: 'grant', action: 'requested', actor_id: ids[ADMIN] },
      { record_kind: 'grant', action: 'approved', actor_id: ids[ADMIN2] },
      { record_kind: 'agency', action: 'approved', actor_id: ids[ADMIN2] },
      { record_kind: 'grant', action: 'rejected', actor_id: ids[ADMIN2] },
      { record_kind: 'user', action: 'roles_refused', actor_id: ids[ADMIN2] },
    ]);
    const events = (await app.ownerQuery(
      `SELECT operation_field, record_kind, record_agency_ids::text[] AS agencies FROM audit_events
        WHERE action = 'CHANGE' AND record_ids && $1::uuid[] ORDER BY id`,
      [[agency.grantId, user.grantId]],
    )) as { operation_field: string; agencies: string[] }[];
    expect(events.map((e) => e.operation_field)).toEqual(['requested', 'requested', 'approved', 'rejected']);
    // The agency's own auditors see the decisions about it.
    expect(events.every((e) => e.agencies.includes(agency.id))).toBe(true);
  });

  it('the database refuses a decider who requested the grant, a second open request, and a rejection without reason', async () => {
    const user = await newUser(tokens[ADMIN], ['AUDITOR']);
    const attempts = [
      [`UPDATE grants SET status = 'APPROVED', decided_by_id = requested_by_id, decided_at = now() WHERE id = $1`, [user.grantId]],
      [`UPDATE grants SET status = 'REJECTED', decided_by_id = $2, decided_at = now() WHERE id = $1`, [user.grantId, ids[ADMIN2]]],
      [`UPDATE grants SET status = 'APPROVED' WHERE id = $1`, [user.grantId]],
      [
        `INSERT INTO grants (kind, agency_id, user_id, roles, requested_by_id, requester_agency_id)
         SELECT kind, agency_id, user_id, '{ADMIN}', requested_by_id, requester_agency_id FROM grants WHERE id = $1`,
        [user.grantId],
      ],
      [`UPDATE users SET roles = '{AUDITOR}' WHERE id = $1`, [user.id]],
      [`UPDATE users SET pending_roles = '{}' WHERE id = $1`, [user.id]],
      [`UPDATE grants SET status = 'SLEEPING' WHERE id = $1`, [user.grantId]],
    ] as const;
    for (const [text, params] of attempts) {
      await expect(app.db.query(text, [...params])).rejects.toThrow(/violates|invalid input value/);
    }
  });
});

describe('accessAnomalies', () => {
  const ANOMALIES = `query($f: DateTime!, $t: DateTime!) { accessAnomalies(from: $f, to: $t) { kind actorId actorAgencyId count eventId } }`;
  type Anomaly = { kind: string; actorId: string; actorAgencyId: string; count: number; eventId: string | null };
  const chains = async (token: string) => {
    const now = Date.now();
    const r = await app.gql<{ accessAnomalies: Anomaly[] }>(
      ANOMALIES,
      { f: new Date(now - 3_600_000).toISOString(), t: new Date(now + 3_600_000).toISOString() },
      token,
    );
    expect(codes(r)).toEqual([]);
    return r.body.data!.accessAnomalies.filter((a) => a.kind === 'GRANT_CHAIN');
  };

  it('reports an agency admitted, its admin approved and a privileged role requested by that admin in quick succession', async () => {
    const force = await newAgency('POLICE');
    const first = await newUser(tokens[ADMIN], ['ADMIN'], force.id);
    await approve(force.grantId, tokens[ADMIN2]);
    await approve(first.grantId!, tokens[ADMIN2]);
    const auditor = tokens['auditor@oversight.example'];
    expect((await chains(auditor)).filter((c) => c.actorId === first.id)).toEqual([]);

    const asFirst = (await signIn(first.email)).body.data!.login.accessToken;
    const supervisor = await newUser(asFirst, ['SUPERVISOR']);
    const found = (await chains(auditor)).filter((c) => c.actorId === first.id);
    expect(found).toEqual([{ kind: 'GRANT_CHAIN', actorId: first.id, actorAgencyId: force.id, count: 3, eventId: expect.any(String) }]);
    const [event] = (await app.ownerQuery(`SELECT record_ids::text[] AS ids FROM audit_events WHERE id = $1`, [found[0].eventId])) as {
      ids: string[];
    }[];
    expect(event.ids).toContain(supervisor.grantId);
    // Another force's auditor sees nothing of it.
    const policeAuditor = (await app.login('auditor@gmp.example')).accessToken;
    expect((await chains(policeAuditor)).filter((c) => c.actorId === first.id)).toEqual([]);

    // Outside the window (the admin's role approved two days before), no chain.
    await app.ownerQuery(`UPDATE grants SET decided_at = decided_at - interval '2 days' WHERE id = $1`, [first.grantId]);
    expect((await chains(auditor)).filter((c) => c.actorId === first.id)).toEqual([]);
  });

  it('counts two links when the admin was approved in an agency admitted long before', async () => {
    const school = await newUser(tokens[SCHOOL_ADMIN], ['ADMIN']);
    await approve(school.grantId!, tokens[ADMIN]);
    const asSchool = (await signIn(school.email)).body.data!.login.accessToken;
    await newUser(asSchool, ['AUDITOR']);
    const found = (await chains(tokens['auditor@oversight.example'])).filter((c) => c.actorId === school.id);
    expect(found.map((c) => c.count)).toEqual([2]);
  });
});
