import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { codes, startTestApp, type TestApp } from '../support/test-app';
import { expectCleanRefusal, rowCounts } from './support';

const badLogin = (email: string) => `mutation { login(email: "${email}", password: "wrong-password-123") { accessToken } }`;

async function redisAvailable(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

describe('brute force on sign-in', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startTestApp({ RATE_LIMIT_SIGN_IN: '3', RATE_LIMIT_WINDOW_SECONDS: '60' });
  });
  afterEach(async () => {
    await app.close();
  });

  it('after the allowance, attempts from one address are RATE_LIMITED with a retry hint, password unchecked', async () => {
    const before = await rowCounts(app);
    for (let i = 0; i < 3; i++) expect(codes(await app.gql(badLogin(`nobody${i}@example.invalid`)))).toEqual(['UNAUTHENTICATED']);
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: badLogin('analyst@gmp.example') }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await res.json()) as { errors: { extensions: { code: string; retryAfterSeconds: number } }[] };
    expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    // Even the right password is not tried while limited.
    const right = await app.gql('mutation { login(email: "analyst@gmp.example", password: "safeshare-demo") { accessToken } }');
    expectCleanRefusal(right, 'RATE_LIMITED');
    expect(await rowCounts(app)).toEqual(before);
  });

  it('aliases and root fragments count as separate attempts', async () => {
    const aliased = `mutation { ${[0, 1, 2, 3].map((i) => `a${i}: login(email: "x${i}@example.invalid", password: "p") { accessToken }`).join(' ')} }`;
    expectCleanRefusal(await app.gql(aliased), 'RATE_LIMITED');
    const other = await startTestApp({ RATE_LIMIT_SIGN_IN: '3' });
    try {
      const viaFragment = `mutation { ...A ...B } fragment A on Mutation { a: login(email: "a@example.invalid", password: "p") { accessToken } b: login(email: "b@example.invalid", password: "p") { accessToken } }
        fragment B on Mutation { c: login(email: "c@example.invalid", password: "p") { accessToken } d: serviceToken(clientId: "x", clientSecret: "y") { accessToken } }`;
      expectCleanRefusal(await other.gql(viaFragment), 'RATE_LIMITED');
    } finally {
      await other.close();
    }
  });
});

describe('per principal and per address', () => {
  it('a principal past its allowance is RATE_LIMITED; another principal is not', async () => {
    const app = await startTestApp({ RATE_LIMIT_PER_PRINCIPAL: '5' });
    try {
      const analyst = (await app.login('analyst@gmp.example')).accessToken;
      const lead = (await app.login('lead@brookfield-high.example')).accessToken;
      for (let i = 0; i < 5; i++) expect((await app.gql('{ me { id } }', {}, analyst)).body.errors).toBeUndefined();
      expectCleanRefusal(await app.gql('{ me { id } }', {}, analyst), 'RATE_LIMITED');
      expect((await app.gql('{ me { id } }', {}, lead)).body.errors).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('an address past its allowance gets 429 before its query is even parsed', async () => {
    const app = await startTestApp({ RATE_LIMIT_PER_ADDRESS: '3' });
    try {
      for (let i = 0; i < 3; i++) await app.gql('{ __typename }');
      const r = await app.gql('this is { not graphql');
      expect(r.status).toBe(429);
      expectCleanRefusal(r, 'RATE_LIMITED');
      const health = await fetch(`${app.baseUrl}/healthz`);
      expect(health.status).toBe(200); // health checks are not limited
    } finally {
      await app.close();
    }
  });
});

describe('counters in Redis', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  it('two instances share one sign-in allowance', async () => {
    if (!(await redisAvailable(url))) {
      console.warn(`no Redis at ${url}: shared counters not tested here`);
      return;
    }
    const env = { REDIS_URL: url, REDIS_KEY_PREFIX: `test:${randomUUID()}:`, RATE_LIMIT_SIGN_IN: '4' };
    const [a, b] = [await startTestApp(env), await startTestApp(env)];
    try {
      for (const app of [a, b, a, b]) expect(codes(await app.gql(badLogin('nobody@example.invalid')))).toEqual(['UNAUTHENTICATED']);
      expectCleanRefusal(await a.gql(badLogin('nobody@example.invalid')), 'RATE_LIMITED');
      expectCleanRefusal(await b.gql(badLogin('nobody@example.invalid')), 'RATE_LIMITED');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('when Redis is unreachable, requests are still served and the failure is logged', async () => {
    const app = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_SIGN_IN: '1', LOG_LEVEL: 'error' });
    try {
      const r = await app.gql('mutation { login(email: "analyst@gmp.example", password: "safeshare-demo") { accessToken } }');
      expect(r.body.errors).toBeUndefined();
      expect(app.logs.some((l) => l.msg === 'rate limit store unavailable: request allowed')).toBe(true);
    } finally {
      await app.close();
    }
  });
});
