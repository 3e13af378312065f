import { generateKeyPairSync } from 'node:crypto';
import { type Config, loadConfig } from '../../src/config';

/** Cheap hashing for tests only: the production defaults are set in config.ts. */
export const TEST_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
export const TEST_JWT_SECRET = 'test-only-secret-0123456789abcdefghijklmnop';
/** The key test servers sign audit checkpoints with (one per test process). */
export const TEST_AUDIT_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** A configuration as an operator would give it, through the same validation as production. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    AUDIT_SIGNING_KEY: TEST_AUDIT_KEY,
    ARGON2_MEMORY_KIB: String(TEST_ARGON2.memoryCost),
    ARGON2_TIME_COST: String(TEST_ARGON2.timeCost),
    ARGON2_PARALLELISM: String(TEST_ARGON2.parallelism),
    // Tests sign in and query far faster than any person; test/security turns the limits back on.
    RATE_LIMIT_PER_ADDRESS: '0',
    RATE_LIMIT_PER_PRINCIPAL: '0',
    RATE_LIMIT_SIGN_IN: '0',
    // The outbox's workers write (inboxes, audit events) on their own schedule, beside a test's
    // requests; tests of push sharing turn them on (PUSH_WORKERS=true), the rest count exactly.
    PUSH_WORKERS: 'false',
    // Tests' webhook receivers listen on the loopback, which a server on its own database refuses by default.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    ...env,
  });
}
