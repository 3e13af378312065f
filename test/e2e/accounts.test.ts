import fc from 'fast-check';
import { pendingGrants } from '../support/grants';
import { codes, startTestApp, type GqlResult, type TestApp } from '../support/test-app';

// Account lifecycle (docs/accounts.md): enabling, changing roles, resetting passwords.

const PASSWORD = 'a-long-enough-passphrase';
const CREATE_USER = 'mutation($i: CreateUserInput!) { createUser(input: $i) { id roles pendingRoles } }';
const DISABLE = 'mutation($id: ID!) { disableUser(id: $id) { id disabled } }';
const ENABLE = 'mutation($u: ID!) { enableUser(userId: $u) { id disabled roles } }';
const CHANGE_ROLES = 'mutation($u: ID!, $r: [Role!]!) { changeUserRoles(userId: $u, roles: $r) { id roles pendingRoles } }';
const RESET = 'mutation($u: ID!) { resetUserPassword(userId: $u) { resetToken expiresAt user { id mustChangePassword } } }';
const COMPLETE =
  'mutation($t: String!, $p: String!) { completePasswordReset(resetToken: $t, newPassword: $p) { tokens { accessToken refreshToken } secondFactor { challenge } } }';
const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }';
const REFRESH = 'mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }';
const APPROVE = 'mutation($id: ID!) { approveGrant(id: $id) { id status } }';
const ME = '{ me { id roles } }';

let app: TestApp;
/** ADMIN of Brookfield High School (EDUCATION); its second administrator is made in beforeAll. */
let schoolAdmin: string;
let oversightAdmin: string;
let oversightAdmin2: string;
let oversightAdminId: string;
let n = 0;

beforeAll(async () => {
  app = await startTestApp();
  schoolAdmin = (await app.login('admin@brookfield-high.example')).accessToken;
  oversightAdmin = (await app.login('admin@oversight.example')).accessToken;
  oversightAdmin2 = (await app.login('admin2@oversight.example')).accessToken;
  oversightAdminId = (await app.gql<{ me: { id: string } }>(ME, {}, oversightAdmin)).body.data!.me.id;
});
afterAll(() => app.close());

async function login(email: string, password = PASSWORD) {
  return app.gql<{ login: { accessToken: string; refreshToken: string } }>(LOGIN, { e: email, p: password });
}

/** A new user of the admin's agency, signed in: their id, email and tokens. */
async function newUser(admin: string, roles: string[]) {
  const email = `account-${++n}-${process.pid}@accounts.example`;
  const r = await app.gql<{ createUser: { id: string } }>(
    CREATE_USER,
    { i: { email, displayName: `Account Person ${n}`, password: PASSWORD, roles } },
    admin,
  );
  expect(codes(r)).toEqual([]);
  const id = r.body.data!.createUser.id;
  const signedIn = await login(email);
  return { id, email, ...(signedIn.body.data?.login ?? { accessToken: '', refreshToken: '' }) };
}

/** The user's row as the database holds it, to show what a refused request left alone. */
async function userRow(id: string) {
  const [row] = await app.db.query<{ roles: string[]; pending: string[]; disabled: boolean; must: boolean; hash: string; live: number }[]>(
    `SELECT roles::text[] AS roles, pending_roles::text[] AS pending, disabled_at IS NOT NULL AS disabled, must_change_password AS must,
            password_hash AS hash, (SELECT count(*)::int FROM auth_sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL) AS live
       FROM users u WHERE id = $1`,
    [id],
  );
  return row;
}

async function changeEvents(userId: string): Promise<string[]> {
  const rows = await app.db.query<{ operation_field: string }[]>(
    `SELECT operation_field FROM audit_events WHERE action = 'CHANGE' AND record_kind = 'user' AND $1::uuid = ANY(record_ids) ORDER BY id`,
    [userId],
  );
  return rows.map((r) => r.operation_field);
}

const NOT_ADMINS = [
  ['a safeguarding lead of the same agency', 'lead@brookfield-high.example'],
  ['a police analyst', 'analyst@gmp.example'],
  ['an OVERSIGHT auditor', 'auditor@oversight.example'],
];

describe('enableUser', () => {
  it('re-enables a disabled user, who signs in afresh; tokens from before stay dead; audited as a change', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    expect(codes(await app.gql(DISABLE, { id: user.id }, schoolAdmin))).toEqual([]);
    const r = await app.gql<{ enableUser: { disabled: boolean } }>(ENABLE, { u: user.id }, schoolAdmin);
    expect(codes(r)).toEqual([]);
    expect(r.body.data!.enableUser.disabled).toBe(false);
    expect(codes(await app.gql(ME, {}, user.accessToken))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await app.gql(REFRESH, { t: user.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    const again = await login(user.email);
    expect(codes(again)).toEqual([]);
    expect(codes(await app.gql(ME, {}, again.body.data!.login.accessToken))).toEqual([]);
    expect(await changeEvents(user.id)).toEqual(['created', 'enabled']);
  });

  it('leaves an enabled user as they are, recording no change', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    expect(codes(await app.gql(ENABLE, { u: user.id }, schoolAdmin))).toEqual([]);
    expect(await changeEvents(user.id)).toEqual(['created']);
    expect(codes(await app.gql(ME, {}, user.accessToken))).toEqual([]);
  });

  it("is NOT_FOUND for another agency's user, and changes nothing", async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    await app.gql(DISABLE, { id: user.id }, schoolAdmin);
    expect(codes(await app.gql(ENABLE, { u: user.id }, oversightAdmin))).toEqual(['NOT_FOUND']);
    expect((await userRow(user.id)).disabled).toBe(true);
  });

  it.each(NOT_ADMINS)('is FORBIDDEN to %s', async (_who, email) => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    await app.gql(DISABLE, { id: user.id }, schoolAdmin);
    const token = (await app.login(email)).accessToken;
    expect(codes(await app.gql(ENABLE, { u: user.id }, token))).toEqual(['FORBIDDEN']);
    expect((await userRow(user.id)).disabled).toBe(true);
  });

  it('refuses a malformed id as BAD_USER_INPUT, an unknown one as NOT_FOUND, and no token as UNAUTHENTICATED', async () => {
    expect(codes(await app.gql(ENABLE, { u: 'not-a-uuid' }, schoolAdmin))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(ENABLE, { u: '00000000-0000-4000-8000-000000000000' }, schoolAdmin))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(ENABLE, { u: '00000000-0000-4000-8000-000000000000' }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('changeUserRoles', () => {
  it('puts ordinary roles in force at once and sends privileged ones to a grant a second admin decides', async () => {
    const user = await newUser(oversightAdmin, ['AUDITOR']);
    // AUDITOR was requested by createUser: approve it, then change.
    for (const g of (await pendingGrants(app, oversightAdmin2)).filter((g) => g.userId === user.id))
      expect(codes(await app.gql(APPROVE, { id: g.id }, oversightAdmin2))).toEqual([]);
    const r = await app.gql<{ changeUserRoles: { roles: string[]; pendingRoles: string[] } }>(
      CHANGE_ROLES,
      { u: user.id, r: ['AUDITOR', 'ADMIN'] },
      oversightAdmin,
    );
    expect(codes(r)).toEqual([]);
    expect(r.body.data!.changeUserRoles).toEqual({ id: user.id, roles: ['AUDITOR'], pendingRoles: ['ADMIN'] });
    const grant = (await pendingGrants(app, oversightAdmin2)).find((g) => g.userId === user.id);
    expect(grant).toMatchObject({ kind: 'ROLES', roles: ['ADMIN'], requestedById: oversightAdminId, canDecide: true });
    // The requester cannot decide its own request.
    expect(codes(await app.gql(APPROVE, { id: grant!.id }, oversightAdmin))).toEqual(['FORBIDDEN']);
    expect((await userRow(user.id)).roles).toEqual(['AUDITOR']);
    expect(codes(await app.gql(APPROVE, { id: grant!.id }, oversightAdmin2))).toEqual([]);
    expect((await userRow(user.id)).roles).toEqual(['AUDITOR', 'ADMIN']);
  });

  it('adds a non-privileged role at once, keeping the sessions', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    const r = await app.gql<{ changeUserRoles: { roles: string[] } }>(
      CHANGE_ROLES,
      { u: user.id, r: ['REPORTER', 'PRACTITIONER'] },
      schoolAdmin,
    );
    expect(r.body.data!.changeUserRoles.roles).toEqual(['REPORTER', 'PRACTITIONER']);
    const me = await app.gql<{ me: { roles: string[] } }>(ME, {}, user.accessToken);
    expect(me.body.data!.me.roles).toEqual(['REPORTER', 'PRACTITIONER']);
  });

  it('removes a role at once: every live token carrying it stops working, and a new sign-in lacks it', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER', 'PRACTITIONER']);
    const claims = app.tokens.verify(user.accessToken, 'access');
    expect(claims?.roles).toEqual(['REPORTER', 'PRACTITIONER']);
    expect(codes(await app.gql(CHANGE_ROLES, { u: user.id, r: ['PRACTITIONER'] }, schoolAdmin))).toEqual([]);
    expect(codes(await app.gql(ME, {}, user.accessToken))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await app.gql(REFRESH, { t: user.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    const fresh = (await login(user.email)).body.data!.login.accessToken;
    expect(app.tokens.verify(fresh, 'access')?.roles).toEqual(['PRACTITIONER']);
    expect((await app.gql<{ me: { roles: string[] } }>(ME, {}, fresh)).body.data!.me.roles).toEqual(['PRACTITIONER']);
    expect(await changeEvents(user.id)).toEqual(['created', 'roles_changed']);
  });

  it('refuses a role not valid in the agency as BAD_USER_INPUT, changing nothing', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    const before = await userRow(user.id);
    const r = await app.gql(CHANGE_ROLES, { u: user.id, r: ['REPORTER', 'INVESTIGATOR'] }, schoolAdmin);
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(await userRow(user.id)).toEqual(before);
    expect(await changeEvents(user.id)).toEqual(['created']);
  });

  it('refuses an administrator changing their own roles as FORBIDDEN', async () => {
    const r = await app.gql(CHANGE_ROLES, { u: oversightAdminId, r: ['ADMIN', 'AUDITOR'] }, oversightAdmin);
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect((await userRow(oversightAdminId)).roles).toEqual(['ADMIN']);
    expect((await pendingGrants(app, oversightAdmin2)).filter((g) => g.userId === oversightAdminId)).toEqual([]);
  });

  it('refuses a second privileged request while one is pending as CONFLICT, changing nothing', async () => {
    const user = await newUser(oversightAdmin, ['AUDITOR']);
    const before = await userRow(user.id);
    const r = await app.gql(CHANGE_ROLES, { u: user.id, r: ['AUDITOR', 'ADMIN'] }, oversightAdmin);
    expect(codes(r)).toEqual(['CONFLICT']);
    expect(await userRow(user.id)).toEqual(before);
  });

  it("is NOT_FOUND for another agency's user", async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    expect(codes(await app.gql(CHANGE_ROLES, { u: user.id, r: ['AUDITOR'] }, oversightAdmin))).toEqual(['NOT_FOUND']);
    expect((await userRow(user.id)).roles).toEqual(['REPORTER']);
  });

  it.each(NOT_ADMINS)('is FORBIDDEN to %s', async (_who, email) => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    const token = (await app.login(email)).accessToken;
    expect(codes(await app.gql(CHANGE_ROLES, { u: user.id, r: ['REPORTER', 'PRACTITIONER'] }, token))).toEqual(['FORBIDDEN']);
    expect((await userRow(user.id)).roles).toEqual(['REPORTER']);
  });

  it.each([
    ['no roles', []],
    ['a repeated role', ['REPORTER', 'REPORTER']],
    ['an unknown role', ['WIZARD']],
  ])('refuses %s as BAD_USER_INPUT', async (_case, roles) => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    expect(codes(await app.gql(CHANGE_ROLES, { u: user.id, r: roles }, schoolAdmin))).toEqual(['BAD_USER_INPUT']);
    expect((await userRow(user.id)).roles).toEqual(['REPORTER']);
  });

  it('answers arbitrary input with a stable code, and changes nothing unless it succeeds', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    const roleNames = ['REPORTER', 'PRACTITIONER', 'SAFEGUARDING_LEAD', 'INVESTIGATOR', 'ANALYST', 'SUPERVISOR', 'AUDITOR', 'ADMIN'];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(user.id), fc.uuid(), fc.string({ maxLength: 40 })),
        fc.array(fc.oneof(fc.constantFrom(...roleNames), fc.string({ maxLength: 12 })), { maxLength: 10 }),
        async (userId, roles) => {
          const before = await userRow(user.id);
          const r: GqlResult = await app.gql(CHANGE_ROLES, { u: userId, r: roles }, schoolAdmin);
          const got = codes(r);
          expect(got.every((c) => ['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT'].includes(c as string))).toBe(true);
          if (got.length) expect(await userRow(user.id)).toEqual(before);
          else if (before.roles.join() !== (await userRow(user.id)).roles.join()) {
            // Restore REPORTER for the next run (a removal ended the sessions, which is fine here).
            await app.gql(CHANGE_ROLES, { u: user.id, r: ['REPORTER'] }, schoolAdmin);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('resetUserPassword and completePasswordReset', () => {
  async function reset(userId: string, admin = schoolAdmin) {
    const r = await app.gql<{ resetUserPassword: { resetToken: string; expiresAt: string; user: { mustChangePassword: boolean } } }>(
      RESET,
      { u: userId },
      admin,
    );
    expect(codes(r)).toEqual([]);
    return r.body.data!.resetUserPassword;
  }

  it('ends every session; the old password opens nothing; the token sets a new one once and signs the user in', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    const issued = await reset(user.id);
    expect(issued.user.mustChangePassword).toBe(true);
    expect(new Date(issued.expiresAt).getTime() - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect(codes(await app.gql(ME, {}, user.accessToken))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await app.gql(REFRESH, { t: user.refreshToken }))).toEqual(['UNAUTHENTICATED']);
    const old = await login(user.email);
    expect(codes(old)).toEqual(['FORBIDDEN']);
    expect(old.body.errors![0].extensions!.reason).toBe('PASSWORD_CHANGE_REQUIRED');
    // A wrong password is still just wrong: the forced change says nothing to someone without it.
    expect(codes(await login(user.email, 'not-the-password-at-all'))).toEqual(['UNAUTHENTICATED']);

    const done = await app.gql<{ completePasswordReset: { tokens: { accessToken: string }; secondFactor: null } }>(COMPLETE, {
      t: issued.resetToken,
      p: 'another-long-enough-passphrase',
    });
    expect(codes(done)).toEqual([]);
    expect(done.body.data!.completePasswordReset.secondFactor).toBeNull();
    expect(codes(await app.gql(ME, {}, done.body.data!.completePasswordReset.tokens.accessToken))).toEqual([]);
    expect(codes(await app.gql(COMPLETE, { t: issued.resetToken, p: 'yet-another-long-passphrase' }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await login(user.email))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await login(user.email, 'another-long-enough-passphrase'))).toEqual([]);
    expect((await userRow(user.id)).must).toBe(false);
    expect(await changeEvents(user.id)).toEqual(['created', 'password_reset', 'password_set']);
  });

  it('stores only a hash of the token, and the audit trail never holds the token or the new password', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    const issued = await reset(user.id);
    const secret = issued.resetToken.split('.')[1];
    const [stored] = await app.db.query<{ secret_hash: string }[]>(`SELECT secret_hash FROM password_resets WHERE user_id = $1`, [user.id]);
    expect(stored.secret_hash).toMatch(/^\$argon2id\$/);
    expect(stored.secret_hash).not.toContain(secret);
    await app.gql(COMPLETE, { t: issued.resetToken, p: 'a-fresh-long-passphrase-42' });
    const leaks = await app.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events WHERE details::text LIKE $1 OR details::text LIKE '%a-fresh-long-passphrase-42%'`,
      [`%${secret}%`],
    );
    expect(leaks[0].n).toBe(0);
  });

  it('refuses a weak new password as BAD_USER_INPUT and leaves the token usable', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    const issued = await reset(user.id);
    for (const weak of ['short', 'password1234567', PASSWORD]) {
      const r = await app.gql(COMPLETE, { t: issued.resetToken, p: weak });
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    }
    expect((await userRow(user.id)).must).toBe(true);
    expect(codes(await app.gql(COMPLETE, { t: issued.resetToken, p: 'a-fine-long-passphrase-7' }))).toEqual([]);
  });

  it('refuses an expired, superseded, tampered or malformed token as UNAUTHENTICATED', async () => {
    const user = await newUser(schoolAdmin, ['REPORTER']);
    const first = await reset(user.id);
    const second = await reset(user.id);
    expect(codes(await app.gql(COMPLETE, { t: first.resetToken, p: 'a-fine-long-passphrase-7' }))).toEqual(['UNAUTHENTICATED']);
    const [id, secret] = second.resetToken.split('.');
    const tampered = `${id}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const t of [tampered, 'garbage', `${id}.`, '.x'])
      expect(codes(await app.gql(COMPLETE, { t, p: 'a-fine-long-passphrase-7' }))).toEqual(['UNAUTHENTICATED']);
    await app.db.query(
      `UPDATE password_resets SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE id = $1`,
      [id],
    );
    expect(codes(await app.gql(COMPLETE, { t: second.resetToken, p: 'a-fine-long-passphrase-7' }))).toEqual(['UNAUTHENTICATED']);
    expect((await userRow(user.id)).must).toBe(true);
  });

  it('lasts PASSWORD_RESET_TTL_SECONDS', async () => {
    const short = await startTestApp({ PASSWORD_RESET_TTL_SECONDS: '600' });
    try {
      const admin = (await short.login('admin@brookfield-high.example')).accessToken;
      const [lead] = await short.db.query<{ id: string }[]>(`SELECT id FROM users WHERE email = 'lead@brookfield-high.example'`);
      const r = await short.gql<{ resetUserPassword: { expiresAt: string } }>(RESET, { u: lead.id }, admin);
      const ms = new Date(r.body.data!.resetUserPassword.expiresAt).getTime() - Date.now();
      expect(ms).toBeGreaterThan(500_000);
      expect(ms).toBeLessThanOrEqual(600_000);
    } finally {
      await short.close();
    }
  });

  it("refuses one's own reset as FORBIDDEN, another agency's user as NOT_FOUND, and non-admins as FORBIDDEN", async () => {
    expect(codes(await app.gql(RESET, { u: oversightAdminId }, oversightAdmin))).toEqual(['FORBIDDEN']);
    const user = await newUser(schoolAdmin, ['REPORTER']);
    expect(codes(await app.gql(RESET, { u: user.id }, oversightAdmin))).toEqual(['NOT_FOUND']);
    for (const [, email] of NOT_ADMINS) {
      const token = (await app.login(email)).accessToken;
      expect(codes(await app.gql(RESET, { u: user.id }, token))).toEqual(['FORBIDDEN']);
    }
    expect(await userRow(user.id)).toMatchObject({ must: false, live: 1 });
  });
});
