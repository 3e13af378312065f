import { z } from 'zod';

/** Signing algorithms we accept; anything else is refused at start (RFC 8725: explicit allow-list). */
export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** An empty variable counts as unset, so `FOO= npm start` means "use the default". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const envSchema = z.object({
  NODE_ENV: optional(z.enum(['production', 'development', 'test'])),
  PORT: optional(int(0, 65535)),
  HOST: optional(z.string()),
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')),
  DATA_DIR: optional(z.string()),
  EMBEDDED_PG_PORT: optional(int(1024, 65535)),
  DB_POOL_MAX: optional(int(1, 200)),
  DB_STATEMENT_TIMEOUT_MS: optional(int(100, 600_000)),
  DB_APP_ROLE: optional(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL role name')),
  AUDIT_SEAL_INTERVAL_MS: optional(int(1000, 86_400_000)),
  AUDIT_READS: optional(bool),
  SEED_DEMO: optional(bool),
  LOG_LEVEL: optional(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  GRAPHQL_INTROSPECTION: optional(bool),
  TRUST_PROXY: optional(bool),
  BODY_LIMIT_BYTES: optional(int(1024, 50 * 1024 * 1024)),
  JWT_ALGORITHM: optional(z.enum(JWT_ALGORITHMS)),
  JWT_SECRET: optional(z.string().min(32, 'must be at least 32 characters')),
  JWT_PRIVATE_KEY: optional(z.string()),
  JWT_PUBLIC_KEY: optional(z.string()),
  JWT_GENERATE_KEY: optional(bool),
  JWT_ISSUER: optional(z.string().min(1)),
  JWT_AUDIENCE: optional(z.string().min(1)),
  JWT_CLOCK_SKEW_SECONDS: optional(int(0, 300)),
  ACCESS_TOKEN_TTL_SECONDS: optional(int(60, 24 * 3600)),
  REFRESH_TOKEN_TTL_SECONDS: optional(int(300, 90 * 24 * 3600)),
  ARGON2_MEMORY_KIB: optional(int(1024, 1024 * 1024)),
  ARGON2_TIME_COST: optional(int(1, 20)),
  ARGON2_PARALLELISM: optional(int(1, 16)),
});

export interface JwtConfig {
  algorithm: JwtAlgorithm;
  /** HS256 secret, or PEM private key for RS256/ES256. Absent until the embedded demo generates one. */
  signingKey?: string;
  /** HS256 secret, or PEM public key. */
  verificationKey?: string;
  issuer: string;
  audience: string;
  clockSkewSeconds: number;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export interface Config {
  env: 'production' | 'development' | 'test';
  port: number;
  host: string;
  /** Absent: start the embedded PostgreSQL in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  embeddedPgPort: number;
  dbPoolMax: number;
  dbStatementTimeoutMs: number;
  /** The role the service acts as once migrated; it may only INSERT and SELECT on the audit trail. */
  dbAppRole: string;
  /** How often settled audit events are sealed into the hash chain. */
  auditSealIntervalMs: number;
  /** False only to measure audit overhead in bench/: reads then leave no audit event. */
  auditReads: boolean;
  /** Generate a signing key into `dataDir` when none is configured (always so for the embedded demo). */
  generateJwtKey: boolean;
  /** Undefined: seed the demo only on the first start of the embedded database. */
  seedDemo?: boolean;
  logLevel: string;
  introspection: boolean;
  trustProxy: boolean;
  bodyLimitBytes: number;
  jwt: JwtConfig;
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A PEM may be given inline with literal "\n" escapes (as env files often do). */
const pem = (value?: string) => value?.replace(/\\n/g, '\n');

/**
 * Reads and validates the configuration once. Every problem is reported together, so an operator
 * fixes them in one pass. An unset NODE_ENV behaves as production.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const algorithm = e.JWT_ALGORITHM ?? 'HS256';
  let signingKey: string | undefined;
  let verificationKey: string | undefined;
  if (algorithm === 'HS256') {
    if (e.JWT_PRIVATE_KEY || e.JWT_PUBLIC_KEY) {
      problems.push('JWT_PRIVATE_KEY/JWT_PUBLIC_KEY: not used with HS256; set JWT_SECRET instead');
    }
    signingKey = verificationKey = e.JWT_SECRET;
  } else {
    if (e.JWT_SECRET) problems.push(`JWT_SECRET: not used with ${algorithm}; set JWT_PRIVATE_KEY and JWT_PUBLIC_KEY`);
    if (!e.JWT_PRIVATE_KEY !== !e.JWT_PUBLIC_KEY) {
      problems.push(`JWT_PRIVATE_KEY and JWT_PUBLIC_KEY: ${algorithm} needs both`);
    }
    signingKey = pem(e.JWT_PRIVATE_KEY);
    verificationKey = pem(e.JWT_PUBLIC_KEY);
  }
  // Without a configured key, only the embedded demo, or an operator who asks for it (a single
  // instance with a persistent DATA_DIR), gets one generated into DATA_DIR.
  if (e.DATABASE_URL && !signingKey && !e.JWT_GENERATE_KEY) {
    problems.push(
      algorithm === 'HS256'
        ? 'JWT_SECRET: required when DATABASE_URL is set (at least 32 random characters), unless JWT_GENERATE_KEY=true'
        : 'JWT_PRIVATE_KEY and JWT_PUBLIC_KEY: required when DATABASE_URL is set, unless JWT_GENERATE_KEY=true',
    );
  }
  if (e.AUDIT_READS === false && (e.NODE_ENV ?? 'production') === 'production') {
    problems.push('AUDIT_READS: reads are always audited in production (false is for benchmarks only)');
  }
  if (problems.length) throw new ConfigError(problems);

  const nodeEnv = e.NODE_ENV ?? 'production';
  return {
    env: nodeEnv,
    port: e.PORT ?? 4000,
    // Loopback unless told otherwise: the demo's passwords are public. Containers set HOST=0.0.0.0.
    host: e.HOST ?? '127.0.0.1',
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR ?? '.data',
    embeddedPgPort: e.EMBEDDED_PG_PORT ?? 54329,
    dbPoolMax: e.DB_POOL_MAX ?? 10,
    dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS ?? 10_000,
    dbAppRole: e.DB_APP_ROLE ?? 'safeshare_app',
    auditSealIntervalMs: e.AUDIT_SEAL_INTERVAL_MS ?? 60_000,
    auditReads: e.AUDIT_READS ?? true,
    seedDemo: e.SEED_DEMO,
    generateJwtKey: !e.DATABASE_URL || (e.JWT_GENERATE_KEY ?? false),
    logLevel: e.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    introspection: e.GRAPHQL_INTROSPECTION ?? nodeEnv === 'development',
    trustProxy: e.TRUST_PROXY ?? false,
    bodyLimitBytes: e.BODY_LIMIT_BYTES ?? 1024 * 1024,
    jwt: {
      algorithm,
      signingKey,
      verificationKey,
      issuer: e.JWT_ISSUER ?? 'safeshare',
      audience: e.JWT_AUDIENCE ?? 'safeshare-api',
      clockSkewSeconds: e.JWT_CLOCK_SKEW_SECONDS ?? 30,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS ?? 15 * 60,
      refreshTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS ?? 14 * 24 * 3600,
    },
    argon2: {
      memoryCost: e.ARGON2_MEMORY_KIB ?? 19_456,
      timeCost: e.ARGON2_TIME_COST ?? 2,
      parallelism: e.ARGON2_PARALLELISM ?? 1,
    },
  };
}
