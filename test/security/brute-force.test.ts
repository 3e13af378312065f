import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD } from '../../src/demo/demo-seed';
import { codes, type GqlResult, startTestApp, type TestApp } from '../support/test-app';
import { authState, expectHarmless } from './auth-state';
import { expectCleanRefusal } from './support';

/**
 * Per-account lock-out with exponential back-off: after 3 failures (in these tests) an email or
 * client id is locked for 2 s, then 4 s (the maximum here); while locked the secret is not even
 * checked, and an unknown email behaves exactly as a known one.
 */

const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }';
const SERVICE = 'mutation($c: String!, $s: String!) { serviceToken(clientId: $c, clientSecret: $s) { accessToken } }';
const WRONG = 'wrong-password-123';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ LOGIN_LOCKOUT_THRESHOLD: '3', LOGIN_LOCKOUT_BASE_SECONDS: '2', LOGIN_LOCKOUT_MAX_SECONDS: '4' });
});
afterAll(() => app.close());

const login = (e: string, p: string) => app.gql(LOGIN, { e, p });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retryAfter = (r: GqlResult) => r.body.errors?.[0]?.extensions?.retryAfterSeconds as number;
/** A response with its varying parts (the wait) blanked, to compare known and unknown accounts. */
const shape = (r: GqlResult) => ({
  status: r.status,
  body: JSON.stringify(r.body).replace(/"retryAfterSeconds":\d+/, '"retryAfterSeconds":N'),
});

async function fail(times: number, attempt: () => Promise<GqlResult>): Promise<GqlResult[]> {
  const results: GqlResult[] = [];
  for (let i = 0; i < times; i++) results.push(await attempt());
  return results;
}

describe('login', () => {
  it('after 3 failures the account is locked: RATE_LIMITED with a retry hint, even with the right password, nothing written', async () => {
    const email = 'investigator@gmp.example';
    for (const r of await fail(3, () => login(email, WRONG))) expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    app.queries.length = 0;
    const locked = await expectHarmless(app, () => login(email, DEMO_PASSWORD), 'RATE_LIMITED');
    expect(retryAfter(locked)).toBeGreaterThanOrEqual(1);
    expect(retryAfter(locked)).toBeLessThanOrEqual(2);
    // The password was never checked: the user was not even looked up (as an unlocked attempt does).
    const userLookups = () => app.queries.filter((q) => /\bFROM "?users"?\b/i.test(q));
    expect(userLookups()).toEqual([]);
    await login('lead@brookfield-high.example', WRONG);
    expect(userLookups()).toHaveLength(1);
  });

  it('the lock-out is per account (any letter case of the email), not global', async () => {
    const email = 'supervisor@gmp.example';
    await fail(3, () => login(email, WRONG));
    expectCleanRefusal(await login('  SUPERVISOR@gmp.example ', DEMO_PASSWORD), 'RATE_LIMITED');
    expect((await login('analyst@gmp.example', DEMO_PASSWORD)).body.errors).toBeUndefined();
  });

  it('an unknown email gets exactly the same responses as a known one: no user enumeration', async () => {
    const known = await fail(5, () => login('auditor@gmp.example', WRONG));
    const unknown = await fail(5, () => login('nobody-at-all@gmp.example', WRONG));
    expect(unknown.map(shape)).toEqual(known.map(shape));
    expect(known.map((r) => codes(r)[0])).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
  });

  it('the delay doubles with each failure after a lock, up to the maximum; a success resets it', async () => {
    const email = 'practitioner@rochdale-csc.example';
    await fail(3, () => login(email, WRONG));
    const first = retryAfter(await login(email, WRONG));
    expect(first).toBeLessThanOrEqual(2);
    await wait(first * 1000 + 100);
    expect(codes(await login(email, WRONG))).toEqual(['UNAUTHENTICATED']);
    const second = retryAfter(await login(email, WRONG));
    expect(second).toBeGreaterThan(2);
    expect(second).toBeLessThanOrEqual(4);
    await wait(second * 1000 + 100);
    expect(codes(await login(email, WRONG))).toEqual(['UNAUTHENTICATED']);
    expect(retryAfter(await login(email, WRONG))).toBeLessThanOrEqual(4); // capped
    await wait(4100);
    expect((await login(email, DEMO_PASSWORD)).body.errors).toBeUndefined();
    // Reset: the next failures start counting from zero again.
    for (const r of await fail(2, () => login(email, WRONG))) expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    expect((await login(email, DEMO_PASSWORD)).body.errors).toBeUndefined();
  }, 30_000);

  it('parallel guesses cannot slip past the limit: at most 3 are checked', async () => {
    const before = await authState(app);
    const results = await Promise.all(Array.from({ length: 12 }, () => login('nurse@northern-health.example', WRONG)));
    const byCode = results.map((r) => codes(r)[0]);
    expect(byCode.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(3);
    expect(byCode.filter((c) => c === 'RATE_LIMITED')).toHaveLength(9);
    for (const r of results) expectCleanRefusal(r, /^(UNAUTHENTICATED|RATE_LIMITED)$/);
    expect(await authState(app)).toEqual(before);
  });
});

describe('serviceToken', () => {
  it('locks a client id after 3 failures, known or unknown alike, and the right secret is refused while locked', async () => {
    const known = await fail(4, () => app.gql(SERVICE, { c: DEMO_CLIENT_ID, s: 'wrong-secret' }));
    const unknown = await fail(4, () => app.gql(SERVICE, { c: 'no-such-app', s: 'wrong-secret' }));
    expect(unknown.map(shape)).toEqual(known.map(shape));
    expect(known.map((r) => codes(r)[0])).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
    const locked = await expectHarmless(app, () => app.gql(SERVICE, { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET }), 'RATE_LIMITED');
    expect(retryAfter(locked)).toBeGreaterThan(0);
    await wait(retryAfter(locked) * 1000 + 100);
    expect((await app.gql(SERVICE, { c: DEMO_CLIENT_ID, s: DEMO_CLIENT_SECRET })).body.errors).toBeUndefined();
  });
});

describe('what is kept', () => {
  it('throttle rows hold a hash, never the email or client id typed', async () => {
    const rows = (await app.ownerQuery(`SELECT account_key FROM sign_in_throttles`)) as { account_key: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const { account_key } of rows) expect(account_key).toMatch(/^(user|service):[0-9a-f]{64}$/);
  });

  it('locked-out attempts are audited as failed sign-ins with the reason', async () => {
    const events = (await app.ownerQuery(
      `SELECT outcome, reason FROM audit_events WHERE operation_field = 'login' AND reason = 'RATE_LIMITED' LIMIT 1`,
    )) as { outcome: string; reason: string }[];
    expect(events).toHaveLength(1);
  });
});
