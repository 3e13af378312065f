import { randomBytes } from 'node:crypto';
import { TOTP_STEP_SECONDS, totpCode } from '../../src/auth/totp';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/demo/demo-seed';
import { codes, startTestApp, type GqlResult, type TestApp } from '../support/test-app';

// The TOTP second factor (docs/accounts.md, "Second factor"): enrolment, sign-in with a challenge,
// recovery codes, the throttle, replay, the roles that must enrol, and the administrator's reset.

const PASSWORD = 'a-long-enough-passphrase';
const CREATE_USER = 'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }';
const LOGIN =
  'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken expiresAt secondFactorRequired secondFactor { challenge expiresAt } } }';
const ENROL = 'mutation($c: String) { enrolTotp(code: $c) { secret otpauthUri expiresAt } }';
const CONFIRM = 'mutation($c: String!) { confirmTotp(code: $c) { recoveryCodes } }';
const DISABLE = 'mutation($c: String!) { disableTotp(code: $c) }';
const COMPLETE =
  'mutation($ch: String!, $c: String, $r: String) { completeSecondFactor(challenge: $ch, code: $c, recoveryCode: $r) { accessToken refreshToken secondFactorRequired } }';
const RESET_TOTP = 'mutation($u: ID!) { resetUserTotp(userId: $u) { id } }';
const RESET_PASSWORD = 'mutation($u: ID!) { resetUserPassword(userId: $u) { resetToken } }';
const COMPLETE_RESET =
  'mutation($t: String!, $p: String!) { completePasswordReset(resetToken: $t, newPassword: $p) { tokens { accessToken } secondFactor { challenge } } }';
const ME = '{ me { id secondFactor secondFactorRequired } }';
const REPORTS = '{ intelligenceReports(first: 1) { totalCount } }';

interface LoginPayload {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: string | null;
  secondFactorRequired: boolean;
  secondFactor: { challenge: string; expiresAt: string } | null;
}

let app: TestApp;
let schoolAdmin: string;
let schoolAdminId: string;
let oversightAdmin: string;
let n = 0;

beforeAll(async () => {
  // The suite says who must enrol; the demo and the other suites require nobody.
  app = await startTestApp({ TOTP_REQUIRED_ROLES: 'ANALYST', TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
  schoolAdmin = (await app.login('admin@brookfield-high.example')).accessToken;
  schoolAdminId = (await app.gql<{ me: { id: string } }>(ME, {}, schoolAdmin)).body.data!.me.id;
  oversightAdmin = (await app.login('admin@oversight.example')).accessToken;
});
afterAll(() => app.close());

const login = (email: string, password = PASSWORD) => app.gql<{ login: LoginPayload }>(LOGIN, { e: email, p: password });
const complete = (challenge: string, proof: { c?: string; r?: string }) =>
  app.gql<{ completeSecondFactor: { accessToken: string; refreshToken: string; secondFactorRequired: boolean } }>(COMPLETE, {
    ch: challenge,
    ...proof,
  });
const reason = (r: GqlResult) => r.body.errors?.[0]?.extensions?.reason;

/** A new PRACTITIONER of Brookfield High, signed in with their password. */
async function newUser() {
  const email = `totp-${++n}-${process.pid}@second-factor.example`;
  const r = await app.gql<{ createUser: { id: string } }>(
    CREATE_USER,
    { i: { email, displayName: `Second Factor Person ${n}`, password: PASSWORD, roles: ['PRACTITIONER'] } },
    schoolAdmin,
  );
  expect(codes(r)).toEqual([]);
  const signedIn = await login(email);
  expect(signedIn.body.data!.login.secondFactorRequired).toBe(false);
  return { id: r.body.data!.createUser.id, email, token: signedIn.body.data!.login.accessToken! };
}

/** Enrols and confirms a second factor for the token's user: the secret and the recovery codes. */
async function enrol(token: string) {
  const started = await app.gql<{ enrolTotp: { secret: string; otpauthUri: string } }>(ENROL, {}, token);
  expect(codes(started)).toEqual([]);
  const { secret } = started.body.data!.enrolTotp;
  const confirmed = await app.gql<{ confirmTotp: { recoveryCodes: string[] } }>(CONFIRM, { c: totpCode(secret) }, token);
  expect(codes(confirmed)).toEqual([]);
  return { secret, recoveryCodes: confirmed.body.data!.confirmTotp.recoveryCodes };
}

/** Forgets the last accepted step, so a test may use the current code again (replay has its own test). */
const forgetSteps = (userId: string) => app.db.query(`UPDATE user_second_factors SET last_used_step = NULL WHERE user_id = $1`, [userId]);

async function factorRow(userId: string) {
  const [row] = await app.db.query<{ active: boolean; pending: boolean; codes: number; unused: number }[]>(
    `SELECT f.secret IS NOT NULL AS active, f.pending_secret IS NOT NULL AS pending,
            (SELECT count(*)::int FROM recovery_codes r WHERE r.user_id = $1) AS codes,
            (SELECT count(*)::int FROM recovery_codes r WHERE r.user_id = $1 AND r.used_at IS NULL) AS unused
       FROM (SELECT $1::uuid AS user_id) u LEFT JOIN user_second_factors f ON f.user_id = u.user_id`,
    [userId],
  );
  return row;
}

async function failures(email: string): Promise<number> {
  const { accountKey } = await import('../../src/auth/sign-in-throttle');
  const [row] = await app.db.query<{ failures: number }[]>(`SELECT failures FROM sign_in_throttles WHERE account_key = $1`, [
    accountKey('user', email),
  ]);
  return row?.failures ?? 0;
}

async function changeActions(userId: string): Promise<string[]> {
  const rows = await app.db.query<{ action: string }[]>(
    `SELECT h.action FROM record_history h WHERE h.record_kind = 'user' AND h.record_id = $1 ORDER BY h.id`,
    [userId],
  );
  return rows.map((r) => r.action);
}

describe('enrolling', () => {
  it('returns the secret and an otpauth URI once, pending until a code confirms it; then recovery codes', async () => {
    const user = await newUser();
    const started = await app.gql<{ enrolTotp: { secret: string; otpauthUri: string; expiresAt: string } }>(ENROL, {}, user.token);
    expect(started.body.errors).toBeUndefined();
    const { secret, otpauthUri } = started.body.data!.enrolTotp;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toContain(`secret=${secret}`);
    expect(decodeURIComponent(otpauthUri)).toContain(user.email);
    expect(await factorRow(user.id)).toMatchObject({ active: false, pending: true, codes: 0 });
    // Sealed at rest (TOTP_ENCRYPTION_KEY), and bound to the user.
    const [{ pending_secret: sealed }] = await app.db.query<{ pending_secret: string }[]>(
      `SELECT pending_secret FROM user_second_factors WHERE user_id = $1`,
      [user.id],
    );
    expect(sealed).toMatch(/^enc:v1:/);
    expect(sealed).not.toContain(secret);
    // Pending: the password alone still signs in.
    expect((await login(user.email)).body.data!.login.secondFactorRequired).toBe(false);

    // A wrong code, or one that is not a code, changes nothing.
    const wrong = totpCode(secret, Date.now() + 10 * TOTP_STEP_SECONDS * 1000);
    expect(codes(await app.gql(CONFIRM, { c: wrong }, user.token))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await app.gql(CONFIRM, { c: 'abcdef' }, user.token))).toEqual(['BAD_USER_INPUT']);
    expect(await factorRow(user.id)).toMatchObject({ active: false, pending: true, codes: 0 });

    const confirmed = await app.gql<{ confirmTotp: { recoveryCodes: string[] } }>(CONFIRM, { c: totpCode(secret) }, user.token);
    expect(codes(confirmed)).toEqual([]);
    const recovery = confirmed.body.data!.confirmTotp.recoveryCodes;
    expect(recovery).toHaveLength(10);
    expect(new Set(recovery).size).toBe(10);
    expect(await factorRow(user.id)).toMatchObject({ active: true, pending: false, codes: 10, unused: 10 });
    // Stored hashed, never as given.
    const stored = await app.db.query<{ code_hash: string }[]>(`SELECT code_hash FROM recovery_codes WHERE user_id = $1`, [user.id]);
    expect(stored.map((r) => r.code_hash)).not.toContain(recovery[0]);
    expect(stored.every((r) => /^[0-9a-f]{64}$/.test(r.code_hash))).toBe(true);

    // The same token sees the change at once.
    const me = await app.gql<{ me: { secondFactor: boolean } }>(ME, {}, user.token);
    expect(me.body.data!.me.secondFactor).toBe(true);
    // Nothing confirms twice.
    expect(reason(await app.gql(CONFIRM, { c: totpCode(secret) }, user.token))).toBe('NO_PENDING_ENROLMENT');

    expect(await changeActions(user.id)).toEqual(expect.arrayContaining(['second_factor_enrolment_started', 'second_factor_enabled']));
    // Each change's CHANGE event committed with the request's own event (one transaction); no code or secret in either.
    const events = await app.db.query<{ action: string; operation_field: string; details: object; tx: string }[]>(
      `SELECT e.action, e.operation_field, e.details, e.tx_id::text AS tx FROM audit_events e
        WHERE e.actor_id = $1 AND e.outcome = 'ALLOWED' AND e.tx_id IN (
          SELECT c.tx_id FROM audit_events c WHERE c.action = 'CHANGE' AND $1::uuid = ANY(c.record_ids))
        ORDER BY e.id`,
      [user.id],
    );
    expect(events.map((e) => `${e.action} ${e.operation_field}`)).toEqual([
      'CHANGE second_factor_enrolment_started',
      'WRITE enrolTotp',
      'CHANGE second_factor_enabled',
      'WRITE confirmTotp',
    ]);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(recovery[0]);
  });

  it('refuses to replace an active second factor without a current code, and replaces it with one', async () => {
    const user = await newUser();
    const { secret } = await enrol(user.token);
    const refused = await app.gql(ENROL, {}, user.token);
    expect(codes(refused)).toEqual(['CONFLICT']);
    expect(reason(refused)).toBe('SECOND_FACTOR_ACTIVE');
    expect(await factorRow(user.id)).toMatchObject({ active: true, pending: false });
    expect(codes(await app.gql(ENROL, { c: 'not-a-code' }, user.token))).toEqual(['BAD_USER_INPUT']);

    await forgetSteps(user.id);
    const again = await app.gql<{ enrolTotp: { secret: string } }>(ENROL, { c: totpCode(secret) }, user.token);
    expect(codes(again)).toEqual([]);
    const next = again.body.data!.enrolTotp.secret;
    expect(next).not.toBe(secret);
    // The old factor works until the new one is confirmed.
    expect(await factorRow(user.id)).toMatchObject({ active: true, pending: true });
    expect(codes(await app.gql(CONFIRM, { c: totpCode(next) }, user.token))).toEqual([]);
    await forgetSteps(user.id);
    const challenge = (await login(user.email)).body.data!.login.secondFactor!.challenge;
    expect(codes(await complete(challenge, { c: totpCode(secret) }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await complete(challenge, { c: totpCode(next) }))).toEqual([]);
  });

  it('is for people: a partner app is refused', async () => {
    const app_ = await app.gql<{ serviceToken: { accessToken: string } }>(
      'mutation($id: String!, $s: String!) { serviceToken(clientId: $id, clientSecret: $s) { accessToken } }',
      { id: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET },
    );
    expect(codes(app_)).toEqual([]);
    const token = app_.body.data!.serviceToken.accessToken;
    expect(codes(await app.gql(ENROL, {}, token))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(CONFIRM, { c: '123456' }, token))).toEqual(['FORBIDDEN']);
  });
});

describe('signing in with a second factor', () => {
  it('login returns a challenge instead of tokens; completeSecondFactor with a code returns tokens that work', async () => {
    const user = await newUser();
    const { secret } = await enrol(user.token);
    const first = await login(user.email);
    expect(codes(first)).toEqual([]);
    const payload = first.body.data!.login;
    expect(payload).toMatchObject({ accessToken: null, refreshToken: null, expiresAt: null, secondFactorRequired: true });
    expect(payload.secondFactor!.challenge).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    expect(new Date(payload.secondFactor!.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(300_000);
    // A wrong password is refused as ever: no challenge.
    expect(codes(await login(user.email, 'not-the-password'))).toEqual(['UNAUTHENTICATED']);

    await forgetSteps(user.id);
    const done = await complete(payload.secondFactor!.challenge, { c: totpCode(secret) });
    expect(codes(done)).toEqual([]);
    const tokens = done.body.data!.completeSecondFactor;
    expect(tokens.secondFactorRequired).toBe(false);
    const me = await app.gql<{ me: { id: string } }>(ME, {}, tokens.accessToken);
    expect(me.body.data!.me.id).toBe(user.id);
    expect(
      codes(await app.gql('mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }', { t: tokens.refreshToken })),
    ).toEqual([]);
    // The challenge is spent.
    await forgetSteps(user.id);
    expect(codes(await complete(payload.secondFactor!.challenge, { c: totpCode(secret) }))).toEqual(['UNAUTHENTICATED']);

    const [event] = await app.db.query<{ action: string; outcome: string; actor_id: string; details: object }[]>(
      `SELECT action, outcome, actor_id, details FROM audit_events WHERE operation_field = 'completeSecondFactor' AND actor_id = $1
        AND outcome = 'ALLOWED' ORDER BY id LIMIT 1`,
      [user.id],
    );
    expect(event).toMatchObject({ action: 'LOGIN', outcome: 'ALLOWED', actor_id: user.id });
    expect(JSON.stringify(event.details)).not.toContain(payload.secondFactor!.challenge);
    const [step] = await app.db.query<{ action: string; actor_id: string; token_id: string | null }[]>(
      `SELECT action, actor_id, token_id FROM audit_events WHERE operation_field = 'login' AND actor_id = $1 AND outcome = 'ALLOWED'
        ORDER BY id DESC LIMIT 1`,
      [user.id],
    );
    expect(step).toMatchObject({ action: 'LOGIN', actor_id: user.id, token_id: null });
  });

  it('refuses a code used again within its window (replay)', async () => {
    const user = await newUser();
    const { secret } = await enrol(user.token);
    await forgetSteps(user.id);
    const code = totpCode(secret);
    const a = (await login(user.email)).body.data!.login.secondFactor!.challenge;
    expect(codes(await complete(a, { c: code }))).toEqual([]);
    const b = (await login(user.email)).body.data!.login.secondFactor!.challenge;
    expect(codes(await complete(b, { c: code }))).toEqual(['UNAUTHENTICATED']);
    // An earlier step's code is refused too, once a later one was accepted.
    expect(codes(await complete(b, { c: totpCode(secret, Date.now() - TOTP_STEP_SECONDS * 1000) }))).toEqual(['UNAUTHENTICATED']);
    // The next step's code (within the window) is not a replay.
    expect(codes(await complete(b, { c: totpCode(secret, Date.now() + TOTP_STEP_SECONDS * 1000) }))).toEqual([]);
  });

  it('a recovery code signs in once, in any case and with or without dashes', async () => {
    const user = await newUser();
    const { recoveryCodes } = await enrol(user.token);
    const a = (await login(user.email)).body.data!.login.secondFactor!.challenge;
    const used = await complete(a, { r: recoveryCodes[0].toLowerCase().replace(/-/g, '') });
    expect(codes(used)).toEqual([]);
    expect(await factorRow(user.id)).toMatchObject({ unused: 9 });
    const b = (await login(user.email)).body.data!.login.secondFactor!.challenge;
    expect(codes(await complete(b, { r: recoveryCodes[0] }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await complete(b, { r: recoveryCodes[1] }))).toEqual([]);
    expect(await changeActions(user.id)).toEqual(expect.arrayContaining(['recovery_code_used']));
  });

  it('counts wrong codes toward the sign-in throttle, and locks the account out', async () => {
    const user = await newUser();
    const { secret } = await enrol(user.token);
    const challenge = (await login(user.email)).body.data!.login.secondFactor!.challenge;
    // The password step stays counted until the code is right.
    expect(await failures(user.email)).toBe(1);
    const wrong = totpCode(secret, Date.now() + 10 * TOTP_STEP_SECONDS * 1000);
    const refused = await complete(challenge, { c: wrong });
    expect(codes(refused)).toEqual(['UNAUTHENTICATED']);
    expect(refused.body.errors![0].message).toBe('Invalid code');
    expect(await failures(user.email)).toBe(2);
    for (let i = 0; i < 3; i++) expect(codes(await complete(challenge, { c: wrong }))).toEqual(['UNAUTHENTICATED']);
    // Locked out (LOGIN_LOCKOUT_THRESHOLD 5): even the right code is not checked.
    await forgetSteps(user.id);
    expect(codes(await complete(challenge, { c: totpCode(secret) }))).toEqual(['RATE_LIMITED']);
    expect(codes(await login(user.email))).toEqual(['RATE_LIMITED']);
  });

  it('refuses bad input before anything is counted or spent', async () => {
    const user = await newUser();
    const { secret, recoveryCodes } = await enrol(user.token);
    const challenge = (await login(user.email)).body.data!.login.secondFactor!.challenge;
    const before = await failures(user.email);
    for (const proof of [
      {},
      { c: totpCode(secret), r: recoveryCodes[0] },
      { c: 'abcdef' },
      { r: 'not a recovery code' },
      { c: '1'.repeat(40) },
    ]) {
      expect(codes(await complete(challenge, proof))).toEqual(['BAD_USER_INPUT']);
    }
    expect(codes(await complete('no-such-challenge', { c: '123456' }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await complete(`${challenge.slice(0, -1)}${challenge.endsWith('A') ? 'B' : 'A'}`, { c: '123456' }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    expect(await failures(user.email)).toBe(before);
    expect(await factorRow(user.id)).toMatchObject({ active: true, unused: 10 });
    await forgetSteps(user.id);
    expect(codes(await complete(challenge, { c: totpCode(secret) }))).toEqual([]);
  });

  it('a password reset keeps the second factor: the new password gets a challenge, not tokens', async () => {
    const user = await newUser();
    const { secret } = await enrol(user.token);
    const reset = await app.gql<{ resetUserPassword: { resetToken: string } }>(RESET_PASSWORD, { u: user.id }, schoolAdmin);
    expect(codes(reset)).toEqual([]);
    const done = await app.gql<{ completePasswordReset: { tokens: null; secondFactor: { challenge: string } } }>(COMPLETE_RESET, {
      t: reset.body.data!.resetUserPassword.resetToken,
      p: 'another-long-passphrase',
    });
    expect(codes(done)).toEqual([]);
    expect(done.body.data!.completePasswordReset.tokens).toBeNull();
    await forgetSteps(user.id);
    expect(codes(await complete(done.body.data!.completePasswordReset.secondFactor.challenge, { c: totpCode(secret) }))).toEqual([]);
    expect(await changeActions(user.id)).toEqual(expect.arrayContaining(['password_set']));
  });
});

describe('disabling and the administrator reset', () => {
  it('disableTotp needs a current code; then the password alone signs in', async () => {
    const user = await newUser();
    const { secret } = await enrol(user.token);
    expect(codes(await app.gql(DISABLE, { c: totpCode(secret, Date.now() + 10 * TOTP_STEP_SECONDS * 1000) }, user.token))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(await factorRow(user.id)).toMatchObject({ active: true });
    await forgetSteps(user.id);
    expect(codes(await app.gql(DISABLE, { c: totpCode(secret) }, user.token))).toEqual([]);
    expect(await factorRow(user.id)).toMatchObject({ active: false, codes: 0 });
    expect((await login(user.email)).body.data!.login.secondFactorRequired).toBe(false);
    expect(reason(await app.gql(DISABLE, { c: '123456' }, user.token))).toBe('NO_SECOND_FACTOR');
  });

  it("an agency ADMIN resets a user's second factor: sessions end, the password alone signs in", async () => {
    const user = await newUser();
    await enrol(user.token);
    expect(codes(await app.gql(RESET_TOTP, { u: user.id }, user.token))).toEqual(['FORBIDDEN']);
    expect(codes(await app.gql(RESET_TOTP, { u: user.id }, oversightAdmin))).toEqual(['NOT_FOUND']);
    expect(codes(await app.gql(RESET_TOTP, { u: schoolAdminId }, schoolAdmin))).toEqual(['FORBIDDEN']);
    expect(await factorRow(user.id)).toMatchObject({ active: true, codes: 10 });

    const r = await app.gql<{ resetUserTotp: { id: string } }>(RESET_TOTP, { u: user.id }, schoolAdmin);
    expect(codes(r)).toEqual([]);
    expect(await factorRow(user.id)).toMatchObject({ active: false, codes: 0 });
    expect(codes(await app.gql(ME, {}, user.token))).toEqual(['UNAUTHENTICATED']);
    const again = await login(user.email);
    expect(again.body.data!.login.secondFactorRequired).toBe(false);
    expect(again.body.data!.login.accessToken).toEqual(expect.any(String));
    expect(codes(await app.gql(RESET_TOTP, { u: user.id }, schoolAdmin))).toEqual(['CONFLICT']);
    const [change] = await app.db.query<{ actor_id: string }[]>(
      `SELECT actor_id FROM audit_events WHERE action = 'CHANGE' AND operation_field = 'second_factor_reset' AND $1::uuid = ANY(record_ids)`,
      [user.id],
    );
    expect(change.actor_id).toBe(schoolAdminId);
  });
});

describe('roles that require a second factor (TOTP_REQUIRED_ROLES)', () => {
  it('sign in with a password, and may only enrol until they do: SECOND_FACTOR_REQUIRED', async () => {
    const analyst = (await app.login('analyst@gmp.example')).accessToken;
    const me = await app.gql<{ me: { secondFactor: boolean; secondFactorRequired: boolean } }>(ME, {}, analyst);
    expect(me.body.data!.me).toMatchObject({ secondFactor: false, secondFactorRequired: true });
    const refused = await app.gql(REPORTS, {}, analyst);
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    expect(reason(refused)).toBe('SECOND_FACTOR_REQUIRED');
    expect(codes(await app.gql('{ mySessions(first: 1) { totalCount } }', {}, analyst))).toEqual([]);
    // A role that is not listed is not held up.
    const practitioner = await newUser();
    expect(reason(await app.gql('{ subjects(first: 1) { totalCount } }', {}, practitioner.token))).toBeUndefined();

    const { secret } = await enrol(analyst);
    // The same token carries on at once: the principal is reloaded.
    expect(codes(await app.gql(REPORTS, {}, analyst))).toEqual([]);
    // Removing it is refused while the role requires it.
    await app.db.query(`UPDATE user_second_factors SET last_used_step = NULL`);
    const disable = await app.gql(DISABLE, { c: totpCode(secret) }, analyst);
    expect(reason(disable)).toBe('SECOND_FACTOR_REQUIRED');
    const signedIn = await login('analyst@gmp.example', 'safeshare-demo');
    expect(signedIn.body.data!.login.secondFactorRequired).toBe(true);
  });
});
