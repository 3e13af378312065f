import { approveAgencyGrants } from '../support/grants';
import { codes, countRows, startTestApp, type TestApp } from '../support/test-app';

const CREATE_AGENCY = 'mutation($i: CreateAgencyInput!) { createAgency(input: $i) { id name kind status divisions { id name } } }';
const CREATE_USER =
  'mutation($i: CreateUserInput!) { createUser(input: $i) { id email displayName roles pendingRoles disabled agency { name kind } } }';
const DISABLE_USER = 'mutation($id: ID!) { disableUser(id: $id) { id disabled } }';
const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }';
const PASSWORD = 'a-long-enough-passphrase';

let app: TestApp;
let oversightAdmin: string;
/** A second OVERSIGHT admin: approves what the first requests. */
let secondAdmin: string;
let analyst: string;
beforeAll(async () => {
  app = await startTestApp();
  oversightAdmin = (await app.login('admin@oversight.example')).accessToken;
  secondAdmin = (await app.login('admin2@oversight.example')).accessToken;
  analyst = (await app.login('analyst@gmp.example')).accessToken;
});
afterAll(() => app.close());

async function createAgency(input: Record<string, unknown>, token = oversightAdmin) {
  return app.gql<{ createAgency: { id: string; name: string; kind: string; divisions: { id: string }[] } }>(
    CREATE_AGENCY,
    { i: input },
    token,
  );
}

async function createUser(input: Record<string, unknown>, token: string) {
  return app.gql<{ createUser: { id: string; email: string; roles: string[]; disabled: boolean } }>(CREATE_USER, { i: input }, token);
}

/** A new agency with its own admin, created the way an oversight body would bootstrap one, and approved by a second. */
async function agencyWithAdmin(name: string, kind: string) {
  const agency = (await createAgency({ name, kind })).body.data!.createAgency;
  const email = `admin@${name.toLowerCase().replace(/[^a-z]+/g, '-')}.example`;
  const created = await createUser(
    { email, displayName: `${name} admin`, password: PASSWORD, roles: ['ADMIN'], agencyId: agency.id },
    oversightAdmin,
  );
  expect(codes(created)).toEqual([]);
  await approveAgencyGrants(app, secondAdmin, agency.id);
  const token = (await app.gql<{ login: { accessToken: string } }>(LOGIN, { e: email, p: PASSWORD })).body.data!.login.accessToken;
  return { agency, token };
}

describe('reference data', () => {
  it('lists the 11 GMP divisions and the agencies to any signed-in caller', async () => {
    const r = await app.gql<{ divisions: { id: string; name: string }[]; agencies: { name: string }[] }>(
      '{ divisions { id name } agencies { name kind } }',
      {},
      analyst,
    );
    expect(r.body.data!.divisions.map((d) => d.name)).toEqual([
      'Bolton',
      'Bury',
      'North Manchester',
      'Oldham',
      'Rochdale',
      'Salford',
      'South Manchester',
      'Stockport',
      'Tameside',
      'Trafford',
      'Wigan',
    ]);
    expect(r.body.data!.agencies.map((a) => a.name)).toContain('Greater Manchester Police');
  });

  it('is not served without a token', async () => {
    expect(codes(await app.gql('{ divisions { id } }'))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await app.gql('{ agencies { id } }'))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('createAgency', () => {
  it('lets an OVERSIGHT admin register an agency with its divisions, pending approval', async () => {
    const r = await createAgency({ name: 'Oldham Family Support', kind: 'VOLUNTARY', divisionIds: ['oldham', 'rochdale'] });
    expect(r.body.data!.createAgency).toMatchObject({ name: 'Oldham Family Support', kind: 'VOLUNTARY', status: 'PENDING_APPROVAL' });
    expect(r.body.data!.createAgency.divisions.map((d) => d.id)).toEqual(['oldham', 'rochdale']);
  });

  it.each([
    ['a police analyst', 'analyst@gmp.example'],
    ['an OVERSIGHT auditor', 'auditor@oversight.example'],
    ['a police auditor', 'auditor@gmp.example'],
  ])('is FORBIDDEN to %s, and writes nothing', async (_who, email) => {
    const token = (await app.login(email)).accessToken;
    const before = await countRows(app.db, 'agencies');
    expect(codes(await createAgency({ name: 'Should Not Exist', kind: 'HEALTH' }, token))).toEqual(['FORBIDDEN']);
    expect(await countRows(app.db, 'agencies')).toBe(before);
  });

  it('is FORBIDDEN to the admin of a non-oversight agency', async () => {
    const { token } = await agencyWithAdmin('Stockport Youth Trust', 'VOLUNTARY');
    expect(codes(await createAgency({ name: 'Another Agency', kind: 'HEALTH' }, token))).toEqual(['FORBIDDEN']);
  });

  it('refuses a duplicate name, whatever its case, as CONFLICT', async () => {
    const before = await countRows(app.db, 'agencies');
    expect(codes(await createAgency({ name: 'greater manchester POLICE', kind: 'POLICE' }))).toEqual(['CONFLICT']);
    expect(await countRows(app.db, 'agencies')).toBe(before);
  });

  it.each([
    ['an unknown division', { name: 'Valid Name', kind: 'HEALTH', divisionIds: ['atlantis'] }],
    ['a blank name', { name: '   ', kind: 'HEALTH' }],
    ['a one-letter name', { name: 'X', kind: 'HEALTH' }],
    ['an unknown kind', { name: 'Valid Name', kind: 'MILITARY' }],
    ['a repeated division', { name: 'Valid Name', kind: 'HEALTH', divisionIds: ['bury', 'bury'] }],
  ])('refuses %s as BAD_USER_INPUT and writes nothing', async (_case, input) => {
    const before = await countRows(app.db, 'agencies');
    expect(codes(await createAgency(input))).toEqual(['BAD_USER_INPUT']);
    expect(await countRows(app.db, 'agencies')).toBe(before);
  });
});

describe('createUser', () => {
  it("lets an agency's admin create a user in their own agency, who can then sign in", async () => {
    const { token } = await agencyWithAdmin('Tameside Health Partnership', 'HEALTH');
    const r = await createUser(
      { email: 'Nurse.One@tameside-health.example', displayName: 'Nurse One', password: PASSWORD, roles: ['PRACTITIONER', 'REPORTER'] },
      token,
    );
    expect(r.body.data!.createUser).toMatchObject({
      email: 'nurse.one@tameside-health.example',
      roles: ['PRACTITIONER', 'REPORTER'],
      pendingRoles: [],
      disabled: false,
      agency: { name: 'Tameside Health Partnership', kind: 'HEALTH' },
    });
    const login = await app.gql(LOGIN, { e: 'nurse.one@tameside-health.example', p: PASSWORD });
    expect(codes(login)).toEqual([]);
  });

  it.each([
    ['INVESTIGATOR', 'HEALTH'],
    ['SUPERVISOR', 'EDUCATION'],
    ['PRACTITIONER', 'POLICE'],
    ['SAFEGUARDING_LEAD', 'POLICE'],
  ])('refuses role %s in a %s agency as BAD_USER_INPUT, writing nothing', async (role, kind) => {
    const { token } = await agencyWithAdmin(`Agency for ${role} in ${kind}`, kind);
    const before = await countRows(app.db, 'users');
    const r = await createUser(
      { email: `x-${role.toLowerCase()}@example.org`, displayName: 'X', password: PASSWORD, roles: [role] },
      token,
    );
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0].message).toContain(role);
    expect(await countRows(app.db, 'users')).toBe(before);
  });

  it('refuses an admin creating a user in another agency as FORBIDDEN', async () => {
    const { token } = await agencyWithAdmin('Bury Schools Trust', 'EDUCATION');
    const gmp = (await app.db.query(`SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`))[0].id;
    const before = await countRows(app.db, 'users');
    const r = await createUser(
      { email: 'intruder@example.org', displayName: 'Intruder', password: PASSWORD, roles: ['REPORTER'], agencyId: gmp },
      token,
    );
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(await countRows(app.db, 'users')).toBe(before);
  });

  it('lets an OVERSIGHT admin create only the first user of another agency, as its ADMIN', async () => {
    const gmp = (await app.db.query(`SELECT id FROM agencies WHERE name = 'Greater Manchester Police'`))[0].id;
    const before = await countRows(app.db, 'users');
    for (const roles of [['SUPERVISOR'], ['ADMIN', 'SUPERVISOR'], ['ADMIN']]) {
      const r = await createUser(
        { email: 'sneaky@example.org', displayName: 'Sneaky', password: PASSWORD, roles, agencyId: gmp },
        oversightAdmin,
      );
      expect(codes(r)).toEqual(['FORBIDDEN']);
    }
    expect(await countRows(app.db, 'users')).toBe(before);

    const fresh = (await createAgency({ name: 'Trafford Outreach', kind: 'VOLUNTARY' })).body.data!.createAgency;
    const first = { displayName: 'First', password: PASSWORD, roles: ['ADMIN'], agencyId: fresh.id };
    expect(codes(await createUser({ ...first, email: 'first@trafford-outreach.example' }, oversightAdmin))).toEqual([]);
    expect(codes(await createUser({ ...first, email: 'second@trafford-outreach.example' }, oversightAdmin))).toEqual(['FORBIDDEN']);
  });

  it('lets only one of two concurrent bootstraps of an agency through', async () => {
    const fresh = (await createAgency({ name: 'Bolton Drop-in', kind: 'VOLUNTARY' })).body.data!.createAgency;
    const results = await Promise.all(
      ['a', 'b', 'c'].map((x) =>
        createUser(
          { email: `${x}@bolton-drop-in.example`, displayName: x, password: PASSWORD, roles: ['ADMIN'], agencyId: fresh.id },
          oversightAdmin,
        ),
      ),
    );
    expect(results.map((r) => codes(r)[0] ?? 'OK').sort()).toEqual(['FORBIDDEN', 'FORBIDDEN', 'OK']);
  });

  it('is FORBIDDEN to non-admins', async () => {
    const r = await createUser({ email: 'x@example.org', displayName: 'X', password: PASSWORD, roles: ['ANALYST'] }, analyst);
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });

  it('refuses a duplicate email, whatever its case, as CONFLICT', async () => {
    const r = await createUser(
      { email: 'ADMIN@oversight.example', displayName: 'Dup', password: PASSWORD, roles: ['AUDITOR'] },
      oversightAdmin,
    );
    expect(codes(r)).toEqual(['CONFLICT']);
  });

  it.each([
    ['a malformed email', { email: 'not-an-email', displayName: 'X', password: PASSWORD, roles: ['AUDITOR'] }],
    ['a short password', { email: 'short@example.org', displayName: 'X', password: 'short', roles: ['AUDITOR'] }],
    [
      'a password containing the email name',
      { email: 'jonathan@example.org', displayName: 'X', password: 'Jonathan-1234567', roles: ['AUDITOR'] },
    ],
    ['no roles', { email: 'none@example.org', displayName: 'X', password: PASSWORD, roles: [] }],
    ['an unknown role', { email: 'none@example.org', displayName: 'X', password: PASSWORD, roles: ['GOD'] }],
    ['a repeated role', { email: 'rep@example.org', displayName: 'X', password: PASSWORD, roles: ['AUDITOR', 'AUDITOR'] }],
    ['a blank display name', { email: 'blank@example.org', displayName: '  ', password: PASSWORD, roles: ['AUDITOR'] }],
    [
      'a malformed agency id',
      { email: 'bad@example.org', displayName: 'X', password: PASSWORD, roles: ['ADMIN'], agencyId: "1' OR '1'='1" },
    ],
    [
      'an unknown agency id',
      {
        email: 'bad@example.org',
        displayName: 'X',
        password: PASSWORD,
        roles: ['ADMIN'],
        agencyId: '00000000-0000-4000-8000-000000000000',
      },
    ],
  ])('refuses %s as BAD_USER_INPUT and writes nothing', async (_case, input) => {
    const before = await countRows(app.db, 'users');
    const r = await createUser(input, oversightAdmin);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(await countRows(app.db, 'users')).toBe(before);
  });

  it('never returns or stores the password in clear', async () => {
    const r = await createUser(
      { email: 'hashcheck@example.org', displayName: 'Hash Check', password: PASSWORD, roles: ['AUDITOR'] },
      oversightAdmin,
    );
    expect(JSON.stringify(r.body)).not.toContain(PASSWORD);
    const [{ password_hash }] = await app.db.query(`SELECT password_hash FROM users WHERE email = 'hashcheck@example.org'`);
    expect(password_hash).toMatch(/^\$argon2id\$/);
  });
});

describe('disableUser', () => {
  it("ends a user's sessions at once and stops them signing in", async () => {
    const { token } = await agencyWithAdmin('Wigan Care Services', 'SOCIAL_CARE');
    const user = (
      await createUser({ email: 'worker@wigan-care.example', displayName: 'Worker', password: PASSWORD, roles: ['PRACTITIONER'] }, token)
    ).body.data!.createUser;
    const session = (await app.gql<{ login: { accessToken: string } }>(LOGIN, { e: 'worker@wigan-care.example', p: PASSWORD })).body.data!
      .login.accessToken;
    expect(codes(await app.gql('{ me { id } }', {}, session))).toEqual([]);

    const r = await app.gql(DISABLE_USER, { id: user.id }, token);
    expect(r.body.data).toEqual({ disableUser: { id: user.id, disabled: true } });
    expect(codes(await app.gql('{ me { id } }', {}, session))).toEqual(['UNAUTHENTICATED']);
    const login = await app.gql(LOGIN, { e: 'worker@wigan-care.example', p: PASSWORD });
    expect(codes(login)).toEqual(['UNAUTHENTICATED']);
    expect(login.body.errors![0].message).toBe('Invalid credentials');
    // Disabling again is harmless.
    expect((await app.gql(DISABLE_USER, { id: user.id }, token)).body.data).toEqual({ disableUser: { id: user.id, disabled: true } });
  });

  it('treats a user of another agency as NOT_FOUND and leaves them enabled', async () => {
    const { token } = await agencyWithAdmin('Salford Youth Hub', 'VOLUNTARY');
    const [{ id }] = await app.db.query(`SELECT id FROM users WHERE email = 'analyst@gmp.example'`);
    expect(codes(await app.gql(DISABLE_USER, { id }, token))).toEqual(['NOT_FOUND']);
    const [{ disabled_at }] = await app.db.query(`SELECT disabled_at FROM users WHERE id = $1`, [id]);
    expect(disabled_at).toBeNull();
  });

  it('refuses to let an admin disable themselves, a malformed id, and non-admins', async () => {
    const [{ id }] = await app.db.query(`SELECT id FROM users WHERE email = 'admin@oversight.example'`);
    expect(codes(await app.gql(DISABLE_USER, { id }, oversightAdmin))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(DISABLE_USER, { id: 'nope' }, oversightAdmin))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(DISABLE_USER, { id }, analyst))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(DISABLE_USER, { id }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('agency names', () => {
  it('are unique whatever their case, even when two requests race', async () => {
    const results = await Promise.all(['Race Agency', 'race agency', 'RACE AGENCY'].map((name) => createAgency({ name, kind: 'HEALTH' })));
    expect(results.map((r) => codes(r)[0] ?? 'OK').sort()).toEqual(['CONFLICT', 'CONFLICT', 'OK']);
  });
});

describe('users', () => {
  it("lists the admin's own agency's users only, with their state", async () => {
    const { token } = await agencyWithAdmin('Oldham Youth Line', 'VOLUNTARY');
    const worker = (
      await createUser({ email: 'worker@oldham-youth-line.example', displayName: 'Worker', password: PASSWORD, roles: ['REPORTER'] }, token)
    ).body.data!.createUser;
    await app.gql(DISABLE_USER, { id: worker.id }, token);
    const r = await app.gql<{
      users: { totalCount: number; edges: { node: { email: string; disabled: boolean; agency: { name: string } } }[] };
    }>('{ users(first: 10) { totalCount edges { node { email disabled agency { name } } } } }', {}, token);
    expect(r.body.data!.users.totalCount).toBe(2);
    expect(r.body.data!.users.edges.map((e) => [e.node.email, e.node.disabled, e.node.agency.name])).toEqual([
      ['worker@oldham-youth-line.example', true, 'Oldham Youth Line'],
      ['admin@oldham-youth-line.example', false, 'Oldham Youth Line'],
    ]);
    expect(codes(await app.gql('{ users { totalCount } }', {}, analyst))).toEqual(['FORBIDDEN']);
  });
});
