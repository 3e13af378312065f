import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/demo/demo-seed';
import { startTestApp, type TestApp } from '../support/test-app';

/** Raising the configured argon2 cost upgrades each stored hash at its owner's next successful sign-in. */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ ARGON2_TIME_COST: '2', ARGON2_MEMORY_KIB: '2048' });
});
afterAll(() => app.close());

const hashOf = async (sql: string, param: string) => ((await app.ownerQuery(sql, [param])) as { h: string }[])[0].h;

it('re-hashes a password made with other parameters when its user signs in, and only then', async () => {
  const sql = 'SELECT password_hash AS h FROM users WHERE email = $1';
  expect(await hashOf(sql, 'analyst@gmp.example')).toMatch(/\$m=1024,p=1,t=1\$/);
  await app.gql('mutation { login(email: "analyst@gmp.example", password: "not-the-password") { accessToken } }');
  expect(await hashOf(sql, 'analyst@gmp.example')).toMatch(/\$m=1024,p=1,t=1\$/);
  await app.login('analyst@gmp.example');
  expect(await hashOf(sql, 'analyst@gmp.example')).toMatch(/\$m=2048,p=1,t=2\$/);
  await app.login('analyst@gmp.example'); // the new hash verifies
});

it('re-hashes a partner app secret the same way', async () => {
  const sql = 'SELECT secret_hash AS h FROM service_accounts WHERE client_id = $1';
  const r = await app.gql(
    `mutation { serviceToken(clientId: "${DEMO_CLIENT_ID}", clientSecret: "${DEMO_CLIENT_SECRET}") { accessToken } }`,
  );
  expect(r.body.errors).toBeUndefined();
  expect(await hashOf(sql, DEMO_CLIENT_ID)).toMatch(/\$m=2048,p=1,t=2\$/);
});
