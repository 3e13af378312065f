import { ConfigError, loadConfig } from '../../src/config';
import { metricsOnMainPort } from '../../src/metrics';

const SECRET = 'x'.repeat(32);

describe('loadConfig', () => {
  it('defaults: port 4000, 15-minute access tokens, embedded database, and production behaviour when NODE_ENV is unset', () => {
    const c = loadConfig({});
    // The embedded demo is for exploring: introspection and the explorer are on there.
    expect(c).toMatchObject({
      env: 'production',
      port: 4000,
      databaseUrl: undefined,
      introspection: true,
      explorer: true,
      bodyLimitBytes: 1024 * 1024,
    });
    expect(c.jwt).toMatchObject({ algorithm: 'HS256', accessTtlSeconds: 900, issuer: 'safeshare', audience: 'safeshare-api' });
    expect(c.jwt.signingKey).toBeUndefined();
  });

  it('turns introspection and the explorer on by default only in development and the embedded demo, and lets them be configured', () => {
    const db = { DATABASE_URL: 'postgres://h/db', JWT_SECRET: SECRET };
    for (const env of ['production', 'test'] as const) {
      expect(loadConfig({ ...db, NODE_ENV: env })).toMatchObject({ introspection: false, explorer: false, metricsToken: undefined });
    }
    expect(loadConfig({ ...db, NODE_ENV: 'development' })).toMatchObject({ introspection: true, explorer: true });
    expect(loadConfig({ ...db, GRAPHQL_EXPLORER: 'true', GRAPHQL_INTROSPECTION: 'true' })).toMatchObject({
      introspection: true,
      explorer: true,
    });
    expect(() => loadConfig({ ...db, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ NODE_ENV: 'development' }).introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).introspection).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', GRAPHQL_INTROSPECTION: 'false' }).introspection).toBe(false);
  });

  it('reads on a standby only when DATABASE_REPLICA_URL is given beside DATABASE_URL, with a lag bound and a retry interval', () => {
    const db = { DATABASE_URL: 'postgres://h/db', JWT_SECRET: SECRET };
    expect(loadConfig(db).replica).toBeUndefined();
    expect(loadConfig({ ...db, DATABASE_REPLICA_URL: 'postgres://standby/db' }).replica).toEqual({
      url: 'postgres://standby/db',
      maxLagMs: 5000,
      retryMs: 5000,
    });
    expect(
      loadConfig({ ...db, DATABASE_REPLICA_URL: 'postgres://s/db', REPLICA_MAX_LAG_MS: '250', REPLICA_RETRY_MS: '1000' }).replica,
    ).toMatchObject({
      maxLagMs: 250,
      retryMs: 1000,
    });
    expect(() => loadConfig({ ...db, DATABASE_REPLICA_URL: 'mysql://s/db' })).toThrow(/DATABASE_REPLICA_URL/);
    expect(() => loadConfig({ DATABASE_REPLICA_URL: 'postgres://s/db' })).toThrow(/DATABASE_REPLICA_URL: needs DATABASE_URL/);
  });

  it('sends webhooks only over https to public addresses in production, and allows the loopback over http in the demo', () => {
    const production = { DATABASE_URL: 'postgres://h/db', JWT_SECRET: SECRET };
    expect(loadConfig(production).webhooks).toEqual({
      requireHttps: true,
      allowedHosts: [],
      timeoutMs: 10_000,
      retryBaseMs: 30_000,
      retryMaxMs: 6 * 3_600_000,
      maxAttempts: 8,
    });
    expect(loadConfig({}).webhooks).toMatchObject({ requireHttps: false, allowedHosts: ['127.0.0.1', 'localhost'] });
    // Outside production http is allowed, but the loopback is trusted by default only in the embedded demo.
    expect(loadConfig({ ...production, NODE_ENV: 'test' }).webhooks).toMatchObject({ requireHttps: false, allowedHosts: [] });
    expect(loadConfig({ ...production, WEBHOOK_ALLOWED_HOSTS: ' Receiver.Internal , [::1] ' }).webhooks.allowedHosts).toEqual([
      'receiver.internal',
      '::1',
    ]);
    expect(loadConfig({ WEBHOOK_ALLOWED_HOSTS: '' }).webhooks.allowedHosts).toEqual(['127.0.0.1', 'localhost']);
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: 'a b' })).toThrow(/WEBHOOK_ALLOWED_HOSTS: a b/);
    expect(() => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(/WEBHOOK_MAX_ATTEMPTS/);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '-5' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
    expect(() => loadConfig({ WEBHOOK_RETRY_MAX_MS: '1000' })).toThrow(/WEBHOOK_RETRY_MAX_MS: must be at least WEBHOOK_RETRY_BASE_MS/);
    expect(loadConfig({ WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_RETRY_MAX_MS: '200' }).webhooks).toMatchObject({
      retryBaseMs: 50,
      retryMaxMs: 200,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '' }).port).toBe(4000);
  });

  it('reads every problem at once, naming the variable', () => {
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', ACCESS_TOKEN_TTL_SECONDS: '5' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { problems, message } = error as ConfigError;
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['ACCESS_TOKEN_TTL_SECONDS', 'DATABASE_URL', 'LOG_LEVEL', 'PORT']);
      expect(message).toMatch(/^Invalid configuration:/);
    }
  });

  it('requires a signing secret with an external database, and a strong one', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://h/db' })).toThrow(/JWT_SECRET: required/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET: must be at least 32/);
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db', JWT_SECRET: SECRET }).jwt.signingKey).toBe(SECRET);
  });

  it('takes asymmetric keys as a pair, with escaped newlines allowed', () => {
    expect(() => loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: 'k' })).toThrow(/needs both/);
    expect(() => loadConfig({ JWT_ALGORITHM: 'ES256', JWT_SECRET: SECRET })).toThrow(/not used with ES256/);
    const c = loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: 'a\\nb', JWT_PUBLIC_KEY: 'c\\nd' });
    expect(c.jwt).toMatchObject({ signingKey: 'a\nb', verificationKey: 'c\nd' });
  });

  it('allows only the listed signing algorithms', () => {
    expect(() => loadConfig({ JWT_ALGORITHM: 'none' })).toThrow(/JWT_ALGORITHM/);
    expect(() => loadConfig({ JWT_ALGORITHM: 'HS512' })).toThrow(/JWT_ALGORITHM/);
  });
});

describe('signing key generation', () => {
  it('is on for the embedded demo, off with DATABASE_URL unless asked for', () => {
    expect(loadConfig({}).generateJwtKey).toBe(true);
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db', JWT_SECRET: SECRET }).generateJwtKey).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db', JWT_GENERATE_KEY: 'true' }).generateJwtKey).toBe(true);
  });

  it('listens on loopback unless HOST says otherwise', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });
});

describe('who may read /metrics on the API port', () => {
  const db = { DATABASE_URL: 'postgres://h/db', JWT_SECRET: SECRET };
  it('with a token, its bearer; with a port of its own, nobody there; with neither, open except in production', () => {
    expect(metricsOnMainPort(loadConfig({ ...db, METRICS_TOKEN: 'a-metrics-token-of-16+' }))).toBe('token');
    expect(metricsOnMainPort(loadConfig({ ...db, METRICS_PORT: '9464' }))).toBe('off');
    expect(metricsOnMainPort(loadConfig({ ...db, NODE_ENV: 'production' }))).toBe('off');
    expect(metricsOnMainPort(loadConfig({ ...db, NODE_ENV: 'development' }))).toBe('open');
    expect(metricsOnMainPort(loadConfig({ ...db, NODE_ENV: 'test' }))).toBe('open');
    expect(metricsOnMainPort(loadConfig({}))).toBe('open'); // the embedded demo
  });
});
