// What every benchmark script shares: the build it runs and the environment its servers get.

/** The heap limits the Dockerfile sets (docs/performance.md, item 9); NODE_OPTIONS in the environment overrides them. */
export const SERVER_NODE_OPTIONS = '--max-old-space-size=160';

/** The Safeshare CLI of this checkout's build (`npm run build`). */
export const MAIN = new URL('../dist/src/main.js', import.meta.url).pathname;

/**
 * Environment for a Safeshare process on a benchmark database: development mode (so AUDIT_READS
 * may be switched off), loopback only, no demo re-seeding, and rate limits far above the load so
 * the limiter still runs (and costs what it costs) but refuses nothing. The baseline gets the same
 * heap limits as Safeshare.
 */
export function serverEnv(databaseUrl, extra = {}) {
  return {
    ...process.env,
    NODE_OPTIONS: process.env.NODE_OPTIONS ?? SERVER_NODE_OPTIONS,
    DATABASE_URL: databaseUrl,
    JWT_SECRET: 'bench-only-secret-bench-only-secret-0123456789',
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_ADDRESS: '10000000',
    RATE_LIMIT_PER_PRINCIPAL: '10000000',
    RATE_LIMIT_SIGN_IN: '10000',
    ...extra,
  };
}
