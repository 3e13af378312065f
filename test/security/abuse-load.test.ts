import { startTestApp, type TestApp } from '../support/test-app';

let app: TestApp;
let analyst: string;

beforeAll(async () => {
  app = await startTestApp();
  analyst = (await app.login('analyst@gmp.example')).accessToken;
});

afterAll(async () => {
  await app.close();
});

const repeat = (n: number, s: (i: number) => string) => Array.from({ length: n }, (_, i) => s(i)).join(' ');

/** Each kind of abuse the suite covers, as a raw request body and headers. */
const ABUSE: (() => { body: string; headers?: Record<string, string> })[] = [
  () => ({ body: JSON.stringify({ query: `{ ${repeat(101, (i) => `a${i}: __typename`)} }` }) }),
  () => ({ body: JSON.stringify({ query: `{ ${repeat(500, () => '__typename')} }` }) }),
  () => ({ body: JSON.stringify({ query: `{ ${repeat(3100, () => 'x')} }` }) }),
  () => ({ body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]) }),
  () => ({ body: '{"query": "{ me { id } ' }),
  () => ({ body: JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(1_100_000) }) }),
  () => ({ body: JSON.stringify({ query: 'mutation { login(email: "analyst@gmp.example", password: "guess") { accessToken } }' }) }),
  () => ({ body: JSON.stringify({ query: '{ me { id } }' }), headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' } }),
  () => ({
    body: JSON.stringify({
      query: `query { subjects(first: 1) { edges { node { ...S } } } } fragment S on Subject { reports { report { subjects { subject { ...S } } } } }`,
    }),
  }),
];

it('200 concurrent abusive requests get clean refusals, and ordinary requests keep being answered', async () => {
  const ordinary = async () => {
    const started = Date.now();
    const r = await app.gql('{ intelligenceReports(first: 5) { totalCount edges { node { id } } } }', {}, analyst);
    return { ok: !r.body.errors && r.status === 200, ms: Date.now() - started };
  };
  const abusive = Array.from({ length: 200 }, async (_, i) => {
    const { body, headers } = ABUSE[i % ABUSE.length]();
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${analyst}`, ...headers },
      body,
    });
    const text = await res.text();
    return { status: res.status, text };
  });
  const during = await Promise.all(Array.from({ length: 10 }, () => ordinary()));
  const results = await Promise.all(abusive);
  const after = await ordinary();

  for (const r of results) {
    expect(r.status).toBeLessThan(500);
    expect(r.text).not.toMatch(/stacktrace|node_modules|\bat \w+ \(/);
  }
  expect(during.every((d) => d.ok)).toBe(true);
  expect(after.ok).toBe(true);
  expect(after.ms).toBeLessThan(2000);
}, 120_000);
